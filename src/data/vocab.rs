//! The character vocabulary: d2l's `Vocab` with `min_freq = 0` and no reserved tokens,
//! i.e. `sorted(set(['<unk>'] + tokens))`.

use serde::{Deserialize, Serialize};

/// The unknown-token spelling, as in d2l.
pub const UNK: &str = "<unk>";

/// Maps characters to ids and back. `<unk>` sorts after `' '` and before the letters,
/// exactly as Python's `sorted` orders the strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocab {
    idx_to_token: Vec<String>,
    unk: u32,
}

impl Vocab {
    /// Build from the distinct characters of a preprocessed text.
    pub fn from_text(text: &str) -> Self {
        let mut seen = CharSet::new();
        text.chars().for_each(|c| seen.insert(c));
        Self::from_chars(seen.iter())
    }

    /// Build from distinct characters (any order): `sorted(set(['<unk>'] + chars))`, one
    /// `String` per distinct character, not per character of the text.
    pub fn from_chars(chars: impl IntoIterator<Item = char>) -> Self {
        let mut tokens: Vec<String> = chars.into_iter().map(String::from).collect();
        tokens.push(UNK.to_owned());
        // Byte order of UTF-8 is code-point order, as Python's `sorted` compares strings.
        tokens.sort();
        tokens.dedup();
        Self::from_tokens(tokens)
    }

    /// A lookup table from characters to ids, for encoding big texts fast.
    pub fn encoder(&self) -> Encoder {
        Encoder::new(self)
    }

    /// Rebuild from a saved token list (which must contain `<unk>`).
    pub fn from_tokens(idx_to_token: Vec<String>) -> Self {
        let unk = idx_to_token
            .iter()
            .position(|t| t == UNK)
            .expect("a vocabulary always contains <unk>") as u32;
        Vocab { idx_to_token, unk }
    }

    pub fn len(&self) -> usize {
        self.idx_to_token.len()
    }

    pub fn is_empty(&self) -> bool {
        self.idx_to_token.is_empty()
    }

    pub fn tokens(&self) -> &[String] {
        &self.idx_to_token
    }

    pub fn unk(&self) -> u32 {
        self.unk
    }

    /// Id of one character; anything unseen maps to `<unk>`.
    pub fn id(&self, c: char) -> u32 {
        let mut buf = [0u8; 4];
        let s: &str = c.encode_utf8(&mut buf);
        self.idx_to_token
            .binary_search_by(|t| t.as_str().cmp(s))
            .map(|i| i as u32)
            .unwrap_or(self.unk)
    }

    /// Ids of every character of `text`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let enc = self.encoder();
        text.chars().map(|c| enc.id(c)).collect()
    }

    pub fn token(&self, id: u32) -> &str {
        &self.idx_to_token[id as usize]
    }

    /// Concatenate tokens; `<unk>` is spelled out, as d2l does.
    pub fn decode(&self, ids: &[u32]) -> String {
        ids.iter().map(|&i| self.token(i)).collect()
    }

    /// How many characters of `text` fall outside the vocabulary.
    pub fn count_unknown(&self, text: &str) -> usize {
        text.chars().filter(|&c| self.id(c) == self.unk).count()
    }

    /// `c` as a model of this vocabulary should read it: itself when the vocabulary has it,
    /// else its lower case when the vocabulary has that (d2l's and `letters` texts are
    /// lower-cased as they are read), else itself (unknown, read as `<unk>`). The cockpit's
    /// prefix and `rnn-tui sample --prefix` read a prefix the same way.
    pub fn read_char(&self, c: char) -> char {
        if self.id(c) != self.unk {
            return c;
        }
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) if self.id(l) != self.unk => l,
            _ => c,
        }
    }

    /// A prefix as a model of this vocabulary reads it ([`Vocab::read_char`] of each).
    pub fn read_prefix(&self, text: &str) -> String {
        text.chars().map(|c| self.read_char(c)).collect()
    }
}

/// A set of characters: one bit per Unicode scalar value (136 KiB), for counting which
/// characters a text uses without allocating per character.
pub struct CharSet {
    bits: Vec<u64>,
    len: usize,
}

impl Default for CharSet {
    fn default() -> Self {
        Self::new()
    }
}

impl CharSet {
    const WORDS: usize = (char::MAX as usize + 1).div_ceil(64);

    pub fn new() -> Self {
        CharSet {
            bits: vec![0; Self::WORDS],
            len: 0,
        }
    }

    #[inline]
    pub fn insert(&mut self, c: char) {
        let i = c as usize;
        let (w, b) = (i / 64, 1u64 << (i % 64));
        if self.bits[w] & b == 0 {
            self.bits[w] |= b;
            self.len += 1;
        }
    }

    pub fn contains(&self, c: char) -> bool {
        let i = c as usize;
        self.bits[i / 64] & (1u64 << (i % 64)) != 0
    }

    /// Distinct characters inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The characters, in code-point order.
    pub fn iter(&self) -> impl Iterator<Item = char> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let b = word.trailing_zeros() as usize;
                word &= word - 1;
                char::from_u32((w * 64 + b) as u32)
            })
        })
    }
}

/// Characters to ids by table lookup: one entry per code point up to the largest character of
/// the vocabulary (at most 4.4 MB, 256 KiB for a BMP script); anything else is `<unk>`.
#[derive(Clone, Debug)]
pub struct Encoder {
    table: Vec<u32>,
    unk: u32,
}

impl Encoder {
    fn new(vocab: &Vocab) -> Self {
        let single = |t: &String| {
            let mut cs = t.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Some(c),
                _ => None,
            }
        };
        let max = vocab
            .tokens()
            .iter()
            .filter_map(single)
            .map(|c| c as usize)
            .max()
            .unwrap_or(0);
        let mut table = vec![vocab.unk(); max + 1];
        for (i, t) in vocab.tokens().iter().enumerate() {
            if let Some(c) = single(t) {
                table[c as usize] = i as u32;
            }
        }
        Encoder {
            table,
            unk: vocab.unk(),
        }
    }

    #[inline]
    pub fn id(&self, c: char) -> u32 {
        self.table.get(c as usize).copied().unwrap_or(self.unk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_is_read_as_the_vocabulary_reads_text() {
        let v = Vocab::from_text("über den stein");
        assert_eq!(v.read_prefix("Über den St"), "über den st");
        // Known characters stay; unknown ones with no known lower case stay unknown.
        assert_eq!(v.read_prefix("Q!"), "Q!");
        let upper = Vocab::from_text("ABC abc");
        assert_eq!(upper.read_prefix("Ab"), "Ab");
    }
    use crate::data::corpus::{Corpus, CorpusSource};

    #[test]
    fn time_machine_vocab_is_28_tokens_in_d2l_order() {
        let c = Corpus::load(&CorpusSource::TimeMachine).unwrap();
        let v = Vocab::from_text(&c.text);
        assert_eq!(v.len(), 28);
        let mut expected = vec![" ".to_owned(), UNK.to_owned()];
        expected.extend(('a'..='z').map(String::from));
        assert_eq!(v.tokens(), expected.as_slice());
        assert_eq!(v.unk(), 1);
        assert_eq!(v.id(' '), 0);
        assert_eq!(v.id('a'), 2);
        assert_eq!(v.id('z'), 27);
        assert_eq!(v.id('!'), 1);
        assert_eq!(v.id('É'), 1);
        assert_eq!(v.decode(&v.encode("it has")), "it has");
        assert_eq!(v.count_unknown("a1b2"), 2);
    }
}
