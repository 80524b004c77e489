//! Perplexity of a trained model on another text (d2l §9.5, exercises 6 and 7).

pub mod inspect;

use crate::data::{Batch, Vocab};
use crate::hparams::{HParams, MEMORY_LIMIT_BYTES};
use crate::model::LanguageModel;

/// Most windows per forward pass.
const EVAL_BATCH: usize = 1024;

/// Windows per forward pass for a model of `hp` over a vocabulary of `vocab` tokens: as many
/// as fit the memory budget training is held to (the same estimate), and never more than the
/// run trained with (it showed that fits), at most 1024, at least one. A run with a
/// large vocabulary scores in smaller batches instead of allocating gigabytes of logits.
pub fn batch_windows(hp: &HParams, vocab: usize) -> usize {
    let at = |b: usize| {
        let mut h = hp.clone();
        h.batch_size = b;
        h.estimated_memory_bytes_for(vocab)
    };
    // The estimate is linear in the batch size: weights + b · per window.
    let per_window = at(2).saturating_sub(at(1)).max(1);
    let weights = at(1).saturating_sub(per_window);
    let fit = MEMORY_LIMIT_BYTES.saturating_sub(weights) / per_window;
    (fit as usize).clamp(1, EVAL_BATCH.min(hp.batch_size.max(1)))
}

/// What [`evaluate`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalReport {
    /// `exp` of the mean cross-entropy over every predicted character.
    pub perplexity: f64,
    /// Characters of the preprocessed text.
    pub chars: usize,
    /// Characters predicted (every one but the first).
    pub predicted: usize,
    /// Windows of `num_steps` (the last may be shorter); the state starts at zero in each.
    pub windows: usize,
    /// Characters outside the run's vocabulary, read and scored as `<unk>`.
    pub unknown: usize,
}

/// Score `text` (already preprocessed, see [`crate::data::Corpus`]) with `model`: consecutive,
/// non-overlapping windows of `num_steps` characters, each predicting the next character at
/// every step from a zero state, as in training; `batch` windows per forward pass (see
/// [`batch_windows`]).
pub fn evaluate(
    model: &mut LanguageModel,
    vocab: &Vocab,
    text: &str,
    num_steps: usize,
    batch: usize,
) -> candle_core::Result<EvalReport> {
    let windows_per_pass = batch.max(1);
    let ids = vocab.encode(text);
    let unknown = ids.iter().filter(|&&i| i == vocab.unk()).count();
    let predicted = ids.len().saturating_sub(1);
    if predicted == 0 || num_steps == 0 {
        candle_core::bail!("the text has fewer than 2 characters: nothing to predict");
    }
    let full = predicted / num_steps;
    let starts: Vec<usize> = (0..full).map(|w| w * num_steps).collect();
    let mut sum = 0.0f64;
    let mut batch = Batch::default();
    for chunk in starts.chunks(windows_per_pass) {
        fill(&ids, chunk, num_steps, &mut batch);
        sum += model.loss(&batch)? * batch.tokens() as f64;
    }
    let tail = predicted - full * num_steps;
    if tail > 0 {
        fill(&ids, &[full * num_steps], tail, &mut batch);
        sum += model.loss(&batch)? * batch.tokens() as f64;
    }
    Ok(EvalReport {
        perplexity: (sum / predicted as f64).exp(),
        chars: ids.len(),
        predicted,
        windows: full + usize::from(tail > 0),
        unknown,
    })
}

fn fill(ids: &[u32], starts: &[usize], steps: usize, batch: &mut Batch) {
    batch.batch_size = starts.len();
    batch.num_steps = steps;
    batch.x.clear();
    batch.y.clear();
    for &s in starts {
        batch.x.extend_from_slice(&ids[s..s + steps]);
        batch.y.extend_from_slice(&ids[s + 1..s + steps + 1]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};

    #[test]
    fn untrained_model_is_uniform_and_every_character_counts() {
        let vocab = Vocab::from_text("ab c");
        // Zero weights: every prediction is uniform over the vocabulary.
        let params =
            crate::model::init_params(vocab.len(), 4, 1e-30, 0, &Device::Cpu, DType::F32).unwrap();
        let mut lm = LanguageModel::from_params(vocab.clone(), params).unwrap();
        let r = evaluate(&mut lm, &vocab, "abc abz cab", 4, 1024).unwrap();
        // Batches of one window score the same text the same.
        let one = evaluate(&mut lm, &vocab, "abc abz cab", 4, 1).unwrap();
        assert!(
            (one.perplexity - r.perplexity).abs() < 1e-9,
            "{one:?} {r:?}"
        );
        assert_eq!(r.chars, 11);
        assert_eq!(r.predicted, 10);
        assert_eq!(r.windows, 3);
        assert_eq!(r.unknown, 1);
        assert!((r.perplexity - vocab.len() as f64).abs() < 1e-3, "{r:?}");
        assert!(evaluate(&mut lm, &vocab, "a", 4, 1024).is_err());
    }

    #[test]
    fn batches_shrink_with_the_vocabulary_to_fit_the_memory_budget() {
        let hp = HParams::default();
        assert_eq!(batch_windows(&hp, 28), EVAL_BATCH);
        let big = batch_windows(&hp, 20_000);
        assert!((1..EVAL_BATCH).contains(&big), "{big}");
        let mut at = hp.clone();
        at.batch_size = big;
        assert!(at.estimated_memory_bytes_for(20_000) <= MEMORY_LIMIT_BYTES);
        assert_eq!(batch_windows(&hp, 50_000_000), 1);
        let mut small = hp.clone();
        small.batch_size = 64;
        assert_eq!(batch_windows(&small, 28), 64);
    }
}
