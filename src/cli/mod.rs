//! The command line: argument parsing and the subcommands that need no terminal UI. Every
//! subcommand returns a [`CliError`]; `main` turns it into one line and an exit code.

pub mod bench;
pub mod bench_load;
pub mod config;
pub mod did_you_mean;
pub mod error;
pub mod eval;
pub mod export;
pub mod headless;
pub mod output;
pub mod plot;
pub mod runs;
pub mod sample;
pub mod train;
pub mod watch;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::CorpusSource;
use crate::device::isa::IsaChoice;
use crate::device::DeviceChoice;
use crate::hparams::{Field, HParams};
use crate::model::ComputePath;

pub use error::CliError;

// Compatibility re-export: the exit codes live in `crate::exit` (the cockpit and tests still
// import them from here).

#[derive(Debug, Parser)]
#[command(
    name = "rnn-tui",
    version,
    about = "Train the d2l §9.5 character RNN and watch it learn, in the terminal",
    long_about = "Train the d2l §9.5 character-level RNN (from scratch, on candle) on The Time \
                  Machine or any text, and watch perplexity, gradients, hidden states and live \
                  completions in a terminal cockpit. With no subcommand the cockpit opens.",
    after_help = "Example:\n  rnn-tui --corpus sample_texts/war_of_the_worlds.txt --hiddens 64\n\nGuide: docs/introduction.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Commands>,
    #[command(flatten)]
    pub train: TrainArgs,
    /// Where runs are kept [default: $RNN_TUI_DATA_DIR, else the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Train a model (the cockpit, or plain output with --headless).
    Train(TrainCmd),
    /// Complete a prefix with a saved run's model (greedy, or sampled with --temperature/--top-k).
    Sample(SampleCmd),
    /// Perplexity of a saved run's model on another text (--corpus FILE).
    Eval(EvalCmd),
    /// List saved runs, newest first.
    Runs(RunsCmd),
    /// Write a run's metrics (every batch and epoch) as CSV.
    Export(ExportCmd),
    /// Draw runs' curves (perplexity, gradient norm, learning rate) as an SVG or PNG figure.
    Plot(plot::PlotCmd),
    /// Show where the config file is and what it sets.
    Config(ConfigCmd),
    /// Measure training tokens/s of both compute paths and completion latency.
    Bench(bench::BenchCmd),
    /// Watch a run another process trains (its curves, completion and heatmap, live); space
    /// pauses/resumes it and s saves it through the run directory; q leaves, the run goes on.
    Watch(watch::WatchCmd),
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  rnn-tui train --headless --cell gru --lr 4 --epochs 50\n\nGuide: docs/headless.md"
)]
pub struct TrainCmd {
    /// No UI: print one line per epoch and a summary (also used when stdout is not a terminal).
    #[arg(long)]
    pub headless: bool,
    /// With --headless: print one JSON object per event instead of plain lines.
    #[arg(long)]
    pub json: bool,
    /// Continue a saved run (id, id prefix, `latest` or path) exactly where it stopped; only
    /// --epochs, --lr and --clip may change.
    #[arg(long, value_name = "RUN")]
    pub resume: Option<String>,
    /// Also save a checkpoint every N batches (it is always saved at every epoch end and when
    /// training stops).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub save_every: Option<u64>,
    /// Do not create a run directory: nothing is saved.
    #[arg(long, conflicts_with_all = ["save_every"])]
    pub no_save: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The global --seed (default 0) seeds the sampling.\n\nExample:\n  rnn-tui sample --run latest --len 200 --temperature 0.8 --top-k 5\n\nGuide: docs/runs.md"
)]
pub struct SampleCmd {
    /// The run (id, id prefix, `latest` or path)
    #[arg(long, value_name = "RUN", required_unless_present = "history")]
    pub run: Option<String>,
    /// Print what the run's model said at the end of every epoch (the greedy completion
    /// kept in its samples.jsonl) instead of sampling
    #[arg(long, value_name = "RUN", conflicts_with_all = ["run", "temperature", "top_k", "best"])]
    pub history: Option<String>,
    /// Text to warm the state up on
    #[arg(long, default_value = "the time traveller")]
    pub prefix: String,
    /// Characters to generate
    #[arg(long, default_value_t = 200)]
    pub len: usize,
    /// Sample from softmax(logits / T) instead of taking the most likely character
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,
    /// Sample among the K most likely characters only
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u64).range(1..))]
    pub top_k: Option<u64>,
    /// Use the run's best-validation weights (best.safetensors) instead of the latest
    #[arg(long)]
    pub best: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The text to score is given with the global --corpus FILE.\n\nExample:\n  rnn-tui eval --run latest --corpus sample_texts/war_of_the_worlds.txt\n\nGuide: docs/runs.md"
)]
pub struct EvalCmd {
    /// The run (id, id prefix, `latest` or path)
    #[arg(long, value_name = "RUN")]
    pub run: String,
    /// Use the run's best-validation weights (best.safetensors) instead of the latest
    #[arg(long)]
    pub best: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "EPOCHS reads done/total; a + (12+/100) marks a run stopped inside an epoch: 12 epochs done and part of the 13th, which `train --resume` repeats from its start.\n\nExample:\n  rnn-tui runs --sort best\n\nGuide: docs/runs.md"
)]
pub struct RunsCmd {
    /// The order: date (newest first) or best (lowest best validation perplexity first)
    #[arg(long, value_enum, default_value_t = RunSort::Date)]
    pub sort: RunSort,
    /// Name a run: --label RUN TEXT (an empty TEXT removes the label)
    #[arg(long, num_args = 2, value_names = ["RUN", "TEXT"], allow_hyphen_values = true, conflicts_with = "delete")]
    pub label: Option<Vec<String>>,
    /// Delete a run's directory (refused while a process trains it)
    #[arg(long, value_name = "RUN")]
    pub delete: Option<String>,
}

/// `runs --sort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RunSort {
    Date,
    Best,
}

impl RunSort {
    pub fn order(self) -> crate::runs::RunOrder {
        match self {
            RunSort::Date => crate::runs::RunOrder::Date,
            RunSort::Best => crate::runs::RunOrder::Best,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  rnn-tui export --run latest --csv --output metrics.csv\n\nGuide: docs/runs.md"
)]
pub struct ExportCmd {
    /// The run (id, id prefix, `latest` or path)
    #[arg(long, value_name = "RUN")]
    pub run: String,
    /// Comma-separated values, one row per batch and per epoch
    #[arg(long)]
    pub csv: bool,
    /// Write to FILE instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  rnn-tui config --path\n\nGuide: docs/configuration.md")]
pub struct ConfigCmd {
    /// Only print the path of the config file
    #[arg(long)]
    pub path: bool,
}

/// Hyperparameters and where to run; every flag overrides the built-in default.
#[derive(Debug, Args, Clone, Default)]
pub struct TrainArgs {
    /// Training epochs [default: 100]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::epochs)]
    pub epochs: Option<usize>,
    /// Windows per mini-batch [default: 1024]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::batch_size)]
    pub batch_size: Option<usize>,
    /// Characters per window (time steps unrolled) [default: 32]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::num_steps)]
    pub num_steps: Option<usize>,
    /// Hidden units [default: 32]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::hiddens)]
    pub hiddens: Option<usize>,
    /// SGD learning rate [default: 1]
    #[arg(long, global = true, allow_hyphen_values = true, value_parser = flag::lr)]
    pub lr: Option<f64>,
    /// Gradient clipping threshold on the global L2 norm; 0 or "off": no clipping [default: 1]
    #[arg(long, global = true, allow_hyphen_values = true, value_parser = flag::clip)]
    pub clip: Option<f64>,
    /// Seed for initialisation and shuffling [default: 0]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::seed)]
    pub seed: Option<u64>,
    /// Training windows [default: 10000]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::num_train)]
    pub num_train: Option<usize>,
    /// Validation windows [default: 5000]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::num_val)]
    pub num_val: Option<usize>,
    /// The recurrent cell: rnn (d2l §9.5), gru or lstm [default: rnn]
    #[arg(long, global = true, value_name = "rnn|gru|lstm")]
    pub cell: Option<String>,
    /// Stacked recurrent layers (d2l §10.3) [default: 1]
    #[arg(long, global = true, allow_hyphen_values = true, value_name = "N")]
    pub layers: Option<String>,
    /// Learned input embedding of size E; 0: one-hot input as in §9.5 [default: 0]
    #[arg(long, global = true, allow_hyphen_values = true, value_name = "E")]
    pub embed: Option<String>,
    /// The update rule: sgd (d2l's) or adam (betas 0.9/0.999, eps 1e-8) [default: sgd]
    #[arg(long, global = true, value_name = "sgd|adam")]
    pub optimizer: Option<String>,
    /// Dropout probability on the recurrent layers' outputs while training, 0 <= P < 1
    /// [default: 0]
    #[arg(long, global = true, allow_hyphen_values = true, value_name = "P")]
    pub dropout: Option<String>,
    /// After an epoch whose validation perplexity does not beat the best so far, multiply the
    /// learning rate by F (0 < F <= 1; 1: never) [default: 1]
    #[arg(long, global = true, allow_hyphen_values = true, value_name = "F")]
    pub lr_decay: Option<String>,
    /// Characters the greedy completion adds to the prefix: in the sample kept at every epoch's
    /// end (samples.jsonl), and at least in the cockpit (more where its panes have room)
    /// [default: 40]
    #[arg(long, global = true, allow_negative_numbers = true, value_parser = flag::completion_len)]
    pub completion_len: Option<usize>,
    /// A UTF-8 text file to train on [default: the built-in Time Machine]
    #[arg(long, global = true, value_name = "PATH")]
    pub corpus: Option<String>,
    /// How the text is read: d2l (a-z and spaces, as d2l), letters (letters of every script,
    /// lower-cased; other runs become one space), raw (every character as it is) [default: d2l]
    #[arg(long, global = true, value_name = "MODE", allow_hyphen_values = true)]
    pub text: Option<String>,
    /// How the text is split: d2l (--num-train / --num-val windows) or whole (the first part
    /// trains, the last --val-fraction validates) [default: d2l]
    #[arg(long, global = true, value_name = "SPLIT", allow_hyphen_values = true)]
    pub split: Option<String>,
    /// With --split whole: the share of the text, at its end, that validates [default: 0.1]
    #[arg(long, global = true, value_name = "F", allow_hyphen_values = true)]
    pub val_fraction: Option<String>,
    /// Where to train
    #[arg(long, global = true, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
    /// Which implementation computes loss and gradients: the fused CPU kernel or candle ops
    #[arg(long, global = true, value_enum, default_value_t = ComputePath::Auto)]
    pub kernel: ComputePath,
    /// The CPU kernels' vector path: the widest this CPU has, or a narrower one to compare
    #[arg(long, global = true, value_enum, env = "RNN_TUI_ISA", default_value_t = IsaChoice::Auto)]
    pub isa: IsaChoice,
    /// CPU threads for the math [default: all cores]
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Cockpit colours: default, light, high-contrast, a user theme in
    /// <config dir>/themes/NAME.toml (config dir: $RNN_TUI_CONFIG_DIR, else ~/.config/rnn-tui on
    /// Linux), or a path to a .toml file
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,
}

impl TrainArgs {
    /// Whether any flag that defines the model or its data was given (they cannot change
    /// when resuming); returns the first such flag.
    pub fn fixed_flag_given(&self) -> Option<&'static str> {
        [
            ("--hiddens", self.hiddens.is_some()),
            ("--num-steps", self.num_steps.is_some()),
            ("--batch-size", self.batch_size.is_some()),
            ("--seed", self.seed.is_some()),
            ("--num-train", self.num_train.is_some()),
            ("--num-val", self.num_val.is_some()),
            ("--corpus", self.corpus.is_some()),
            ("--text", self.text.is_some()),
            ("--split", self.split.is_some()),
            ("--val-fraction", self.val_fraction.is_some()),
            ("--lr-decay", self.lr_decay.is_some()),
        ]
        .into_iter()
        .find(|(_, given)| *given)
        .map(|(name, _)| name)
    }

    /// The model flags that were given (`--cell`, `--layers`, `--embed`, `--optimizer`,
    /// `--dropout`), with their text.
    pub fn model_flags(&self) -> Vec<(crate::hparams::Field, &str)> {
        use crate::hparams::Field;
        [
            (Field::Cell, &self.cell),
            (Field::Layers, &self.layers),
            (Field::Embed, &self.embed),
            (Field::Optimizer, &self.optimizer),
            (Field::Dropout, &self.dropout),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.as_deref().map(|t| (f, t)))
        .collect()
    }

    /// When resuming a run with these hyperparameters: the first model flag that asks for a
    /// different model than the run's (a run keeps its model), as one line.
    pub fn model_flag_mismatch(&self, run: &HParams) -> Option<String> {
        for (field, text) in self.model_flags() {
            let mut asked = run.clone();
            if let Err(e) = asked.parse_field(field, text) {
                return Some(e.to_string());
            }
            if asked.get(field) != run.get(field) {
                return Some(format!(
                    "--{} {} differs from the run's {} {}: a run keeps its model (start a new run to change it)",
                    field.key(),
                    asked.get(field),
                    field.key(),
                    run.get(field)
                ));
            }
        }
        None
    }

    /// Apply the flags that were given on top of `base`, then validate the result.
    pub fn hparams(&self, base: HParams) -> Result<HParams, CliError> {
        let mut hp = base;
        macro_rules! take {
            ($($f:ident),*) => { $( if let Some(v) = self.$f.clone() { hp.$f = v; } )* };
        }
        take!(
            epochs,
            batch_size,
            num_steps,
            hiddens,
            lr,
            clip,
            seed,
            num_train,
            num_val,
            completion_len
        );
        // The model settings are parsed by the routine the form and the config file use.
        for (field, text) in self.model_flags() {
            hp.parse_field(field, text)?;
        }
        if let Some(c) = &self.corpus {
            if c.trim().is_empty() {
                return Err(CliError::Usage("--corpus needs a file path".into()));
            }
            hp.corpus = CorpusSource::parse(c);
        }
        // Parsed by the routine the config file and the form use: the same messages.
        for (field, value) in [
            (Field::Text, &self.text),
            (Field::Split, &self.split),
            (Field::ValFraction, &self.val_fraction),
            (Field::LrDecay, &self.lr_decay),
        ] {
            if let Some(v) = value {
                hp.parse_field(field, v)?;
            }
        }
        hp.validate()?;
        Ok(hp)
    }

    /// Run the CPU kernels on `--isa`'s path (refused when wider than this CPU has). Must run
    /// before any kernel does.
    pub fn apply_isa(&self) -> Result<(), crate::device::isa::IsaError> {
        crate::device::isa::force(self.isa.isa()).map(|_| ())
    }

    /// Honour `--threads` for candle's kernels and every rayon pool. Must run before any
    /// thread pool exists.
    pub fn apply_threads(&self) {
        if let Some(n) = self.threads {
            // Edition 2021: set_var is safe; nothing else runs yet.
            std::env::set_var("RAYON_NUM_THREADS", n.to_string());
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n as usize)
                .build_global();
        }
    }
}

/// Value parsers for the hyperparameter flags: the same parsing and messages as the form and
/// the config file (`crate::hparams`), and negative numbers are read as values (so `--lr -1`
/// or `--clip -inf` is refused by `HParams::validate` like `--lr 0`, not taken for a flag).
mod flag {
    use crate::hparams::{self, Field, HParamError, NUM_TRAIN_KEY, NUM_VAL_KEY};

    macro_rules! whole {
        ($($name:ident => $key:expr),*) => {$(
            pub fn $name(text: &str) -> Result<usize, HParamError> {
                hparams::parse_whole($key, text)
            }
        )*};
    }
    whole!(
        epochs => Field::Epochs.key(),
        batch_size => Field::BatchSize.key(),
        num_steps => Field::NumSteps.key(),
        hiddens => Field::Hiddens.key(),
        num_train => NUM_TRAIN_KEY,
        num_val => NUM_VAL_KEY
    );

    pub fn completion_len(text: &str) -> Result<usize, HParamError> {
        hparams::parse_whole(Field::CompletionLen.key(), text)
    }

    pub fn lr(text: &str) -> Result<f64, HParamError> {
        hparams::parse_number(Field::Lr.key(), text)
    }

    pub fn clip(text: &str) -> Result<f64, HParamError> {
        hparams::parse_clip_number(text)
    }

    pub fn seed(text: &str) -> Result<u64, HParamError> {
        hparams::parse_seed(text)
    }
}

/// Threads the math runs on (rayon's global pool, which `--threads` sizes).
pub fn current_threads() -> usize {
    rayon::current_num_threads()
}
