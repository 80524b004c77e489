//! Watching a run that another process trains (`rnn-tui watch RUN`): this module follows the
//! run directory and speaks the trainer's own protocol, so the cockpit (and the plain
//! printer) show a watched run with the code that shows a live one.
//!
//! A thread polls the directory every [`POLL`]: new lines of `metrics.jsonl` become
//! `Event::Batch`/`Event::Epoch`; each new checkpoint is loaded on the CPU with the model code
//! the trainer uses and sent as `Event::Snapshot` (completion and heatmap are computed from it
//! as from the trainer's own snapshots) and `Event::Saved`; the writer's `state.json` and the
//! run's `lock` give `Event::State`, `Event::Finished`, and an `Event::Error` when the writer
//! died. Commands go the other way: `Pause`, `Resume`/`Start` and `Save` are appended to the
//! run's `control` file for the training process to obey; `Stop` only ends the watcher (the
//! run goes on); settings are refused.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, SendTimeoutError, Sender};

use crate::hparams::HParams;
use crate::metrics::MetricRecord;
use crate::model::params::param_count;
use crate::runs::{
    control, read_lock, Checkpoint, ControlCommand, FileWatch, FinalSummary, LockInfo, MetricsTail,
    Progress, RunDir, RunError, RunMeta, WriterState, WriterStatus, STATE_FILE,
};
use crate::train::outbox::EVENT_CAPACITY;
use crate::train::trainer::{SAMPLE_LEN, SAMPLE_PREFIX};
use crate::train::{Command, Event, Summary, TrainerHandle, TrainerState};

/// How often the run directory is looked at.
pub const POLL: Duration = Duration::from_millis(100);
/// A writer on another host that shows no sign of life for this long is reported.
pub const DEFAULT_STALE_AFTER: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub struct WatchOptions {
    pub poll: Duration,
    /// After this long without any change in the run directory, a writer on another host (whose
    /// process cannot be asked) is reported as possibly dead.
    pub stale_after: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: POLL,
            stale_after: DEFAULT_STALE_AFTER,
        }
    }
}

/// Who trains the watched run, as found when the watcher opened it.
#[derive(Clone, Debug, PartialEq)]
pub enum Writer {
    /// A live process on this host.
    Local(LockInfo),
    /// A process on another host (the directory is synced): judged by its progress.
    Remote(LockInfo),
    /// The lock names a process on this host that no longer exists.
    Dead(LockInfo),
    /// Nobody holds the run's lock: it is finished or stopped.
    Nobody,
}

impl Writer {
    fn of(lock: Option<LockInfo>) -> Writer {
        match lock {
            None => Writer::Nobody,
            Some(l) => match l.alive() {
                Some(true) => Writer::Local(l),
                Some(false) => Writer::Dead(l),
                None => Writer::Remote(l),
            },
        }
    }

    /// For the cockpit's footer: who trains it, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Writer::Local(l) | Writer::Remote(l) => format!("trained by {}", l.describe()),
            Writer::Dead(l) => format!("whose trainer ({}) died", l.describe()),
            Writer::Nobody => "which no process is training (read-only)".into(),
        }
    }
}

/// A watcher started on a run: its handle (the cockpit drives it as it drives a trainer), the
/// run's hyperparameters, and who trains it.
pub struct Watch {
    pub dir: RunDir,
    pub hparams: HParams,
    pub writer: Writer,
    pub handle: TrainerHandle,
}

/// Start watching the run in `dir`. Fails (as bad input) when it is not a readable run.
pub fn start(dir: &RunDir, opts: WatchOptions) -> Result<Watch, RunError> {
    let meta = dir.meta()?;
    let writer = Writer::of(read_lock(&dir.path));
    let hparams = meta.hparams.clone();
    let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
    let (ev_tx, ev_rx) = crossbeam_channel::bounded(EVENT_CAPACITY);
    let follower = Follower::new(dir.clone(), meta, opts);
    let join: JoinHandle<()> = std::thread::Builder::new()
        .name("watcher".into())
        .spawn(move || follower.run(cmd_rx, ev_tx))
        .map_err(|e| RunError::io(&dir.path, e))?;
    Ok(Watch {
        dir: dir.clone(),
        hparams,
        writer,
        handle: TrainerHandle::from_parts(cmd_tx, ev_rx, join),
    })
}

/// How the watched run ended, once reported (nothing more is said about its state then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Finished,
    Failed,
}

/// The watcher thread's state: what it has read of the run directory and what it has told.
pub struct Follower {
    dir: RunDir,
    meta: RunMeta,
    opts: WatchOptions,
    tail: MetricsTail,
    model: FileWatch,
    state_file: FileWatch,
    /// The run's `samples.jsonl`, re-read when it changes.
    samples_file: FileWatch,
    /// The newest epoch whose sample was sent (0: none).
    sampled_epoch: usize,
    status: Option<WriterStatus>,
    lock: Option<LockInfo>,
    /// The newest checkpoint's progress.
    progress: Progress,
    snapshot: Option<Arc<crate::model::ModelSnapshot>>,
    shown: Option<TrainerState>,
    ending: Option<Ending>,
    last_change: Instant,
    stale_told: bool,
    /// The version of the checkpoint that could not be read, told once.
    bad_checkpoint_told: bool,
    /// Whether the warning that the metrics log cannot be followed was given.
    bad_metrics_told: bool,
    /// The validation excerpt the neuron inspector reads, when the run's text can be read
    /// here (a run synced from another machine may name a file this one lacks).
    excerpt: Option<String>,
}

/// The inspector's excerpt of the run's validation text, read with the run's vocabulary.
fn run_excerpt(meta: &RunMeta) -> Option<String> {
    use crate::data::corpus::EncodedCorpus;
    use crate::data::Vocab;
    let hp = &meta.hparams;
    let vocab = Vocab::from_tokens(meta.vocab.clone());
    let corpus = EncodedCorpus::load_with_vocab(&hp.corpus, hp.text, vocab).ok()?;
    let (train_chars, _, num_train) = hp.split_spec().sizes(corpus.ids.len(), hp.num_steps);
    let val_start = match hp.split {
        crate::data::SplitMode::D2l => num_train,
        crate::data::SplitMode::Whole => train_chars,
    };
    Some(crate::eval::inspect::validation_excerpt(
        &corpus.vocab,
        &corpus.ids,
        val_start,
    ))
}

impl Follower {
    pub fn new(dir: RunDir, meta: RunMeta, opts: WatchOptions) -> Follower {
        Follower {
            excerpt: run_excerpt(&meta),
            tail: MetricsTail::new(&dir.metrics_path()),
            model: FileWatch::new(&dir.model_path()),
            state_file: FileWatch::new(&dir.path.join(STATE_FILE)),
            samples_file: FileWatch::new(&dir.samples_path()),
            sampled_epoch: 0,
            progress: meta.progress.clone(),
            dir,
            meta,
            opts,
            status: None,
            lock: None,
            snapshot: None,
            shown: None,
            ending: None,
            last_change: Instant::now(),
            stale_told: false,
            bad_checkpoint_told: false,
            bad_metrics_told: false,
        }
    }

    /// The first events: what the run is, its whole history so far, its newest weights and
    /// its state.
    pub fn open(&mut self) -> Vec<Event> {
        let hp = &self.meta.hparams;
        let vocab = self.meta.vocab.len();
        let (train_chars, val_chars, num_train) =
            hp.split_spec().sizes(self.meta.corpus.chars, hp.num_steps);
        let mut out = vec![Event::Ready {
            device: self.meta.device.clone(),
            compute_path: if self.meta.compute_path.is_empty() {
                "?".into()
            } else {
                self.meta.compute_path.clone()
            },
            vocab_size: vocab,
            corpus_chars: self.meta.corpus.chars,
            params: param_count(vocab, hp.hiddens),
            batches_per_epoch: num_train.div_ceil(hp.batch_size.max(1)),
            text: hp.text.name().into(),
            split: hp.split.name().into(),
            train_chars,
            val_chars,
        }];
        self.poll_into(&mut out);
        out
    }

    /// One look at the run directory: the events it gives.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        self.poll_into(&mut out);
        out
    }

    fn poll_into(&mut self, out: &mut Vec<Event>) {
        let mut changed = false;
        let tail = self.tail.poll();
        changed |= tail.truncated || !tail.records.is_empty();
        match tail.refused {
            Some(why) if !self.bad_metrics_told => {
                self.bad_metrics_told = true;
                out.push(Event::Warning {
                    message: format!("cannot follow the run's metrics: {why}"),
                });
            }
            Some(_) => {}
            None => self.bad_metrics_told = false,
        }
        for r in tail.records {
            out.push(match r {
                MetricRecord::Batch(b) => Event::Batch(b),
                MetricRecord::Epoch(e) => Event::Epoch(e),
            });
        }
        if self.model.changed() {
            changed = true;
            self.load_checkpoint(out);
        }
        if self.state_file.changed() {
            changed = true;
            self.status = WriterStatus::read(&self.dir.path);
        }
        if self.samples_file.changed() {
            self.read_samples(out);
        }
        let lock = read_lock(&self.dir.path);
        if lock != self.lock {
            changed = true;
            self.lock = lock;
        }
        if changed {
            self.last_change = Instant::now();
            if self.stale_told && self.ending.is_none() {
                self.stale_told = false;
                out.push(Event::Warning {
                    message: "the run is moving again".into(),
                });
            }
        }
        self.judge(out);
    }

    /// The epoch samples written since the last look, as the trainer sent them (a sample of
    /// an earlier epoch than the newest sent means the run was resumed: it is sent again).
    /// A log that cannot be read costs only the completion pane's history.
    fn read_samples(&mut self, out: &mut Vec<Event>) {
        let Ok(samples) = self.dir.samples() else {
            return;
        };
        let newest = samples.last().map_or(0, |s| s.epoch);
        if newest < self.sampled_epoch {
            self.sampled_epoch = 0;
        }
        let sent = self.sampled_epoch;
        for s in samples.into_iter().filter(|s| s.epoch > sent) {
            self.sampled_epoch = s.epoch;
            out.push(Event::Sample(s));
        }
    }

    fn load_checkpoint(&mut self, out: &mut Vec<Event>) {
        let loaded = Checkpoint::load(&self.dir).and_then(|c| {
            let snap = c.model()?.snapshot().map_err(|e| RunError::Mismatch {
                path: self.dir.model_path(),
                reason: e.to_string(),
            })?;
            Ok((c, snap))
        });
        match loaded {
            Ok((c, snap)) => {
                self.bad_checkpoint_told = false;
                self.progress = c.meta.progress.clone();
                // A resumed run may train longer than it was started for.
                self.meta.hparams.epochs = c.meta.hparams.epochs;
                let snap = Arc::new(snap);
                self.snapshot = Some(snap.clone());
                let probe = self
                    .excerpt
                    .as_deref()
                    .and_then(|text| crate::eval::inspect::probe(&snap, text));
                out.push(Event::Snapshot(snap));
                if let Some(p) = probe {
                    out.push(Event::Probe(Arc::new(p)));
                }
                out.push(Event::Saved {
                    run_dir: self.dir.path.clone(),
                    epoch: self.progress.epoch,
                    batch: self.progress.batch,
                    asked: false,
                });
            }
            // Half-synced or being replaced: the next version is read when it lands.
            Err(e) if !self.bad_checkpoint_told => {
                self.bad_checkpoint_told = true;
                out.push(Event::Warning {
                    message: format!(
                        "cannot read the newest checkpoint (keeping the last one): {e}"
                    ),
                });
            }
            Err(_) => {}
        }
    }

    /// The state to show, from the writer's own word (`state.json`) and its lock.
    fn judge(&mut self, out: &mut Vec<Event>) {
        if self.ending.is_some() {
            return;
        }
        let id = self.dir.id.clone();
        // The status counts only when it is the lock holder's (or nobody holds the lock).
        let status = self.status.clone().filter(|s| match &self.lock {
            Some(l) => l.pid == s.pid && l.host.as_deref().is_none_or(|h| h == s.host),
            None => true,
        });
        let state = match (self.lock.clone(), status.as_ref().map(|s| s.state)) {
            (Some(l), _) if l.alive() == Some(false) => {
                // Counted as the trainer counts: its `epoch N` line ends epoch N, so a save
                // during the next one is "after epoch N and B batches of epoch N+1".
                let (epoch, batch) = (self.progress.epoch, self.progress.batch);
                let at = if batch == 0 {
                    format!("epoch {epoch}")
                } else {
                    format!("epoch {epoch} and {batch} batches of epoch {}", epoch + 1)
                };
                let message = format!(
                    "trainer ({}) died after {at}; continue: rnn-tui train --resume {id}",
                    l.describe(),
                );
                self.end(Ending::Failed, out);
                out.push(Event::Error { message });
                return;
            }
            (_, Some(WriterState::Failed)) => {
                let why = status
                    .and_then(|s| s.message)
                    .unwrap_or_else(|| "an error".into());
                self.end(Ending::Failed, out);
                out.push(Event::Error {
                    message: format!("the trainer of run {id} stopped: {why}"),
                });
                return;
            }
            (_, Some(WriterState::Done)) | (None, _) => {
                let summary = match status.and_then(|s| s.summary) {
                    Some(s) => from_final(s),
                    None => self.summary_from_checkpoint(),
                };
                self.end(Ending::Finished, out);
                out.push(Event::Finished(summary));
                return;
            }
            (Some(_), Some(WriterState::Ready)) => TrainerState::Ready,
            (Some(_), Some(WriterState::Paused)) => TrainerState::Paused,
            (Some(_), _) => TrainerState::Training,
        };
        self.show(state, out);
        let remote = self.lock.as_ref().is_some_and(|l| l.alive().is_none());
        if remote && !self.stale_told && self.last_change.elapsed() >= self.opts.stale_after {
            self.stale_told = true;
            let who = self.lock.as_ref().map(|l| l.describe()).unwrap_or_default();
            out.push(Event::Warning {
                message: format!(
                    "no news from the trainer ({who}) for {} s: it may have died, or the sync stopped",
                    self.opts.stale_after.as_secs()
                ),
            });
        }
    }

    fn show(&mut self, state: TrainerState, out: &mut Vec<Event>) {
        if self.shown != Some(state) {
            self.shown = Some(state);
            out.push(Event::State { state });
        }
    }

    fn end(&mut self, ending: Ending, out: &mut Vec<Event>) {
        self.ending = Some(ending);
        if ending == Ending::Finished {
            self.show(TrainerState::Done, out);
        }
    }

    /// The summary of a run whose writer left no `state.json` (a cockpit, an older rnn-tui),
    /// from its last checkpoint.
    fn summary_from_checkpoint(&self) -> Summary {
        let p = &self.progress;
        let hp = &self.meta.hparams;
        let tokens = (p.epoch * hp.num_train + p.epoch_windows) * hp.num_steps;
        Summary {
            epochs: p.epoch,
            completed: p.epoch >= hp.epochs,
            train_ppl: p.last_train_ppl,
            val_ppl: p.last_val_ppl,
            tokens_per_s: if p.train_seconds > 0.0 {
                tokens as f64 / p.train_seconds
            } else {
                0.0
            },
            seconds: p.train_seconds,
            sample: self
                .snapshot
                .as_ref()
                .and_then(|s| s.complete(SAMPLE_PREFIX, SAMPLE_LEN).ok())
                .map(|c| c.text())
                .unwrap_or_default(),
        }
    }

    /// A command from the front end: pause, resume and save go to the run's control file.
    pub fn command(&mut self, cmd: Command) -> Option<Event> {
        let control = match cmd {
            Command::Pause => ControlCommand::Pause,
            Command::Resume | Command::Start => ControlCommand::Resume,
            Command::Save => ControlCommand::Save,
            Command::SetLearningRate(_) | Command::SetClip(_) | Command::SetEpochs(_) => {
                return Some(Event::Warning {
                    message:
                        "unavailable while watching: the settings belong to the training process"
                            .into(),
                })
            }
            // The watched trainer samples with its own prefix.
            Command::Stop | Command::SetEpochSample { .. } => return None,
        };
        if self.ending.is_some() {
            return Some(Event::Warning {
                message: format!(
                    "run {} is not being trained: nothing to {}",
                    self.dir.id,
                    control.word()
                ),
            });
        }
        let from = format!(
            "rnn-tui watch (pid {} on {})",
            std::process::id(),
            crate::runs::hostname()
        );
        if let Err(e) = control::append(&self.dir.path, control, &from) {
            return Some(Event::Warning {
                message: format!("{} not sent: {e}", control.word()),
            });
        }
        let obeys = self.status.as_ref().is_some_and(|s| s.control);
        (!obeys).then(|| Event::Warning {
            message: format!(
                "{} written to {}, but this run's trainer does not say it reads it (only `rnn-tui train --headless` does)",
                control.word(),
                self.dir.path.join(crate::runs::CONTROL_FILE).display()
            ),
        })
    }

    /// The watcher's thread: poll, send, obey, until `Stop` or nobody listens.
    fn run(mut self, cmds: Receiver<Command>, tx: Sender<Event>) {
        let first = self.open();
        if !send_all(&tx, first, &cmds) {
            return;
        }
        let mut next_poll = Instant::now() + self.opts.poll;
        loop {
            let events = match cmds.recv_deadline(next_poll) {
                Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                Ok(cmd) => self.command(cmd).into_iter().collect(),
                Err(RecvTimeoutError::Timeout) => {
                    next_poll = Instant::now() + self.opts.poll;
                    self.poll()
                }
            };
            if !send_all(&tx, events, &cmds) {
                return;
            }
        }
    }
}

/// Send every event, waiting for room (the receiver drains in bursts); `false` when the
/// receiver is gone or `Stop` arrived meanwhile.
fn send_all(tx: &Sender<Event>, events: Vec<Event>, cmds: &Receiver<Command>) -> bool {
    for mut ev in events {
        loop {
            match tx.send_timeout(ev, Duration::from_millis(100)) {
                Ok(()) => break,
                Err(SendTimeoutError::Disconnected(_)) => return false,
                Err(SendTimeoutError::Timeout(back)) => {
                    if cmds.try_iter().any(|c| c == Command::Stop) {
                        return false;
                    }
                    ev = back;
                }
            }
        }
    }
    true
}

fn from_final(s: FinalSummary) -> Summary {
    Summary {
        epochs: s.epochs,
        completed: s.completed,
        train_ppl: s.train_ppl,
        val_ppl: s.val_ppl,
        tokens_per_s: s.tokens_per_s,
        seconds: s.seconds,
        sample: s.sample,
    }
}

/// The summary as `state.json` stores it.
pub fn to_final(s: &Summary) -> FinalSummary {
    FinalSummary {
        epochs: s.epochs,
        completed: s.completed,
        train_ppl: s.train_ppl,
        val_ppl: s.val_ppl,
        tokens_per_s: s.tokens_per_s,
        seconds: s.seconds,
        sample: s.sample.clone(),
    }
}
