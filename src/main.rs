use std::io::IsTerminal;

use clap::error::ErrorKind;
use clap::Parser;

use rnn_tui::cli::{self, Cli, CliError, Commands, TrainArgs, TrainCmd};
use rnn_tui::exit::EXIT_USAGE;
use rnn_tui::tui::cockpit::Opening;
use rnn_tui::tui::launch::Launcher;
use rnn_tui::tui::{self, ColorMode, Theme};

/// The longest error line printed, in terminal columns.
const MAX_ERROR_COLS: usize = 600;

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => exit_on_parse_error(e),
    };
    let code = match run(&cli) {
        Ok(code) => code,
        // The one place an error becomes a message and an exit code.
        Err(e) => {
            // One line of a readable length, whatever a bad value or file held (a 50 MB value
            // or a million-token vocabulary is cut with `…`, never echoed whole).
            let (line, _) = rnn_tui::text_width::truncate(&e.to_string(), MAX_ERROR_COLS);
            eprintln!("error: {}", line.replace(['\n', '\r'], " "));
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// Run the subcommand. `Ok` carries the exit code of a command that ran to its end (0, 1 when
/// training reported failures as it went, 128 + n after a signal).
fn run(cli: &Cli) -> Result<i32, CliError> {
    // Before any kernel runs: every subcommand computes on the asked path.
    cli.train.apply_isa()?;
    let data_dir = cli.data_dir.as_deref();
    let done = |()| 0;
    match &cli.command {
        Some(Commands::Train(cmd)) => train(&cli.train, data_dir, cmd),
        Some(Commands::Bench(cmd)) => {
            cli.train.apply_threads();
            let mut cmd = cmd.clone();
            cmd.model = cli::bench::model_from(&cli.train)?;
            cli::bench::run(&cmd, &cli.train).map(done)
        }
        Some(Commands::Sample(cmd)) => {
            cli.train.apply_threads();
            cli::sample::run(data_dir, cmd, cli.train.seed).map(done)
        }
        Some(Commands::Eval(cmd)) => {
            cli.train.apply_threads();
            cli::eval::run(data_dir, cmd, cli.train.corpus.as_deref()).map(done)
        }
        Some(Commands::Runs(cmd)) => cli::runs::run(data_dir, cmd).map(done),
        Some(Commands::Export(cmd)) => cli::export::run(data_dir, cmd).map(done),
        Some(Commands::Plot(cmd)) => {
            // The cockpit's themes, resolved as its --theme is; a figure is not a terminal,
            // so its colours are taken at full depth whatever the terminal shows.
            let theme = match cli.train.theme.as_deref() {
                None => Theme::default_for(ColorMode::TrueColor),
                Some(t) => Theme::load(t, ColorMode::TrueColor)
                    .map_err(|e| CliError::Usage(e.to_string()))?,
            };
            cli::plot::run(data_dir, cmd, theme.figure_palette()).map(done)
        }
        Some(Commands::Config(cmd)) => cli::config::run(cmd).map(done),
        Some(Commands::Watch(cmd)) => watch(&cli.train, data_dir, cmd),
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
    }
}

/// `rnn-tui` and `rnn-tui train`: the cockpit on a terminal, else the headless trainer.
fn train(
    args: &TrainArgs,
    data_dir: Option<&std::path::Path>,
    cmd: &TrainCmd,
) -> Result<i32, CliError> {
    // A bad theme is a usage error even when the cockpit will not open.
    let theme = match args.theme.as_deref() {
        None => Theme::default_for(ColorMode::detect()),
        Some(t) => {
            Theme::load(t, ColorMode::detect()).map_err(|e| CliError::Usage(e.to_string()))?
        }
    };
    let cockpit = !cmd.headless && !cmd.json && std::io::stdout().is_terminal();
    if !cockpit {
        return cli::train::run(args, data_dir, cmd);
    }
    args.apply_threads();
    let opening = match &cmd.resume {
        Some(spec) => Opening::Resume {
            dir: cli::train::resume_dir(args, data_dir, spec)?,
            epochs: args.epochs,
            lr: args.lr,
            clip: args.clip,
        },
        None => Opening::New(cli::train::new_run_hparams(args)?),
    };
    let runs_root = if cmd.no_save {
        None
    } else {
        Some(cli::train::runs_root(data_dir)?)
    };
    let save_every = cmd.save_every.map(|n| n as usize);
    let launcher = Launcher::new(args.device, args.kernel, runs_root, save_every)?;
    // The cockpit reports its own errors (it owns the terminal until it has restored it).
    Ok(tui::cockpit::open(launcher, opening, theme))
}

/// `rnn-tui watch RUN`: the cockpit on a run another process trains, or its progress as plain
/// lines when stdout is not a terminal.
fn watch(
    args: &TrainArgs,
    data_dir: Option<&std::path::Path>,
    cmd: &cli::watch::WatchCmd,
) -> Result<i32, CliError> {
    let theme = match args.theme.as_deref() {
        None => Theme::default_for(ColorMode::detect()),
        Some(t) => {
            Theme::load(t, ColorMode::detect()).map_err(|e| CliError::Usage(e.to_string()))?
        }
    };
    args.apply_threads();
    let w = cli::watch::open(data_dir, cmd)?;
    if std::io::stdout().is_terminal() {
        Ok(tui::cockpit::watch(w, theme))
    } else {
        Ok(cli::watch::run_plain(w))
    }
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
    // A flag of `train` given without it: say the command meant.
    if e.kind() == ErrorKind::UnknownArgument {
        let args: Vec<String> = std::env::args_os()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if let Some(line) = cli::did_you_mean::train_command(&args) {
            let (line, _) = rnn_tui::text_width::truncate(&line, MAX_ERROR_COLS);
            eprintln!("{line}");
            std::process::exit(EXIT_USAGE);
        }
    }
    let text = e.render().to_string();
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: bad command line");
    let (line, _) = rnn_tui::text_width::truncate(line, MAX_ERROR_COLS);
    eprintln!("{line} (see --help)");
    std::process::exit(EXIT_USAGE);
}
