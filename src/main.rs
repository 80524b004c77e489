use std::io::IsTerminal;

use clap::Parser;

use rnn_tui::cli::{headless, Cli, Commands, TrainArgs, EXIT_USAGE};
use rnn_tui::train::HParams;
use rnn_tui::tui::{self, ColorMode, Theme};

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Some(Commands::Bench(cmd)) => {
            cli.train.apply_threads();
            rnn_tui::cli::bench::run(cmd, cli.train.device)
        }
        Some(Commands::Train(cmd)) => run(cli.train, cmd.headless || cmd.json, cmd.json),
        None => run(cli.train, false, false),
    };
    std::process::exit(code);
}

/// The cockpit, unless asked for plain output or stdout is not a terminal.
fn run(args: TrainArgs, headless: bool, json: bool) -> i32 {
    args.apply_threads();
    // A bad theme is a usage error even when the cockpit will not open.
    let theme = match args
        .theme
        .as_deref()
        .map(|t| Theme::load(t, ColorMode::detect()))
    {
        None => Theme::default_for(ColorMode::detect()),
        Some(Ok(t)) => t,
        Some(Err(e)) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let hp = match args.hparams(HParams::default()) {
        Ok(hp) => hp,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    if headless || !std::io::stdout().is_terminal() {
        let format = if json {
            headless::Format::Json
        } else {
            headless::Format::Plain
        };
        return headless::run(hp, args.device, args.kernel, format);
    }
    tui::run::run(hp, args.device, args.kernel, theme)
}
