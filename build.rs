//! Tells the test suite whether tmux is installed, so the real-terminal tests are *ignored*
//! with a reason (and counted as ignored in the summary) instead of passing without running.
//! CI does not rely on this: `.ci/require-tmux` fails the run when tmux is missing.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_tmux)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    let dirs: Vec<PathBuf> = env::var_os("PATH")
        .map(|p| env::split_paths(&p).collect())
        .unwrap_or_default();
    match dirs.iter().map(|d| d.join("tmux")).find(|p| p.is_file()) {
        Some(tmux) => {
            println!("cargo::rustc-cfg=has_tmux");
            // Uninstalling tmux changes this file: look again then.
            println!("cargo::rerun-if-changed={}", tmux.display());
        }
        None => {
            // Installing tmux changes one of these folders: look again then.
            for d in dirs.iter().filter(|d| d.is_dir()) {
                println!("cargo::rerun-if-changed={}", d.display());
            }
        }
    }
}
