//! The event loop and the terminal's life: raw mode and the alternate screen on the way in,
//! restored on the way out whatever happens (quit, Ctrl-C, a panic, a failed trainer).
//!
//! One thread reads the terminal, the trainer sends events, a ticker paces frames; the loop
//! `select!`s over input and the ticker (as gitui does), drains the trainer's events on each
//! tick (a burst becomes one update, ~11 times a second), and draws at most ~30 frames a
//! second: input within a frame, trainer updates on the tick.

use std::io::{stdout, Stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{never, select, tick, Receiver};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event as TermEvent,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::Terminal;

use super::app::{Action, App, Msg};
use super::launch::{self, Launcher};
use super::theme::Theme;
use super::{log, view};
use crate::exit::{EXIT_FAILURE, EXIT_USAGE};
use crate::hparams::{clip_text, HParams};
use crate::number_format::compact;
use crate::runs::RunDir;
use crate::signals::TerminationWatch;
use crate::train::{Command, Event, TrainError, TrainerHandle};

/// Minimum time between two frames drawn for trainer events (~30 frames/s).
pub const FRAME: Duration = Duration::from_millis(33);
/// Minimum time between frames drawn only because the trainer reported (~11 frames/s): the
/// charts stay live, and training keeps its speed (measured: at 30 frames/s the cockpit cost
/// ~7% of headless tokens/s on a 2-core machine, at ~10 frames/s nothing measurable).
pub const TRAINING_FRAME: Duration = Duration::from_millis(90);
/// Most trainer events handled before a frame is considered.
const DRAIN_LIMIT: usize = 8192;

/// Fault injection for tests: with this set, the cockpit's own thread panics on its first
/// frame tick (to check that the panic hook gives the terminal back).
pub const UI_PANIC_ENV: &str = "RNN_TUI_TEST_PANIC_UI";

static TERMINAL_ACTIVE: AtomicBool = AtomicBool::new(false);

type Term = Terminal<CrosstermBackend<Stdout>>;

fn setup() -> std::io::Result<Term> {
    enable_raw_mode()?;
    TERMINAL_ACTIVE.store(true, Ordering::SeqCst);
    execute!(
        stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )?;
    let mut t = Terminal::new(CrosstermBackend::new(stdout()))?;
    t.hide_cursor()?;
    t.clear()?;
    Ok(t)
}

/// Leave the alternate screen, raw mode, mouse capture and bracketed paste. Safe to call more
/// than once.
pub fn restore() {
    if TERMINAL_ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(
            stdout(),
            DisableBracketedPaste,
            DisableMouseCapture,
            LeaveAlternateScreen,
            ratatui::crossterm::cursor::Show
        );
    }
}

/// Restore the terminal before any panic message is printed. A panic on the trainer thread is
/// caught there and shown in the cockpit as an error, so it only goes to the log.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let name = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        log::line(format!("panic on thread {name}: {info}"));
        if name == "trainer" {
            return;
        }
        restore();
        previous(info);
    }));
}

fn spawn_input() -> Receiver<Msg> {
    let (tx, rx) = crossbeam_channel::bounded(256);
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || loop {
            let msg = match event::read() {
                Ok(TermEvent::Key(k)) => Msg::Key(k),
                Ok(TermEvent::Mouse(m)) => Msg::Mouse(m),
                Ok(TermEvent::Resize(w, h)) => Msg::Resize(w, h),
                Ok(TermEvent::Paste(text)) => Msg::Paste(text),
                Ok(_) => continue,
                Err(_) => break,
            };
            if tx.send(msg).is_err() {
                break;
            }
        })
        .expect("spawning the input thread");
    rx
}

/// What the cockpit opens on.
pub enum Opening {
    /// A new run with these hyperparameters (saved once it starts training).
    New(HParams),
    /// A saved run, continued where it stopped; `epochs`, `lr`, `clip` override its own.
    Resume {
        dir: RunDir,
        epochs: Option<usize>,
        lr: Option<f64>,
        clip: Option<f64>,
    },
}

/// Open the cockpit and stay in it until the user quits. Errors found before the screen opens
/// (a bad corpus, a damaged checkpoint) are one line on stderr. Returns the process exit code.
pub fn open(launcher: Launcher, opening: Opening, theme: Theme) -> i32 {
    let fail = |e: TrainError| {
        eprintln!("error: {e}");
        if e.is_usage() {
            EXIT_USAGE
        } else {
            EXIT_FAILURE
        }
    };
    let built = match opening {
        Opening::New(hp) => launcher.new_run(hp).map(|trainer| (trainer, None)),
        Opening::Resume {
            dir,
            epochs,
            lr,
            clip,
        } => launcher.resume(&dir, epochs, lr, clip).map(|r| {
            let more = r.more_epochs;
            (
                r.trainer,
                Some((r.dir, r.notes, r.history, r.samples, more)),
            )
        }),
    };
    let (mut trainer, resumed) = match built {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let hp = trainer.hp.clone();
    let log_path = log::init();
    log::line(format!("cockpit start: {hp:?}"));
    let mut app = App::new(hp.clone(), theme);
    trainer.set_epoch_sample(&app.completion.prefix, app.completion.len);
    let handle = trainer.spawn();
    app.attach(handle.commands.clone());
    if let Some((dir, notes, history, samples, more)) = resumed {
        app.start_resumed(&dir.path, hp, handle.commands.clone(), &history, &notes);
        app.show_samples(samples);
        if let Some(more) = more {
            app.offer_more_epochs(more);
        }
    }
    let Some(result) = in_terminal(&mut app, handle, &launcher) else {
        return EXIT_FAILURE;
    };
    // The trainer has stopped and saved by now (dropping its handle waits for it).
    if let Some(line) = closing_line(&app) {
        eprintln!("{line}");
    }
    exit_code(result, "cockpit", log_path)
}

/// The line left on stderr when the cockpit closes on a saved run: where the run is and the
/// command that goes on with it. A finished run needs no `--epochs`: `train --resume` opens
/// it in the cockpit with as many epochs again offered (see [`Launcher::resume`]); only the
/// headless trainer needs the new total. `None` when nothing was saved.
pub fn closing_line(app: &App) -> Option<String> {
    let id = app.status.run_id()?;
    let dir = app.status.run_dir.as_ref()?.display();
    let finished = app.status.summary.as_ref().is_some_and(|s| s.completed);
    Some(if finished {
        let epochs = app.status.epochs.max(1);
        let plural = if epochs == 1 { "" } else { "s" };
        format!(
            "run {id} finished and saved in {dir}; train it longer with: rnn-tui train --resume {id} (offers {epochs} more epoch{plural}; headless: add --epochs N, the new total)"
        )
    } else {
        format!("run {id} saved in {dir}; continue it with: rnn-tui train --resume {id}")
    })
}

/// Open the cockpit on a run another process trains ([`crate::watch`]) and stay until the
/// user leaves; the run goes on. Returns the process exit code.
pub fn watch(watch: crate::watch::Watch, theme: Theme) -> i32 {
    let crate::watch::Watch {
        dir,
        hparams,
        writer,
        handle,
    } = watch;
    // The picker lists the runs beside the watched one (to compare curves with).
    let runs_root = dir.path.parent().map(|p| p.to_owned());
    let launcher = match Launcher::new(
        crate::device::DeviceChoice::Cpu,
        crate::model::ComputePath::Auto,
        runs_root,
        None,
    ) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_FAILURE;
        }
    };
    let log_path = log::init();
    log::line(format!(
        "watch start: run {} ({})",
        dir.id,
        writer.describe()
    ));
    let mut app = App::new(hparams, theme);
    app.start_watching(&dir.path, writer.describe(), handle.commands.clone());
    // Leaving drops the handle: the watcher stops; the trainer never hears of it.
    let Some(result) = in_terminal(&mut app, handle, &launcher) else {
        return EXIT_FAILURE;
    };
    eprintln!("stopped watching run {} ({})", dir.id, dir.path.display());
    exit_code(result, "watch", log_path)
}

/// Take the terminal over, run the event loop until the user leaves, and give the terminal
/// back. `None` (said on stderr) when the terminal cannot be set up.
fn in_terminal(
    app: &mut App,
    handle: TrainerHandle,
    launcher: &Launcher,
) -> Option<std::io::Result<Exit>> {
    install_panic_hook();
    let mut terminal = match setup() {
        Ok(t) => t,
        Err(e) => {
            restore();
            eprintln!("error: cannot set up the terminal: {e}");
            return None;
        }
    };
    let result = cockpit_loop(&mut terminal, app, handle, launcher);
    restore();
    Some(result)
}

/// The process exit code for how the loop of `what` (`cockpit`, `watch`) ended, logged; a
/// failure is said on stderr with where the log is.
fn exit_code(result: std::io::Result<Exit>, what: &str, log_path: Option<PathBuf>) -> i32 {
    match result {
        Ok(exit) => {
            log::line(format!("{what} quit ({exit:?})"));
            exit.code()
        }
        Err(e) => {
            log::line(format!("{what} failed: {e}"));
            eprintln!("error: {e}");
            if let Some(p) = log_path {
                eprintln!("log: {}", p.display());
            }
            EXIT_FAILURE
        }
    }
}

/// How the event loop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `q`, Ctrl-C, or the terminal went away.
    Quit,
    /// A signal asked us to leave; the process exits with 128 + its number.
    Signal(i32),
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Quit => 0,
            Exit::Signal(n) => 128 + n,
        }
    }
}

fn log_event(ev: &Event) {
    match ev {
        Event::Ready {
            device,
            params,
            batches_per_epoch,
            ..
        } => log::line(format!("ready on {device}: {params} params, {batches_per_epoch} batches/epoch")),
        Event::State { state } => log::line(format!("state {state:?}")),
        Event::Epoch(e) => log::line(format!(
            "epoch {} train_ppl {:.3} val_ppl {:.3} tokens/s {:.0}",
            e.epoch, e.train_ppl, e.val_ppl, e.tokens_per_s
        )),
        Event::Finished(s) => log::line(format!(
            "finished epochs={} completed={} train_ppl={:.3} val_ppl={:.3} tokens_per_s={:.0} seconds={:.2} sample={:?}",
            s.epochs, s.completed, s.train_ppl, s.val_ppl, s.tokens_per_s, s.seconds, s.sample
        )),
        Event::Error { message } => log::line(format!("trainer error: {message}")),
        Event::Warning { message } => log::line(format!("trainer warning: {message}")),
        Event::Diverged { message, .. } => log::line(format!("diverged: {message}")),
        Event::Settings { lr, clip } => log::line(format!(
            "settings lr={} clip={}",
            compact(*lr),
            clip_text(*clip)
        )),
        _ => {}
    }
}

/// The event loop: input, the frame ticker, the trainer's events and signals in; frames and
/// the app's actions out.
fn cockpit_loop(
    terminal: &mut Term,
    app: &mut App,
    handle: TrainerHandle,
    launcher: &Launcher,
) -> std::io::Result<Exit> {
    let input = spawn_input();
    let ticker = tick(TRAINING_FRAME);
    let mut handle = Some(handle);
    let mut events = handle
        .as_ref()
        .map(|h| h.events.clone())
        .unwrap_or_else(never);
    let size = terminal.size()?;
    app.update(Msg::Resize(size.width, size.height));
    // What changed since the last frame: input (drawn within a frame) or trainer events
    // (drawn at the training frame rate).
    let mut input_dirty = true;
    let mut trainer_dirty = false;
    let mut last_draw: Option<Instant> = None;
    let inject_panic = std::env::var_os(UI_PANIC_ENV).is_some();
    // SIGTERM, SIGINT (from `kill`: Ctrl-C in raw mode is a key) and SIGHUP end the cockpit
    // as quitting does, with the signal's exit code.
    let (signal_tx, signal_rx) = crossbeam_channel::bounded(1);
    let watch = TerminationWatch::start(move |sig| {
        let _ = signal_tx.try_send(sig);
    });
    let signals = if watch.is_ok() { signal_rx } else { never() };
    loop {
        let since = last_draw.map_or(Duration::MAX, |t| t.elapsed());
        if (input_dirty && since >= FRAME) || (trainer_dirty && since >= TRAINING_FRAME) {
            terminal.draw(|f| view::draw(f, app))?;
            last_draw = Some(Instant::now());
            input_dirty = false;
            trainer_dirty = false;
        }
        let mut actions = Vec::new();
        // Input that could not be drawn yet (a frame was drawn < FRAME ago) wakes us in time.
        let since = last_draw.map_or(Duration::MAX, |t| t.elapsed());
        let wait = if input_dirty {
            FRAME.saturating_sub(since)
        } else {
            Duration::from_secs(3600)
        };
        select! {
            recv(input) -> msg => match msg {
                Ok(msg) => {
                    if let Msg::Resize(..) = msg {
                        terminal.autoresize()?;
                    }
                    actions.push(app.update(msg));
                    while let Ok(more) = input.try_recv() {
                        actions.push(app.update(more));
                    }
                    input_dirty = true;
                }
                // The input thread is gone (it panicked or the terminal closed): leave.
                Err(_) => return Ok(Exit::Quit),
            },
            // Trainer events are collected on the tick rather than one wake-up per
            // event: a few hundred batches a second would otherwise wake this thread (and
            // preempt the trainer on a busy machine) for every one of them.
            recv(ticker) -> _ => {
                let mut got = false;
                for ev in events.try_iter().take(DRAIN_LIMIT) {
                    log_event(&ev);
                    app.update(Msg::Trainer(ev));
                    got = true;
                }
                trainer_dirty |= got;
                // Messages fade by the clock: a faded one is redrawn away at once.
                let before = app.notice.is_some();
                app.update(Msg::Tick(Instant::now()));
                input_dirty |= before != app.notice.is_some();
                if inject_panic {
                    panic!("injected UI fault ({UI_PANIC_ENV})");
                }
            }
            recv(signals) -> sig => {
                let Ok(sig) = sig else { continue };
                log::line(format!("terminated by signal {sig}"));
                restore();
                // Dropping the handle stops the trainer, which saves the run.
                drop(handle.take());
                return Ok(Exit::Signal(sig));
            }
            default(wait) => {}
        }
        for action in actions {
            match action {
                Action::None => {}
                Action::Quit => {
                    // Give the terminal back first; the trainer may take a batch to stop.
                    restore();
                    if let Some(h) = handle.take() {
                        h.send(Command::Stop);
                    }
                    return Ok(Exit::Quit);
                }
                Action::ListRuns => app.show_runs(launcher.list()),
                Action::LoadOverlay { id, path } => app.set_overlay(id, launch::history(&path)),
                // A few milliseconds for a 100-epoch run (benches/plot.rs): done in place.
                Action::SaveChart(chart) => app.chart_saved(chart.write(launcher.runs_root())),
                Action::LabelRun { path, label } => {
                    let id = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    app.run_labelled(&id.unwrap_or_default(), launch::label(&path, &label));
                    app.show_runs(launcher.list());
                }
                Action::DeleteRun { id, path } => {
                    app.run_deleted(&id, launch::delete(&path));
                    app.show_runs(launcher.list());
                }
                Action::Resume(path) => {
                    match launcher.resume_at(&path) {
                        Ok(mut r) => {
                            let len = r.trainer.hp.completion_len;
                            r.trainer.set_epoch_sample(&app.completion.prefix, len);
                            // The old trainer stops and saves before the new one starts.
                            drop(handle.take());
                            let hp = r.trainer.hp.clone();
                            let h = r.trainer.spawn();
                            log::line(format!("resumed run {}", r.dir.id));
                            app.start_resumed(
                                &r.dir.path,
                                hp,
                                h.commands.clone(),
                                &r.history,
                                &r.notes,
                            );
                            app.show_samples(r.samples);
                            if let Some(more) = r.more_epochs {
                                app.offer_more_epochs(more);
                            }
                            events = h.events.clone();
                            handle = Some(h);
                        }
                        Err(e) => {
                            log::line(format!("resume failed: {e}"));
                            app.resume_failed(e.to_string());
                        }
                    }
                }
                Action::Restart(hp) => match launcher.new_run(hp.clone()) {
                    Ok(mut t) => {
                        t.set_epoch_sample(&app.completion.prefix, hp.completion_len);
                        drop(handle.take());
                        let h = t.spawn();
                        h.send(Command::Start);
                        log::line(format!("restart: {hp:?}"));
                        app.start_run(hp, h.commands.clone());
                        events = h.events.clone();
                        handle = Some(h);
                    }
                    Err(e) => {
                        log::line(format!("restart failed: {e}"));
                        app.restart_failed(e.to_string());
                    }
                },
            }
        }
    }
}
