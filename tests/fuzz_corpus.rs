//! Property tests ("fuzzing" that fits in CI) of the corpus loader: arbitrary bytes in a file
//! never panic; every text that loads yields a vocabulary and ids that round-trip.

use proptest::prelude::*;
use rnn_tui::data::{Corpus, CorpusSource, Dataset, Vocab};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_load_or_give_a_one_line_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("corpus.txt");
        std::fs::write(&path, &bytes).unwrap();
        match Corpus::load(&CorpusSource::File(path)) {
            Ok(c) => {
                prop_assert!(c.text.bytes().all(|b| b == b' ' || b.is_ascii_lowercase()));
                prop_assert!(!c.text.contains("  "));
                let vocab = Vocab::from_text(&c.text);
                prop_assert!(vocab.len() <= 28);
                prop_assert_eq!(vocab.decode(&vocab.encode(&c.text)), c.text.clone());
                // Any split either works or says why, with numbers.
                match Dataset::new(vocab, &c.text, 8, 16, 8) {
                    Ok(d) => prop_assert!(d.num_windows() >= 24),
                    Err(e) => prop_assert!(e.to_string().contains("windows")),
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.contains('\n'), "{}", msg);
                prop_assert!(msg.starts_with("corpus"), "{}", msg);
            }
        }
    }

    #[test]
    fn preprocessing_keeps_every_letter_and_collapses_the_rest(text in "\\PC{0,300}") {
        let out = rnn_tui::data::corpus::preprocess(&text);
        let letters_in: String = text.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_lowercase()).collect();
        let letters_out: String = out.chars().filter(|c| *c != ' ').collect();
        prop_assert_eq!(letters_in, letters_out);
        prop_assert!(!out.contains("  "));
        prop_assert!(out.chars().all(|c| c == ' ' || c.is_ascii_lowercase()));
        // A space stands exactly where the input had a run of non-letters.
        let runs = text.split(|c: char| c.is_ascii_alphabetic()).filter(|s| !s.is_empty()).count();
        prop_assert_eq!(out.matches(' ').count(), runs);
    }
}
