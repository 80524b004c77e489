//! `rnn-tui runs`: the saved runs, newest first (or best first: `--sort best`); `--label RUN
//! TEXT` names a run and `--delete RUN` removes one (refused while a process trains it).

use std::path::Path;

use super::output;
use super::{CliError, RunsCmd};
use crate::hparams::clip_text;
use crate::number_format::compact;
use crate::runs::{self, Checkpoint, RunDir, RunError};
use crate::text_width::{fit_left, printable, width};

/// Find a run from the command line's `--run` value.
pub(crate) fn find(data_dir: Option<&Path>, spec: &str) -> Result<RunDir, RunError> {
    let root = runs::runs_root(&runs::data_dir(data_dir)?);
    runs::resolve(&root, spec)
}

/// Find and load a run's latest weights, or with `best` its best-validation weights.
pub(crate) fn load_weights(
    data_dir: Option<&Path>,
    spec: &str,
    best: bool,
) -> Result<Checkpoint, RunError> {
    let dir = find(data_dir, spec)?;
    if best {
        Checkpoint::load_best(&dir)
    } else {
        Checkpoint::load(&dir)
    }
}

fn fmt_ppl(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "-".into()
    }
}

/// The widest corpus column: longer names are cut with `…`.
const CORPUS_MAX: usize = 40;

/// A run's row: its summary, or its id and why its `run.json` cannot be read.
type Row = Result<runs::RunSummary, (String, String)>;

/// The table, one line per run, its columns measured in terminal columns (a Korean corpus
/// name takes two per syllable), so they line up whatever the names are written in.
fn table(rows: &[Row]) -> String {
    let corpus_cols = rows
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|m| width(&m.corpus))
        .max()
        .unwrap_or(0)
        .clamp("CORPUS".len(), CORPUS_MAX);
    let model_cols = rows
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|m| width(&m.model))
        .max()
        .unwrap_or(0)
        .max("MODEL".len());
    // The id is never cut: it is what `--run` takes.
    let id = |s: &str| fit_left(s, width(s).max(20));
    // A LABEL column only when some run has a label (it is last: labels vary in width).
    let labels = rows
        .iter()
        .any(|r| r.as_ref().is_ok_and(|m| m.label.is_some()));
    let line = |cells: [&str; 13]| {
        let [i, created, corpus, model, h, t, b, lr, clip, epochs, kept, best, label] = cells;
        let label = if labels {
            format!("  {label}")
        } else {
            String::new()
        };
        format!(
            "{}  {}  {}  {}  {:>7} {:>5} {:>5} {:>6} {:>6}  {:>9}  {:>4}  {:>8}{}\n",
            id(i),
            fit_left(created, 16),
            fit_left(corpus, corpus_cols),
            fit_left(model, model_cols),
            h,
            t,
            b,
            lr,
            clip,
            epochs,
            kept,
            best,
            label.trim_end()
        )
    };
    let mut out = line([
        "ID",
        "CREATED (UTC)",
        "CORPUS",
        "MODEL",
        "HIDDENS",
        "STEPS",
        "BATCH",
        "LR",
        "CLIP",
        "EPOCHS",
        "KEPT",
        "BEST VAL",
        "LABEL",
    ]);
    for r in rows {
        match r {
            Ok(m) => out.push_str(&line([
                &m.id,
                &m.created,
                &m.corpus,
                &m.model,
                &m.hiddens.to_string(),
                &m.num_steps.to_string(),
                &m.batch_size.to_string(),
                &compact(m.lr),
                &clip_text(m.clip),
                &m.epochs,
                // Whether best.safetensors holds the best epoch's weights.
                if m.has_best { "best" } else { "-" },
                &fmt_ppl(m.best_val_ppl),
                &printable(m.label.as_deref().unwrap_or("")),
            ])),
            Err((dir, e)) => {
                out.push_str(&format!("{}  unreadable: {}\n", id(dir), printable(e)));
            }
        }
    }
    if rows
        .iter()
        .any(|r| r.as_ref().is_ok_and(|m| m.epochs.contains('+')))
    {
        out.push_str(PLUS_LEGEND);
        out.push('\n');
    }
    out
}

/// What the `+` in EPOCHS means, printed under a table that shows one.
pub const PLUS_LEGEND: &str =
    "+ in EPOCHS (12+/100): stopped inside an epoch — 12 done, part of the 13th, which `train --resume` repeats from its start";

/// Label or delete a run when asked, else print the table (or that there are no runs)
/// through [`output`]: a closed pipe is not an error, a failed write is.
pub fn run(data_dir: Option<&Path>, cmd: &RunsCmd) -> Result<(), CliError> {
    if let Some([spec, text]) = cmd.label.as_deref() {
        let dir = find(data_dir, spec)?;
        let msg = match dir.set_label(text)? {
            Some(l) => format!("run {} labelled {:?}", dir.id, l),
            None => format!("run {} has no label now", dir.id),
        };
        return Ok(output::println(&msg)?);
    }
    if let Some(spec) = &cmd.delete {
        let dir = find(data_dir, spec)?;
        dir.delete()?;
        return Ok(output::println(&format!(
            "deleted run {} ({})",
            dir.id,
            dir.path.display()
        ))?);
    }
    let root = runs::runs_root(&runs::data_dir(data_dir)?);
    let list = runs::list_runs(&root)?;
    if list.is_empty() {
        output::println(&format!("no runs in {}", root.display()))?;
        return Ok(());
    }
    let mut rows: Vec<Row> = list
        .iter()
        .map(|r| r.summary().map_err(|e| (r.dir.id.clone(), e.to_string())))
        .collect();
    cmd.sort
        .order()
        .sort(&mut rows, |r| r.as_ref().ok().map(|m| m.best_val_ppl));
    output::print(&table(&rows))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, corpus: &str, hiddens: usize) -> runs::RunSummary {
        runs::RunSummary {
            id: id.into(),
            path: format!("/data/runs/{id}").into(),
            created: "2026-11-29 05:30".into(),
            corpus: corpus.into(),
            hiddens,
            num_steps: 32,
            batch_size: 1024,
            lr: 1.0,
            clip: 1.0,
            epochs: "3/100".into(),
            best_val_ppl: 7.18,
            model: "rnn H32 sgd".into(),
            has_best: true,
            label: None,
        }
    }

    /// The display column where `needle` ends in `line`.
    fn end_col(line: &str, needle: &str) -> usize {
        let at = line
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {line}"));
        width(&line[..at + needle.len()])
    }

    #[test]
    fn korean_corpus_names_keep_the_columns_in_place() {
        let rows = vec![
            Ok(summary("20261129-053000-aaaa", "timemachine", 48)),
            Ok(summary("20261129-053100-bbbb", "동백꽃_김유정.txt", 256)),
            Ok(summary("20261129-053200-cccc", "漢字a.txt", 64)),
            Err((
                "20261129-053300-dddd".into(),
                "bad json\nin run.json".into(),
            )),
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        // The corpus column is as wide as the widest name, in columns (17), not chars (11)
        // or bytes (29): every HIDDENS figure ends under the header's end.
        let header_end = end_col(lines[0], "HIDDENS");
        for (line, h) in lines[1..4].iter().zip([" 48 ", " 256 ", " 64 "]) {
            assert_eq!(end_col(line, h) - 1, header_end, "{text}");
            assert_eq!(width(line), width(lines[0]), "{text}");
        }
        assert!(lines[2].contains("동백꽃_김유정.txt  "), "{text}");
        // An unreadable run's reason stays on its line.
        assert!(
            lines[4].ends_with("unreadable: bad json\u{FFFD}in run.json"),
            "{text}"
        );
    }

    #[test]
    fn a_very_long_name_is_cut_between_characters_and_the_id_never() {
        let long = "가".repeat(30); // 60 columns
        let rows = vec![
            Ok(summary("20261129-053000-aaaa", &long, 48)),
            Ok(summary(
                "a-folder-name-longer-than-twenty",
                "timemachine",
                32,
            )),
        ];
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        // 40 columns: 19 syllables (38) and `…`, then one space of padding.
        assert!(
            lines[1].contains(&format!("{}… ", "가".repeat(19))),
            "{text}"
        );
        assert!(
            lines[2].starts_with("a-folder-name-longer-than-twenty  "),
            "{text}"
        );
        assert_eq!(end_col(lines[1], " 48 "), end_col(lines[0], "HIDDENS") + 1);
    }
}
