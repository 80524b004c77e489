//! `rnn-tui bench`: training throughput of both compute paths and live-completion latency.
//!
//! Thread counts are process-wide (rayon's global pool, candle's `RAYON_NUM_THREADS`), so each
//! configuration runs in a child process of this binary started with `--threads N`.

use std::process::Command as Process;
use std::time::Instant;

use candle_core::Device;
use clap::Args;
use rand::SeedableRng;

use super::{output, CliError, TrainArgs};
use crate::data::{
    Batch, Corpus, CorpusSource, Dataset, EncodedCorpus, SplitSpec, TextMode, Vocab,
};
use crate::device::{self, DeviceChoice};
use crate::hparams::{Field, HParams};
use crate::model::fused::gated::{Cell, GatedDims, GatedKernel, GatedParams};
use crate::model::{ComputePath, LanguageModel};
use crate::train::clip::clip_and_read;
use crate::train::TrainError;

#[derive(Debug, Args, Clone)]
#[command(
    after_help = "Example:\n  rnn-tui bench --cell gru --sizes 32,256 --thread-counts 1,2\n\nGuide: docs/performance.md"
)]
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
    /// Instead: time loading this text to its first training batch and its peak memory
    /// (with the --text / --split flags given); see benches/load.sh
    #[arg(long, value_name = "FILE")]
    pub load: Option<std::path::PathBuf>,
    /// Instead: time the fused kernels' matrix products at training's shapes (at each of
    /// --sizes) on every register tile this CPU has and on `gemm`, against each tile's FMA
    /// peak, on one thread
    #[arg(long, conflicts_with = "load")]
    pub products: bool,
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
    let hp = args.hparams(crate::hparams::HParams::default())?;
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
    data: &Dataset,
) -> f64 {
    use rand::Rng;
    let vocab = &data.vocab;
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

/// The text the training benchmark runs on (`--corpus`, `--text`; d2l's Time Machine by
/// default): its vocabulary size is what the benchmark varies.
#[derive(Clone, Debug, Default)]
pub struct BenchData {
    pub corpus: CorpusSource,
    pub text: TextMode,
}

impl BenchData {
    /// The `--corpus` / `--text` flags as given.
    pub fn from_args(args: &TrainArgs) -> Result<Self, CliError> {
        let mut hp = HParams::default();
        if let Some(c) = &args.corpus {
            hp.parse_field(Field::Corpus, c)?;
        }
        if let Some(t) = &args.text {
            hp.parse_field(Field::Text, t)?;
        }
        Ok(BenchData {
            corpus: hp.corpus,
            text: hp.text,
        })
    }

    /// The text's training windows (d2l's, stride one, up to 10 000 of them) and vocabulary.
    pub fn dataset(&self) -> Result<Dataset, CliError> {
        let c = EncodedCorpus::load(&self.corpus, self.text)?;
        let windows = c.len().saturating_sub(33).min(10_000);
        if windows < 1024 {
            return Err(CliError::Usage(format!(
                "the benchmark needs a text of at least {} characters, {} has {}",
                1024 + 33,
                self.corpus,
                c.len()
            )));
        }
        let split = SplitSpec::D2l {
            num_train: windows,
            num_val: 1,
        };
        Ok(Dataset::from_ids(c.vocab, c.ids, 32, split).map_err(TrainError::from)?)
    }
}

/// Time `batches` full training steps (forward, backward, clip, SGD) on `data`'s text (The
/// Time Machine by default) with d2l's batch size and steps.
pub fn measure_training(
    kernel: ComputePath,
    hiddens: usize,
    batches: usize,
    device: &Device,
    data: &Dataset,
) -> candle_core::Result<f64> {
    let vocab = data.vocab.clone();
    let mut lm = LanguageModel::with_path(vocab, hiddens, 0, device, kernel)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let order = data.shuffled_train_order(&mut rng);
    let full = data.num_train / 1024;
    let mut batch = Batch::default();
    let mut step = |k: usize, lm: &mut LanguageModel| -> candle_core::Result<usize> {
        // Full batches only, so every timed step does the same work.
        data.train_batch(&order, k % full, 1024, &mut batch);
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

/// Print a line of the report; when the reader has gone (`| head`), end the benchmark there
/// (exit 0: nobody reads the rest). A failed write is an error.
macro_rules! say {
    ($($arg:tt)*) => {
        if output::write_line(&format!($($arg)*))? == output::Delivery::Closed {
            return Ok(());
        }
    };
}

/// `--products`: one line per shape and way, GFLOP/s and the share of that tile's peak.
fn run_products(sizes: &[usize]) -> Result<(), CliError> {
    use crate::model::fused::product_bench::{fma_peaks, measure, training_shapes};
    let budget = std::time::Duration::from_millis(300);
    let peaks = fma_peaks(budget);
    say!(
        "products, one thread, f32, {} (path {}); FMA peak per core: {}",
        crate::device::isa::cpu_model().unwrap_or_else(|| "unknown CPU".into()),
        crate::device::isa::active(),
        if peaks.is_empty() {
            "no vector tile on this path".to_string()
        } else {
            peaks
                .iter()
                .map(|(t, g)| format!("{t} {g:.1} GFLOP/s"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    for &h in sizes {
        for f in measure(&training_shapes(h), budget) {
            let s = f.shape;
            let mut line = format!(
                "H={h} {:<22} m={} k={} n={} gemm={:.1}",
                s.name, s.m, s.k, s.n, f.gemm
            );
            for (t, g) in &f.tiles {
                let peak = peaks.iter().find(|(p, _)| p == t).map_or(f64::NAN, |p| p.1);
                line.push_str(&format!(" {t}={g:.1} ({:.0}% of peak)", 100.0 * g / peak));
            }
            say!("{line}");
        }
    }
    Ok(())
}

pub fn run(cmd: &BenchCmd, args: &TrainArgs) -> Result<(), CliError> {
    if let Some(file) = &cmd.load {
        return super::bench_load::run(file, args);
    }
    if cmd.products {
        return run_products(&cmd.sizes);
    }
    let device_choice = args.device;
    let bench_data = BenchData::from_args(args)?;
    let data = bench_data.dataset()?;
    // Each kernel gets its own device: `--device auto` measures the fused kernel on the CPU
    // even on a GPU build. Checked here first, so a bad `--device` is a usage error at once.
    let mut devices = Vec::with_capacity(cmd.kernels.len());
    for &kernel in &cmd.kernels {
        devices.push(device::select_for(device_choice, kernel.cpu_only())?);
    }
    if cmd.single {
        let threads = super::current_threads();
        if let Some(cell) = cmd.model.gated_cell() {
            for &h in &cmd.sizes {
                let tps = measure_gated_training(&cmd.model, cell, h, cmd.batches, &data);
                say!(
                    "kernel=fused hiddens={h} threads={threads} cell={} layers={} embed={} device=cpu {} tokens_per_s={tps:.0}",
                    cmd.model.cell_name(),
                    cmd.model.layers,
                    cmd.model.embed,
                    crate::device::isa::active()
                );
            }
            return Ok(());
        }
        for (&kernel, (device, device_name)) in cmd.kernels.iter().zip(&devices) {
            for &h in &cmd.sizes {
                let tps = measure_training(kernel, h, cmd.batches, device, &data).map_err(|e| {
                    CliError::Failure(format!("{} at hiddens {h}: {e}", kernel.name()))
                })?;
                say!(
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
    say!(
        "training throughput, d2l batch 1024 x 32 steps on {} (text {}, vocabulary {}), {} timed \
         batches, cell {} layers {} embed {}",
        bench_data.corpus,
        bench_data.text,
        data.vocab.len(),
        cmd.batches,
        cmd.model.cell_name(),
        cmd.model.layers,
        cmd.model.embed
    );
    // Gated models and stacks have the fused kernel only here (the candle path is the
    // trainer's reference: `--kernel candle` in `train`).
    let kernels: Vec<ComputePath> = if gated {
        if cmd.kernels.iter().any(|&k| k != ComputePath::Fused) {
            say!(
                "(the {} model is measured on the fused kernel only)",
                cmd.model.cell_name()
            );
        }
        vec![ComputePath::Fused]
    } else {
        cmd.kernels.clone()
    };
    say!(
        "{:<8} {:>8} {:>8} {:>14}  device",
        "kernel",
        "hiddens",
        "threads",
        "tokens/s"
    );
    for &threads in &cmd.thread_counts {
        for &kernel in &kernels {
            for &h in &cmd.sizes {
                let out = Process::new(&exe)
                    .args(["bench", "--single", "--threads", &threads.to_string()])
                    .args(["--sizes", &h.to_string(), "--kernels", kernel.name()])
                    .args(["--batches", &cmd.batches.to_string()])
                    .args(["--device", device_arg(device_choice)])
                    // The child computes on the path this process was given (`--isa`).
                    .args(["--isa", crate::device::isa::active().name()])
                    .args(["--text", bench_data.text.name()])
                    .args(match &bench_data.corpus {
                        CorpusSource::File(p) => {
                            vec!["--corpus".into(), p.clone().into_os_string()]
                        }
                        CorpusSource::TimeMachine => vec![],
                    })
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
                        say!(
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
        say!("completion: 30-char prefix + 20 greedy chars, hiddens {h}: p50 {p50:.1} µs, p95 {p95:.1} µs");
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
