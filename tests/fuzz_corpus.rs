//! Property tests ("fuzzing" that fits in CI) of the corpus loader: arbitrary bytes in a file
//! never panic; every text that loads yields a vocabulary and ids that round-trip. A committed
//! seed corpus (`SEEDS`) runs first; the random cases are bounded (256) so `cargo test` runs them.

use proptest::prelude::*;
use rnn_tui::data::{Corpus, CorpusSource, Dataset, Vocab};

/// Any bytes in a corpus file either load (and then give a vocabulary and ids that round-trip,
/// and a split that works or says why) or give a one-line error starting with "corpus".
fn check_bytes(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corpus.txt");
    std::fs::write(&path, bytes).unwrap();
    match Corpus::load(&CorpusSource::File(path)) {
        Ok(c) => {
            assert!(c.text.bytes().all(|b| b == b' ' || b.is_ascii_lowercase()));
            assert!(!c.text.contains("  "));
            let vocab = Vocab::from_text(&c.text);
            assert!(vocab.len() <= 28);
            assert_eq!(vocab.decode(&vocab.encode(&c.text)), c.text);
            // Any split either works or says why, with numbers.
            match Dataset::new(vocab, &c.text, 8, 16, 8) {
                Ok(d) => assert!(d.num_windows() >= 24),
                Err(e) => assert!(e.to_string().contains("windows")),
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.contains('\n'), "{msg}");
            assert!(msg.starts_with("corpus"), "{msg}");
        }
    }
}

/// The committed seed corpus: inputs that once mattered or sit on a boundary, run on every
/// `cargo test` before the random cases.
const SEEDS: &[&[u8]] = &[
    b"",
    b" ",
    b"\n\r\n\t",
    b"a",
    b"A",
    b"\xef\xbb\xbfThe Time Machine",     // UTF-8 byte-order mark
    b"\xff\xfe\x00T\x00i\x00m\x00e",     // UTF-16 LE
    b"abc\x00def",                       // NUL inside text
    b"caf\xc3\xa9 na\xc3\xafve",         // accented letters become spaces
    b"\xc3\x28",                         // invalid UTF-8 continuation
    b"\xe2\x82",                         // truncated multi-byte character
    b"\xf0\x9f\x98\x80\xf0\x9f\x98\x80", // emoji only: no letters
    b"1234567890 !?.,;:",
    b"a b c d e f g h i j k l m n o p q r s t u v w x y z",
    b"the time machine by h g wells the time traveller for so it will be convenient to speak",
];

#[test]
fn the_seed_corpus() {
    for seed in SEEDS {
        check_bytes(seed);
    }
    // What some of them give.
    let load = |bytes: &[u8]| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.txt");
        std::fs::write(&path, bytes).unwrap();
        Corpus::load(&CorpusSource::File(path))
            .map(|c| c.text)
            .map_err(|e| e.to_string())
    };
    assert!(load(SEEDS[0]).unwrap_err().ends_with("is empty"));
    assert_eq!(load(SEEDS[5]).unwrap(), " the time machine");
    assert!(load(SEEDS[6]).unwrap_err().contains("not valid UTF-8"));
    assert_eq!(load(SEEDS[8]).unwrap(), "caf na ve");
    assert!(load(SEEDS[11]).unwrap_err().contains("no letters"));
    // A long text loads and splits.
    check_bytes(&rnn_tui::data::corpus::TIME_MACHINE.as_bytes()[..5000]);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_load_or_give_a_one_line_error(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_bytes(&bytes);
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
