//! `rnn-tui sample`: complete a prefix with a saved model.

use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::{output, CliError, SampleCmd};
use crate::model::Sampling;
use crate::runs::RunError;
use crate::text_width::printable;

/// Longest completion `sample` will generate.
pub const MAX_LEN: usize = 1_000_000;

pub fn run(data_dir: Option<&Path>, cmd: &SampleCmd, seed: Option<u64>) -> Result<(), CliError> {
    if let Some(spec) = &cmd.history {
        return history(data_dir, spec);
    }
    let Some(run) = &cmd.run else {
        return Err(CliError::Usage(
            "--run RUN or --history RUN is needed".into(),
        ));
    };
    let usage = |msg: String| Err(CliError::Usage(msg));
    if cmd.prefix.is_empty() {
        return usage("--prefix needs at least one character".into());
    }
    if cmd.len > MAX_LEN {
        return usage(format!("--len must be at most {MAX_LEN}, got {}", cmd.len));
    }
    if let Some(t) = cmd.temperature {
        if !t.is_finite() || t <= 0.0 {
            return usage(format!(
                "--temperature must be a positive finite number, got {t}"
            ));
        }
    }
    let ckpt = super::runs::load_weights(data_dir, run, cmd.best)?;
    let snapshot = ckpt.model()?.snapshot().map_err(|e| RunError::Mismatch {
        path: ckpt.dir.model_path(),
        reason: e.to_string(),
    })?;
    // Read as the cockpit reads a typed prefix: `Über` is `über` for a lower-cased text.
    let prefix = snapshot.vocab.read_prefix(&cmd.prefix);
    let unknown = snapshot.vocab.count_unknown(&prefix);
    if unknown > 0 {
        eprintln!(
            "note: {unknown} character(s) of the prefix are not in the run's vocabulary and are read as <unk> (the model knows {})",
            crate::text_width::truncate(snapshot.vocab.tokens().iter().filter(|t| t.chars().count() == 1).map(|t| t.as_str()).collect::<String>().trim(), 120).0
        );
    }
    let sampling = Sampling {
        temperature: cmd.temperature,
        top_k: cmd.top_k.map(|k| k as usize),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed.unwrap_or(0));
    let completion = snapshot.sample(&prefix, cmd.len, &sampling, &mut rng)?;
    output::println(&completion.text())?;
    Ok(())
}

/// `sample --history RUN`: one line per epoch, oldest first — the epoch, its validation
/// perplexity, and the greedy completion kept then (prefix, `│`, what the model added).
fn history(data_dir: Option<&Path>, spec: &str) -> Result<(), CliError> {
    let dir = super::runs::find(data_dir, spec)?;
    let samples = dir.samples()?;
    if samples.is_empty() {
        output::println(&format!(
            "run {} has no sample history yet (kept from the end of its first epoch on, in {})",
            dir.id,
            dir.samples_path().display()
        ))?;
        return Ok(());
    }
    let mut text = String::new();
    for s in &samples {
        let val = if s.val_ppl.is_finite() {
            format!("{:.2}", s.val_ppl)
        } else {
            "-".into()
        };
        text.push_str(&format!(
            "epoch {:>4}  val {:>8}  {}│{}\n",
            s.epoch,
            val,
            printable(&s.prefix),
            printable(&s.completion)
        ));
    }
    output::print(&text)?;
    Ok(())
}
