//! Themes: every shipped theme loads; user themes by name from the config dir or by path;
//! bad themes give a one-line error, and the binary exits 2.

use std::process::Command;

use rnn_tui::tui::theme::SHIPPED;
use rnn_tui::tui::{ColorMode, Theme};

#[test]
fn every_shipped_theme_loads_by_name() {
    assert_eq!(SHIPPED.len(), 3);
    for (name, _) in SHIPPED {
        let t = Theme::load(name, ColorMode::TrueColor).unwrap();
        assert_eq!(t.name, name);
    }
    // And the files on disk are the ones embedded.
    for (name, text) in SHIPPED {
        let on_disk =
            std::fs::read_to_string(format!("{}/themes/{name}.toml", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        assert_eq!(on_disk, text);
    }
}

#[test]
fn user_themes_by_name_and_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let text = SHIPPED[0]
        .1
        .replace("name = \"default\"", "name = \"mine\"");
    std::fs::write(dir.path().join("mine.toml"), &text).unwrap();
    let t = Theme::load_from("mine", ColorMode::TrueColor, Some(dir.path())).unwrap();
    assert_eq!(t.name, "mine");
    let path = dir.path().join("mine.toml");
    let t = Theme::load(path.to_str().unwrap(), ColorMode::Indexed256).unwrap();
    assert_eq!(t.name, "mine");
}

#[test]
fn bad_themes_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad_colour = dir.path().join("bad.toml");
    std::fs::write(
        &bad_colour,
        SHIPPED[0]
            .1
            .replace("fg = \"#d0d0d0\"", "fg = \"not-a-colour\""),
    )
    .unwrap();
    let bad_toml = dir.path().join("broken.toml");
    std::fs::write(&bad_toml, "this is = = not toml").unwrap();
    let missing_key = dir.path().join("short.toml");
    std::fs::write(&missing_key, "fg = \"red\"").unwrap();
    for spec in [
        "no-such-theme".to_owned(),
        bad_colour.display().to_string(),
        bad_toml.display().to_string(),
        missing_key.display().to_string(),
        dir.path().join("absent.toml").display().to_string(),
    ] {
        let err = Theme::load_from(&spec, ColorMode::TrueColor, Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(!err.contains('\n'), "{spec}: {err:?}");
        assert!(!err.is_empty());
    }
}

#[test]
fn the_binary_exits_2_on_a_bad_theme() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
        .env("RNN_TUI_DATA_DIR", dir.path().join("data"))
        .env("RNN_TUI_CONFIG_DIR", dir.path().join("config"))
        .args(["--theme", "no-such-theme", "--epochs", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("unknown theme"), "{err}");
}

#[test]
fn without_a_terminal_the_binary_falls_back_to_headless_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rnn-tui"))
        .env("RNN_TUI_DATA_DIR", dir.path().join("data"))
        .env("RNN_TUI_CONFIG_DIR", dir.path().join("config"))
        .args([
            "--epochs",
            "1",
            "--num-train",
            "500",
            "--num-val",
            "100",
            "--batch-size",
            "128",
            "--theme",
            "light",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("epoch 1 train_ppl"), "{text}");
    assert!(text.contains("done epochs=1"), "{text}");
}
