//! The trainer: d2l §9.5's epoch loop (shuffle, forward, backward, clip, SGD, validate),
//! steered by [`Command`]s and reporting through [`Event`]s. [`super::worker`] puts it on its
//! own thread.

use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::Device;
use crossbeam_channel::{Receiver, TryRecvError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use super::worker::TrainerHandle;

use super::clip::clip_and_read;
use super::error::TrainError;
use super::optimizer::{AdamState, Optimizer};
use super::outbox::Outbox;
use super::protocol::{Command, Event, Summary, TrainerState};
use crate::data::{Batch, Dataset, EncodedCorpus};
use crate::hparams::HParams;
use crate::metrics::{BatchStats, EpochStats, SampleRecord};
use crate::model::host;
use crate::model::{ComputePath, LanguageModel, NamedParams};
use crate::number_format::compact;
use crate::runs::{Checkpoint, Progress, Recorder, RunDir, RunError};

/// The prefix d2l completes to show what the model learned.
pub const SAMPLE_PREFIX: &str = "it has";
pub const SAMPLE_LEN: usize = 20;

/// Testing aid: set to N to make the trainer thread panic at its N-th batch, so tests can
/// check that a crash reaches the front end as an error and the terminal is restored.
pub const PANIC_ENV: &str = "RNN_TUI_TEST_PANIC_AFTER_BATCHES";

/// Send the newest weights at most this often (they are also sent at every epoch end).
const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(100);

/// What the front end wants between two batches.
enum Control {
    Continue,
    Stop,
}

/// How one minibatch went.
enum Step {
    /// The weights took an SGD step.
    Updated {
        loss: f64,
        clip: super::clip::ClipOutcome,
    },
    /// The loss or gradient blew up; the weights were left as they were.
    Diverged { loss: f64, grad_norm: f64 },
}

pub struct Trainer {
    pub hp: HParams,
    dataset: Dataset,
    model: LanguageModel,
    rng: ChaCha8Rng,
    device_name: String,
    corpus_chars: usize,
    /// Where training stands, in the form a checkpoint stores it: saving writes this value
    /// and restoring reads it back whole, so neither can miss a field. (`metrics_bytes` is the
    /// recorder's: it fills it in when it saves.)
    progress: Progress,
    paused: bool,
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
    /// Weights (and optimizer moments) before the last update whose loss and gradients were
    /// finite.
    last_good: Option<(NamedParams, Option<AdamState>)>,
    /// SGD or Adam, with Adam's moments.
    optimizer: Optimizer,
    /// When the newest weights last went to the front end.
    last_snapshot: Instant,
    /// Fault injection for tests: panic when this many batches have run.
    panic_after_batches: Option<usize>,
    batches_run: usize,
    /// Reads a validation excerpt with each published snapshot (the neuron inspector).
    prober: Option<super::probe::Prober>,
    /// The prefix every epoch's sample completes ([`Command::SetEpochSample`]).
    sample_prefix: String,
}

impl Trainer {
    /// Load the corpus, build vocabulary, dataset and a freshly initialised model.
    pub fn new(hp: HParams, device: &Device, device_name: &str) -> Result<Self, TrainError> {
        hp.validate().map_err(TrainError::HParams)?;
        let corpus = EncodedCorpus::load(&hp.corpus, hp.text)?;
        // The vocabulary is known now: refuse what would not fit before allocating it.
        hp.check_memory(corpus.vocab.len())
            .map_err(TrainError::HParams)?;
        let vocab = corpus.vocab.clone();
        let dataset = Dataset::from_ids(corpus.vocab, corpus.ids, hp.num_steps, hp.split_spec())?;
        let mut model = LanguageModel::for_hparams(vocab, &hp, device)?;
        model.set_compute_path(ComputePath::Auto)?;
        let progress = Progress::start(&hp);
        let chars = dataset.corpus_chars();
        Ok(Self::assemble(
            hp,
            dataset,
            model,
            device_name,
            chars,
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
        let corpus = EncodedCorpus::load_with_vocab(&hp.corpus, hp.text, checkpoint.vocab())?;
        let vocab = corpus.vocab.clone();
        let dataset = Dataset::from_ids(corpus.vocab, corpus.ids, hp.num_steps, hp.split_spec())?;
        let chars = dataset.corpus_chars();
        let params = checkpoint.params.clone().try_map(|p| p.to_device(device))?;
        let mut model = LanguageModel::from_named(vocab, checkpoint.arch(), params)?;
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
        let mut t = Self::assemble(hp, dataset, model, device_name, chars, progress);
        t.optimizer
            .restore(checkpoint.optimizer.as_ref(), &checkpoint.params, device)?;
        t.resumed = Some(checkpoint);
        Ok(t)
    }

    fn assemble(
        hp: HParams,
        dataset: Dataset,
        model: LanguageModel,
        device_name: &str,
        corpus_chars: usize,
        progress: Progress,
    ) -> Self {
        // The shuffling stream is separate from the initialisation stream.
        let mut rng = ChaCha8Rng::seed_from_u64(hp.seed ^ 0x0005_eed0_fba7_c4e5);
        rng.set_word_pos(progress.rng_word_pos);
        Trainer {
            rng,
            dataset,
            model,
            device_name: device_name.to_owned(),
            corpus_chars,
            progress,
            paused: false,
            recorder: None,
            record_root: None,
            save_every: None,
            dirty: false,
            resumed: None,
            breakpoint: None,
            last_good: None,
            optimizer: Optimizer::new(hp.optimizer),
            last_snapshot: Instant::now(),
            panic_after_batches: std::env::var(PANIC_ENV).ok().and_then(|v| v.parse().ok()),
            batches_run: 0,
            prober: None,
            sample_prefix: SAMPLE_PREFIX.to_owned(),
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

    /// Bytes of a torn metrics line cut off when recording began (see [`Recorder::torn_bytes`]).
    pub fn metrics_torn_bytes(&self) -> u64 {
        self.recorder.as_ref().map_or(0, Recorder::torn_bytes)
    }

    /// Create a new run directory under `runs_root` and record into it when `Command::Start`
    /// arrives, not before: a cockpit opened and closed without training leaves no run
    /// behind. The new directory is announced with `Event::Saved`; a failure to create it is
    /// an `Event::Warning` and training goes on unrecorded.
    pub fn record_on_start(&mut self, runs_root: std::path::PathBuf) {
        self.record_root = Some(runs_root);
    }

    /// Complete `prefix` with `len` characters in the sample at every epoch's end (the cockpit
    /// gives its completion pane's; without it, d2l's `it has` and the run's `completion_len`).
    pub fn set_epoch_sample(&mut self, prefix: &str, len: usize) {
        self.sample_prefix = prefix.to_owned();
        self.hp.completion_len = len.clamp(1, crate::hparams::MAX_COMPLETION_LEN);
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
        (self.progress.epoch, self.progress.batch)
    }

    /// Where training stands, as a checkpoint records it.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Write a checkpoint now. `Ok(None)` when there is no run directory.
    pub fn save(&mut self) -> Result<Option<std::path::PathBuf>, TrainError> {
        let progress = self.progress.clone();
        // Copied to the host first: the checks and the encoding below run there.
        let params = self.model.host_params()?;
        // Defence in depth: divergence rolls back, but never write non-finite weights.
        for (name, p) in params.named() {
            if !host::all_finite(p)? {
                return Err(TrainError::NonFiniteWeights { param: name.into() });
            }
        }
        let Some(rec) = self.recorder.as_mut() else {
            return Ok(None);
        };
        let path = self.model.compute_path().name();
        let opt = self.optimizer.state(&params)?;
        let dir = rec.save(
            &self.hp,
            &self.dataset.vocab,
            &params,
            path,
            opt.as_ref(),
            progress,
        )?;
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
                        epoch: self.progress.epoch,
                        batch: self.progress.batch,
                        asked: false,
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
                epoch: self.progress.epoch,
                batch: self.progress.batch,
                asked: explicit,
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

    /// Also send, with the published weights, the state after each character of a fixed
    /// validation excerpt ([`Event::Probe`], for the cockpit's neuron inspector).
    pub fn set_probe(&mut self, on: bool) {
        self.prober = on.then(|| {
            let d = &self.dataset;
            super::probe::Prober::new(crate::eval::inspect::validation_excerpt(
                &d.vocab,
                d.ids(),
                d.val_start(),
            ))
        });
    }

    pub fn model(&self) -> &LanguageModel {
        &self.model
    }

    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The trainer's whole life, on the calling thread (usually the one
    /// [`Trainer::spawn`] starts): announce itself, wait for `Start`, train the epochs,
    /// summarise.
    pub fn serve(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> Result<(), TrainError> {
        self.announce(out)?;
        if !self.wait_for_start(cmds, out) {
            return Ok(());
        }
        self.start_recording(out);
        out.send(Event::State {
            state: TrainerState::Training,
        });
        let started = Instant::now();
        let completed = self.train_epochs(cmds, out)?;
        if self.dirty {
            self.save_and_report(out, false);
        }
        self.summarise(completed, started, out)
    }

    /// Tell the front end what is about to train, and show it the initial weights.
    fn announce(&mut self, out: &mut Outbox) -> Result<(), TrainError> {
        out.send(Event::Ready {
            device: self.device_name.clone(),
            compute_path: self.model.compute_path().name().into(),
            vocab_size: self.dataset.vocab.len(),
            corpus_chars: self.corpus_chars,
            params: self.model.arch().param_count(),
            batches_per_epoch: self.dataset.train_batches(self.hp.batch_size),
            text: self.hp.text.name().into(),
            split: self.hp.split.name().into(),
            train_chars: self.dataset.train_chars(),
            val_chars: self.dataset.val_chars(),
        });
        self.send_snapshot(out)?;
        out.send(Event::State {
            state: TrainerState::Ready,
        });
        Ok(())
    }

    /// Apply settings until `Start` arrives (`true`), or `Stop` or a closed channel (`false`).
    fn wait_for_start(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> bool {
        loop {
            match cmds.recv() {
                Ok(Command::Start) | Ok(Command::Resume) => return true,
                Ok(Command::Stop) | Err(_) => return false,
                Ok(cmd) => self.apply_setting(cmd, out),
            }
        }
    }

    /// The closing report: final perplexities, speed, and d2l's sample completion.
    fn summarise(
        &self,
        completed: bool,
        started: Instant,
        out: &mut Outbox,
    ) -> Result<(), TrainError> {
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
            epochs: self.progress.epoch,
            completed,
            train_ppl: self.progress.last_train_ppl,
            val_ppl: self.progress.last_val_ppl,
            tokens_per_s: self.tokens_per_s(),
            seconds: started.elapsed().as_secs_f64(),
            sample,
        }));
        Ok(())
    }

    fn tokens_per_s(&self) -> f64 {
        let p = &self.progress;
        let tokens = (p.epoch * self.dataset.num_train + p.epoch_windows) * self.hp.num_steps;
        if p.train_seconds > 0.0 {
            tokens as f64 / p.train_seconds
        } else {
            0.0
        }
    }

    /// d2l's epoch loop: per epoch shuffle, then per minibatch forward, backward, clip and
    /// SGD, then validate. Returns whether every epoch ran (`false`: stopped early).
    fn train_epochs(
        &mut self,
        cmds: &Receiver<Command>,
        out: &mut Outbox,
    ) -> Result<bool, TrainError> {
        let batches = self.dataset.train_batches(self.hp.batch_size);
        let mut batch = Batch::default();
        self.last_snapshot = Instant::now();
        while self.progress.epoch < self.hp.epochs {
            let order = self.shuffle();
            // `progress.batch` only advances when a batch succeeds, so a batch that diverged
            // is tried again on resuming (from the restored weights, presumably at a lower
            // rate), exactly as a run resumed from a checkpoint saved then would.
            while self.progress.batch < batches {
                if let Control::Stop = self.between_batches(cmds, out) {
                    return Ok(false);
                }
                let k = self.progress.batch;
                self.dataset
                    .train_batch(&order, k, self.hp.batch_size, &mut batch);
                match self.minibatch_step(&batch)? {
                    Step::Updated { loss, clip } => {
                        self.finish_batch(&batch, loss, clip, batches, out)?
                    }
                    Step::Diverged { loss, grad_norm } => {
                        self.diverged(k + 1, loss, grad_norm, out)?
                    }
                }
            }
            self.finish_epoch(out)?;
        }
        Ok(true)
    }

    /// The epoch's order of training windows. Drawn from the RNG position the epoch began
    /// at, so a run resumed mid-epoch draws the same order again.
    fn shuffle(&mut self) -> Vec<usize> {
        self.rng.set_word_pos(self.progress.rng_word_pos);
        self.dataset.shuffled_train_order(&mut self.rng)
    }

    /// Before each batch: obey the front end's commands (waiting while paused), stop when
    /// nobody listens any more, and count the batch for fault injection.
    fn between_batches(&mut self, cmds: &Receiver<Command>, out: &mut Outbox) -> Control {
        if let Control::Stop = self.obey(cmds, out) {
            return Control::Stop;
        }
        if out.is_disconnected() {
            return Control::Stop;
        }
        self.batches_run += 1;
        if self.panic_after_batches == Some(self.batches_run) {
            panic!(
                "injected fault ({PANIC_ENV}) after {} batches",
                self.batches_run
            );
        }
        Control::Continue
    }

    /// One minibatch: forward and backward (one pass), clip the gradients, and take an SGD
    /// step unless the loss or gradient blew up. Its time counts as training time.
    fn minibatch_step(&mut self, batch: &Batch) -> Result<Step, TrainError> {
        let t0 = Instant::now();
        // Dropout masks are a pure function of the run's seed and the batch's place, so a
        // resumed run draws the same ones (`--dropout 0`: none at all).
        let seed = crate::model::dropout::row_hash(
            self.hp.seed,
            self.progress.epoch,
            self.progress.batch,
            usize::MAX,
        );
        self.model.set_dropout(self.hp.dropout, seed);
        let (loss, mut grads) = self.model.forward_backward(batch)?;
        // The one device→host read of the batch: loss, norm and clip decision together.
        let (loss, clip) = clip_and_read(&loss, &mut grads, self.progress.clip)?;
        let step = if is_divergent(loss, clip.norm, self.dataset.vocab.len()) {
            Step::Diverged {
                loss,
                grad_norm: clip.norm,
            }
        } else {
            // These weights gave a finite loss and gradient: the point to roll back to.
            self.last_good = Some((self.model.params()?, self.optimizer.mark()));
            self.optimizer
                .step(&mut self.model, &grads, self.progress.lr)?;
            Step::Updated { loss, clip }
        };
        self.progress.train_seconds += t0.elapsed().as_secs_f64();
        Ok(step)
    }

    /// After a successful minibatch: count it in the epoch's progress, log and report it,
    /// then what is due after it (a periodic checkpoint, fresh weights, a breakpoint).
    fn finish_batch(
        &mut self,
        batch: &Batch,
        loss: f64,
        clip: super::clip::ClipOutcome,
        batches: usize,
        out: &mut Outbox,
    ) -> Result<(), TrainError> {
        let p = &mut self.progress;
        p.epoch_loss_sum += loss * batch.batch_size as f64;
        p.epoch_windows += batch.batch_size;
        p.batch += 1;
        // 1-based, as the front end numbers them.
        let (epoch, done_in_epoch) = (p.epoch + 1, p.batch);
        let done = p.epoch * batches + p.batch;
        self.dirty = true;
        let event = Event::Batch(BatchStats {
            epoch,
            batch: done_in_epoch,
            batches_per_epoch: batches,
            loss,
            grad_norm: clip.norm,
            clipped: clip.clipped,
            clip_threshold: self.progress.clip,
            lr: self.progress.lr,
            tokens: batch.tokens(),
            elapsed: self.progress.train_seconds,
        });
        self.log_and_send(event, out);
        // The epoch's end saves anyway.
        if self.save_every.is_some_and(|n| done.is_multiple_of(n)) && done_in_epoch < batches {
            self.save_and_report(out, false);
        }
        if self.last_snapshot.elapsed() >= SNAPSHOT_INTERVAL {
            self.publish(out, false)?;
        }
        if self.breakpoint == Some((epoch, done_in_epoch)) {
            self.breakpoint = None;
            self.paused = true;
            out.send(Event::State {
                state: TrainerState::Paused,
            });
        }
        Ok(())
    }

    /// At the end of an epoch: validate, move on to the next epoch, log and report it, save
    /// and show the front end the weights.
    fn finish_epoch(&mut self, out: &mut Outbox) -> Result<(), TrainError> {
        let epoch_seconds = self.progress.train_seconds - self.progress.epoch_start_seconds;
        let windows = self.progress.epoch_windows;
        let improved = self.validate()?;
        self.start_next_epoch();
        if improved {
            self.save_best(out);
        }
        // A plateau anneals the rate (before the checkpoint below, so a resumed run has it).
        let decayed = !improved && self.hp.lr_decay < 1.0 && self.progress.last_val_ppl.is_finite();
        if decayed {
            self.progress.lr *= self.hp.lr_decay;
        }
        let p = &self.progress;
        let event = Event::Epoch(EpochStats {
            epoch: p.epoch,
            epochs: self.hp.epochs,
            train_ppl: p.last_train_ppl,
            val_ppl: p.last_val_ppl,
            tokens_per_s: (windows * self.hp.num_steps) as f64 / epoch_seconds.max(1e-9),
            elapsed: p.train_seconds,
        });
        self.log_and_send(event, out);
        if decayed {
            out.send(Event::Settings {
                lr: self.progress.lr,
                clip: self.progress.clip,
            });
        }
        self.save_and_report(out, false);
        let snapshot = self.publish(out, true)?;
        self.sample_epoch(&snapshot, out);
        Ok(())
    }

    /// The greedy completion of the sample prefix by the weights at an epoch's end: kept in
    /// the run's `samples.jsonl` and sent. A prefix the model cannot read (empty) is skipped.
    fn sample_epoch(&mut self, snapshot: &crate::model::ModelSnapshot, out: &mut Outbox) {
        let prefix = snapshot.vocab.read_prefix(&self.sample_prefix);
        let Ok(c) = snapshot.complete(&prefix, self.hp.completion_len) else {
            return;
        };
        let sample = SampleRecord {
            epoch: self.progress.epoch,
            val_ppl: self.progress.last_val_ppl,
            prefix: c.prefix(),
            completion: c.continuation(),
        };
        if let Some(rec) = self.recorder.as_mut() {
            if let Err(e) = rec.log_sample(&sample) {
                out.send(Event::Warning {
                    message: format!("writing the epoch's sample failed: {e}"),
                });
            }
        }
        out.send(Event::Sample(sample));
    }

    /// d2l's evaluation after each epoch: the training perplexity over the epoch's batches,
    /// the validation perplexity, and the best validation perplexity so far.
    fn validate(&mut self) -> Result<bool, TrainError> {
        let train_ppl = (self.progress.epoch_loss_sum / self.progress.epoch_windows as f64).exp();
        let val_ppl = self.validation_perplexity()?;
        let p = &mut self.progress;
        p.last_train_ppl = train_ppl;
        p.last_val_ppl = val_ppl;
        let improved = val_ppl.is_finite() && (p.best_val_ppl.is_nan() || val_ppl < p.best_val_ppl);
        if improved {
            p.best_val_ppl = val_ppl;
        }
        Ok(improved)
    }

    /// The validation perplexity just improved: keep these weights as `best.safetensors`.
    fn save_best(&mut self, out: &mut Outbox) {
        let Some(rec) = self.recorder.as_mut() else {
            return;
        };
        let saved = self
            .model
            .host_params()
            .map_err(TrainError::from)
            .and_then(|p| Ok(rec.save_best(&self.dataset.vocab, &p, &self.progress)?));
        if let Err(e) = saved {
            out.send(Event::Warning {
                message: format!("saving the best weights failed: {e}"),
            });
        }
    }

    /// An epoch is complete: the next one begins with no batches done, its loss sums empty,
    /// and its order drawn from where the shuffling RNG stands now.
    fn start_next_epoch(&mut self) {
        let p = &mut self.progress;
        p.epoch += 1;
        p.batch = 0;
        p.rng_word_pos = self.rng.get_word_pos();
        p.epoch_loss_sum = 0.0;
        p.epoch_windows = 0;
        p.epoch_start_seconds = p.train_seconds;
    }

    /// The loss or norm is not finite: roll back to the last good weights and pause.
    fn diverged(
        &mut self,
        batch: usize,
        loss: f64,
        grad_norm: f64,
        out: &mut Outbox,
    ) -> Result<(), TrainError> {
        if let Some((good, moments)) = &self.last_good {
            self.model.set_params(good)?;
            self.optimizer.rewind(moments.clone());
        }
        self.paused = true;
        let epoch = self.progress.epoch + 1;
        out.send(Event::Diverged {
            epoch,
            batch,
            loss,
            grad_norm,
            message: format!(
                "training diverged at epoch {epoch} batch {batch} (loss {loss}, gradient norm {grad_norm}): \
                 restored the last good weights and paused; lower the learning rate (now {}) before resuming",
                compact(self.progress.lr)
            ),
        });
        self.send_snapshot(out)?;
        out.send(Event::State {
            state: TrainerState::Paused,
        });
        Ok(())
    }

    /// `exp` of the mean loss over every validation token. Each batch's mean loss is weighted
    /// by its tokens counted in windows of `num_steps` (exactly its window count when its
    /// windows are full, as d2l's always are; a shorter last window of `--split whole` counts
    /// by its length).
    pub fn validation_perplexity(&mut self) -> Result<f64, TrainError> {
        if self.dataset.val_tokens() == 0 {
            return Ok(f64::NAN);
        }
        let steps = self.dataset.num_steps as f64;
        let mut sum = 0.0;
        for b in self.dataset.val_batches(self.hp.batch_size) {
            sum += self.model.loss(&b)? * (b.tokens() as f64 / steps);
        }
        Ok((sum / (self.dataset.val_tokens() as f64 / steps)).exp())
    }

    /// Show the front end the newest weights.
    fn send_snapshot(&mut self, out: &mut Outbox) -> Result<(), TrainError> {
        self.publish(out, true).map(|_| ())
    }

    /// Send the newest weights, and the inspector's probe when it is due (or `force_probe`).
    fn publish(
        &mut self,
        out: &mut Outbox,
        force_probe: bool,
    ) -> Result<Arc<crate::model::ModelSnapshot>, TrainError> {
        let snapshot = Arc::new(self.model.snapshot()?);
        out.send(Event::Snapshot(snapshot.clone()));
        if let Some(p) = &mut self.prober {
            p.send(&snapshot, force_probe, out);
        }
        self.last_snapshot = Instant::now();
        Ok(snapshot)
    }

    fn apply_setting(&mut self, cmd: Command, out: &mut Outbox) {
        match cmd {
            Command::SetLearningRate(lr) if lr.is_finite() && lr > 0.0 => self.progress.lr = lr,
            // 0 turns clipping off.
            Command::SetClip(c) if c.is_finite() && c >= 0.0 => self.progress.clip = c,
            Command::SetLearningRate(v) | Command::SetClip(v) => {
                out.send(Event::Warning {
                    message: format!(
                        "ignored a setting of {}: it must be a positive finite number",
                        compact(v)
                    ),
                });
                return;
            }
            Command::Save => {
                self.save_and_report(out, true);
                return;
            }
            // The epoch loop reads it before each epoch; the next checkpoint stores it.
            Command::SetEpochs(n) if n >= 1 => {
                self.hp.epochs = n;
                self.dirty = true;
                return;
            }
            Command::SetEpochSample { prefix, len } => {
                self.set_epoch_sample(&prefix, len);
                return;
            }
            _ => return,
        }
        out.send(Event::Settings {
            lr: self.progress.lr,
            clip: self.progress.clip,
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
    pub fn params(&self) -> Result<NamedParams, TrainError> {
        Ok(self.model.params()?)
    }
}

/// A loss above this many times `ln(vocab)` (the loss of uniform guessing) means the run has
/// blown up: perplexity beyond `vocab^10`. Healthy runs start at 1x and fall.
pub const DIVERGENCE_FACTOR: f64 = 10.0;

/// The largest gradient norm (before clipping) a step is taken with: `sqrt(f32::MAX)`, about
/// 1.8e19. Beyond it some gradient's square overflows f32 — Adam's second moment would turn
/// infinite for good, and the candle path's f32 norm already reads infinity — so the fused
/// path's f64 norm, which stays finite there, is held to the same limit.
pub fn max_grad_norm() -> f64 {
    f64::from(f32::MAX).sqrt()
}

/// NaN or infinite loss or gradient norm, a gradient norm beyond [`max_grad_norm`], or a loss
/// beyond [`DIVERGENCE_FACTOR`] x uniform.
pub fn is_divergent(loss: f64, grad_norm: f64, vocab: usize) -> bool {
    !loss.is_finite()
        || !grad_norm.is_finite()
        || grad_norm > max_grad_norm()
        || loss > DIVERGENCE_FACTOR * (vocab as f64).ln()
}
