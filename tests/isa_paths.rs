//! Every vector path this machine has, forced in turn (`--isa`): the fused kernels' loss and
//! gradients agree with the candle reference on each, losses do not depend on the thread count
//! on each, and the paths agree with one another up to rounding. A path the CPU lacks is
//! *ignored* with the reason (build.rs tells which paths the CPU has), never passed.
//!
//! The path is a process-wide setting, so every test here holds [`PATH_LOCK`] while it forces
//! one; no other test binary forces a path.

use std::sync::Mutex;

use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rnn_tui::data::{Batch, Vocab};
use rnn_tui::device::isa::{self, Isa};
use rnn_tui::hparams::Cell;
use rnn_tui::model::{Arch, ComputePath, LanguageModel};

static PATH_LOCK: Mutex<()> = Mutex::new(());

/// Random ids over `vocab` for a `batch × steps` block.
fn batch_of(vocab: &Vocab, batch: usize, steps: usize, seed: u64) -> Batch {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v = vocab.len() as u32;
    let n = batch * steps;
    Batch {
        x: (0..n).map(|_| rng.random_range(0..v)).collect(),
        y: (0..n).map(|_| rng.random_range(0..v)).collect(),
        batch_size: batch,
        num_steps: steps,
    }
}

/// Loss and gradients (flattened) of `arch` on `b`, on `path`, with `threads` threads.
fn loss_and_grads(
    vocab: &Vocab,
    arch: Arch,
    b: &Batch,
    path: ComputePath,
    threads: usize,
) -> (f64, Vec<Vec<f32>>) {
    let params = arch.init(7, &Device::Cpu, DType::F32).unwrap();
    let mut lm = LanguageModel::from_named(vocab.clone(), arch, params).unwrap();
    lm.set_compute_path(path).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let (loss, g) = pool.install(|| lm.loss_and_grads(b).unwrap());
    let flat = |t: &Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    (loss, g.0.iter().map(flat).collect())
}

fn close(a: &[Vec<f32>], b: &[Vec<f32>], tol: f32, label: &str) {
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        let scale = x.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-3);
        let worst = x
            .iter()
            .zip(y)
            .map(|(p, q)| (p - q).abs())
            .fold(0f32, f32::max);
        assert!(
            worst <= tol * scale,
            "{label} param {k}: differ by {worst} (largest {scale})"
        );
    }
}

fn arch(cell: Cell, vocab: usize, hiddens: usize, layers: usize, embed: usize) -> Arch {
    Arch {
        cell,
        vocab,
        hiddens,
        layers,
        embed,
    }
}

/// Force `path`, check every model on it, and put the detected path back.
fn check_path(path: Isa) {
    let _guard = PATH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(isa::force(Some(path)).unwrap(), path);
    assert_eq!(isa::active(), path);
    let vocab = Vocab::from_text(&rnn_tui::data::corpus::TIME_MACHINE[..5000]);
    let v = vocab.len();
    let models = [
        // d2l §9.5 (its own fused kernel), then the gated kernel's cells and a stack.
        (arch(Cell::Rnn, v, 32, 1, 0), 64, 32),
        (arch(Cell::Rnn, v, 256, 1, 0), 16, 8),
        (arch(Cell::Gru, v, 64, 1, 0), 32, 16),
        (arch(Cell::Lstm, v, 48, 1, 8), 24, 12),
        (arch(Cell::Gru, v, 256, 2, 0), 16, 8),
    ];
    for (i, (a, batch, steps)) in models.into_iter().enumerate() {
        let b = batch_of(&vocab, batch, steps, i as u64);
        let label = format!("{path} {a:?} B{batch} T{steps}");
        let (lc, gc) = loss_and_grads(&vocab, a, &b, ComputePath::Candle, 1);
        let (l1, g1) = loss_and_grads(&vocab, a, &b, ComputePath::Fused, 1);
        let (l2, g2) = loss_and_grads(&vocab, a, &b, ComputePath::Fused, 2);
        assert!((lc - l1).abs() < 1e-5 * lc, "{label}: loss {lc} vs {l1}");
        close(&gc, &g1, 1e-5, &label);
        // The same sums in the same order on any number of threads.
        assert_eq!(l1.to_bits(), l2.to_bits(), "{label}: 1 vs 2 threads");
        assert_eq!(g1, g2, "{label}: gradients on 1 vs 2 threads");
    }
    isa::force(None).unwrap();
}

#[test]
fn the_portable_path_matches_the_reference_on_any_thread_count() {
    check_path(Isa::Portable);
}

#[test]
#[cfg_attr(
    not(host_avx2),
    ignore = "this CPU has no AVX2+FMA: the avx2 path cannot run here"
)]
fn the_avx2_path_matches_the_reference_on_any_thread_count() {
    check_path(Isa::Avx2);
}

#[test]
#[cfg_attr(
    not(host_avx512),
    ignore = "this CPU has no AVX-512 (avx512f/bw/vl): the avx512 path cannot run here"
)]
fn the_avx512_path_matches_the_reference_on_any_thread_count() {
    check_path(Isa::Avx512);
}

/// The AVX2 and AVX-512 paths run the same sums in the same order (the tiles block the inner
/// dimension alike, the passes are the same scalar code at another vector width), so they
/// train bit for bit alike: every model's loss and gradients are equal.
#[test]
#[cfg_attr(
    not(host_avx512),
    ignore = "this CPU has no AVX-512 (avx512f/bw/vl): the avx512 path cannot run here"
)]
fn the_avx2_and_avx512_paths_give_the_same_bits() {
    let _guard = PATH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let vocab = Vocab::from_text(&rnn_tui::data::corpus::TIME_MACHINE[..5000]);
    let v = vocab.len();
    let models = [
        (arch(Cell::Rnn, v, 32, 1, 0), 64, 32),
        (arch(Cell::Gru, v, 64, 1, 0), 300, 16),
        (arch(Cell::Lstm, v, 48, 1, 8), 24, 12),
        (arch(Cell::Gru, v, 256, 2, 0), 16, 8),
    ];
    for (i, (a, batch, steps)) in models.into_iter().enumerate() {
        let b = batch_of(&vocab, batch, steps, 40 + i as u64);
        let mut runs = Vec::new();
        for path in [Isa::Avx2, Isa::Avx512] {
            isa::force(Some(path)).unwrap();
            runs.push(loss_and_grads(&vocab, a, &b, ComputePath::Fused, 2));
        }
        isa::force(None).unwrap();
        let label = format!("{a:?} B{batch} T{steps}");
        assert_eq!(runs[0].0.to_bits(), runs[1].0.to_bits(), "{label}: loss");
        assert_eq!(runs[0].1, runs[1].1, "{label}: gradients");
    }
}

/// The paths differ in rounding only: portable against the widest this CPU has.
#[test]
fn the_paths_agree_with_one_another() {
    let _guard = PATH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let vocab = Vocab::from_text(&rnn_tui::data::corpus::TIME_MACHINE[..5000]);
    let a = arch(Cell::Lstm, vocab.len(), 64, 2, 0);
    let b = batch_of(&vocab, 32, 16, 9);
    isa::force(Some(Isa::Portable)).unwrap();
    let (lp, gp) = loss_and_grads(&vocab, a, &b, ComputePath::Fused, 2);
    let widest = isa::force(None).unwrap();
    let (lw, gw) = loss_and_grads(&vocab, a, &b, ComputePath::Fused, 2);
    assert!(
        (lp - lw).abs() < 1e-5 * lp,
        "portable {lp} vs {widest} {lw}"
    );
    close(&gp, &gw, 1e-5, &format!("portable vs {widest}"));
}

/// Asking for a path wider than the CPU has is one line and exit 2; the header names the path.
#[test]
fn the_binary_refuses_a_wider_path_and_names_the_one_it_runs() {
    let _guard = PATH_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let widest = isa::detected();
    let tmp = tempfile::tempdir().unwrap();
    // A one-epoch headless run on a small split, with `isa` as the flag or the environment.
    let run = |isa: &str, as_env: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rnn-tui"));
        c.env("RNN_TUI_DATA_DIR", tmp.path())
            .env("RNN_TUI_CONFIG_DIR", tmp.path())
            .env_remove("RNN_TUI_ISA")
            .args(["train", "--headless", "--no-save", "--epochs", "1"])
            .args(["--num-train", "300", "--num-val", "100"])
            .args(["--batch-size", "100"]);
        if as_env {
            c.env("RNN_TUI_ISA", isa);
        } else {
            c.args(["--isa", isa]);
        }
        c.output().unwrap()
    };
    for path in Isa::ALL {
        let out = run(path.name(), false);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if path <= widest {
            assert!(out.status.success(), "{path}: {stderr}");
            let header = String::from_utf8_lossy(&out.stdout);
            let first = header.lines().next().unwrap_or_default().to_owned();
            assert!(
                first.starts_with(&format!("device cpu {path} ")),
                "{path}: {first}"
            );
        } else {
            assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.contains(&format!("this CPU has {widest} at most")),
                "{stderr}"
            );
        }
    }
    // The environment variable is the flag's default.
    let out = run("portable", true);
    assert!(out.status.success(), "{out:?}");
    let header = String::from_utf8_lossy(&out.stdout);
    assert!(header.starts_with("device cpu portable "), "{header}");
}
