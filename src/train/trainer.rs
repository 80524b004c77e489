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
use crate::data::{Batch, Corpus, CorpusError, Dataset, DatasetError, Vocab};
use crate::model::params::param_count;
use crate::model::{ComputePath, LanguageModel};

/// The prefix d2l completes to show what the model learned.
pub const SAMPLE_PREFIX: &str = "it has";
pub const SAMPLE_LEN: usize = 20;

/// Testing aid: set to N to make the trainer thread panic at its N-th batch, so tests can
/// check that a crash reaches the front end as an error and the terminal is restored.
pub const PANIC_ENV: &str = "RNN_TUI_TEST_PANIC_AFTER_BATCHES";

/// Send the newest weights at most this often (they are also sent at every epoch end).
const SNAPSHOT_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{0}")]
    HParams(String),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("tensor error: {0}")]
    Candle(#[from] candle_core::Error),
}

impl TrainError {
    /// Bad input from the user (exit code 2) rather than a failure while running (1).
    pub fn is_usage(&self) -> bool {
        !matches!(self, TrainError::Candle(_))
    }
}

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
    /// Seconds spent in training batches.
    train_seconds: f64,
    last_train_ppl: f64,
    last_val_ppl: f64,
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
        Ok(Trainer {
            // The shuffling stream is separate from the initialisation stream.
            rng: ChaCha8Rng::seed_from_u64(hp.seed ^ 0x0005_eed0_fba7_c4e5),
            dataset,
            model,
            device_name: device_name.to_owned(),
            corpus_chars: corpus.len(),
            lr: hp.lr,
            clip: hp.clip,
            paused: false,
            epoch: 0,
            train_seconds: 0.0,
            last_train_ppl: f64::NAN,
            last_val_ppl: f64::NAN,
            last_good: None,
            panic_after_batches: std::env::var(PANIC_ENV).ok().and_then(|v| v.parse().ok()),
            batches_run: 0,
            hp,
        })
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
        out.send(Event::State {
            state: TrainerState::Training,
        });
        let started = Instant::now();
        let completed = self.train(cmds, out)?;
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
        let tokens = self.epoch * self.hp.num_train * self.hp.num_steps;
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
            let order = self.dataset.shuffled_train_order(&mut self.rng);
            let epoch_start = self.train_seconds;
            let (mut loss_sum, mut windows) = (0.0, 0usize);
            for k in 0..batches {
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
                loss_sum += loss * batch.batch_size as f64;
                windows += batch.batch_size;
                out.send(Event::Batch(BatchStats {
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
                }));
                if last_snapshot.elapsed() >= SNAPSHOT_INTERVAL {
                    self.send_snapshot(out)?;
                    last_snapshot = Instant::now();
                }
            }
            let epoch_seconds = self.train_seconds - epoch_start;
            self.last_train_ppl = (loss_sum / windows as f64).exp();
            self.last_val_ppl = self.validation_perplexity()?;
            self.epoch += 1;
            out.send(Event::Epoch(EpochStats {
                epoch: self.epoch,
                epochs: self.hp.epochs,
                train_ppl: self.last_train_ppl,
                val_ppl: self.last_val_ppl,
                tokens_per_s: (windows * self.hp.num_steps) as f64 / epoch_seconds.max(1e-9),
                elapsed: self.train_seconds,
            }));
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
                out.send(Event::Error {
                    message: format!(
                        "ignored a setting of {v}: it must be a positive finite number"
                    ),
                });
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
