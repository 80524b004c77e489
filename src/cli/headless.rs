//! `rnn-tui train --headless`: the same trainer as the cockpit, its events printed as lines.

use std::io::Write;

use crate::device;
use crate::model::ComputePath;
use crate::train::{Command, Event, HParams, Trainer};

use super::{EXIT_FAILURE, EXIT_USAGE};

pub enum Format {
    Plain,
    Json,
}

/// Train to the end, printing as it goes. Returns the process exit code.
pub fn run(hp: HParams, device: device::DeviceChoice, kernel: ComputePath, format: Format) -> i32 {
    let (dev, dev_name) = match device::select(device) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let trainer = match Trainer::new(hp, &dev, &dev_name).and_then(|mut t| {
        t.set_compute_path(kernel)?;
        Ok(t)
    }) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return if e.is_usage() {
                EXIT_USAGE
            } else {
                EXIT_FAILURE
            };
        }
    };
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut code = EXIT_FAILURE;
    let mut diverged = false;
    for event in handle.events.iter() {
        match &event {
            Event::Error { message } => {
                eprintln!("error: {message}");
                code = EXIT_FAILURE;
            }
            Event::Diverged { message, .. } => {
                // Nobody is there to lower the rate and resume: end the run, and say why.
                eprintln!("error: {message}");
                handle.send(Command::Stop);
                diverged = true;
            }
            _ => {}
        }
        let line = match format {
            Format::Json => json_line(&event),
            Format::Plain => plain_line(&event),
        };
        if let Some(line) = line {
            // A closed pipe (`| head`) ends the run quietly.
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                return 0;
            }
        }
        if matches!(event, Event::Finished(_)) && !diverged {
            code = 0;
        }
    }
    code
}

fn json_line(event: &Event) -> Option<String> {
    match event {
        Event::Snapshot(_) => None,
        e => serde_json::to_string(e).ok(),
    }
}

/// The plain format: a header, one line per epoch, and the summary.
pub fn plain_line(event: &Event) -> Option<String> {
    match event {
        Event::Ready {
            device,
            compute_path,
            vocab_size,
            corpus_chars,
            params,
            batches_per_epoch,
        } => Some(format!(
            "device {device} path {compute_path} vocab {vocab_size} corpus_chars {corpus_chars} params {params} batches_per_epoch {batches_per_epoch}"
        )),
        Event::Epoch(e) => Some(format!(
            "epoch {} train_ppl {:.2} val_ppl {:.2} tokens/s {:.0}",
            e.epoch, e.train_ppl, e.val_ppl, e.tokens_per_s
        )),
        Event::Finished(s) => Some(format!(
            "done epochs={} train_ppl={:.3} val_ppl={:.3} tokens_per_s={:.0} seconds={:.2} sample={:?}",
            s.epochs, s.train_ppl, s.val_ppl, s.tokens_per_s, s.seconds, s.sample
        )),
        _ => None,
    }
}
