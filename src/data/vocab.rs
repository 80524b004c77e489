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
        let mut tokens: Vec<String> = text.chars().map(String::from).collect();
        tokens.push(UNK.to_owned());
        tokens.sort();
        tokens.dedup();
        Self::from_tokens(tokens)
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
        text.chars().map(|c| self.id(c)).collect()
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
}

#[cfg(test)]
mod tests {
    use super::*;
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
