//! `rnn-tui train --headless`: the same trainer as the cockpit, its events printed as lines.

use std::io::Write;

use crate::exit::EXIT_FAILURE;
use crate::number_format::{compact, compact_count};
use crate::runs::RunDir;
use crate::signals::TerminationWatch;
use crate::train::{Command, Event, Trainer};

pub enum Format {
    Plain,
    Json,
}

/// The `run` line printed after the header when the trainer saves into a run directory:
/// `run <id> <path>`, plus `resumed epoch E batch B` when it continues a saved run.
pub fn run_line(dir: &RunDir, resumed: Option<(usize, usize)>, format: &Format) -> String {
    match format {
        Format::Json => serde_json::json!({
            "event": "run",
            "id": dir.id,
            "path": dir.path,
            "resumed": resumed.map(|(e, b)| serde_json::json!({"epoch": e, "batch": b})),
        })
        .to_string(),
        Format::Plain => match resumed {
            Some((e, b)) => format!(
                "run {} {} resumed epoch {e} batch {b}",
                dir.id,
                dir.path.display()
            ),
            None => format!("run {} {}", dir.id, dir.path.display()),
        },
    }
}

/// What a headless run says when training diverges: it stops with the last good weights
/// (saved, when it has a run directory) and tells how to continue.
fn diverged_message(
    epoch: usize,
    batch: usize,
    loss: f64,
    grad_norm: f64,
    lr: f64,
    run_id: Option<&str>,
) -> String {
    let what = format!(
        "training diverged at epoch {epoch} batch {batch} (loss {loss}, gradient norm {grad_norm}) with learning rate {}",
        compact(lr)
    );
    match run_id {
        Some(id) => format!(
            "{what}: stopped and saved the last good weights; continue with a lower rate: rnn-tui train --resume {id} --lr {}",
            compact(lr / 10.0)
        ),
        None => format!("{what}: stopped (nothing saved: --no-save); try a lower --lr"),
    }
}

/// Train a prepared trainer to the end, printing as it goes (with the `run` line after the
/// header when it has a run directory). Returns the process exit code: 0 only when training
/// finished and nothing failed (a failed save counts), 128 + n after signal n. Failures during
/// training are reported as they happen (`error: …` lines), so they are not returned.
pub fn run_trainer(trainer: Trainer, format: Format) -> i32 {
    let run = trainer.run_dir().map(|d| {
        let resumed = trainer.resumed_position();
        run_line(d, resumed, &format)
    });
    let run_id = trainer.run_dir().map(|d| d.id.clone());
    let lr = trainer.hp.lr;
    let handle = trainer.spawn();
    // SIGINT/SIGTERM: stop between batches; the trainer saves its checkpoint on the way out.
    let commands = handle.commands.clone();
    let signals = TerminationWatch::start(move |_| {
        let _ = commands.send(Command::Stop);
    });
    handle.send(Command::Start);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut finished, mut failed) = (false, false);
    for event in handle.events.iter() {
        match &event {
            // A failed save is not fatal to training, but the run's exit code says so.
            Event::Error { message } | Event::Warning { message } => {
                eprintln!("error: {message}");
                failed = true;
            }
            Event::Diverged {
                epoch,
                batch,
                loss,
                grad_norm,
                ..
            } => {
                // Nobody is there to lower the rate and resume: end the run, and say how
                // to go on.
                eprintln!(
                    "error: {}",
                    diverged_message(*epoch, *batch, *loss, *grad_norm, lr, run_id.as_deref())
                );
                handle.send(Command::Stop);
                failed = true;
            }
            _ => {}
        }
        let line = match format {
            Format::Json => json_line(&event),
            Format::Plain => plain_line(&event),
        };
        let mut lines: Vec<String> = line.into_iter().collect();
        if matches!(event, Event::Ready { .. }) {
            lines.extend(run.clone());
        }
        for line in lines {
            // A closed pipe (`| head`) ends the run quietly.
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                return 0;
            }
        }
        if matches!(event, Event::Finished(_)) {
            finished = true;
        }
    }
    if let Some(code) = signals.as_ref().ok().and_then(TerminationWatch::exit_code) {
        return code;
    }
    if finished && !failed {
        0
    } else {
        EXIT_FAILURE
    }
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
            text,
            split,
            train_chars,
            val_chars,
        } => Some(format!(
            "device {device} path {compute_path} vocab {vocab_size} corpus_chars {corpus_chars} params {params} batches_per_epoch {batches_per_epoch} text {text} split {split} train_chars {} val_chars {}",
            compact_count(*train_chars),
            compact_count(*val_chars)
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
