//! The trainer's side of the event channel: it never blocks on a slow or frozen receiver.
//!
//! The channel is bounded. When it is full, high-rate events (batches, snapshots) are dropped —
//! the next one carries newer data — and critical ones (epochs, state changes, the summary,
//! errors) wait in a local queue that is flushed before anything newer is sent, so order holds.

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::protocol::Event;

/// Room for a few seconds of batch events at full speed.
pub const EVENT_CAPACITY: usize = 4096;

pub struct Outbox {
    tx: Sender<Event>,
    pending: VecDeque<Event>,
    dropped: u64,
    disconnected: bool,
}

impl Outbox {
    pub fn channel() -> (Outbox, Receiver<Event>) {
        let (tx, rx) = crossbeam_channel::bounded(EVENT_CAPACITY);
        (
            Outbox {
                tx,
                pending: VecDeque::new(),
                dropped: 0,
                disconnected: false,
            },
            rx,
        )
    }

    /// Send without blocking.
    pub fn send(&mut self, event: Event) {
        self.flush_pending();
        if !self.pending.is_empty() {
            if event.is_critical() {
                self.pending.push_back(event);
            } else {
                self.dropped += 1;
            }
            return;
        }
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(ev)) if ev.is_critical() => self.pending.push_back(ev),
            Err(TrySendError::Full(_)) => self.dropped += 1,
            Err(TrySendError::Disconnected(_)) => self.disconnected = true,
        }
    }

    fn flush_pending(&mut self) {
        while let Some(ev) = self.pending.pop_front() {
            match self.tx.try_send(ev) {
                Ok(()) => {}
                Err(TrySendError::Full(ev)) => {
                    self.pending.push_front(ev);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.disconnected = true;
                    self.pending.clear();
                    return;
                }
            }
        }
    }

    /// At the end of a run: hand over every queued critical event, waiting if need be.
    pub fn finish(&mut self) {
        while let Some(ev) = self.pending.pop_front() {
            if self.tx.send(ev).is_err() {
                self.disconnected = true;
                return;
            }
        }
    }

    /// Batch/snapshot events dropped because the receiver lagged.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Critical events waiting for room in the channel (they are never dropped).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Nobody is listening any more.
    pub fn is_disconnected(&self) -> bool {
        self.disconnected
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::BatchStats;
    use crate::train::protocol::TrainerState;

    fn batch(i: usize) -> Event {
        Event::Batch(BatchStats {
            epoch: 1,
            batch: i,
            batches_per_epoch: 10,
            loss: 1.0,
            grad_norm: 1.0,
            clipped: false,
            clip_threshold: 1.0,
            lr: 1.0,
            tokens: 1,
            elapsed: 0.0,
        })
    }

    #[test]
    fn a_full_channel_drops_batches_but_keeps_critical_events_in_order() {
        let (mut out, rx) = Outbox::channel();
        for i in 0..EVENT_CAPACITY + 100 {
            out.send(batch(i));
        }
        assert_eq!(out.dropped(), 100);
        out.send(Event::State {
            state: TrainerState::Paused,
        });
        out.send(batch(0));
        out.send(Event::State {
            state: TrainerState::Done,
        });
        assert_eq!(out.dropped(), 101);
        let mut got = Vec::new();
        while let Ok(ev) = rx.try_recv() {
            got.push(ev);
        }
        assert_eq!(got.len(), EVENT_CAPACITY);
        out.finish();
        let tail: Vec<Event> = rx.try_iter().collect();
        assert!(matches!(
            tail[0],
            Event::State {
                state: TrainerState::Paused
            }
        ));
        assert!(matches!(
            tail[1],
            Event::State {
                state: TrainerState::Done
            }
        ));
    }

    #[test]
    fn notices_a_gone_receiver() {
        let (mut out, rx) = Outbox::channel();
        drop(rx);
        out.send(batch(1));
        assert!(out.is_disconnected());
    }
}
