//! `rnn-tui bench --cell gru|lstm --layers L --embed E`: the fused gated kernels measured from
//! the command line (tiny hidden size and one batch, so the test is quick), and bad model flags.

mod common;

use std::path::PathBuf;

use common::cli::rnn_tui;
use rnn_tui::exit::EXIT_USAGE;

fn dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-cells-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tokens_per_s(line: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("tokens_per_s="))
        .unwrap_or_else(|| panic!("no tokens_per_s in {line:?}"))
        .parse()
        .unwrap()
}

#[test]
fn a_single_gated_configuration_prints_its_model_and_a_positive_rate() {
    for (cell, layers, embed) in [("gru", "2", "4"), ("lstm", "1", "0"), ("rnn", "2", "0")] {
        let out = rnn_tui(&dir())
            .args(["bench", "--single", "--threads", "1", "--sizes", "8"])
            .args(["--batches", "1", "--cell", cell, "--layers", layers])
            .args(["--embed", embed])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{cell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = text.lines().next().unwrap();
        assert!(
            line.starts_with(&format!(
                "kernel=fused hiddens=8 threads=1 cell={cell} layers={layers} embed={embed} device=cpu"
            )),
            "{line}"
        );
        assert!(tokens_per_s(line) > 0.0, "{line}");
    }
}

#[test]
fn the_table_for_a_gated_cell_measures_the_fused_kernel_on_each_thread_count() {
    let out = rnn_tui(&dir())
        .args([
            "bench",
            "--cell",
            "lstm",
            "--sizes",
            "8",
            "--thread-counts",
            "1,2",
        ])
        .args(["--batches", "1"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines()
            .next()
            .unwrap()
            .ends_with("cell lstm layers 1 embed 0"),
        "{text}"
    );
    assert!(
        text.contains("(the lstm model is measured on the fused kernel only)"),
        "{text}"
    );
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("fused")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for (row, threads) in rows.iter().zip(["1", "2"]) {
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cols[1..3], ["8", threads], "{row}");
        assert!(cols[3].parse::<f64>().unwrap() > 0.0, "{row}");
    }
    assert!(
        !text.contains("completion:"),
        "no §9.5 completion latency for lstm"
    );
}

#[test]
fn bad_model_flags_are_one_line_and_exit_2() {
    for args in [
        &["--layers", "0"][..],
        &["--cell", "xyz"],
        &["--embed", "-3"],
    ] {
        let out = rnn_tui(&dir())
            .args(["bench", "--single", "--sizes", "8", "--batches", "1"])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(EXIT_USAGE), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
