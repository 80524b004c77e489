//! How long `rnn-tui plot` takes, end to end (the process, reading `metrics.jsonl`, drawing,
//! writing the file atomically), on a real 100-epoch run of d2l §9.5's recipe and on ten such
//! runs overlaid; and the drawing alone, in process.
//!
//! `cargo bench --bench plot` trains the run first (`train --headless`, d2l's defaults but
//! `--num-train 2000 --batch-size 256`: 8 batches an epoch, 800 in all; `PLOT_BENCH_EPOCHS`
//! changes the 100), copies it nine times, then prints the median and max of `RUNS` (15)
//! repetitions of each case, with the CPU model. Targets: one run < 0.3 s, ten runs < 1 s.
//! No assertions: it reports.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use rnn_tui::plot::{self, FigureOptions, Format, Metric, Palette, RunCurves, RunInfo, XAxis};
use rnn_tui::runs::{self, RunDir};

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[v.len() - 1])
}

fn rnn_tui(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
    c.env("RNN_TUI_DATA_DIR", data)
        .env("RNN_TUI_CONFIG_DIR", data.join("config"));
    c
}

fn main() {
    let reps: usize = std::env::var("RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let epochs = std::env::var("PLOT_BENCH_EPOCHS").unwrap_or_else(|_| "100".into());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let started = Instant::now();
    let out = rnn_tui(&data)
        .args([
            "train",
            "--headless",
            "--device",
            "cpu",
            "--epochs",
            &epochs,
        ])
        .args(["--num-train", "2000", "--batch-size", "256"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("run "))
        .and_then(|l| l.split(' ').next())
        .expect("a run line")
        .to_owned();
    println!(
        "trained {id} ({epochs} epochs) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let root = runs::runs_root(&data);
    let mut ids = vec![id.clone()];
    for k in 1..10 {
        let copy = format!("20990101-0000{k:02}-{k:04x}");
        std::fs::create_dir(root.join(&copy)).unwrap();
        for f in ["run.json", "metrics.jsonl"] {
            std::fs::copy(root.join(&id).join(f), root.join(&copy).join(f)).unwrap();
        }
        ids.push(copy);
    }
    println!(
        "cpu: {}",
        rnn_tui::device::isa::cpu_model().unwrap_or_else(|| "unknown".into())
    );
    println!("{:<34} {:>10} {:>10}", "case", "median", "max");
    for (runs, ext) in [(1usize, "svg"), (1, "png"), (10, "svg"), (10, "png")] {
        let file = tmp.path().join(format!("figure.{ext}"));
        let mut times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let out = rnn_tui(&data)
                .arg("plot")
                .args(&ids[..runs])
                .arg("-o")
                .arg(&file)
                .output()
                .unwrap();
            times.push(t.elapsed().as_secs_f64());
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (med, max) = median_max(times);
        let size = std::fs::metadata(&file).map_or(0, |m| m.len());
        println!(
            "{:<34} {:>8.1} ms {:>7.1} ms   ({} kB)",
            format!("rnn-tui plot, {runs} run(s), {ext}"),
            med * 1e3,
            max * 1e3,
            size / 1024
        );
    }
    // The drawing alone (what the cockpit's `p` waits for, besides reading and writing).
    let curves: Vec<RunCurves> = ids
        .iter()
        .map(|id| {
            let dir = RunDir::open(&root.join(id)).unwrap();
            let meta = dir.meta().unwrap();
            RunCurves::from_records(
                RunInfo::new(id.clone(), &meta.hparams),
                &dir.metrics().unwrap(),
                plot::DEFAULT_SMOOTHING,
            )
        })
        .collect();
    let opts = FigureOptions {
        metric: Metric::All,
        x: XAxis::Steps,
        palette: Palette::dark(),
        grad_log: false,
    };
    for (runs, format) in [
        (1usize, Format::Svg),
        (1, Format::Png),
        (10, Format::Svg),
        (10, Format::Png),
    ] {
        let mut times = Vec::new();
        for _ in 0..reps {
            let t = Instant::now();
            let bytes = plot::render(&curves[..runs], &opts, format, plot::DEFAULT_SIZE).unwrap();
            times.push(t.elapsed().as_secs_f64());
            assert!(!bytes.is_empty());
        }
        let (med, max) = median_max(times);
        println!(
            "{:<34} {:>8.1} ms {:>7.1} ms",
            format!("render only, {runs} run(s), {format:?}"),
            med * 1e3,
            max * 1e3
        );
    }
}
