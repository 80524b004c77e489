//! Every model's parameters as one list of named tensors in canonical order: the names are the
//! checkpoint's tensor names (§9.5's `W_xh, …`, or PyTorch's for the stacked models).

use candle_core::{Result, Tensor};

use super::params::{RnnParams, PARAM_NAMES};

#[derive(Clone, Debug)]
pub struct NamedParams {
    entries: Vec<(String, Tensor)>,
}

impl NamedParams {
    pub fn new(entries: Vec<(String, Tensor)>) -> Self {
        NamedParams { entries }
    }

    /// The §9.5 model's five, named as [`PARAM_NAMES`].
    pub fn from_rnn(p: RnnParams) -> Self {
        NamedParams::new(PARAM_NAMES.iter().map(|n| n.to_string()).zip(p).collect())
    }

    /// Back to the §9.5 struct, when these are its five parameters.
    pub fn to_rnn(&self) -> Option<RnnParams> {
        let names: Vec<&str> = self.names().collect();
        (names == PARAM_NAMES)
            .then(|| RnnParams::from_array(std::array::from_fn(|i| self.entries[i].1.clone())))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The tensors in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Tensor> {
        self.entries.iter().map(|(_, t)| t)
    }

    pub fn named(&self) -> impl Iterator<Item = (&str, &Tensor)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.named().find(|(n, _)| *n == name).map(|(_, t)| t)
    }

    pub fn try_map(&self, mut f: impl FnMut(&Tensor) -> Result<Tensor>) -> Result<NamedParams> {
        Ok(NamedParams::new(
            self.entries
                .iter()
                .map(|(n, t)| Ok((n.clone(), f(t)?)))
                .collect::<Result<Vec<_>>>()?,
        ))
    }

    pub fn into_tensors(self) -> Vec<Tensor> {
        self.entries.into_iter().map(|(_, t)| t).collect()
    }
}

impl<'a> IntoIterator for &'a NamedParams {
    type Item = &'a Tensor;
    type IntoIter = Box<dyn Iterator<Item = &'a Tensor> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}
