//! The neuron inspector's data, apart from any UI: the state vector a model reports after each
//! character of a text (a [`Probe`]), the visible features of that text, and which units follow
//! a feature most closely (Pearson correlation, ranked by |r|).
//!
//! The trainer probes a fixed excerpt of the validation text with every few snapshots and sends
//! the result to the front end; the cockpit only draws and ranks plain numbers. A probe keeps
//! every state the model has (each layer's hidden state, an LSTM's cell state) and shows one
//! of them ([`Probe::showing`]: the heatmap's `[` / `]` / `c` choice); the ranking inspects
//! whichever per-character vector is shown alike.

use std::sync::Arc;

use crate::data::{TokenIds, Vocab};
use crate::model::snapshot::{StateTrace, StateView};
use crate::model::ModelSnapshot;

/// Characters of validation text the trainer probes.
pub const EXCERPT_CHARS: usize = 480;

/// The state after reading each character of a text: the one [`Probe::view`] picks, out of
/// every state the model has (each layer's hidden state, an LSTM's cell state), which
/// [`Probe::showing`] picks from without decoding again.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    /// Which state [`Probe::states`] shows (fitted to the model; the default: the top layer's
    /// hidden state).
    pub view: StateView,
    /// Every state, shared by the probes [`Probe::showing`] makes.
    trace: Arc<StateTrace>,
}

impl Probe {
    /// `view` of `trace`.
    pub fn of_trace(trace: Arc<StateTrace>, view: StateView) -> Probe {
        Probe {
            view: trace.fit(view),
            trace,
        }
    }

    /// One token per character of the probed text.
    pub fn tokens(&self) -> &[String] {
        &self.trace.tokens
    }

    /// `states()[i]` is the state vector [`Probe::view`] picks after reading `tokens()[i]`.
    pub fn states(&self) -> &[Vec<f32>] {
        self.trace.states(self.view)
    }

    /// Units per state vector (0 for an empty probe).
    pub fn units(&self) -> usize {
        self.states().first().map_or(0, Vec::len)
    }

    /// The activation of `unit` along the text.
    pub fn unit(&self, unit: usize) -> Vec<f32> {
        self.states()
            .iter()
            .map(|s| s.get(unit).copied().unwrap_or(0.0))
            .collect()
    }

    /// `view` where this probe's model has it (a layer within range, a cell state only for
    /// LSTMs): compare with [`Probe::view`] to know whether [`Probe::showing`] changes anything.
    pub fn fit(&self, view: StateView) -> StateView {
        self.trace.fit(view)
    }

    /// The same probe showing `view` instead (the heatmap's `[` / `]` / `c` choice).
    pub fn showing(&self, view: StateView) -> Probe {
        Probe::of_trace(self.trace.clone(), view)
    }
}

/// Read `text` with `snapshot` from a zero state and keep every state after every character;
/// the probe shows the top layer's hidden state ([`Probe::showing`] picks another). `None`
/// when the text is empty.
pub fn probe(snapshot: &ModelSnapshot, text: &str) -> Option<Probe> {
    let trace = snapshot.trace(text).ok()?;
    Some(Probe::of_trace(Arc::new(trace), StateView::default()))
}

/// About `len` characters of the corpus `ids` from `start` on, beginning after the first
/// space (so the excerpt starts with a whole word); characters outside the vocabulary are left
/// out. Starts earlier when the corpus is too short.
pub fn excerpt(vocab: &Vocab, ids: &[u32], start: usize, len: usize) -> String {
    let start = start.min(ids.len().saturating_sub(len));
    let rest = &ids[start..];
    let skip = rest
        .iter()
        .take(64)
        .position(|&i| vocab.token(i).chars().all(char::is_whitespace))
        .map_or(0, |p| p + 1)
        .min(rest.len().saturating_sub(len));
    rest.iter()
        .skip(skip)
        .filter(|&&i| i != vocab.unk())
        .take(len)
        .map(|&i| vocab.token(i))
        .collect()
}

/// The excerpt the inspector reads: about [`EXCERPT_CHARS`] characters of the validation text,
/// from `val_start` on (earlier where the corpus ends too soon), starting at a whole word. The
/// trainer and the watcher of a run both take it from here, so they show the same text.
pub fn validation_excerpt(vocab: &Vocab, ids: &TokenIds, val_start: usize) -> String {
    let len = EXCERPT_CHARS;
    let n = ids.len();
    // Room to skip to the first whole word (see `excerpt`).
    let from = val_start.min(n.saturating_sub(len + 64));
    let mut window = Vec::with_capacity(len + 64);
    ids.extend_into(from..n.min(from + len + 64), &mut window);
    excerpt(vocab, &window, 0, len)
}

/// Something visible in the text that a unit may follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// The character just read is a space (or another white-space character).
    AfterSpace,
    /// The character just read is part of a word and the word goes on.
    InsideWord,
    /// How many characters of the current word have been read (0 outside words).
    WordPosition,
    /// Characters since the last line break (only for texts with line breaks).
    LinePosition,
    /// Between an opening and a closing quotation mark (only for texts with quotes).
    InsideQuotes,
}

impl Feature {
    pub const ALL: [Feature; 5] = [
        Feature::AfterSpace,
        Feature::InsideWord,
        Feature::WordPosition,
        Feature::LinePosition,
        Feature::InsideQuotes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::AfterSpace => "after a space",
            Feature::InsideWord => "inside a word",
            Feature::WordPosition => "position in the word",
            Feature::LinePosition => "position in the line",
            Feature::InsideQuotes => "inside quotes",
        }
    }
}

fn is_word(tok: &str) -> bool {
    let mut chars = tok.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphanumeric())
}

fn is_space(tok: &str) -> bool {
    !tok.is_empty() && tok.chars().all(char::is_whitespace)
}

/// Quotation marks: `Some(true)` opens, `Some(false)` closes, `None` toggles.
fn quote(tok: &str) -> Option<Option<bool>> {
    match tok {
        "\"" => Some(None),
        "“" | "«" | "「" | "『" | "„" => Some(Some(true)),
        "”" | "»" | "」" | "』" => Some(Some(false)),
        _ => None,
    }
}

/// The feature's value after each token, or `None` when the text has none of it (no line
/// breaks, no quotation marks) or it never varies.
pub fn feature_values(tokens: &[String], feature: Feature) -> Option<Vec<f32>> {
    let n = tokens.len();
    let values: Vec<f32> = match feature {
        Feature::AfterSpace => tokens.iter().map(|t| is_space(t) as u8 as f32).collect(),
        Feature::InsideWord => (0..n)
            .map(|i| {
                (is_word(&tokens[i]) && tokens.get(i + 1).is_some_and(|t| is_word(t))) as u8 as f32
            })
            .collect(),
        Feature::WordPosition => {
            let mut k = 0.0;
            tokens
                .iter()
                .map(|t| {
                    k = if is_word(t) { k + 1.0 } else { 0.0 };
                    k
                })
                .collect()
        }
        Feature::LinePosition => {
            if !tokens.iter().any(|t| t == "\n") {
                return None;
            }
            let mut k = 0.0;
            tokens
                .iter()
                .map(|t| {
                    k = if t == "\n" { 0.0 } else { k + 1.0 };
                    k
                })
                .collect()
        }
        Feature::InsideQuotes => {
            if !tokens.iter().any(|t| quote(t).is_some()) {
                return None;
            }
            let mut inside = false;
            tokens
                .iter()
                .map(|t| {
                    match quote(t) {
                        Some(None) => inside = !inside,
                        Some(Some(open)) => inside = open,
                        None => {}
                    }
                    inside as u8 as f32
                })
                .collect()
        }
    };
    let first = *values.first()?;
    values.iter().any(|&v| v != first).then_some(values)
}

/// Pearson's r of `x` and `y` (equal lengths), or `None` when either never varies.
pub fn correlation(x: &[f32], y: &[f32]) -> Option<f32> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mean = |v: &[f32]| v[..n].iter().map(|&a| a as f64).sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        let (dx, dy) = (x[i] as f64 - mx, y[i] as f64 - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 1e-12 || syy <= 1e-12 {
        return None;
    }
    let r = sxy / (sxx * syy).sqrt();
    r.is_finite().then_some(r as f32)
}

/// A unit and the feature it follows most closely.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitScore {
    pub unit: usize,
    pub feature: Feature,
    /// Pearson's r of the unit's activation with the feature, -1..1.
    pub r: f32,
}

fn text_features(tokens: &[String]) -> Vec<(Feature, Vec<f32>)> {
    Feature::ALL
        .iter()
        .filter_map(|&f| feature_values(tokens, f).map(|v| (f, v)))
        .collect()
}

fn best_of(unit: usize, activation: &[f32], features: &[(Feature, Vec<f32>)]) -> Option<UnitScore> {
    features
        .iter()
        .filter_map(|(f, v)| {
            correlation(activation, v).map(|r| UnitScore {
                unit,
                feature: *f,
                r,
            })
        })
        .fold(None, |best: Option<UnitScore>, s| match best {
            Some(b) if b.r.abs() >= s.r.abs() => Some(b),
            _ => Some(s),
        })
}

/// The feature `unit` follows most closely in the probed text, or `None` when the unit never
/// varies there (or is out of range).
pub fn score_unit(probe: &Probe, unit: usize) -> Option<UnitScore> {
    if unit >= probe.units() {
        return None;
    }
    best_of(unit, &probe.unit(unit), &text_features(probe.tokens()))
}

/// Every unit with its best feature, strongest |r| first (ties: lower unit first). Units that
/// never vary, and features the text lacks, are left out.
pub fn rank(probe: &Probe) -> Vec<UnitScore> {
    let features = text_features(probe.tokens());
    let mut scores: Vec<UnitScore> = (0..probe.units())
        .filter_map(|unit| best_of(unit, &probe.unit(unit), &features))
        .collect();
    scores.sort_by(|a, b| b.r.abs().total_cmp(&a.r.abs()).then(a.unit.cmp(&b.unit)));
    scores
}

/// A known-answer model for tests and benchmarks: over `a..z` and space, unit `planted`
/// reads +0.905 after a space and -0.905 after a letter (`tanh(±1.5)`); the other units follow
/// the letters pseudo-randomly; no recurrence, uniform output.
pub fn planted_space_unit(hiddens: usize, planted: usize) -> ModelSnapshot {
    let vocab = Vocab::from_text("abcdefghijklmnopqrstuvwxyz ");
    let v = vocab.len();
    let mut w_xh = vec![0f32; v * hiddens];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for (k, w) in w_xh.iter_mut().enumerate() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        if k % hiddens != planted {
            *w = ((seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0;
        }
    }
    let space = vocab.id(' ') as usize;
    w_xh[space * hiddens + planted] = 3.0;
    let mut b_h = vec![0f32; hiddens];
    b_h[planted] = -1.5;
    ModelSnapshot {
        w_xh,
        w_hh: vec![0.0; hiddens * hiddens],
        b_h,
        w_hq: vec![0.0; hiddens * v],
        b_q: vec![0.0; v],
        vocab,
        hiddens,
        stack: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.chars().map(String::from).collect()
    }

    #[test]
    fn features_follow_the_text() {
        let t = toks("ab c\n\"d\"");
        assert_eq!(
            feature_values(&t, Feature::AfterSpace).unwrap(),
            [0., 0., 1., 0., 1., 0., 0., 0.]
        );
        assert_eq!(
            feature_values(&t, Feature::InsideWord).unwrap(),
            [1., 0., 0., 0., 0., 0., 0., 0.]
        );
        assert_eq!(
            feature_values(&t, Feature::WordPosition).unwrap(),
            [1., 2., 0., 1., 0., 0., 1., 0.]
        );
        assert_eq!(
            feature_values(&t, Feature::LinePosition).unwrap(),
            [1., 2., 3., 4., 0., 1., 2., 3.]
        );
        assert_eq!(
            feature_values(&t, Feature::InsideQuotes).unwrap(),
            [0., 0., 0., 0., 0., 1., 1., 0.]
        );
        // d2l text has neither line breaks nor quotes: those features are skipped.
        let plain = toks("the time machine");
        assert_eq!(feature_values(&plain, Feature::LinePosition), None);
        assert_eq!(feature_values(&plain, Feature::InsideQuotes), None);
        // Korean letters are word characters too.
        assert_eq!(
            feature_values(&toks("동백 꽃"), Feature::WordPosition).unwrap(),
            [1., 2., 0., 1.]
        );
    }

    #[test]
    fn correlation_is_pearsons_r() {
        assert!((correlation(&[1., 2., 3.], &[2., 4., 6.]).unwrap() - 1.0).abs() < 1e-6);
        assert!((correlation(&[1., 2., 3.], &[3., 2., 1.]).unwrap() + 1.0).abs() < 1e-6);
        assert_eq!(correlation(&[1., 1., 1.], &[1., 2., 3.]), None);
        let r = correlation(&[1., 0., 0., 1.], &[1., 1., 0., 0.]).unwrap();
        assert!(r.abs() < 1e-6);
    }

    #[test]
    fn the_planted_space_unit_ranks_first() {
        let text = "the time traveller for so it will be convenient to speak of him was expounding a recondite matter to us";
        for (hiddens, unit) in [(8, 5), (32, 0), (64, 63)] {
            let snap = planted_space_unit(hiddens, unit);
            let p = probe(&snap, text).unwrap();
            assert_eq!(p.tokens().len(), text.chars().count());
            assert_eq!(p.units(), hiddens);
            let a = p.unit(unit);
            for (tok, v) in p.tokens().iter().zip(&a) {
                let want = if tok == " " { 0.905 } else { -0.905 };
                assert!((v - want).abs() < 0.01, "{tok:?} {v}");
            }
            let ranked = rank(&p);
            assert_eq!(ranked.len(), hiddens);
            assert_eq!(ranked[0].unit, unit, "{:?}", &ranked[..3]);
            assert_eq!(ranked[0].feature, Feature::AfterSpace);
            assert!(ranked[0].r > 0.999, "{:?}", ranked[0]);
            assert!(ranked[1].r.abs() < ranked[0].r.abs());
            assert_eq!(score_unit(&p, unit), Some(ranked[0]));
            assert_eq!(score_unit(&p, hiddens), None);
        }
    }

    #[test]
    fn excerpts_start_at_a_word_and_skip_unknowns() {
        let vocab = Vocab::from_text("abc ");
        let ids = vocab.encode("aa bb cc!c aa bb");
        assert_eq!(excerpt(&vocab, &ids, 1, 7), "bb ccc ");
        // Near the end it starts earlier, to keep the length.
        assert_eq!(excerpt(&vocab, &ids, 100, 5).chars().count(), 5);
        assert_eq!(probe(&planted_space_unit(4, 1), ""), None);
    }
}
