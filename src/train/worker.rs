//! The trainer's thread: spawning it, the handle the front end keeps, and turning an error or a
//! panic on that thread into an `Event::Error` so it never vanishes with the thread.

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};

use super::outbox::Outbox;
use super::protocol::{Command, Event};
use super::trainer::Trainer;

/// What the front end holds: a way to command the trainer and a stream of its events.
pub struct TrainerHandle {
    pub commands: Sender<Command>,
    pub events: Receiver<Event>,
    join: Option<JoinHandle<()>>,
}

impl TrainerHandle {
    /// A handle on something else that speaks the protocol from its own thread (a watcher
    /// following a run another process trains): it is stopped and joined like a trainer.
    pub fn from_parts(
        commands: Sender<Command>,
        events: Receiver<Event>,
        join: JoinHandle<()>,
    ) -> TrainerHandle {
        TrainerHandle {
            commands,
            events,
            join: Some(join),
        }
    }

    /// Ask the trainer to do something; ignored if it has already finished.
    pub fn send(&self, cmd: Command) {
        let _ = self.commands.send(cmd);
    }

    /// Stop the trainer and wait for its thread to end.
    pub fn stop(mut self) {
        self.send(Command::Stop);
        self.join_thread();
    }

    fn join_thread(&mut self) {
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for TrainerHandle {
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Stop);
        // Drain so a trainer blocked flushing its last events can finish.
        while self.events.try_recv().is_ok() {}
        self.join_thread();
    }
}

impl Trainer {
    /// Move the trainer to its own thread. It announces itself with `Ready` and waits for
    /// `Command::Start`.
    pub fn spawn(self) -> TrainerHandle {
        let (cmd_tx, cmd_rx) = crossbeam_channel::unbounded();
        let (outbox, events) = Outbox::channel();
        let join = std::thread::Builder::new()
            .name("trainer".into())
            .spawn(move || trainer_thread(self, cmd_rx, outbox))
            .expect("spawning the trainer thread");
        TrainerHandle {
            commands: cmd_tx,
            events,
            join: Some(join),
        }
    }
}

/// The body of the trainer's thread: serve the front end, report how it ended, then hand over
/// every queued event.
fn trainer_thread(mut trainer: Trainer, cmds: Receiver<Command>, mut out: Outbox) {
    // A panic must reach the front end as an error, not vanish with the thread.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        trainer.serve(&cmds, &mut out)
    }));
    let message = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(panic) => Some(format!("trainer crashed: {}", panic_message(&panic))),
    };
    if let Some(message) = message {
        out.send(Event::Error { message });
    }
    out.finish();
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}
