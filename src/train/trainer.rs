//! The trainer: d2l §9.5's epoch loop (shuffle, forward, backward, clip, SGD, validate) on its
//! own thread, steered by [`Command`]s and reporting through [`Event`]s.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::clip::clip_gradients;
use super::hparams::HParams;
use super::outbox::Outbox;
use super::protocol::{BatchStats, Command, EpochStats, Event, Summary, TrainerState};
use crate::data::{Batch, Corpus, Dataset, Vocab};
use crate::model::params::param_count;
use crate::model::{ComputePath, LanguageModel};
use crate::runs::{Checkpoint, Progress, Recorder, RunDir, RunError};

/// The prefix d2l completes to show what the model learned.
pub const SAMPLE_PREFIX: &str = "it has";
pub const SAMPLE_LEN: usize = 20;

/// Testing aid: set to N to make the trainer thread panic at its N-th batch, so tests can
/// check that a crash reaches the front end as an error and the terminal is restored.
pub const PANIC_ENV: &str = "RNN_TUI_TEST_PANIC_AFTER_BATCHES";

/// Send the newest weights at most this often (they are also sent at every epoch end).
const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(100);

pub use super::error::TrainError;

/// What the front end holds: a way to command the trainer and a stream of its events.
pub struct TrainerHandle {
    pub commands: Sender<Command>,
    pub events: Receiver<Event>,
    join: Option<JoinHandle<()>>,
}

impl TrainerHandle {
    /// Ask the trainer to do something; ignored if it has already finished.
    pub fn send(&self, cmd: Command) {
        let _ = self.commands.send(cmd);
    }

    /// Stop the trainer and wait for its thread to end.
    pub fn stop(mut self) {
        self.send(Command::Stop);
        self.join_thread();
    }

    fn join_thread(&mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for TrainerHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        // Drain so a trainer blocked flushing its last events can finish.
        while self.events.try_recv().is_ok() {}
        self.join_thread();
    }
}

/// What stopped the batch loop.
enum Control {
    Continue,
    Stop,
}

pub struct Trainer {
    pub hp: HParams,
    dataset: Dataset,
    model: LanguageModel,
    rng: ChaCha8Rng,
    device_name: String,
    corpus_chars: usize,
    lr: f64,
    clip: f64,
    paused: bool,
    /// Completed epochs.
    epoch: usize,
    /// Batches done in the epoch in progress.
    batch_in_epoch: usize,
    /// The shuffling RNG's word position when the epoch in progress began: its order can be
    /// drawn again from here, which is what makes resuming exact.
    epoch_rng_pos: u128,
    /// `loss * windows` summed over the epoch so far, and the windows.
    epoch_loss_sum: f64,
    epoch_windows: usize,
    /// Seconds spent in training batches.
    train_seconds: f64,
    /// `train_seconds` when the epoch in progress began.
    epoch_start_seconds: f64,
    last_train_ppl: f64,
    last_val_ppl: f64,
    best_val_ppl: f64,
    /// Where checkpoints and metrics go (none: nothing is saved).
    recorder: Option<Recorder>,
    /// Create a run directory under this root when training starts (see
    /// [`Trainer::record_on_start`]).
    record_root: Option<std::path::PathBuf>,
    /// Also save after every this many batches.
    save_every: Option<usize>,
    /// Trained since the last checkpoint.
    dirty: bool,
    /// What this trainer was restored from, if anything.
    resumed: Option<Checkpoint>,
    /// Pause after this (1-based epoch, 1-based batch).
    breakpoint: Option<(usize, usize)>,
    /// Weights before the last update whose loss and gradients were finite.
    last_good: Option<[Tensor; 5]>,
    /// Fault injection for tests: panic when this many batches have run.
    panic_after_batches: Option<usize>,
    batches_run: usize,
}

impl Trainer {
    /// Load the corpus, build vocabulary, dataset and a freshly initialised model.
    pub fn new(hp: HParams, device: &Device, device_name: &str) -> Result<Self, TrainError> {
        hp.validate().map_err(TrainError::HParams)?;
        let corpus = Corpus::load(&hp.corpus)?;
        let vocab = Vocab::from_text(&corpus.text);
        let dataset = Dataset::new(
            vocab.clone(),
            &corpus.text,
            hp.num_steps,
            hp.num_train,
            hp.num_val,
        )?;
        let model =
            LanguageModel::with_path(vocab, hp.hiddens, hp.seed, device, ComputePath::Auto)?;
        let progress = Progress::start(&hp);
        Ok(Self::assemble(
            hp,
            dataset,
            model,
            device_name,
            corpus.len(),
            progress,
        ))
    }

    /// Continue a saved run exactly where it stopped. Refuses a run whose corpus changed.
    /// Edit `checkpoint.meta.hparams.epochs` (to train longer) or `checkpoint.meta.progress`'s
    /// `lr` / `clip` before calling to change them. Nothing is saved until
    /// [`Trainer::record_to`] is called (usually with `checkpoint.dir`).
    pub fn from_checkpoint(
        checkpoint: Checkpoint,
        device: &Device,
        device_name: &str,
    ) -> Result<Self, TrainError> {
        let meta = &checkpoint.meta;
        let hp = meta.hparams.clone();
        hp.validate().map_err(TrainError::HParams)?;
        let found = crate::runs::corpus_sha256(&hp.corpus)?;
        if found != meta.corpus.sha256 {
            return Err(RunError::CorpusChanged {
                id: meta.id.clone(),
                corpus: meta.corpus.source.clone(),
                expected: meta.corpus.sha256.clone(),
                found,
            }
            .into());
        }
        let corpus = Corpus::load(&hp.corpus)?;
        let vocab = checkpoint.vocab();
        let dataset = Dataset::new(
            vocab.clone(),
            &corpus.text,
            hp.num_steps,
            hp.num_train,
            hp.num_val,
        )?;
        let mut params = checkpoint.params.clone();
        for p in params.iter_mut() {
            *p = p.to_device(device)?;
        }
        let mut model = LanguageModel::from_params(vocab, params)?;
        model.set_compute_path(ComputePath::Auto)?;
        let progress = meta.progress.clone();
        let batches = dataset.train_batches(hp.batch_size);
        if progress.batch > batches {
            return Err(RunError::Mismatch {
                path: checkpoint.dir.model_path(),
                reason: format!(
                    "it stopped after batch {} but an epoch has {batches}",
                    progress.batch
                ),
            }
            .into());
        }
        let mut t = Self::assemble(hp, dataset, model, device_name, corpus.len(), progress);
        t.resumed = Some(checkpoint);
        Ok(t)
    }

    fn assemble(
        hp: HParams,
        dataset: Dataset,
        model: LanguageModel,
        device_name: &str,
        corpus_chars: usize,
        p: Progress,
    ) -> Self {
        // The shuffling stream is separate from the initialisation stream.
        let mut rng = ChaCha8Rng::seed_from_u64(hp.seed ^ 0x0005_eed0_fba7_c4e5);
        rng.set_word_pos(p.rng_word_pos);
        Trainer {
            rng,
            dataset,
            model,
            device_name: device_name.to_owned(),
            corpus_chars,
            lr: p.lr,
            clip: p.clip,
            paused: false,
            epoch: p.epoch,
            batch_in_epoch: p.batch,
            epoch_rng_pos: p.rng_word_pos,
            epoch_loss_sum: p.epoch_loss_sum,
            epoch_windows: p.epoch_windows,
            train_seconds: p.train_seconds,
            epoch_start_seconds: p.epoch_start_seconds,
            last_train_ppl: p.last_train_ppl,
            last_val_ppl: p.last_val_ppl,
            best_val_ppl: p.best_val_ppl,
            recorder: None,
            record_root: None,
            save_every: None,
            dirty: false,
            resumed: None,
            breakpoint: None,
            last_good: None,
            panic_after_batches: std::env::var(PANIC_ENV).ok().and_then(|v| v.parse().ok()),
            batches_run: 0,
            hp,
        }
    }

    /// Save checkpoints and metrics into `dir` from now on, and write a first checkpoint
    /// there at once. When `dir` is the directory this trainer was restored from, its
    /// metrics log is cut back to that checkpoint and continued.
    pub fn record_to(&mut self, dir: RunDir) -> Result<(), TrainError> {
        let resume = self
            .resumed
            .as_ref()
            .filter(|c| c.dir.path == dir.path)
            .map(|c| (&c.meta, &c.meta.progress));
        let recorder = Recorder::open(dir, &self.hp, self.corpus_chars, &self.device_name, resume)?;
        self.recorder = Some(recorder);
        self.save()?;
        Ok(())
    }

    /// Create a new run directory under `runs_root` and record into it when `Command::Start`
    /// arrives, not before: a cockpit opened and closed without training leaves no run
    /// behind. The new directory is announced with `Event::Saved`; a failure to create it is
    /// an `Event::Warning` and training goes on unrecorded.
    pub fn record_on_start(&mut self, runs_root: std::path::PathBuf) {
        self.record_root = Some(runs_root);
    }

    /// Also write a checkpoint after every `n` batches (`None` or 0: only at epoch ends,
    /// on `Command::Save` and when training stops).
    pub fn set_save_every(&mut self, n: Option<usize>) {
        self.save_every = n.filter(|&n| n > 0);
    }

    /// Pause right after batch `batch` of epoch `epoch` (both 1-based, as [`BatchStats`]
    /// numbers them), as if `Command::Pause` had arrived then: a breakpoint.
    pub fn pause_at(&mut self, epoch: usize, batch: usize) {
        self.breakpoint = Some((epoch, batch));
    }

    /// The run directory checkpoints go to, if any.
    pub fn run_dir(&self) -> Option<&RunDir> {
        self.recorder.as_ref().map(|r| r.dir())
    }

    /// Where a restored trainer picked up (completed epochs, batches into the next), if it
    /// was restored from a checkpoint.
    pub fn resumed_position(&self) -> Option<(usize, usize)> {
        self.resumed
            .as_ref()
            .map(|c| (c.meta.progress.epoch, c.meta.progress.batch))
    }

    /// Completed epochs, and batches done in the epoch in progress.
    pub fn position(&self) -> (usize, usize) {
        (self.epoch, self.batch_in_epoch)
    }

    /// Where training stands, as a checkpoint records it.
    pub fn progress(&self) -> Progress {
        Progress {
            epoch: self.epoch,
            batch: self.batch_in_epoch,
            rng_word_pos: self.epoch_rng_pos,
            epoch_loss_sum: self.epoch_loss_sum,
            epoch_windows: self.epoch_windows,
            train_seconds: self.train_seconds,
            epoch_start_seconds: self.epoch_start_seconds,
            lr: self.lr,
            clip: self.clip,
            last_train_ppl: self.last_train_ppl,
            last_val_ppl: self.last_val_ppl,
            best_val_ppl: self.best_val_ppl,
            metrics_bytes: 0,
        }
    }

    /// Write a checkpoint now. `Ok(None)` when there is no run directory.
    pub fn save(&mut self) -> Result<Option<std::path::PathBuf>, TrainError> {
        let progress = self.progress();
        let params = self.model.params()?;
        // Defence in depth: divergence rolls back, but never write non-finite weights.
        for (p, name) in params.iter().zip(crate::model::PARAM_NAMES) {
            let total = p.to_dtype(candle_core::DType::F64)?.abs()?.sum_all()?;
            if !total.to_scalar::<f64>()?.is_finite() {
                return Err(TrainError::NonFiniteWeights { param: name.into() });
            }
        }
        let Some(rec) = self.recorder.as_mut() else {
            return Ok(None);
        };
        let path = self.model.compute_path().name();
        let dir = rec.save(&self.hp, &self.dataset.vocab, &params, path, progress)?;
        self.dirty = false;
        Ok(Some(dir))
    }

    /// Carry out [`Trainer::record_on_start`], if it was asked for.
    fn start_recording(&mut self, out: &mut Outbox) {
        let Some(root) = self.record_root.take() else {
            return;
        };
        let recorded = RunDir::create(&root)
            .map_err(TrainError::from)
            .and_then(|dir| self.record_to(dir));
        match recorded {
            Ok(()) => {
                if let Some(dir) = self.run_dir() {
                    out.send(Event::Saved {
                        run_dir: dir.path.clone(),
                        epoch: self.epoch,
                        batch: self.batch_in_epoch,
                    });
                }
            }
            Err(e) => out.send(Event::Warning {
                message: format!("this run is not being saved: {e}"),
            }),
        }
    }

    /// Save and tell the front end how it went. `explicit`: asked for by `Command::Save`, so
    /// having nowhere to save is worth an error.
    fn save_and_report(&mut self, out: &mut Outbox, explicit: bool) {
        match self.save() {
            Ok(Some(run_dir)) => out.send(Event::Saved {
                run_dir,
                epoch: self.epoch,
                batch: self.batch_in_epoch,
            }),
            Ok(None) if explicit => out.send(Event::Warning {
                message: "nothing saved: this run has no run directory (started with --no-save)"
                    .into(),
            }),
            Ok(None) => {}
            Err(e) => out.send(Event::Warning {
                message: format!("saving the checkpoint failed: {e}"),
            }),
        }
    }

    /// Append a batch or epoch event to the run's metrics log, then send it.
    fn log_and_send(&mut self, event: Event, out: &mut Outbox) {
        if let (Some(rec), Some(record)) = (self.recorder.as_mut(), event.metric_record()) {
            if let Err(e) = rec.metrics().log(&record) {
                out.send(Event::Warning {
                    message: format!("writing metrics failed: {e}"),
                });
            }
        }
        out.send(event);
    }

    /// Choose the implementation that computes loss and gradients (before training starts).
    pub fn set_compute_path(&mut self, path: ComputePath) -> Result<(), TrainError> {
        Ok(self.model.set_compute_path(path)?)
    }

    pub fn model(&self) -> &LanguageModel {
        &self.model
    }

    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// Move the trainer to its own thread. It announces itself with `Ready` and waits for
    /// `Command::Start`.
    pub fn spawn(self) -> TrainerHandle {
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let (outbox, events) = Outbox::channel();
        let join = std::thread::Builder::new()
            .name("trainer".into())
            .spawn(move || self.run_thread(cmd_rx, outbox))
            .expect("spawning the trainer thread");
        TrainerHandle {
            commands: cmd_tx,
            events,
            join: Some(join),
        }
    }

    fn run_thread(mut self, cmds: Receiver<Command>, mut out: Outbox) {
        // A panic must reach the front end as an error, not vanish with the thread.
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run(&cmds, &mut out)));
        let message = match result {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(panic) => Some(format!("trainer crashed: {}", panic_message(&panic))),
        };
        if let Some(message) = message {
            out.send(Event::Error { message });
        }
        out.finish();
    }

    /// The whole life of a run: announce, wait for `Start`, train, summarise.
    pub fn run(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> Result<(), TrainError> {
        out.send(Event::Ready {
            device: self.device_name.clone(),
            compute_path: self.model.compute_path().name().into(),
            vocab_size: self.dataset.vocab.len(),
            corpus_chars: self.corpus_chars,
            params: param_count(self.dataset.vocab.len(), self.hp.hiddens),
            batches_per_epoch: self.dataset.train_batches(self.hp.batch_size),
        });
        self.send_snapshot(out)?;
        out.send(Event::State {
            state: TrainerState::Ready,
        });
        loop {
            match cmds.recv() {
                Ok(Command::Start) | Ok(Command::Resume) => break,
                Ok(Command::Stop) | Err(_) => return Ok(()),
                Ok(cmd) => self.apply_setting(cmd, out),
            }
        }
        self.start_recording(out);
        out.send(Event::State {
            state: TrainerState::Training,
        });
        let started = Instant::now();
        let completed = self.train(cmds, out)?;
        if self.dirty {
            self.save_and_report(out, false);
        }
        let sample = self
            .model
            .snapshot()?
            .complete(SAMPLE_PREFIX, SAMPLE_LEN)
            .map(|c| c.text())
            .unwrap_or_default();
        out.send(Event::State {
            state: TrainerState::Done,
        });
        out.send(Event::Finished(Summary {
            epochs: self.epoch,
            completed,
            train_ppl: self.last_train_ppl,
            val_ppl: self.last_val_ppl,
            tokens_per_s: self.tokens_per_s(),
            seconds: started.elapsed().as_secs_f64(),
            sample,
        }));
        Ok(())
    }

    fn tokens_per_s(&self) -> f64 {
        let tokens = (self.epoch * self.hp.num_train + self.epoch_windows) * self.hp.num_steps;
        if self.train_seconds > 0.0 {
            tokens as f64 / self.train_seconds
        } else {
            0.0
        }
    }

    /// Epochs until done or stopped; returns whether all epochs ran.
    fn train(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> Result<bool, TrainError> {
        let batches = self.dataset.train_batches(self.hp.batch_size);
        let mut batch = Batch::default();
        let mut last_snapshot = Instant::now();
        while self.epoch < self.hp.epochs {
            // Drawn again from the same position when resuming mid-epoch.
            self.rng.set_word_pos(self.epoch_rng_pos);
            let order = self.dataset.shuffled_train_order(&mut self.rng);
            // `batch_in_epoch` only advances when a batch succeeds, so a batch that diverged
            // is tried again on resuming (from the restored weights, presumably at a lower
            // rate), exactly as a run resumed from a checkpoint saved then would.
            while self.batch_in_epoch < batches {
                let k = self.batch_in_epoch;
                if let Control::Stop = self.obey(cmds, out) {
                    return Ok(false);
                }
                if out.is_disconnected() {
                    return Ok(false);
                }
                self.batches_run += 1;
                if self.panic_after_batches == Some(self.batches_run) {
                    panic!(
                        "injected fault ({PANIC_ENV}) after {} batches",
                        self.batches_run
                    );
                }
                self.dataset
                    .train_batch(&order, k, self.hp.batch_size, &mut batch);
                let t0 = Instant::now();
                let (loss, mut grads) = self.model.loss_and_grads(&batch)?;
                let clip = clip_gradients(&mut grads, self.clip)?;
                if is_divergent(loss, clip.norm, self.dataset.vocab.len()) {
                    self.train_seconds += t0.elapsed().as_secs_f64();
                    self.diverged(k + 1, loss, clip.norm, out)?;
                    continue;
                }
                // These weights gave a finite loss and gradient: the point to roll back to.
                self.last_good = Some(self.model.params()?);
                self.model.sgd_step(&grads, self.lr)?;
                self.train_seconds += t0.elapsed().as_secs_f64();
                self.epoch_loss_sum += loss * batch.batch_size as f64;
                self.epoch_windows += batch.batch_size;
                self.batch_in_epoch = k + 1;
                self.dirty = true;
                let event = Event::Batch(BatchStats {
                    epoch: self.epoch + 1,
                    batch: k + 1,
                    batches_per_epoch: batches,
                    loss,
                    grad_norm: clip.norm,
                    clipped: clip.clipped,
                    clip_threshold: self.clip,
                    lr: self.lr,
                    tokens: batch.tokens(),
                    elapsed: self.train_seconds,
                });
                self.log_and_send(event, out);
                let done = self.epoch * batches + k + 1;
                if self.save_every.is_some_and(|n| done.is_multiple_of(n)) && k + 1 < batches {
                    self.save_and_report(out, false);
                }
                if last_snapshot.elapsed() >= SNAPSHOT_INTERVAL {
                    self.send_snapshot(out)?;
                    last_snapshot = Instant::now();
                }
                if self.breakpoint == Some((self.epoch + 1, k + 1)) {
                    self.breakpoint = None;
                    self.paused = true;
                    out.send(Event::State {
                        state: TrainerState::Paused,
                    });
                }
            }
            let epoch_seconds = self.train_seconds - self.epoch_start_seconds;
            let windows = self.epoch_windows;
            self.last_train_ppl = (self.epoch_loss_sum / windows as f64).exp();
            self.last_val_ppl = self.validation_perplexity()?;
            if self.last_val_ppl.is_finite()
                && (self.best_val_ppl.is_nan() || self.last_val_ppl < self.best_val_ppl)
            {
                self.best_val_ppl = self.last_val_ppl;
            }
            self.epoch += 1;
            self.batch_in_epoch = 0;
            self.epoch_rng_pos = self.rng.get_word_pos();
            self.epoch_loss_sum = 0.0;
            self.epoch_windows = 0;
            self.epoch_start_seconds = self.train_seconds;
            let event = Event::Epoch(EpochStats {
                epoch: self.epoch,
                epochs: self.hp.epochs,
                train_ppl: self.last_train_ppl,
                val_ppl: self.last_val_ppl,
                tokens_per_s: (windows * self.hp.num_steps) as f64 / epoch_seconds.max(1e-9),
                elapsed: self.train_seconds,
            });
            self.log_and_send(event, out);
            self.save_and_report(out, false);
            self.send_snapshot(out)?;
            last_snapshot = Instant::now();
        }
        Ok(true)
    }

    /// The loss or norm is not finite: roll back to the last good weights and pause.
    fn diverged(
        &mut self,
        batch: usize,
        loss: f64,
        grad_norm: f64,
        out: &mut Outbox,
    ) -> Result<(), TrainError> {
        if let Some(good) = &self.last_good {
            self.model.set_params(good)?;
        }
        self.paused = true;
        out.send(Event::Diverged {
            epoch: self.epoch + 1,
            batch,
            loss,
            grad_norm,
            message: format!(
                "training diverged at epoch {} batch {batch} (loss {loss}, gradient norm {grad_norm}): \
                 restored the last good weights and paused; lower the learning rate (now {}) before resuming",
                self.epoch + 1,
                self.lr
            ),
        });
        self.send_snapshot(out)?;
        out.send(Event::State {
            state: TrainerState::Paused,
        });
        Ok(())
    }

    /// `exp` of the mean loss over every validation token.
    pub fn validation_perplexity(&mut self) -> Result<f64, TrainError> {
        if self.hp.num_val == 0 {
            return Ok(f64::NAN);
        }
        let mut sum = 0.0;
        for b in self.dataset.val_batches(self.hp.batch_size) {
            sum += self.model.loss(&b)? * b.batch_size as f64;
        }
        Ok((sum / self.hp.num_val as f64).exp())
    }

    fn send_snapshot(&self, out: &mut Outbox) -> Result<(), TrainError> {
        out.send(Event::Snapshot(Arc::new(self.model.snapshot()?)));
        Ok(())
    }

    fn apply_setting(&mut self, cmd: Command, out: &mut Outbox) {
        let valid = |v: f64| v.is_finite() && v > 0.0;
        match cmd {
            Command::SetLearningRate(lr) if valid(lr) => self.lr = lr,
            Command::SetClip(c) if valid(c) => self.clip = c,
            Command::SetLearningRate(v) | Command::SetClip(v) => {
                out.send(Event::Warning {
                    message: format!(
                        "ignored a setting of {v}: it must be a positive finite number"
                    ),
                });
                return;
            }
            Command::Save => {
                self.save_and_report(out, true);
                return;
            }
            _ => return,
        }
        out.send(Event::Settings {
            lr: self.lr,
            clip: self.clip,
        });
    }

    /// Between batches: apply every queued command; while paused, wait for one.
    fn obey(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> Control {
        loop {
            let cmd = if self.paused {
                match cmds.recv() {
                    Ok(c) => c,
                    Err(_) => return Control::Stop,
                }
            } else {
                match cmds.try_recv() {
                    Ok(c) => c,
                    Err(TryRecvError::Empty) => return Control::Continue,
                    Err(TryRecvError::Disconnected) => return Control::Stop,
                }
            };
            match cmd {
                Command::Stop => return Control::Stop,
                Command::Pause if !self.paused => {
                    self.paused = true;
                    out.send(Event::State {
                        state: TrainerState::Paused,
                    });
                }
                Command::Resume | Command::Start if self.paused => {
                    self.paused = false;
                    out.send(Event::State {
                        state: TrainerState::Training,
                    });
                }
                Command::Pause | Command::Resume | Command::Start => {}
                other => self.apply_setting(other, out),
            }
        }
    }

    /// Make the trainer panic at its `n`-th batch (fault-injection tests).
    #[doc(hidden)]
    pub fn inject_panic_after_batches(&mut self, n: usize) {
        self.panic_after_batches = Some(n);
    }

    /// Current weights (for tests and checkpoints).
    pub fn params(&self) -> Result<[Tensor; 5], TrainError> {
        Ok(self.model.params()?)
    }
}

/// A loss above this many times `ln(vocab)` (the loss of uniform guessing) means the run has
/// blown up: perplexity beyond `vocab^10`. Healthy runs start at 1x and fall.
pub const DIVERGENCE_FACTOR: f64 = 10.0;

/// NaN or infinite loss or gradient norm, or a loss beyond [`DIVERGENCE_FACTOR`] x uniform.
pub fn is_divergent(loss: f64, grad_norm: f64, vocab: usize) -> bool {
    !loss.is_finite() || !grad_norm.is_finite() || loss > DIVERGENCE_FACTOR * (vocab as f64).ln()
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
