//! `rnn-tui eval`: perplexity of a saved model on another text.

use std::path::Path;

use super::{output, CliError, EvalCmd};
use crate::data::{Corpus, CorpusSource};
use crate::eval::evaluate;

pub fn run(data_dir: Option<&Path>, cmd: &EvalCmd, corpus: Option<&str>) -> Result<(), CliError> {
    let Some(corpus) = corpus.filter(|c| !c.trim().is_empty()) else {
        return Err(CliError::Usage(
            "eval needs the text to score: --corpus FILE".into(),
        ));
    };
    let ckpt = super::runs::load_weights(data_dir, &cmd.run, cmd.best)?;
    let source = CorpusSource::parse(corpus);
    // Read the way the run read its own text (older runs: d2l).
    let text = Corpus::load_mode(&source, ckpt.meta.hparams.text)?;
    let mut model = ckpt.model()?;
    let vocab = ckpt.vocab();
    let steps = ckpt.meta.hparams.num_steps;
    let batch = crate::eval::batch_windows(&ckpt.meta.hparams, vocab.len());
    let r = evaluate(&mut model, &vocab, &text.text, steps, batch)?;
    output::print(&format!(
        "run {} corpus {} chars {} unknown {} ({:.2}% read as <unk>) windows {} of {}\nperplexity {:.3}\n",
        ckpt.meta.id,
        source,
        r.chars,
        r.unknown,
        100.0 * r.unknown as f64 / r.chars.max(1) as f64,
        r.windows,
        steps,
        r.perplexity
    ))?;
    Ok(())
}
