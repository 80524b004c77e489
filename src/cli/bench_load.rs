//! `rnn-tui bench --load FILE`: how fast a text reaches its first training batch, and the
//! memory it takes — the path `train --headless` takes (read, check UTF-8, build the vocabulary,
//! encode, split, build the model, create the run directory and hash the corpus, save the first
//! checkpoint, shuffle, train one batch), timed in this process. `benches/load.sh` generates
//! texts of several sizes and runs this once per text, each in a fresh process.

use std::path::Path;
use std::time::Instant;

use candle_core::Device;

use super::{CliError, TrainArgs};
use crate::data::CorpusSource;
use crate::hparams::HParams;
use crate::number_format::compact_count;
use crate::runs::RunDir;
use crate::train::{Command, Event, Trainer};

/// The process's peak resident memory so far (`VmHWM`), in bytes, where Linux reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU seconds this process has used so far (user + system, every thread), from
/// `/proc/self/stat` (Linux; clock ticks of 1/100 s, the value of `CLK_TCK` there).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Measure loading `file` with the hyperparameters the flags give (`--text`, `--split`, …;
/// `--corpus` is this file) and print one line of figures.
pub fn run(file: &Path, args: &TrainArgs) -> Result<(), CliError> {
    let mut hp: HParams = args.hparams(HParams::default())?;
    hp.corpus = CorpusSource::File(file.to_owned());
    hp.epochs = 1;
    let bytes = std::fs::metadata(file)
        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))?
        .len();
    let base_rss = peak_rss_bytes();
    let runs = std::env::temp_dir().join(format!("rnn-tui-bench-load-{}", std::process::id()));
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    let mut trainer = Trainer::new(hp, &Device::Cpu, "cpu")?;
    let load_s = t0.elapsed().as_secs_f64();
    let (chars, vocab) = (
        trainer.dataset().corpus_chars(),
        trainer.dataset().vocab.len(),
    );
    let (train_chars, val_chars) = (
        trainer.dataset().train_chars(),
        trainer.dataset().val_chars(),
    );
    let recorded = RunDir::create(&runs)
        .map_err(Into::into)
        .and_then(|dir| trainer.record_to(dir));
    if let Err(e) = recorded {
        let _ = std::fs::remove_dir_all(&runs);
        return Err(e.into());
    }
    let handle = trainer.spawn();
    handle.send(Command::Start);
    let mut first_batch_s = None;
    let mut cpu_s = None;
    for ev in handle.events.iter() {
        match ev {
            Event::Batch(_) if first_batch_s.is_none() => {
                first_batch_s = Some(t0.elapsed().as_secs_f64());
                cpu_s = cpu_seconds().zip(cpu0).map(|(now, then)| now - then);
                handle.send(Command::Stop);
            }
            Event::Error { message } => {
                let _ = std::fs::remove_dir_all(&runs);
                return Err(CliError::Failure(message));
            }
            Event::Finished(_) => break,
            _ => {}
        }
    }
    let peak = peak_rss_bytes();
    handle.stop();
    let _ = std::fs::remove_dir_all(&runs);
    let first_batch_s = first_batch_s
        .ok_or_else(|| CliError::Failure("the trainer stopped before its first batch".into()))?;
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    let peak_text = match peak {
        Some(p) => format!(
            "peak_rss_mib={:.0} peak_over_file={:.2} base_rss_mib={:.0}",
            mb(p),
            p as f64 / bytes as f64,
            base_rss.map_or(0.0, mb)
        ),
        None => "peak_rss_mib=? (no /proc/self/status)".into(),
    };
    super::output::println(&format!(
        "load file_mib={:.1} chars={} vocab={vocab} train_chars={} val_chars={} load_s={load_s:.3} first_batch_s={first_batch_s:.3} cpu_s={} {peak_text}",
        mb(bytes),
        compact_count(chars),
        compact_count(train_chars),
        compact_count(val_chars),
        cpu_s.map_or("?".into(), |c| format!("{c:.2}")),
    ))?;
    Ok(())
}
