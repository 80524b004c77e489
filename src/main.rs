use clap::Parser;

use rnn_tui::cli::{headless, Cli, Commands, EXIT_USAGE};
use rnn_tui::train::HParams;

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Commands::Train(cmd)) => {
            let args = cli.train;
            args.apply_threads();
            match args.hparams(HParams::default()) {
                Ok(hp) => {
                    let format = if cmd.json {
                        headless::Format::Json
                    } else {
                        headless::Format::Plain
                    };
                    headless::run(hp, args.device, args.kernel, format)
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE
                }
            }
        }
        Some(Commands::Bench(cmd)) => {
            cli.train.apply_threads();
            rnn_tui::cli::bench::run(&cmd, cli.train.device)
        }
        None => {
            cli.train.apply_threads();
            match cli.train.hparams(HParams::default()) {
                Ok(hp) => headless::run(
                    hp,
                    cli.train.device,
                    cli.train.kernel,
                    headless::Format::Plain,
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    EXIT_USAGE
                }
            }
        }
    };
    std::process::exit(code);
}
