//! The trainer's side of the neuron inspector: with the weights it publishes, it also reads a
//! fixed validation excerpt and sends the state after every character ([`Event::Probe`]), so
//! the front end draws activations without computing them. Reading the excerpt costs about
//! `chars × H²` multiply-adds; it is done at most every [`MIN_INTERVAL`] and never more than
//! 2% of the time (an interval of 50× what the last probe took), so training keeps its speed
//! at any H.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::outbox::Outbox;
use super::protocol::Event;
use crate::eval::inspect;
use crate::model::ModelSnapshot;

/// Probe at most this often.
pub const MIN_INTERVAL: Duration = Duration::from_millis(250);
/// Wait at least this many times the last probe's cost before the next.
const COST_FACTOR: u32 = 50;

pub struct Prober {
    text: String,
    last: Option<Instant>,
    cost: Duration,
}

impl Prober {
    /// Probe `text` (a validation excerpt, see [`inspect::excerpt`]).
    pub fn new(text: String) -> Self {
        Prober {
            text,
            last: None,
            cost: Duration::ZERO,
        }
    }

    fn due(&self) -> bool {
        self.last
            .is_none_or(|t| t.elapsed() >= MIN_INTERVAL.max(self.cost * COST_FACTOR))
    }

    /// Read the excerpt with `snapshot` and send it, when due or when `force`d (the weights
    /// will stay as they are for a while: an epoch end, a pause, the start).
    pub fn send(&mut self, snapshot: &ModelSnapshot, force: bool, out: &mut Outbox) {
        if !force && !self.due() {
            return;
        }
        let t0 = Instant::now();
        if let Some(p) = inspect::probe(snapshot, &self.text) {
            out.send(Event::Probe(Arc::new(p)));
        }
        self.cost = t0.elapsed();
        self.last = Some(Instant::now());
    }

    pub fn text(&self) -> &str {
        &self.text
    }
}
