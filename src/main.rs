use clap::Parser;

use rnn_tui::cli::{self, Cli, Commands, TrainCmd};

fn main() {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.as_deref();
    let code = match &cli.command {
        Some(Commands::Train(cmd)) => cli::train::run(&cli.train, data_dir, cmd),
        Some(Commands::Bench(cmd)) => {
            cli.train.apply_threads();
            cli::bench::run(cmd, cli.train.device)
        }
        Some(Commands::Sample(cmd)) => {
            cli.train.apply_threads();
            cli::sample::run(data_dir, cmd, cli.train.seed)
        }
        Some(Commands::Eval(cmd)) => {
            cli.train.apply_threads();
            cli::eval::run(data_dir, cmd, cli.train.corpus.as_deref())
        }
        Some(Commands::Runs(_)) => cli::runs::run(data_dir),
        Some(Commands::Export(cmd)) => cli::export::run(data_dir, cmd),
        Some(Commands::Config(cmd)) => cli::config::run(cmd),
        None => {
            let cmd = TrainCmd {
                headless: true,
                json: false,
                resume: None,
                save_every: None,
                no_save: false,
            };
            cli::train::run(&cli.train, data_dir, &cmd)
        }
    };
    std::process::exit(code);
}
