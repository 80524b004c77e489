//! CI's own checks: a run without tmux must fail, not pass with the terminal tests ignored.

use std::os::unix::fs::symlink;
use std::process::Command;

/// `.ci/require-tmux` on a PATH with bash and `id` but no tmux and no package manager: it
/// cannot install tmux, so it must exit non-zero with one clear line.
#[test]
fn ci_fails_with_a_clear_message_when_tmux_is_missing() {
    let bin = tempfile::tempdir().unwrap();
    for tool in ["bash", "id"] {
        let found = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        symlink(path.trim(), bin.path().join(tool)).unwrap();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/require-tmux");
    let out = Command::new(bin.path().join("bash"))
        .arg(script)
        .env_clear()
        .env("PATH", bin.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("error: tmux is needed by the real-terminal tests"),
        "{stderr}"
    );
}

/// With tmux on the PATH the check passes and installs nothing.
#[test]
#[cfg_attr(not(has_tmux), ignore = "tmux is not installed")]
fn ci_check_passes_when_tmux_is_there() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/require-tmux");
    let out = Command::new("bash").arg(script).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
