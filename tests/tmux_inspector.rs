//! The neuron inspector and sampling in the completion pane, in a real terminal: the built
//! binary in a detached tmux session. Reported as ignored (never as passed) when tmux is not
//! installed; see `common::tmux`.

mod common;

use common::tmux::Tmux;

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn slash_type_sample_paste_zoom_the_heatmap_select_and_find_a_unit() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG='{}' COLORTERM=truecolor '{}' --epochs 1000 --num-train 2000 --num-val 500 --batch-size 256 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        dir.path().join("data").display(),
        dir.path().join("cockpit.log").display(),
        bin
    );
    let t = Tmux::start("inspector", 120, 40, &script);
    t.wait_for("the cockpit, ready", |s| {
        s.contains("READY") && s.contains("Perplexity")
    });
    t.keys(&["Space"]);
    t.wait_for("training", |s| s.contains("TRAINING"));

    // `/` reaches the completion pane ready to type; clear the prefix (Ctrl-U), type one.
    t.keys(&["/"]);
    t.wait_for("the completion pane typing", |s| {
        s.contains("typing · Esc leaves")
    });
    t.keys(&["C-u"]);
    t.wait_for("an empty prefix", |s| s.contains("the prefix is empty"));
    t.text("the war");
    t.wait_for("the prefix", |s| s.contains("› the war"));
    // Ctrl-W deletes the word, typing it again brings it back.
    t.keys(&["C-w"]);
    t.wait_for("the word deleted", |s| {
        s.contains("› the ") && !s.contains("› the war")
    });
    t.text("war");
    t.wait_for("the prefix again", |s| s.contains("› the war"));
    // Sampling: Ctrl-T switches, Ctrl-N draws the next seed; the title says which.
    t.keys(&["C-t"]);
    t.wait_for("sampling mode", |s| s.contains("T=0.8 k=all seed 0"));
    t.keys(&["C-n"]);
    t.wait_for("a new sample", |s| s.contains("T=0.8 k=all seed 1"));
    // A bracketed paste goes in whole.
    assert!(t
        .run(&["set-buffer", "-b", "clip", " of the worlds"])
        .status
        .success());
    assert!(t
        .run(&["paste-buffer", "-p", "-b", "clip", "-t", "inspector"])
        .status
        .success());
    t.wait_for("the pasted text", |s| s.contains("› the war of the worlds"));
    t.keys(&["C-t"]);
    t.wait_for("greedy again", |s| s.contains("Completion greedy"));
    t.keys(&["Escape"]);

    // The heatmap (3), zoomed (z): select a unit with ↓, see its strip of validation text,
    // find the best unit.
    t.keys(&["3"]);
    t.wait_for("the heatmap focused", |s| s.contains("(↑/↓ unit · f find)"));
    t.keys(&["z"]);
    t.wait_for("the heatmap zoomed", |s| {
        s.contains("z/Esc unzoom") && !s.contains("Perplexity")
    });
    t.keys(&["Down", "Down"]);
    let s = t.wait_for("unit 1 selected", |s| {
        s.contains("unit 1") && s.contains("val▸")
    });
    assert!(s.contains("  1▸"), "{s}");
    t.keys(&["f"]);
    let s = t.wait_for("the found unit", |s| s.contains("(found with f)"));
    assert!(s.contains(" r="), "{s}");
    t.keys(&["x"]);
    t.wait_for("the selection cleared", |s| !s.contains("val▸"));
    t.keys(&["z"]);
    t.wait_for("unzoomed", |s| s.contains("Perplexity"));

    // q asks while training; y confirms; the terminal is given back.
    t.keys(&["q"]);
    t.wait_for("the quit question", |s| s.contains("Quit anyway?"));
    t.keys(&["y"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(!s.contains("Perplexity"), "{s}");
    assert!(!t.alternate_on());
}
