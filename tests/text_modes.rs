//! Text modes (issue 15, item 1): `letters` and `raw` vocabularies on small hand-made texts
//! (Korean, German, mixed scripts, CRLF, a BOM, emoji), d2l mode byte-for-byte as before,
//! vocabularies of thousands of characters (one-hot as a row gather on both compute paths, the
//! memory estimate), and the mode saved in run.json and honoured by resume, eval and sample.

mod common;

use candle_core::Device;
use proptest::prelude::*;

use common::cli::rnn_tui;
use rnn_tui::data::{
    Batch, Corpus, CorpusSource, Dataset, EncodedCorpus, SplitMode, SplitSpec, TextMode, Vocab, UNK,
};
use rnn_tui::exit::EXIT_USAGE;
use rnn_tui::hparams::HParams;
use rnn_tui::model::{ComputePath, LanguageModel};
use rnn_tui::train::Trainer;

fn encode(raw: &str, mode: TextMode) -> EncodedCorpus {
    EncodedCorpus::from_raw(CorpusSource::File("t.txt".into()), raw, mode, None).unwrap()
}

/// The vocabulary, and the text decoded back from the ids.
fn read(raw: &str, mode: TextMode) -> (Vec<String>, String) {
    let c = encode(raw, mode);
    let text = c.vocab.decode(&c.ids.to_vec());
    (c.vocab.tokens().to_vec(), text)
}

#[test]
fn letters_vocabularies() {
    // German keeps its umlauts and ß, lower-cased.
    let (v, text) = read("Über die Straße, Fluß!", TextMode::Letters);
    assert_eq!(text, "über die straße fluß ");
    assert_eq!(
        v,
        [" ", UNK, "a", "b", "d", "e", "f", "i", "l", "r", "s", "t", "u", "ß", "ü"]
    );
    // Korean: syllables kept, punctuation and line breaks are one space each run.
    let (v, text) = read("동백꽃,\r\n\r\n김유정 — 1936년", TextMode::Letters);
    assert_eq!(text, "동백꽃 김유정 년");
    assert_eq!(v, [" ", UNK, "김", "꽃", "년", "동", "백", "유", "정"]);
    // Mixed scripts; emoji and digits are not letters.
    let (v, text) = read("Ωμέγα 🙂 東京とカナ, Ёлка 42", TextMode::Letters);
    assert_eq!(text, "ωμέγα 東京とカナ ёлка ");
    assert_eq!(
        v,
        [
            " ", UNK, "έ", "α", "γ", "μ", "ω", "а", "к", "л", "ё", "と", "カ", "ナ", "京", "東"
        ]
    );
}

#[test]
fn raw_vocabularies() {
    // A BOM is dropped, CRLF is read as LF, everything else is kept: case, digits, emoji.
    let (v, text) = read("\u{feff}Hi 🙂\r\nHo, 2x!\r\n", TextMode::Raw);
    assert_eq!(text, "Hi 🙂\nHo, 2x!\n");
    assert_eq!(v, ["\n", " ", "!", ",", "2", UNK, "H", "i", "o", "x", "🙂"]);
    // `<` sorts before `<unk>`, `=` after it, as Python's sorted() orders them.
    let (v, _) = read("a<b=c", TextMode::Raw);
    assert_eq!(v, ["<", UNK, "=", "a", "b", "c"]);
    // A lone CR stays; a BOM inside the text stays.
    let (_, text) = read("a\rb\u{feff}", TextMode::Raw);
    assert_eq!(text, "a\rb\u{feff}");
    // Korean raw: the characters as they are.
    let (v, text) = read("동백꽃.\n", TextMode::Raw);
    assert_eq!(text, "동백꽃.\n");
    assert_eq!(v, ["\n", ".", UNK, "꽃", "동", "백"]);
}

#[test]
fn nothing_to_learn_is_refused_per_mode() {
    let src = CorpusSource::File("t.txt".into());
    let err = |raw: &str, mode| {
        EncodedCorpus::from_raw(src.clone(), raw, mode, None)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("동백꽃 123", TextMode::D2l),
        "corpus t.txt contains no letters A-Z/a-z, so there is nothing to learn"
    );
    assert_eq!(
        err("123 — 🙂 !", TextMode::Letters),
        "corpus t.txt contains no letters, so there is nothing to learn"
    );
    assert_eq!(err("\u{feff}", TextMode::Raw), "corpus t.txt is empty");
    // The small path says the same.
    let small = Corpus::from_raw_mode(src, "123", TextMode::Letters).unwrap_err();
    assert_eq!(
        small.to_string(),
        "corpus t.txt contains no letters, so there is nothing to learn"
    );
}

#[test]
fn d2l_mode_is_byte_for_byte_the_old_pipeline() {
    // The old pipeline: preprocess to a String, `sorted(set(...))`, encode.
    let old = Corpus::load(&CorpusSource::TimeMachine).unwrap();
    let old_vocab = Vocab::from_text(&old.text);
    let old_ids = old_vocab.encode(&old.text);
    let new = EncodedCorpus::load(&CorpusSource::TimeMachine, TextMode::D2l).unwrap();
    assert_eq!(new.vocab, old_vocab);
    assert_eq!(new.vocab.len(), 28);
    assert_eq!(new.ids.to_vec(), old_ids);
    assert_eq!(new.ids.width(), 2, "u16 ids");
    // And so is the split: the same batches.
    let a = Dataset::new(old_vocab, &old.text, 32, 10_000, 5_000).unwrap();
    let b = Dataset::from_ids(
        new.vocab,
        new.ids,
        32,
        SplitSpec::D2l {
            num_train: 10_000,
            num_val: 5_000,
        },
    )
    .unwrap();
    let (mut x, mut y) = (Batch::default(), Batch::default());
    a.fill_batch(&[0, 77, 9_999], &mut x);
    b.fill_batch(&[0, 77, 9_999], &mut y);
    assert_eq!(x, y);
    let va: Vec<Batch> = a.val_batches(1024).collect();
    let vb: Vec<Batch> = b.val_batches(1024).collect();
    assert_eq!(va, vb);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The fast encoder (one pass, provisional ids, renumbered) and the plain pipeline
    /// (mode applied to a String, vocabulary sorted, encoded) agree on any text.
    #[test]
    fn fast_encoding_equals_the_plain_pipeline(raw in "(?s).{0,200}", mode in 0usize..3) {
        let mode = TextMode::ALL[mode];
        let text = mode.apply(&raw);
        match EncodedCorpus::from_raw(CorpusSource::File("p".into()), &raw, mode, None) {
            Ok(c) => {
                let v = Vocab::from_text(&text);
                prop_assert_eq!(&c.vocab, &v);
                prop_assert_eq!(c.ids.to_vec(), v.encode(&text));
                prop_assert_eq!(c.vocab.decode(&c.ids.to_vec()), text);
            }
            Err(_) => prop_assert!(Corpus::from_raw_mode(CorpusSource::File("p".into()), &raw, mode).is_err()),
        }
    }
}

/// `n` distinct Hangul syllables, repeated to `len` characters in a shuffled-looking order.
fn syllables(n: u32, len: usize) -> String {
    (0..len)
        .map(|i| {
            char::from_u32(0xAC00 + ((i as u32).wrapping_mul(2_654_435_761) >> 7) % n).unwrap()
        })
        .collect()
}

#[test]
fn a_vocabulary_of_thousands_trains_on_both_paths_alike() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syllables.txt");
    std::fs::write(&path, syllables(3_000, 40_000)).unwrap();
    let hp = HParams {
        hiddens: 16,
        num_steps: 8,
        batch_size: 64,
        epochs: 1,
        corpus: CorpusSource::File(path.clone()),
        text: TextMode::Raw,
        split: SplitMode::Whole,
        ..HParams::default()
    };
    let t = Trainer::new(hp.clone(), &Device::Cpu, "cpu").unwrap();
    let v = t.dataset().vocab.len();
    assert_eq!(v, 3_001, "3000 syllables and <unk>");
    // The same batch: the fused kernel and candle's ops give the same loss and gradients.
    let corpus = EncodedCorpus::load(&hp.corpus, TextMode::Raw).unwrap();
    let data = Dataset::from_ids(
        corpus.vocab.clone(),
        corpus.ids,
        8,
        SplitSpec::Whole { val_fraction: 0.1 },
    )
    .unwrap();
    let mut batch = Batch::default();
    data.fill_batch(&[0, 8, 800, 30_000], &mut batch);
    assert!(batch.x.iter().any(|&i| i > 2_000));
    let mut losses = Vec::new();
    let mut norms = Vec::new();
    for path in [ComputePath::Fused, ComputePath::Candle] {
        let mut lm =
            LanguageModel::with_path(corpus.vocab.clone(), 16, 3, &Device::Cpu, path).unwrap();
        let (loss, g) = lm.loss_and_grads(&batch).unwrap();
        losses.push(loss);
        norms.push(g.global_norm().unwrap());
    }
    // An untrained model guesses about uniformly: ln(3001).
    assert!((losses[0] - (3_001f64).ln()).abs() < 0.05, "{losses:?}");
    assert!((losses[0] - losses[1]).abs() < 1e-4, "{losses:?}");
    assert!((norms[0] - norms[1]).abs() < 1e-4 * norms[1], "{norms:?}");
}

#[test]
fn the_memory_estimate_counts_the_vocabulary() {
    let hp = HParams {
        batch_size: 4096,
        ..HParams::default()
    };
    hp.validate().unwrap();
    hp.check_memory(28).unwrap();
    assert!(hp.estimated_memory_bytes_for(3_001) > 50 * hp.estimated_memory_bytes_for(28));
    let err = hp.check_memory(3_001).unwrap_err().to_string();
    assert_eq!(
        err,
        "these sizes need about 8.9 GiB for training (batch-size 4096 x num-steps 32 x hiddens 32 x vocabulary 3001); the limit is 4 GiB"
    );
    // From the command line: refused once the corpus is read, one line, exit 2.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syllables.txt");
    std::fs::write(&path, syllables(3_000, 40_000)).unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--no-save", "--text", "raw"])
        .args(["--split", "whole", "--batch-size", "4096"])
        .arg("--corpus")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_USAGE));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {err}\n")
    );
}

const KOREAN: &str = "오늘도 또 우리 수탉이 막 쫓기었다. 내가 점심을 먹고 나무를 하러 갈 양으로 \
나올 때이었다. 산으로 올라서려니까 등뒤에서 푸드득 푸드득 하고 닭의 횃소리가 야단이다. \
깜짝 놀라서 고개를 돌려 보니 아니나 다르랴 두 놈이 또 얼리었다.\r\n";

/// `train --text letters --split whole` on a Korean text through the binary: the header, the
/// run.json fields, resume, and eval and sample reading the text as the run did.
#[test]
fn korean_letters_through_train_resume_eval_and_sample() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("korean.txt");
    std::fs::write(&path, KOREAN.repeat(12)).unwrap();
    let train = |extra: &[&str]| {
        let out = rnn_tui(dir.path())
            .args(["train", "--headless", "--threads", "1"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let corpus = path.to_str().unwrap();
    let out = train(&[
        "--text",
        "letters",
        "--split",
        "whole",
        "--corpus",
        corpus,
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--num-steps",
        "16",
        "--hiddens",
        "16",
    ]);
    let header = out.lines().next().unwrap();
    let expected =
        EncodedCorpus::load(&CorpusSource::File(path.clone()), TextMode::Letters).unwrap();
    let v = expected.vocab.len();
    assert!(v > 40, "{v}");
    assert!(
        header.contains(&format!("vocab {v} corpus_chars {}", expected.len())),
        "{header}"
    );
    assert!(header.contains("text letters split whole"), "{header}");
    let root = rnn_tui::runs::runs_root(&dir.path().join("data"));
    let run = rnn_tui::runs::resolve(&root, "latest").unwrap();
    let json = std::fs::read_to_string(run.meta_path()).unwrap();
    assert!(json.contains("\"text\": \"letters\""), "{json}");
    assert!(json.contains("\"split\": \"whole\""), "{json}");
    let meta = run.meta().unwrap();
    assert_eq!(meta.vocab, expected.vocab.tokens());
    assert_eq!(meta.corpus.chars, expected.len());

    // Resume: the run's own mode and split (2 more epochs).
    let out = train(&["--resume", "latest", "--epochs", "4"]);
    assert!(out.contains("text letters split whole"), "{out}");
    assert_eq!(run.meta().unwrap().progress.epoch, 4);

    // eval reads the text in the run's mode: no character is unknown.
    let out = rnn_tui(dir.path())
        .args(["eval", "--run", "latest", "--corpus", corpus])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("chars {} unknown 0 ", expected.len())),
        "{text}"
    );
    // sample: a Korean prefix, completed in Korean letters and spaces.
    let out = rnn_tui(dir.path())
        .args([
            "sample",
            "--run",
            "latest",
            "--prefix",
            "오늘도",
            "--len",
            "10",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "every prefix character is known");
    let line = text.trim_end_matches('\n');
    assert!(line.starts_with("오늘도"), "{line}");
    assert_eq!(line.chars().count(), 3 + 10);
    assert!(
        line.chars().all(|c| c == ' ' || c.is_alphabetic()),
        "{line}"
    );
}

#[test]
fn bad_text_modes_from_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--no-save", "--text", "utf8"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_USAGE));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: text must be d2l, letters or raw, got \"utf8\"\n"
    );
    // Korean in d2l mode: nothing survives, as before.
    let p = dir.path().join("k.txt");
    std::fs::write(&p, KOREAN).unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--no-save", "--corpus"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(EXIT_USAGE));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: corpus {} contains no letters A-Z/a-z, so there is nothing to learn\n",
            p.display()
        )
    );
}

/// `sample --prefix` reads its prefix as the run read its text (issue 25): on a `letters` run
/// of German, `Über den St` is `über den st`, with no character read as `<unk>`.
#[test]
fn sample_reads_its_prefix_in_the_runs_text_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("german.txt");
    let german = "Über den Stock und über den Stein, der Bär läuft über die Straße. ";
    std::fs::write(&path, german.repeat(200)).unwrap();
    let out = rnn_tui(dir.path())
        .args(["train", "--headless", "--threads", "1", "--text", "letters"])
        .args(["--split", "whole", "--epochs", "1", "--batch-size", "16"])
        .args(["--num-steps", "8", "--hiddens", "8", "--corpus"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let out = rnn_tui(dir.path())
        .args(["sample", "--run", "latest", "--prefix", "Über den St"])
        .args(["--len", "5"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "no <unk> note expected: {stderr}");
    let line = String::from_utf8_lossy(&out.stdout);
    assert!(line.starts_with("über den st"), "{line}");
    assert!(!line.contains("<unk>"), "{line}");
}
