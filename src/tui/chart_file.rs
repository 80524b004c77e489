//! The cockpit's `p`: a chart kept as an SVG file in the run's directory (`RUNDIR/plots/`),
//! drawn by [`crate::plot`] from the runs' metric logs, as `rnn-tui plot` draws them. The app
//! says what to draw ([`ChartFile`]); the event loop writes it ([`ChartFile::write`]) and hands
//! the result back ([`super::App::chart_saved`]).

use std::path::{Path, PathBuf};

use crate::plot::{self, FigureOptions, Format, Metric, PlotError, RunCurves, RunInfo};
use crate::runs::{RunDir, RunError};

/// The folder of a run's directory that figures go into.
pub const PLOTS_DIR: &str = "plots";
/// The size of a saved chart, in pixels.
pub const SIZE: (u32, u32) = plot::DEFAULT_SIZE;

/// A chart to save: which runs, what of them, against what, in which colours.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartFile {
    /// The open run's directory: its curves are drawn first, the figure goes into it.
    pub run_dir: PathBuf,
    /// Whether the open run has batches to draw (before the first, only overlays are drawn).
    pub with_open_run: bool,
    /// Runs overlaid on the chart, by id, in the order shown (looked up beside the open run,
    /// or in the cockpit's runs directory).
    pub overlays: Vec<String>,
    /// What the figure draws and how (the focused chart's metric, x-axis, smoothing, scale).
    pub options: FigureOptions,
    /// The smoothing of the perplexity EMA.
    pub smoothing: f64,
    /// The file's name without its extension (`ppl-epoch12`); a suffix keeps it new.
    pub stem: String,
}

/// Why a chart was not saved.
#[derive(Debug, thiserror::Error)]
pub enum ChartFileError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Plot(#[from] PlotError),
    #[error("{path}: {reason}")]
    Folder { path: PathBuf, reason: String },
}

impl ChartFile {
    /// The file's name, without its extension, for a chart of `metric` with `overlays` runs
    /// laid over it after `epochs_done` epochs: `ppl-epoch12`, `grad-epoch12`, `ppl-vs2-epoch12`.
    pub fn stem_for(metric: Metric, overlays: usize, epochs_done: usize) -> String {
        let what = match metric {
            Metric::Grad => "grad",
            Metric::Lr => "lr",
            Metric::Ppl | Metric::All => "ppl",
        };
        match overlays {
            0 => format!("{what}-epoch{epochs_done}"),
            n => format!("{what}-vs{n}-epoch{epochs_done}"),
        }
    }

    /// Draw the chart and write it, under a name not yet taken; the path written.
    /// `runs_root`: where overlaid runs live (the cockpit's runs directory).
    pub fn write(&self, runs_root: Option<&Path>) -> Result<PathBuf, ChartFileError> {
        let mut runs = Vec::new();
        if self.with_open_run {
            runs.push(self.curves(&RunDir::open(&self.run_dir)?)?);
        }
        for id in &self.overlays {
            // In the cockpit's runs directory, else beside the open run (a run resumed by
            // path).
            let path = match runs_root {
                Some(root) if root.join(id).is_dir() => root.join(id),
                _ => self
                    .run_dir
                    .parent()
                    .map_or_else(|| PathBuf::from(id), |p| p.join(id)),
            };
            runs.push(self.curves(&RunDir::open(&path)?)?);
        }
        let svg = plot::render(&runs, &self.options, Format::Svg, SIZE)?;
        let folder = self.run_dir.join(PLOTS_DIR);
        match std::fs::symlink_metadata(&folder) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(ChartFileError::Folder {
                    path: folder,
                    reason: "is not a directory (figures go into a plots directory)".into(),
                })
            }
            Err(_) => std::fs::create_dir(&folder).map_err(|e| ChartFileError::Folder {
                path: folder.clone(),
                reason: e.to_string(),
            })?,
        }
        let path = plot::unused_path(&folder, &self.stem, "svg");
        plot::write_figure(&path, &svg)?;
        Ok(path)
    }

    fn curves(&self, dir: &RunDir) -> Result<RunCurves, RunError> {
        let meta = dir.meta()?;
        let records = dir.metrics()?;
        let name = dir.label().unwrap_or_else(|| dir.id.clone());
        Ok(RunCurves::from_records(
            RunInfo::new(name, &meta.hparams),
            &records,
            self.smoothing,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_the_chart_the_overlays_and_the_epoch() {
        assert_eq!(ChartFile::stem_for(Metric::Ppl, 0, 12), "ppl-epoch12");
        assert_eq!(ChartFile::stem_for(Metric::Grad, 0, 3), "grad-epoch3");
        assert_eq!(ChartFile::stem_for(Metric::Ppl, 2, 0), "ppl-vs2-epoch0");
    }

    #[test]
    fn a_directory_that_is_no_run_is_named_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let chart = ChartFile {
            run_dir: dir.path().to_owned(),
            with_open_run: true,
            overlays: Vec::new(),
            options: FigureOptions {
                metric: Metric::Ppl,
                x: plot::XAxis::Steps,
                palette: plot::Palette::dark(),
                grad_log: false,
            },
            smoothing: plot::DEFAULT_SMOOTHING,
            stem: "ppl-epoch1".into(),
        };
        let e = chart.write(None).unwrap_err();
        assert!(e.to_string().contains("not a run directory"), "{e}");
        assert!(!dir.path().join(PLOTS_DIR).exists());
    }
}
