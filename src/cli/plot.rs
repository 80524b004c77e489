//! `rnn-tui plot RUN [RUN…] -o FILE.svg|FILE.png`: runs' curves as a figure, overlaid in the
//! order given, drawn by [`crate::plot`] in the theme's colours.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::CliError;
use crate::plot::{self, FigureOptions, Format, Metric, Palette, PlotError, RunCurves, RunInfo};
use crate::runs::read_metrics;

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  rnn-tui plot latest -o curves.svg\n\nGuide: docs/plots.md")]
pub struct PlotCmd {
    /// The runs (id, id prefix, `latest` or path), overlaid in this order, a colour each
    #[arg(value_name = "RUN", required = true, num_args = 1..)]
    pub runs: Vec<String>,
    /// The figure's file; its extension picks the format: .svg or .png
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// What to draw: perplexity, the gradient norm, the learning rate, or all stacked (the
    /// learning rate only when it changed)
    #[arg(long, value_enum, default_value_t = PlotMetric::All)]
    pub metric: PlotMetric,
    /// The x-axis: optimisation steps, training time or epochs
    #[arg(long, value_enum, default_value_t = PlotX::Steps)]
    pub x: PlotX,
    /// WIDTHxHEIGHT in pixels (an SVG's too)
    #[arg(long, value_name = "WxH", default_value = "1200x800")]
    pub size: String,
}

/// `plot --metric`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlotMetric {
    Ppl,
    Grad,
    Lr,
    All,
}

/// `plot --x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlotX {
    Steps,
    Time,
    Epochs,
}

impl PlotMetric {
    fn metric(self) -> Metric {
        match self {
            PlotMetric::Ppl => Metric::Ppl,
            PlotMetric::Grad => Metric::Grad,
            PlotMetric::Lr => Metric::Lr,
            PlotMetric::All => Metric::All,
        }
    }
}

impl PlotX {
    fn axis(self) -> plot::XAxis {
        match self {
            PlotX::Steps => plot::XAxis::Steps,
            PlotX::Time => plot::XAxis::Time,
            PlotX::Epochs => plot::XAxis::Epochs,
        }
    }
}

impl From<PlotError> for CliError {
    fn from(e: PlotError) -> Self {
        if e.is_usage() {
            CliError::Usage(e.to_string())
        } else {
            CliError::Failure(e.to_string())
        }
    }
}

/// A run's curves as the figure draws them: its records read as the watcher reads them (a
/// torn last line of a run still training is skipped), named by its label, else its id.
fn run_curves(data_dir: Option<&Path>, spec: &str) -> Result<RunCurves, CliError> {
    let dir = super::runs::find(data_dir, spec)?;
    let meta = dir.meta()?;
    let records = read_metrics(&dir.metrics_path())?;
    let name = dir.label().unwrap_or_else(|| dir.id.clone());
    Ok(RunCurves::from_records(
        RunInfo::new(name, &meta.hparams),
        &records,
        plot::DEFAULT_SMOOTHING,
    ))
}

/// Draw the runs and write the figure. Everything the user gave is checked before a run is
/// read: the format, the size, the place to write.
pub fn run(data_dir: Option<&Path>, cmd: &PlotCmd, palette: Palette) -> Result<(), CliError> {
    let format = Format::of_path(&cmd.output)?;
    let size = plot::parse_size(&cmd.size)?;
    plot::check_output(&cmd.output)?;
    let runs = cmd
        .runs
        .iter()
        .map(|spec| run_curves(data_dir, spec))
        .collect::<Result<Vec<_>, _>>()?;
    let opts = FigureOptions {
        metric: cmd.metric.metric(),
        x: cmd.x.axis(),
        palette,
        grad_log: false,
    };
    let bytes = plot::render(&runs, &opts, format, size)?;
    plot::write_figure(&cmd.output, &bytes)?;
    Ok(())
}
