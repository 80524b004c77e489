//! The cockpit in a real terminal: the built binary inside a detached tmux session.
//! Reported as ignored (never as passed) when tmux is not installed; see `common::tmux`.

use std::path::Path;
mod common;

use std::process::Command;

use common::tmux::Tmux;

/// "val ppl 12.34" (wide status bar) with a number after the label.
fn shows_number_after(screen: &str, label: &str) -> bool {
    screen.match_indices(label).any(|(i, _)| {
        screen[i + label.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// N in the heatmap title's "units × N chars".
fn chars_in_heatmap(screen: &str) -> Option<usize> {
    let at = screen.find("units × ")? + "units × ".len();
    let digits: String = screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    screen[at + digits.len()..]
        .starts_with(" chars")
        .then(|| digits.parse().ok())?
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn the_cockpit_trains_completes_helps_quits_and_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cockpit.log");
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    assert!(Path::new(bin).exists());
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG='{}' COLORTERM=truecolor '{}' --epochs 1000 --num-train 2000 --num-val 500 --batch-size 256 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        dir.path().join("data").display(),
        log.display(),
        bin
    );
    let t = Tmux::start("cockpit", 120, 40, &script);

    t.wait_for("the cockpit, ready", |s| {
        s.contains("READY") && s.contains("Perplexity")
    });
    assert!(t.alternate_on(), "the cockpit uses the alternate screen");

    // Space starts training; wait for a validation perplexity (an epoch end).
    t.keys(&["Space"]);
    t.wait_for("a validation perplexity", |s| {
        shows_number_after(s, "val ppl ")
    });
    assert!(t.screen().contains("TRAINING"));

    // s saves the run now; the status bar names the run.
    t.keys(&["s"]);
    t.wait_for("the save", |s| s.contains("saved after"));
    assert!(t.screen().contains("· run 20"), "{}", t.screen());

    // Jump into the completion pane (`/`), replace the prefix, see a continuation of
    // 8 + at least 40 characters in the heatmap that follows it (as many as fill the panes at
    // this size: issue 24).
    t.keys(&["/"]);
    t.wait_for("typing mode", |s| s.contains("typing · Esc leaves"));
    for _ in 0..20 {
        t.keys(&["BSpace"]);
    }
    t.text("the time");
    let s = t.wait_for("the continuation", |s| {
        s.contains("› the time") && chars_in_heatmap(s).is_some_and(|n| n >= 48)
    });
    let line = s
        .lines()
        .find(|l| l.contains("the time") && !l.contains('›'))
        .expect("the completion line");
    assert!(line.contains("the time"), "{s}");

    // Esc leaves typing mode; ? shows the help; any key closes it.
    t.keys(&["Escape"]);
    t.keys(&["?"]);
    t.wait_for("the help overlay", |s| {
        s.contains("Keys — press any key") && s.contains("Ctrl-C")
    });
    t.keys(&["Escape"]);
    t.wait_for("the help closed", |s| !s.contains("Keys — press any key"));

    // q asks while training; y confirms.
    t.keys(&["q"]);
    t.wait_for("the quit question", |s| s.contains("Quit anyway?"));
    t.keys(&["y"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(
        !s.contains("Perplexity"),
        "the alternate screen was left:\n{s}"
    );
    // Quitting saved the run, and says how to continue it.
    assert!(
        s.contains("continue it with: rnn-tui train --resume 20"),
        "{s}"
    );
    let runs = rnn_tui::runs::list_runs(&dir.path().join("data").join("runs")).unwrap();
    assert_eq!(runs.len(), 1);
    let meta = runs[0].meta.as_ref().unwrap();
    assert!(meta.progress.epoch >= 1, "{:?}", meta.progress);
    assert!(!t.alternate_on(), "the alternate screen was left");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("state Training") && logged.contains("cockpit quit"),
        "{logged}"
    );
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn the_cockpit_shows_a_size_message_in_a_tiny_terminal_and_ctrl_c_quits_cleanly() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG=/dev/null '{bin}' --epochs 100000 --num-train 500 --num-val 100 --threads 1; echo COCKPIT-EXITED-$?; sleep 600"
    );
    let t = Tmux::start("small", 40, 10, &script);
    t.wait_for("the size message", |s| s.contains("Terminal too small"));
    // Training, so q would ask; Ctrl-C quits at once.
    t.keys(&["Space"]);
    t.keys(&["C-c"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(!t.alternate_on());
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn a_failing_trainer_is_shown_in_the_cockpit_not_printed_over_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cockpit.log");
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG='{}' {}=3 '{bin}' --epochs 5 --num-train 2000 --num-val 500 --batch-size 128 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        log.display(),
        rnn_tui::train::trainer::PANIC_ENV
    );
    let t = Tmux::start("fail", 120, 40, &script);
    t.wait_for("the cockpit", |s| s.contains("READY"));
    t.keys(&["Space"]);
    let s = t.wait_for("the error in the status bar", |s| {
        s.contains("ERROR") && s.contains("injected fault")
    });
    assert!(t.alternate_on(), "the cockpit is still up:\n{s}");
    assert!(
        !s.contains("panicked at"),
        "nothing printed over the screen:\n{s}"
    );
    // Not training any more: q quits without asking.
    t.keys(&["q"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(!s.contains("Perplexity"));
    assert!(!t.alternate_on());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("injected fault"), "{logged}");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn a_panic_in_the_cockpit_gives_the_terminal_back_before_the_message() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG=/dev/null {}=1 '{bin}' --epochs 1 --num-train 500 --num-val 100; echo COCKPIT-EXITED-$?; sleep 600",
        rnn_tui::tui::cockpit::UI_PANIC_ENV
    );
    let t = Tmux::start("panic", 120, 40, &script);
    let s = t.wait_for("the process to end", |s| s.contains("COCKPIT-EXITED-"));
    assert!(s.contains("COCKPIT-EXITED-101"), "{s}");
    assert!(
        s.contains("injected UI fault"),
        "the panic message is readable:\n{s}"
    );
    assert!(!s.contains("Perplexity"), "{s}");
    assert!(!t.alternate_on());
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn sigterm_saves_the_run_and_gives_the_terminal_back() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG=/dev/null '{bin}' --epochs 100000 --num-train 500 --num-val 100 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        data.path().display()
    );
    let t = Tmux::start("term", 100, 30, &script);
    t.wait_for("the cockpit", |s| s.contains("READY"));
    t.keys(&["Space"]);
    t.wait_for("training", |s| s.contains("TRAINING"));
    t.signal("-TERM");
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-"));
    // 128 + SIGTERM, after the trainer saved the run.
    assert!(s.contains("COCKPIT-EXITED-143"), "{s}");
    assert!(!t.alternate_on());
    assert!(
        s.contains("continue it with: rnn-tui train --resume"),
        "{s}"
    );
    let runs = rnn_tui::runs::list_runs(&data.path().join("runs")).unwrap();
    assert_eq!(runs.len(), 1);
    let meta = runs[0].meta.as_ref().unwrap();
    assert!(
        meta.progress.epoch > 0 || meta.progress.batch > 0,
        "{:?}",
        meta.progress
    );
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn the_cockpit_resumes_a_saved_run_lists_runs_and_overlays_one() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let data = tempfile::tempdir().unwrap();
    // A saved run to come back to, trained headless.
    let out = Command::new(bin)
        .args([
            "train",
            "--headless",
            "--epochs",
            "2",
            "--num-train",
            "1000",
            "--num-val",
            "200",
            "--batch-size",
            "128",
            "--hiddens",
            "16",
            "--threads",
            "1",
        ])
        .env("RNN_TUI_DATA_DIR", data.path())
        .env("RNN_TUI_CONFIG_DIR", "/nonexistent/rnn-tui-test-config")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let runs = rnn_tui::runs::list_runs(&data.path().join("runs")).unwrap();
    assert_eq!(runs.len(), 1);
    let id = runs[0].dir.id.clone();

    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG=/dev/null '{bin}' train --resume latest --epochs 100000; echo COCKPIT-EXITED-$?; sleep 600",
        data.path().display()
    );
    let t = Tmux::start("resume", 120, 40, &script);
    // The run comes back with its history: 2 epochs done, its validation perplexity, its id.
    let s = t.wait_for("the resumed run", |s| s.contains("loaded at epoch 2"));
    assert!(s.contains("epoch 2/100000"), "{s}");
    assert!(shows_number_after(&s, "val ppl "), "{s}");
    assert!(s.contains(&format!("run {id}")), "{s}");

    // o lists it; c overlays its curve on the chart.
    t.keys(&["o"]);
    let s = t.wait_for("the runs picker", |s| s.contains("Runs — newest first"));
    // run.json now records the longer run.
    assert!(s.contains(&id) && s.contains("2/100000"), "{s}");
    // c would lay the open run over itself: refused since issue 24 (item 4: the overlay never
    // compares a run with itself); the picker stays open for other runs, Esc closes it.
    t.keys(&["c"]);
    t.wait_for("the refusal", |s| {
        s.contains(&format!("run {id} is the one open here"))
    });
    t.keys(&["Escape"]);
    t.wait_for("the picker closed", |s| !s.contains("Runs — newest first"));

    // Space continues training; q then asks, y quits and the run is saved.
    t.keys(&["Space"]);
    t.wait_for("training", |s| {
        s.contains("TRAINING") && !s.contains("epoch 2/")
    });
    t.keys(&["q"]);
    t.wait_for("the quit question", |s| s.contains("Quit anyway?"));
    t.keys(&["y"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-"));
    assert!(s.contains("COCKPIT-EXITED-0"), "{s}");
    assert!(!t.alternate_on());
    assert!(
        s.contains(&format!("continue it with: rnn-tui train --resume {id}")),
        "{s}"
    );
    let meta = rnn_tui::runs::list_runs(&data.path().join("runs")).unwrap();
    assert_eq!(meta.len(), 1, "resuming writes into the same run");
    let p = &meta[0].meta.as_ref().unwrap().progress;
    assert!(p.epoch > 2 || p.batch > 0, "{p:?}");
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn quitting_a_finished_run_says_how_to_train_it_longer() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG=/dev/null '{bin}' --epochs 2 --num-train 500 --num-val 100 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        data.path().display()
    );
    let t = Tmux::start("finished", 120, 40, &script);
    t.wait_for("the cockpit", |s| s.contains("READY"));
    t.keys(&["Space"]);
    t.wait_for("the end of the run", |s| s.contains("DONE"));
    t.keys(&["q"]);
    let s = t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(s.contains("finished and saved in"), "{s}");
    // `train --resume` alone offers as many epochs again (it said `--epochs 4`, which the
    // cockpit no longer needs).
    assert!(
        s.contains("train it longer with: rnn-tui train --resume 20")
            && s.contains("(offers 2 more epochs;"),
        "{s}"
    );
    assert!(!s.contains(" --epochs 4"), "{s}");
}

/// A left click at 1-based (column, row), as an SGR mouse report the terminal would send.
fn click(t: &Tmux, col: u16, row: u16) {
    t.text(&format!("\x1b[<0;{col};{row}M"));
    t.text(&format!("\x1b[<0;{col};{row}m"));
}

#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn a_mouse_click_focuses_the_panel_under_the_pointer() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG=/dev/null '{bin}' --threads 1; echo COCKPIT-EXITED-$?; sleep 600"
    );
    let t = Tmux::start("mouse", 120, 40, &script);
    t.wait_for("the cockpit", |s| s.contains("READY"));
    assert_eq!(t.format("#{mouse_any_flag}"), "1", "mouse reporting is on");
    // The completion pane (top right): focused, ready to type on Enter (reaching it no
    // longer starts typing: issue 24).
    click(&t, 90, 5);
    t.wait_for("the completion pane focused", |s| {
        s.contains("Enter or i to type")
    });
    // The form (its one-line summary, bottom right, above the message line and the footer).
    click(&t, 90, 38);
    let s = t.wait_for("the form focused", |s| {
        s.contains("↑↓ select · Enter edits")
    });
    assert!(!s.contains("Enter or i to type"), "{s}");
    // The perplexity chart (top left): neither right-hand panel keeps the focus.
    click(&t, 20, 10);
    t.wait_for("the form unfocused", |s| {
        s.contains("(5 to edit)") && s.contains("(/ to type)")
    });
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
}

/// A NaN divergence (`--lr 1e39`) in a real terminal: the cockpit pauses with the message, the
/// user lowers the rate to 1 in the form and presses space, and the run trains to its end with
/// finite perplexities (before the fix, every batch after that diverged again).
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn a_nan_divergence_recovers_after_lowering_the_rate_in_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cockpit.log");
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR='{}' RNN_TUI_LOG='{}' '{bin}' --lr 1e39 --epochs 2 --num-train 500 --num-val 100 --batch-size 100 --threads 1; echo COCKPIT-EXITED-$?; sleep 600",
        dir.path().join("data").display(),
        log.display(),
    );
    let t = Tmux::start("nan", 120, 40, &script);
    t.wait_for("the cockpit", |s| s.contains("READY"));
    t.keys(&["Space"]);
    t.wait_for("the divergence", |s| {
        s.contains("PAUSED") && s.contains("diverged")
    });
    // The rate is shown compactly, not as forty digits.
    let s = t.screen();
    assert!(!s.contains("0000000000"), "{s}");
    // Tab to the form, down to the learning rate, edit it to 1.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Down", "Down", "Down", "Enter"]);
    for _ in 0..8 {
        t.keys(&["BSpace"]);
    }
    t.text("1");
    t.keys(&["Enter"]);
    t.wait_for("the new rate", |s| s.contains("learning rate = 1 "));
    t.keys(&["Space"]);
    t.wait_for("the end of the run", |s| s.contains("DONE"));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("diverged:").count(), 1, "{text}");
    let done = text
        .lines()
        .find(|l| l.contains("finished epochs=2"))
        .unwrap();
    let val: f64 = done
        .split("val_ppl=")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(val.is_finite() && val < 28.0, "{done}");
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
}

/// The issue's new user, in a real terminal: `/` right after opening lands in the completion
/// pane, so a prefix with spaces and `r` is typed there instead of starting and restarting
/// training; then a panel by its digit, zoomed with `z` and back, a chart zoomed with Enter and
/// back with Esc, the help, and q.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn slash_types_into_the_pane_at_once_and_panels_zoom() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG=/dev/null '{bin}' --threads 1; echo COCKPIT-EXITED-$?; sleep 600"
    );
    let t = Tmux::start("slash", 80, 24, &script);
    t.wait_for("the cockpit", |s| {
        s.contains("READY") && s.contains("[2] Completion")
    });
    t.keys(&["/"]);
    t.text("the war r");
    let s = t.wait_for("the prefix in the pane", |s| {
        s.contains("› time traveller the war r")
    });
    assert!(s.contains("READY"), "nothing started training:\n{s}");
    assert!(!s.contains("run 2 started"), "{s}");
    assert!(s.contains("every key is text"), "the footer says so:\n{s}");

    // Esc leaves typing; 3 goes to the heatmap; z zooms it over the whole body and back.
    t.keys(&["Escape"]);
    t.keys(&["3", "z"]);
    let s = t.wait_for("the heatmap zoomed", |s| {
        s.contains("[3] Hidden state") && !s.contains("[1] Perplexity")
    });
    assert!(s.contains("z/Esc unzoom"), "{s}");
    t.keys(&["z"]);
    t.wait_for("the heatmap back in place", |s| {
        s.contains("[1] Perplexity") && s.contains("[3] Hidden state")
    });
    // 1, then Enter zooms the perplexity chart; Esc brings it back.
    t.keys(&["1", "Enter"]);
    t.wait_for("the chart zoomed", |s| {
        s.contains("[1] Perplexity") && !s.contains("[2] Completion")
    });
    t.keys(&["Escape"]);
    t.wait_for("the chart back in place", |s| {
        s.contains("[1] Perplexity") && s.contains("[2] Completion")
    });
    t.keys(&["?"]);
    t.wait_for("the help", |s| {
        s.contains("Keys — press any key") && s.contains("[2] Completion")
    });
    t.keys(&["Escape"]);
    t.wait_for("the help closed", |s| !s.contains("Keys — press any key"));
    let s = t.screen();
    assert!(s.contains("READY"), "{s}");
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(!t.alternate_on());
}

/// Issue 24: from the start screen `2` and `3` move the focus and never reach the prefix;
/// typing is a mode entered with `/` (the footer says TYPING), left with one Esc, after which
/// `q` quits cleanly.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn digits_navigate_from_the_start_and_typing_is_a_mode_entered_on_purpose() {
    let bin = env!("CARGO_BIN_EXE_rnn-tui");
    let script = format!(
        "RNN_TUI_CONFIG_DIR=/nonexistent/rnn-tui-test-config RNN_TUI_DATA_DIR=/nonexistent/rnn-tui-test-data RNN_TUI_LOG=/dev/null '{bin}' --threads 1; echo COCKPIT-EXITED-$?; sleep 600"
    );
    let t = Tmux::start("digits", 120, 40, &script);
    t.wait_for("the cockpit", |s| {
        s.contains("READY") && s.contains("[2] Completion") && s.contains("› time traveller")
    });
    // 2: the completion pane has the focus (its title offers typing) and is not typing.
    t.keys(&["2"]);
    let s = t.wait_for("the completion pane focused", |s| {
        s.contains("Enter or i to type")
    });
    assert!(!s.contains("TYPING"), "{s}");
    // 3: the heatmap has it; the prefix is as it was, with no digit and no <unk> warning.
    t.keys(&["3"]);
    let s = t.wait_for("the heatmap focused", |s| {
        s.contains("(↑/↓ unit · f find)") && s.contains("(/ to type)")
    });
    let prefix = s
        .lines()
        .find(|l| l.contains('›'))
        .expect("the prefix line");
    assert!(
        prefix.contains("› time traveller │") || prefix.contains("› time traveller  "),
        "{prefix}"
    );
    assert!(
        !s.contains("time traveller 3") && !s.contains("not in the vocabulary"),
        "{s}"
    );
    assert!(s.contains("READY"), "nothing started:\n{s}");

    // `/` types from anywhere; the footer says so; one Esc leaves.
    t.keys(&["/"]);
    t.wait_for("typing mode", |s| s.contains("TYPING every key is text"));
    t.text("the war");
    t.wait_for("the text in the prefix", |s| {
        s.contains("› time traveller the war")
    });
    t.keys(&["Escape"]);
    let s = t.wait_for("typing left", |s| !s.contains("TYPING"));
    assert!(s.contains("› time traveller the war"), "{s}");
    // Nothing trains yet: q quits at once, and the terminal is given back.
    t.keys(&["q"]);
    t.wait_for("the shell again", |s| s.contains("COCKPIT-EXITED-0"));
    assert!(!t.alternate_on());
}
