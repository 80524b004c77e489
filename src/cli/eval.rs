//! `rnn-tui eval`: perplexity of a saved model on another text.

use std::path::Path;

use super::{EvalCmd, EXIT_FAILURE, EXIT_USAGE};
use crate::data::{Corpus, CorpusSource};
use crate::runs::evaluate;

pub fn run(data_dir: Option<&Path>, cmd: &EvalCmd, corpus: Option<&str>) -> i32 {
    let Some(corpus) = corpus.filter(|c| !c.trim().is_empty()) else {
        eprintln!("error: eval needs the text to score: --corpus FILE");
        return EXIT_USAGE;
    };
    let ckpt = match super::runs::load(data_dir, &cmd.run) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let source = CorpusSource::parse(corpus);
    let text = match Corpus::load(&source) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let mut model = match ckpt.model() {
        Ok(m) => m,
        Err(e) => return super::runs::fail(&e),
    };
    let vocab = ckpt.vocab();
    let steps = ckpt.meta.hparams.num_steps;
    match evaluate(&mut model, &vocab, &text.text, steps) {
        Ok(r) => {
            println!(
                "run {} corpus {} chars {} unknown {} ({:.2}% read as <unk>) windows {} of {}",
                ckpt.meta.id,
                source,
                r.chars,
                r.unknown,
                100.0 * r.unknown as f64 / r.chars.max(1) as f64,
                r.windows,
                steps
            );
            println!("perplexity {:.3}", r.perplexity);
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILURE
        }
    }
}
