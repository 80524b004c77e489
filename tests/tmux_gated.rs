//! A two-layer LSTM in the cockpit, in a real terminal (the built binary in a detached tmux
//! session): the heatmap's `[` / `]` pick the layer and `c` the cell state, while training.
//! Reported as ignored (never as passed) when tmux is not installed; see `common::tmux`.

mod common;

use common::tmux::Tmux;

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn a_two_layer_lstm_heatmap_switches_layer_and_cell_state_then_quits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG='{}' COLORTERM=truecolor '{}' train --cell lstm --layers 2 --hiddens 16 --epochs 100000 --num-train 1000 --num-val 200 --batch-size 64 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        dir.path().join("data").display(),
        dir.path().join("cockpit.log").display(),
        bin
    );
    let t = Tmux::start("gated", 120, 40, &script);
    // The top layer's hidden state is shown first.
    t.wait_for("the cockpit, ready, on the top layer", |s| {
        s.contains("READY") && s.contains("layer 2/2 hidden state 16 units")
    });
    t.keys(&["Space"]);
    t.wait_for("training", |s| s.contains("TRAINING"));

    // 3 focuses the heatmap; [ goes down a layer, c to the cell state, ] back up; the choice
    // holds while new weights keep arriving.
    t.keys(&["3"]);
    t.wait_for("the heatmap focused", |s| {
        s.contains("hidden state (↑/↓ unit")
    });
    t.keys(&["["]);
    t.wait_for("layer 1", |s| s.contains("layer 1/2 hidden state"));
    t.keys(&["c"]);
    t.wait_for("layer 1's cell state", |s| {
        s.contains("layer 1/2 cell state")
    });
    t.keys(&["]"]);
    t.wait_for("layer 2's cell state", |s| {
        s.contains("layer 2/2 cell state")
    });
    t.wait_for("a validation perplexity (new weights)", |s| {
        s.match_indices("val ppl ").any(|(i, m)| {
            s[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
    });
    assert!(
        t.screen().contains("layer 2/2 cell state"),
        "{}",
        t.screen()
    );
    t.keys(&["c"]);
    t.wait_for("layer 2's hidden state", |s| {
        s.contains("layer 2/2 hidden state")
    });

    // q asks while training; y confirms; the terminal is given back.
    t.keys(&["q"]);
    t.wait_for("the quit question", |s| s.contains("Quit anyway?"));
    t.keys(&["y"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-"));
    assert!(s.contains("COCKPIT-EXITED-0"), "{s}");
    assert!(
        !s.contains("Perplexity") && !s.contains("hidden state"),
        "{s}"
    );
    assert!(!t.alternate_on());
}
