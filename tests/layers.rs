//! The library's top-level modules depend one way: plain data at the bottom, then the model,
//! storage, the trainer, and the front ends on top. This test reads every `crate::` path in
//! `src/` (in `use` lines, `use crate::{a, b::c}` groups and inline paths) and fails on an
//! import that points up or sideways, so no import circle can come back unnoticed.
//!
//! The binary (`src/main.rs`) is the one place allowed to reach every front end: it names the
//! library as `rnn_tui::`, so it is outside this check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every top-level module, lowest layer first, with the modules it may import. A module may
/// import only modules listed for it; a new top-level module must be added here.
const LAYERS: &[(&str, &[&str])] = &[
    // Plain data and leaves: nothing of this crate below them.
    ("data", &[]),
    ("number_format", &[]),
    ("text_width", &[]),
    ("regular_file", &[]),
    ("metrics", &[]),
    ("exit", &[]),
    ("device", &[]),
    ("hparams", &["data", "number_format"]),
    ("signals", &["exit"]),
    // The model.
    ("model", &["data", "device", "hparams"]),
    ("eval", &["data", "hparams", "model"]),
    // Storage and settings: plain data in and out, never the trainer.
    ("config", &["data", "hparams", "regular_file"]),
    (
        "runs",
        &[
            "regular_file",
            "data",
            "number_format",
            "metrics",
            "exit",
            "hparams",
            "model",
        ],
    ),
    // The trainer.
    (
        "train",
        &[
            "data",
            "number_format",
            "metrics",
            "exit",
            "device",
            "hparams",
            "signals",
            "model",
            "eval",
            "runs",
        ],
    ),
    // Watching a run another process trains: follows its directory, speaks the trainer's
    // protocol.
    (
        "watch",
        &[
            "data",
            "number_format",
            "metrics",
            "exit",
            "device",
            "hparams",
            "model",
            "eval",
            "runs",
            "train",
        ],
    ),
    // Figures of runs' curves: plain records and colours in, SVG or PNG out.
    (
        "plot",
        &[
            "metrics",
            "number_format",
            "hparams",
            "regular_file",
            "runs",
        ],
    ),
    // The front ends: each may use everything below, neither the other.
    (
        "cli",
        &[
            "data",
            "number_format",
            "metrics",
            "exit",
            "device",
            "hparams",
            "signals",
            "model",
            "eval",
            "config",
            "runs",
            "train",
            "text_width",
            "watch",
            "regular_file",
            "plot",
        ],
    ),
    (
        "tui",
        &[
            "data",
            "number_format",
            "metrics",
            "exit",
            "device",
            "hparams",
            "signals",
            "model",
            "eval",
            "config",
            "runs",
            "train",
            "text_width",
            "watch",
            "regular_file",
            "plot",
        ],
    ),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/runs/metrics.rs` → `runs`, `src/eval.rs` →
/// `eval`); `None` for the crate roots.
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first),
    }
}

/// The text with `//` and `/* */` comments blanked out, so prose naming a module is no import.
/// String and character literals are kept whole (a `"//"` or `'"'` in code starts nothing).
fn strip_comments(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                let end = (j + 1).min(chars.len());
                out.extend(&chars[i..end]);
                i = end;
            }
            // A character literal (`'x'`, `'\n'`, `'\''`); a lifetime (`'a`) is copied as text.
            '\'' if next == Some('\\') || chars.get(i + 2) == Some(&'\'') => {
                let mut j = i + if next == Some('\\') { 3 } else { 2 };
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                let end = (j + 1).min(chars.len());
                out.extend(&chars[i..end]);
                i = end;
            }
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if next == Some('*') => {
                i += 2;
                while i < chars.len() && !(chars[i - 1] == '*' && chars[i] == '/') {
                    i += 1;
                }
                i += 1;
                out.push(' ');
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The first path segment after each `crate::` in `code`, including every member of a
/// `crate::{a, b::c, d::{e, f}}` group.
fn crate_imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        // `$crate::` belongs to macros and `foo_crate::` to another crate.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let tail = rest.trim_start();
        if let Some(group) = tail.strip_prefix('{') {
            for member in top_level_members(group) {
                if let Some(name) = first_segment(member) {
                    found.insert(name);
                }
            }
        } else if let Some(name) = first_segment(tail) {
            found.insert(name);
        }
    }
    found
}

/// The comma-separated members of a `{ … }` group (text after its `{`), up to its `}`.
fn top_level_members(group: &str) -> Vec<&str> {
    let mut members = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                members.push(&group[start..i]);
                return members;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                members.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    members
}

/// `runs::RunDir` → `runs`; `self` and empty members name no module.
fn first_segment(path: &str) -> Option<String> {
    let name: String = path
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name != "self").then_some(name)
}

#[test]
fn top_level_modules_import_only_the_layers_below_them() {
    let src = src_dir();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    assert!(files.len() > 20, "read {} files under {src:?}", files.len());
    let known: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    let mut violations = Vec::new();
    for file in &files {
        let Some(module) = top_module(&src, file) else {
            continue;
        };
        let Some((_, allowed)) = LAYERS.iter().find(|(m, _)| *m == module) else {
            violations.push(format!(
                "{}: top-level module `{module}` is not in LAYERS (tests/layers.rs): give it a layer",
                file.display()
            ));
            continue;
        };
        let code = strip_comments(&std::fs::read_to_string(file).unwrap());
        for target in crate_imports(&code) {
            if target == module || allowed.contains(&target.as_str()) {
                continue;
            }
            let why = if known.contains(target.as_str()) {
                "points up or sideways"
            } else {
                "is not a top-level module"
            };
            violations.push(format!(
                "{}: `{module}` imports `crate::{target}`, which {why}",
                file.display()
            ));
        }
    }
    assert!(violations.is_empty(), "\n{}", violations.join("\n"));
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = src_dir();
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let declared: BTreeSet<String> = strip_comments(&lib)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').trim().to_owned())
        .collect();
    let layered: BTreeSet<String> = LAYERS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(declared, layered, "src/lib.rs's modules vs LAYERS");
}

#[test]
fn the_allowed_imports_have_no_circle() {
    // Each module may import only modules listed before it, so the graph is acyclic.
    for (i, (module, allowed)) in LAYERS.iter().enumerate() {
        for dep in *allowed {
            let j = LAYERS.iter().position(|(m, _)| m == dep);
            assert!(
                j.is_some_and(|j| j < i),
                "`{module}` may import `{dep}`, which is not listed before it"
            );
        }
    }
}

#[test]
fn the_import_reader_sees_groups_and_inline_paths_but_not_comments() {
    let code = strip_comments(
        "use crate::{data::Vocab, model::{self, LanguageModel}, self as me};\n\
         // use crate::tui::App;\n\
         /* crate::cli */ let d = crate::runs::data_dir(None);\n\
         let s = \"// not a comment\"; let q = '\"'; use crate::train;\n\
         macro_rules! m { () => { $crate::exit::EXIT_USAGE } }\n\
         fn f<'a>(x: &'a str) -> crate::hparams::HParams { todo!() }\n",
    );
    let found: Vec<String> = crate_imports(&code).into_iter().collect();
    assert_eq!(found, ["data", "hparams", "model", "runs", "train"]);
}

/// Inside the cockpit (issue 24): the app (state and update) and the view (drawing) both read
/// the layout and neither imports the other; the panels see neither.
#[test]
fn the_cockpits_app_and_view_do_not_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    let read = |p: &str| strip_comments(&std::fs::read_to_string(root.join(p)).unwrap());
    let names = |code: &str, module: &str| {
        code.contains(&format!("super::{module}"))
            || code.contains(&format!("crate::tui::{module}"))
            || code.contains(&format!("tui::{{{module}"))
    };
    assert!(!names(&read("app.rs"), "view"), "app.rs imports the view");
    assert!(
        names(&read("app.rs"), "layout"),
        "app.rs hit-tests with the layout"
    );
    assert!(
        names(&read("view.rs"), "layout"),
        "view.rs draws with the layout"
    );
    for entry in std::fs::read_dir(root.join("panels")).unwrap() {
        let path = entry.unwrap().path();
        let code = strip_comments(&std::fs::read_to_string(&path).unwrap());
        for module in ["app", "view"] {
            assert!(
                !code.contains(&format!("crate::tui::{module}::")),
                "{} imports tui::{module}",
                path.display()
            );
        }
    }
}
