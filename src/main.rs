use std::io::IsTerminal;

use clap::error::ErrorKind;
use clap::Parser;

use rnn_tui::cli::{self, Cli, Commands, TrainArgs, TrainCmd, EXIT_USAGE};
use rnn_tui::tui::cockpit::Opening;
use rnn_tui::tui::launch::Launcher;
use rnn_tui::tui::{self, ColorMode, Theme};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => exit_on_parse_error(e),
    };
    let data_dir = cli.data_dir.as_deref();
    let code = match &cli.command {
        Some(Commands::Train(cmd)) => train(&cli.train, data_dir, cmd),
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
                headless: false,
                json: false,
                resume: None,
                save_every: None,
                no_save: false,
            };
            train(&cli.train, data_dir, &cmd)
        }
    };
    std::process::exit(code);
}

/// `rnn-tui` and `rnn-tui train`: the cockpit on a terminal, else the headless trainer.
fn train(args: &TrainArgs, data_dir: Option<&std::path::Path>, cmd: &TrainCmd) -> i32 {
    // A bad theme is a usage error even when the cockpit will not open.
    let theme = match args
        .theme
        .as_deref()
        .map(|t| Theme::load(t, ColorMode::detect()))
    {
        None => Theme::default_for(ColorMode::detect()),
        Some(Ok(t)) => t,
        Some(Err(e)) => return usage(e.to_string()),
    };
    let cockpit = !cmd.headless && !cmd.json && std::io::stdout().is_terminal();
    if !cockpit {
        return cli::train::run(args, data_dir, cmd);
    }
    args.apply_threads();
    let opening = match &cmd.resume {
        Some(spec) => match cli::train::resume_dir(args, data_dir, spec) {
            Ok(dir) => Opening::Resume {
                dir,
                epochs: args.epochs,
                lr: args.lr,
                clip: args.clip,
            },
            Err(code) => return code,
        },
        None => match cli::train::new_run_hparams(args) {
            Ok(hp) => Opening::New(hp),
            Err(e) => return usage(e),
        },
    };
    let runs_root = if cmd.no_save {
        None
    } else {
        match cli::train::runs_root(data_dir) {
            Ok(r) => Some(r),
            Err(e) => return usage(e),
        }
    };
    let save_every = cmd.save_every.map(|n| n as usize);
    match Launcher::new(args.device, args.kernel, runs_root, save_every) {
        Ok(launcher) => tui::cockpit::open(launcher, opening, theme),
        Err(e) => usage(e),
    }
}

fn usage(message: String) -> i32 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

/// `--help` and `--version` print as clap writes them; a bad flag or value is one line on
/// stderr (clap's own `error: …` line) and exit code 2.
fn exit_on_parse_error(e: clap::Error) -> ! {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: bad command line");
    eprintln!("{line} (see --help)");
    std::process::exit(EXIT_USAGE);
}
