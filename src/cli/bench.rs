//! `rnn-tui bench`: training throughput of both compute paths and live-completion latency.
//!
//! Thread counts are process-wide (rayon's global pool, candle's `RAYON_NUM_THREADS`), so each
//! configuration runs in a child process of this binary started with `--threads N`.

use std::process::Command as Process;
use std::time::Instant;

use candle_core::Device;
use clap::Args;
use rand::SeedableRng;

use super::CliError;
use crate::data::{Batch, Corpus, CorpusSource, Dataset, Vocab};
use crate::device::{self, DeviceChoice};
use crate::model::fused::gated::{Cell, GatedDims, GatedKernel, GatedParams};
use crate::model::{ComputePath, LanguageModel};
use crate::train::clip::clip_and_read;

#[derive(Debug, Args, Clone)]
pub struct BenchCmd {
    /// Hidden sizes to measure
    #[arg(long, value_delimiter = ',', default_value = "32,256")]
    pub sizes: Vec<usize>,
    /// Thread counts to measure
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub thread_counts: Vec<u16>,
    /// Compute paths to measure
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        default_value = "candle,fused"
    )]
    pub kernels: Vec<ComputePath>,
    /// Timed training batches per configuration (after 2 warm-up batches)
    #[arg(long, default_value_t = 20)]
    pub batches: usize,
    /// Measure one configuration in this process (used by the parent run)
    #[arg(long, hide = true)]
    pub single: bool,
    /// Filled from the global `--cell`, `--layers`, `--embed` (see [`model_from`]).
    #[arg(skip = BenchModel::default())]
    pub model: BenchModel,
}

/// The model to measure (`--cell`, `--layers`, `--embed`). Today's §9.5 RNN (the default) runs
/// through `LanguageModel` on each kernel; any other model measures the fused gated kernel
/// (`model::fused::gated`) directly: forward, BPTT, global-norm clip and SGD on host weights.
/// The flags are the global model flags `train` takes (one definition, one set of messages).
#[derive(Debug, Clone, Copy)]
pub struct BenchModel {
    /// Recurrent cell: rnn (§9.5), gru, lstm
    pub cell: BenchCell,
    /// Stacked recurrent layers
    pub layers: u16,
    /// Learned embedding size (0 = one-hot input)
    pub embed: u16,
}

impl Default for BenchModel {
    fn default() -> Self {
        BenchModel {
            cell: BenchCell::Rnn,
            layers: 1,
            embed: 0,
        }
    }
}

/// The model `bench` measures, from the global `--cell`, `--layers`, `--embed` flags, checked
/// as `train` checks them.
pub fn model_from(args: &super::TrainArgs) -> Result<BenchModel, CliError> {
    let hp = args
        .hparams(crate::hparams::HParams::default())
        .map_err(CliError::Usage)?;
    Ok(BenchModel {
        cell: match hp.cell {
            crate::hparams::Cell::Rnn => BenchCell::Rnn,
            crate::hparams::Cell::Gru => BenchCell::Gru,
            crate::hparams::Cell::Lstm => BenchCell::Lstm,
        },
        layers: hp.layers as u16,
        embed: hp.embed as u16,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchCell {
    Rnn,
    Gru,
    Lstm,
}

impl BenchModel {
    /// The gated kernel's cell, or `None` for today's §9.5 model.
    fn gated_cell(&self) -> Option<Cell> {
        match self.cell {
            BenchCell::Rnn if self.layers == 1 && self.embed == 0 => None,
            BenchCell::Rnn => Some(Cell::Rnn),
            BenchCell::Gru => Some(Cell::Gru),
            BenchCell::Lstm => Some(Cell::Lstm),
        }
    }

    fn cell_name(&self) -> &'static str {
        match self.cell {
            BenchCell::Rnn => "rnn",
            BenchCell::Gru => "gru",
            BenchCell::Lstm => "lstm",
        }
    }
}

/// Time `batches` training steps of the fused gated kernel on The Time Machine (d2l batch
/// 1024 × 32 steps, one-hot or embedding input): loss and gradients, the global L2 norm in
/// f64, clipping to 1 and an SGD step (lr 1) on host f32 weights initialised from
/// U(−1/√H, 1/√H). Returns tokens/s.
pub fn measure_gated_training(
    model: &BenchModel,
    cell: Cell,
    hiddens: usize,
    batches: usize,
) -> f64 {
    use rand::Rng;
    let corpus = Corpus::load(&CorpusSource::TimeMachine).expect("built-in corpus");
    let vocab = Vocab::from_text(&corpus.text);
    let data = Dataset::new(vocab.clone(), &corpus.text, 32, 10_000, 5_000).expect("d2l split");
    let d = GatedDims {
        cell,
        vocab: vocab.len(),
        embed: model.embed as usize,
        hidden: hiddens,
        layers: model.layers as usize,
        batch: 1024,
        steps: 32,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let bound = 1.0 / (hiddens as f32).sqrt();
    let mut params = GatedParams::<f32>::zeros(&d);
    for t in params.tensors_mut() {
        for w in t.iter_mut() {
            *w = rng.random_range(-bound..bound);
        }
    }
    let mut kernel = GatedKernel::<f32>::new();
    let mut grads = GatedParams::<f32>::zeros(&d);
    let order = data.shuffled_train_order(&mut rng);
    let mut batch = Batch::default();
    let mut step = |k: usize| -> usize {
        data.train_batch(&order, k % 9, 1024, &mut batch);
        let d = d.with_batch(batch.batch_size, batch.num_steps);
        let loss = kernel.loss_and_grads(&d, &params, &batch.x, &batch.y, None, &mut grads);
        std::hint::black_box(loss);
        let norm = grads
            .tensors()
            .iter()
            .flat_map(|t| t.iter())
            .map(|&g| (g as f64) * (g as f64))
            .sum::<f64>()
            .sqrt();
        let lr = if norm > 1.0 { (1.0 / norm) as f32 } else { 1.0 };
        for (w, g) in params.tensors_mut().into_iter().zip(grads.tensors()) {
            for (w, &g) in w.iter_mut().zip(g) {
                *w -= lr * g;
            }
        }
        batch.tokens()
    };
    for k in 0..2 {
        step(k);
    }
    let t0 = Instant::now();
    let mut tokens = 0;
    for k in 0..batches {
        tokens += step(k);
    }
    tokens as f64 / t0.elapsed().as_secs_f64()
}

/// One measured configuration, as the child prints it.
pub struct Measurement {
    pub kernel: ComputePath,
    pub hiddens: usize,
    pub threads: usize,
    pub tokens_per_s: f64,
}

/// Time `batches` full training steps (forward, backward, clip, SGD) on The Time Machine with
/// d2l's batch size and steps.
pub fn measure_training(
    kernel: ComputePath,
    hiddens: usize,
    batches: usize,
    device: &Device,
) -> candle_core::Result<f64> {
    let corpus = Corpus::load(&CorpusSource::TimeMachine).expect("built-in corpus");
    let vocab = Vocab::from_text(&corpus.text);
    let data = Dataset::new(vocab.clone(), &corpus.text, 32, 10_000, 5_000).expect("d2l split");
    let mut lm = LanguageModel::with_path(vocab, hiddens, 0, device, kernel)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let order = data.shuffled_train_order(&mut rng);
    let mut batch = Batch::default();
    let mut step = |k: usize, lm: &mut LanguageModel| -> candle_core::Result<usize> {
        // Full batches only, so every timed step does the same work.
        data.train_batch(&order, k % 9, 1024, &mut batch);
        // The trainer's step: one read of loss, norm and clip decision per batch.
        let (loss, mut g) = lm.forward_backward(&batch)?;
        clip_and_read(&loss, &mut g, 1.0)?;
        lm.sgd_step(&g, 1.0)?;
        Ok(batch.tokens())
    };
    for k in 0..2 {
        step(k, &mut lm)?;
    }
    let t0 = Instant::now();
    let mut tokens = 0;
    for k in 0..batches {
        tokens += step(k, &mut lm)?;
    }
    Ok(tokens as f64 / t0.elapsed().as_secs_f64())
}

/// Microseconds for a greedy 20-character completion of a 30-character prefix (median, p95).
pub fn measure_completion(hiddens: usize) -> (f64, f64) {
    let vocab = Vocab::from_text(&Corpus::load(&CorpusSource::TimeMachine).unwrap().text);
    let lm = LanguageModel::new(vocab, hiddens, 0, &Device::Cpu).unwrap();
    let snap = lm.snapshot().unwrap();
    let prefix = "the time traveller for so it w";
    let mut times: Vec<f64> = (0..2000)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(snap.complete(prefix, 20).unwrap());
            t0.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

pub fn run(cmd: &BenchCmd, device_choice: DeviceChoice) -> Result<(), CliError> {
    // Each kernel gets its own device: `--device auto` measures the fused kernel on the CPU
    // even on a GPU build. Checked here first, so a bad `--device` is a usage error at once.
    let mut devices = Vec::with_capacity(cmd.kernels.len());
    for &kernel in &cmd.kernels {
        devices
            .push(device::select_for(device_choice, kernel.cpu_only()).map_err(CliError::Usage)?);
    }
    if cmd.single {
        let threads = super::current_threads();
        if let Some(cell) = cmd.model.gated_cell() {
            for &h in &cmd.sizes {
                let tps = measure_gated_training(&cmd.model, cell, h, cmd.batches);
                println!(
                    "kernel=fused hiddens={h} threads={threads} cell={} layers={} embed={} device=cpu tokens_per_s={tps:.0}",
                    cmd.model.cell_name(),
                    cmd.model.layers,
                    cmd.model.embed
                );
            }
            return Ok(());
        }
        for (&kernel, (device, device_name)) in cmd.kernels.iter().zip(&devices) {
            for &h in &cmd.sizes {
                let tps = measure_training(kernel, h, cmd.batches, device).map_err(|e| {
                    CliError::Failure(format!("{} at hiddens {h}: {e}", kernel.name()))
                })?;
                println!(
                    "kernel={} hiddens={h} threads={threads} device={device_name} tokens_per_s={tps:.0}",
                    kernel.name()
                );
            }
        }
        return Ok(());
    }
    drop(devices);
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Failure(format!("cannot find this program to re-run it: {e}")))?;
    let gated = cmd.model.gated_cell().is_some();
    println!(
        "training throughput, d2l batch 1024 x 32 steps on The Time Machine, {} timed batches, \
         cell {} layers {} embed {}",
        cmd.batches,
        cmd.model.cell_name(),
        cmd.model.layers,
        cmd.model.embed
    );
    // Gated models and stacks have the fused kernel only here (the candle path is the
    // trainer's reference: `--kernel candle` in `train`).
    let kernels: Vec<ComputePath> = if gated {
        if cmd.kernels.iter().any(|&k| k != ComputePath::Fused) {
            println!(
                "(the {} model is measured on the fused kernel only)",
                cmd.model.cell_name()
            );
        }
        vec![ComputePath::Fused]
    } else {
        cmd.kernels.clone()
    };
    println!(
        "{:<8} {:>8} {:>8} {:>14}  device",
        "kernel", "hiddens", "threads", "tokens/s"
    );
    for &threads in &cmd.thread_counts {
        for &kernel in &kernels {
            for &h in &cmd.sizes {
                let out = Process::new(&exe)
                    .args(["bench", "--single", "--threads", &threads.to_string()])
                    .args(["--sizes", &h.to_string(), "--kernels", kernel.name()])
                    .args(["--batches", &cmd.batches.to_string()])
                    .args(["--device", device_arg(device_choice)])
                    .args(["--cell", cmd.model.cell_name()])
                    .args(["--layers", &cmd.model.layers.to_string()])
                    .args(["--embed", &cmd.model.embed.to_string()])
                    .output();
                match out {
                    Ok(o) if o.status.success() => {
                        let text = String::from_utf8_lossy(&o.stdout);
                        let field = |key: &str| {
                            text.split_whitespace()
                                .find_map(|w| w.strip_prefix(key))
                                .unwrap_or("?")
                                .to_owned()
                        };
                        // The device name runs from `device=` to ` tokens_per_s=`.
                        let device = text
                            .split_once("device=")
                            .and_then(|(_, rest)| rest.split_once(" tokens_per_s="))
                            .map_or("?", |(d, _)| d);
                        println!(
                            "{:<8} {:>8} {:>8} {:>14}  {device}",
                            kernel.name(),
                            h,
                            threads,
                            field("tokens_per_s=")
                        );
                    }
                    Ok(o) => return Err(child_failure(&o.stderr)),
                    Err(e) => {
                        return Err(CliError::Failure(format!(
                            "running the benchmark child: {e}"
                        )))
                    }
                }
            }
        }
    }
    for &h in cmd.sizes.iter().filter(|_| !gated) {
        let (p50, p95) = measure_completion(h);
        println!("completion: 30-char prefix + 20 greedy chars, hiddens {h}: p50 {p50:.1} µs, p95 {p95:.1} µs");
    }
    Ok(())
}

/// A failed child's error, passed on as this process's own: the child (this program) already
/// wrote it as `error: <message>`; anything else it wrote (a panic) is passed on whole.
fn child_failure(stderr: &[u8]) -> CliError {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    let message = text.strip_prefix("error: ").unwrap_or(text);
    if message.is_empty() {
        CliError::Failure("the benchmark child failed without a message".into())
    } else {
        CliError::Failure(message.to_owned())
    }
}

fn device_arg(d: DeviceChoice) -> &'static str {
    use DeviceChoice::*;
    match d {
        Auto => "auto",
        Cpu => "cpu",
        Cuda => "cuda",
        Metal => "metal",
    }
}
