//! Tells the test suite whether tmux is installed, so the real-terminal tests are *ignored*
//! with a reason (and counted as ignored in the summary) instead of passing without running.
//! CI does not rely on this: `.ci/require-tmux` fails the run when tmux is missing.
//!
//! Likewise which vector paths this machine's CPU has (`host_avx2`, `host_avx512`): the tests
//! of a path the CPU lacks are ignored with that reason. Tests are built and run on the same
//! machine (CI too), so the build machine's CPU is the one the tests run on.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(has_tmux)");
    println!("cargo::rustc-check-cfg=cfg(host_avx2)");
    println!("cargo::rustc-check-cfg=cfg(host_avx512)");
    cpu_paths();
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

/// The vector paths of the CPU that builds (and tests) the crate, as `src/device/isa.rs`
/// detects them.
fn cpu_paths() {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        let avx2 = has!("avx2") && has!("fma");
        if avx2 {
            println!("cargo::rustc-cfg=host_avx2");
        }
        if avx2 && has!("avx512f") && has!("avx512bw") && has!("avx512vl") {
            println!("cargo::rustc-cfg=host_avx512");
        }
    }
}
