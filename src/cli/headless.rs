//! `rnn-tui train --headless`: the same trainer as the cockpit, its events printed as lines.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crossbeam_channel::select;

use super::output::{self, Delivery, OutputError};
use super::CliError;
use crate::exit::EXIT_FAILURE;
use crate::number_format::{compact, compact_count};
use crate::runs::{
    hostname, ControlCommand, ControlLine, ControlReader, RunDir, WriterState, WriterStatus,
};
use crate::signals::TerminationWatch;
use crate::train::{Command, Event, Trainer, TrainerState};

pub enum Format {
    Plain,
    Json,
}

/// The `run` line printed after the header when the trainer saves into a run directory:
/// `run <id> <path>`, plus `resumed epoch E batch B` when it continues a saved run.
pub fn run_line(dir: &RunDir, resumed: Option<(usize, usize)>, format: &Format) -> String {
    match format {
        Format::Json => serde_json::json!({
            "event": "run",
            "id": dir.id,
            "path": dir.path,
            "resumed": resumed.map(|(e, b)| serde_json::json!({"epoch": e, "batch": b})),
        })
        .to_string(),
        Format::Plain => match resumed {
            Some((e, b)) => format!(
                "run {} {} resumed epoch {e} batch {b}",
                dir.id,
                dir.path.display()
            ),
            None => format!("run {} {}", dir.id, dir.path.display()),
        },
    }
}

/// What a headless run says when training diverges: it stops with the last good weights
/// (saved, when it has a run directory) and tells how to continue.
fn diverged_message(
    epoch: usize,
    batch: usize,
    loss: f64,
    grad_norm: f64,
    lr: f64,
    run_id: Option<&str>,
) -> String {
    let what = format!(
        "training diverged at epoch {epoch} batch {batch} (loss {loss}, gradient norm {grad_norm}) with learning rate {}",
        compact(lr)
    );
    match run_id {
        Some(id) => format!(
            "{what}: stopped and saved the last good weights; continue with a lower rate: rnn-tui train --resume {id} --lr {}",
            compact(lr / 10.0)
        ),
        None => format!("{what}: stopped (nothing saved: --no-save); try a lower --lr"),
    }
}

/// Where standard output stands during a headless run.
enum Stdout {
    Open,
    /// The reader went away (`| head`): stop training, quietly.
    Closed,
    /// Writing failed otherwise (a full disk, `/dev/full`, EIO): stop training, then fail.
    Failed(OutputError),
}

/// Train a prepared trainer to the end, printing as it goes (with the `run` line after the
/// header when it has a run directory). Returns the process exit code: 0 only when training
/// finished and nothing failed (a failed save counts), 128 + n after signal n. Failures during
/// training are reported as they happen (`error: …` lines), so they are not returned.
///
/// When standard output cannot be written, training stops the way a signal stops it: the
/// trainer is told to stop between batches, saves its checkpoint on the way out (as on every
/// stop), and this waits for it, still reporting its errors (a failed final save) on stderr,
/// printing nothing more on stdout. Then a closed pipe (the reader, `head`, went away) ends
/// the run with exit 0 (1 if something failed, a save), and any other write error with one
/// line, `error: writing standard output: <reason>`, and exit 1 (see [`super::output`]).
///
/// With a run directory it also takes commands from the run's `control` file (pause, resume,
/// save: what `rnn-tui watch` sends) and keeps its `state.json` current for watchers.
pub fn run_trainer(trainer: Trainer, format: Format) -> i32 {
    let run = trainer.run_dir().map(|d| {
        let resumed = trainer.resumed_position();
        run_line(d, resumed, &format)
    });
    let run_id = trainer.run_dir().map(|d| d.id.clone());
    let mut remote = trainer.run_dir().map(|d| RemoteControl::new(&d.path));
    let lr = trainer.hp.lr;
    let handle = trainer.spawn();
    // SIGINT/SIGTERM: stop between batches; the trainer saves its checkpoint on the way out.
    let commands = handle.commands.clone();
    let signals = TerminationWatch::start(move |_| {
        let _ = commands.send(Command::Stop);
    });
    handle.send(Command::Start);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut stdout_state = Stdout::Open;
    let (mut finished, mut failed) = (false, false);
    let ticker = if remote.is_some() {
        crossbeam_channel::tick(CONTROL_POLL)
    } else {
        crossbeam_channel::never()
    };
    // Where training stands (for the lines about commands from the control file).
    let mut at = (0, 0);
    loop {
        let event = select! {
            recv(handle.events) -> ev => match ev {
                Ok(ev) => ev,
                Err(_) => break,
            },
            recv(ticker) -> _ => {
                if let Some(rc) = remote.as_mut() {
                    for cmd in rc.tick() {
                        handle.send(cmd);
                    }
                }
                continue;
            }
        };
        if let Some(rc) = remote.as_mut() {
            rc.on_event(&event);
        }
        match &event {
            // A failed save is not fatal to training, but the run's exit code says so.
            Event::Error { message } | Event::Warning { message } => {
                eprintln!("error: {message}");
                failed = true;
            }
            Event::Diverged {
                epoch,
                batch,
                loss,
                grad_norm,
                ..
            } => {
                // Nobody is there to lower the rate and resume: end the run, and say how
                // to go on.
                eprintln!(
                    "error: {}",
                    diverged_message(*epoch, *batch, *loss, *grad_norm, lr, run_id.as_deref())
                );
                handle.send(Command::Stop);
                failed = true;
            }
            Event::Batch(b) => at = (b.epoch, b.batch),
            _ => {}
        }
        let line = match format {
            Format::Json => json_line(&event),
            Format::Plain => plain_line(&event),
        };
        let mut lines: Vec<String> = line.into_iter().collect();
        if matches!(event, Event::Ready { .. }) {
            lines.extend(run.clone());
        }
        if let (Format::Plain, Some(rc)) = (&format, remote.as_mut()) {
            lines.extend(rc.plain_note(&event, at));
        }
        if matches!(stdout_state, Stdout::Open) {
            for mut line in lines {
                line.push('\n');
                stdout_state = match output::write_to(&mut out, line.as_bytes()) {
                    Ok(Delivery::Written) => continue,
                    Ok(Delivery::Closed) => Stdout::Closed,
                    Err(e) => Stdout::Failed(e),
                };
                // Nobody can see the run any more: stop it, saving it as a signal would,
                // and go on taking its events until its thread has ended.
                handle.send(Command::Stop);
                break;
            }
        }
        if matches!(event, Event::Finished(_)) {
            finished = true;
        }
    }
    match stdout_state {
        Stdout::Failed(e) => {
            eprintln!("error: {}", CliError::from(e));
            return EXIT_FAILURE;
        }
        // A reader that went away (`| head`) is no failure: exit 0, unless something else
        // failed (a save).
        Stdout::Closed if !failed => return 0,
        Stdout::Closed => return EXIT_FAILURE,
        Stdout::Open => {}
    }
    if let Some(code) = signals.as_ref().ok().and_then(TerminationWatch::exit_code) {
        return code;
    }
    if finished && !failed {
        0
    } else {
        EXIT_FAILURE
    }
}

/// How often the `control` file is read.
pub const CONTROL_POLL: Duration = Duration::from_millis(100);
/// How often `state.json` is rewritten when nothing changes, so a watcher on another host
/// sees the writer alive (it counts writes, not clocks).
pub const HEARTBEAT: Duration = Duration::from_secs(5);

/// The headless run's side of `rnn-tui watch`: commands in from the run's `control` file, the
/// writer's state out to its `state.json`.
struct RemoteControl {
    dir: PathBuf,
    reader: ControlReader,
    status: WriterStatus,
    last_write: Instant,
    write_failed: bool,
    /// Commands that came through the control file and whose effect has not been printed.
    asked: [usize; 3],
}

impl RemoteControl {
    fn new(dir: &Path) -> RemoteControl {
        let mut rc = RemoteControl {
            dir: dir.to_owned(),
            reader: ControlReader::at_end(dir),
            status: WriterStatus {
                state: WriterState::Ready,
                pid: std::process::id(),
                host: hostname(),
                beat: 0,
                control: true,
                message: None,
                summary: None,
            },
            last_write: Instant::now(),
            write_failed: false,
            asked: [0; 3],
        };
        rc.write();
        // A look at once: a control file that cannot be read (a FIFO) is reported at the
        // start, even by a run too short to reach the first poll. It holds no commands yet
        // (the reader starts at its end).
        let none = rc.tick();
        debug_assert!(none.is_empty());
        rc
    }

    fn write(&mut self) {
        self.status.beat += 1;
        self.last_write = Instant::now();
        if let Err(e) = self.status.write(&self.dir) {
            if !self.write_failed {
                eprintln!("warning: watchers will not see this run's state: {e}");
            }
            self.write_failed = true;
        }
    }

    /// Keep `state.json` in step with the trainer.
    fn on_event(&mut self, event: &Event) {
        match event {
            Event::State { state } => {
                self.status.state = match state {
                    TrainerState::Ready => WriterState::Ready,
                    TrainerState::Training => WriterState::Training,
                    TrainerState::Paused => WriterState::Paused,
                    TrainerState::Done => WriterState::Done,
                };
            }
            Event::Finished(s) => {
                self.status.state = WriterState::Done;
                self.status.summary = Some(crate::watch::to_final(s));
            }
            Event::Error { message } => {
                self.status.state = WriterState::Failed;
                self.status.message = Some(message.clone());
            }
            _ => return,
        }
        self.write();
    }

    /// Every [`CONTROL_POLL`]: the commands appended to the control file since the last look
    /// (damaged lines are reported on stderr and skipped), and a heartbeat when due.
    fn tick(&mut self) -> Vec<Command> {
        let mut cmds = Vec::new();
        for line in self.reader.poll() {
            match line {
                ControlLine::Command(c) => {
                    self.asked[c as usize] += 1;
                    cmds.push(match c {
                        ControlCommand::Pause => Command::Pause,
                        ControlCommand::Resume => Command::Resume,
                        ControlCommand::Save => Command::Save,
                    });
                }
                ControlLine::Bad { line: 0, reason } => eprintln!("warning: {reason}"),
                ControlLine::Bad { line, reason } => eprintln!(
                    "warning: ignored line {line} of {} (read since this process started): {reason}",
                    self.reader.path().display()
                ),
            }
        }
        if self.last_write.elapsed() >= HEARTBEAT && self.status.state != WriterState::Done {
            self.write();
        }
        cmds
    }

    /// The plain line saying what a command from the control file did, if it did something.
    fn plain_note(&mut self, event: &Event, (epoch, batch): (usize, usize)) -> Option<String> {
        let (answers, what) = match event {
            Event::State {
                state: TrainerState::Paused,
            } => (ControlCommand::Pause, "paused"),
            Event::State {
                state: TrainerState::Training,
            } => (ControlCommand::Resume, "resumed"),
            Event::Saved { asked: true, .. } => (ControlCommand::Save, "saved"),
            _ => return None,
        };
        let waiting = &mut self.asked[answers as usize];
        *waiting = waiting.checked_sub(1)?;
        Some(format!(
            "{what} at epoch {epoch} batch {batch} (asked through {})",
            self.reader.path().display()
        ))
    }
}

fn json_line(event: &Event) -> Option<String> {
    match event {
        Event::Snapshot(_) => None,
        e => serde_json::to_string(e).ok(),
    }
}

/// The plain format: a header, one line per epoch, and the summary.
pub fn plain_line(event: &Event) -> Option<String> {
    match event {
        Event::Ready {
            device,
            compute_path,
            vocab_size,
            corpus_chars,
            params,
            batches_per_epoch,
            text,
            split,
            train_chars,
            val_chars,
        } => Some(format!(
            "device {device} path {compute_path} vocab {vocab_size} corpus_chars {corpus_chars} params {params} batches_per_epoch {batches_per_epoch} text {text} split {split} train_chars {} val_chars {}",
            compact_count(*train_chars),
            compact_count(*val_chars)
        )),
        Event::Epoch(e) => Some(format!(
            "epoch {} train_ppl {:.2} val_ppl {:.2} tokens/s {:.0}",
            e.epoch, e.train_ppl, e.val_ppl, e.tokens_per_s
        )),
        // Headless, only `--lr-decay` changes the rate (the control file has no settings).
        Event::Settings { lr, .. } => Some(format!("lr {}", compact(*lr))),
        Event::Finished(s) => Some(format!(
            "done epochs={} train_ppl={:.3} val_ppl={:.3} tokens_per_s={:.0} seconds={:.2} sample={:?}",
            s.epochs, s.train_ppl, s.val_ppl, s.tokens_per_s, s.seconds, s.sample
        )),
        _ => None,
    }
}
