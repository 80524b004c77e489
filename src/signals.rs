//! SIGINT, SIGTERM and SIGHUP end a run gracefully: the front end is told, stops the trainer
//! (which saves its checkpoint) and restores the terminal, instead of dying mid-write.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

use crate::exit::signal_exit_code;

/// Watches for SIGINT/SIGTERM/SIGHUP while alive; the default actions come back when it is dropped.
pub struct TerminationWatch {
    received: Arc<AtomicI32>,
    handle: Handle,
}

impl TerminationWatch {
    /// Call `on_signal(signo)` on the first SIGINT, SIGTERM or SIGHUP. A second one exits at once
    /// (status 128 + signo), so a stuck shutdown can still be interrupted.
    pub fn start(on_signal: impl Fn(i32) + Send + 'static) -> std::io::Result<Self> {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        let received = Arc::new(AtomicI32::new(0));
        let seen = received.clone();
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if seen.swap(sig, Ordering::SeqCst) != 0 {
                        std::process::exit(signal_exit_code(sig));
                    }
                    on_signal(sig);
                }
            })?;
        Ok(TerminationWatch { received, handle })
    }

    /// The signal that arrived, if any.
    pub fn received(&self) -> Option<i32> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// The conventional exit status for the signal received (130 for SIGINT, 143 for SIGTERM,
    /// 129 for SIGHUP).
    pub fn exit_code(&self) -> Option<i32> {
        self.received().map(signal_exit_code)
    }
}

impl Drop for TerminationWatch {
    fn drop(&mut self) {
        self.handle.close();
    }
}
