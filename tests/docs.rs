//! The README and the guide stay true: every relative link and image path in README.md,
//! README.ko.md and docs/ resolves to a file of the repository, every `#anchor` names a heading
//! of the page it points into, every flag the READMEs' commands show exists in the `--help` of
//! the subcommand they run, and every subcommand's `--help` ends with an example that does the
//! same and a `Guide:` pointer to a page that exists.
//!
//! Markdown is read with a small scanner rather than a full parser: the pages use inline links
//! and images, ATX headings, fenced and indented code blocks, and nothing else that could hide
//! or fake a link.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_rnn-tui");

/// README.md, README.ko.md and every Markdown page under docs/, as paths relative to the root.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md"), PathBuf::from("README.ko.md")];
    let mut dirs = vec![PathBuf::from("docs")];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(Path::new(ROOT).join(&dir))
            .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let rel = dir.join(entry.unwrap().file_name());
            let abs = Path::new(ROOT).join(&rel);
            if abs.is_dir() {
                dirs.push(rel);
            } else if rel.extension().is_some_and(|e| e == "md") {
                files.push(rel);
            }
        }
    }
    files.sort();
    files
}

fn read(rel: &Path) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(rel))
        .unwrap_or_else(|e| panic!("reading {}: {e}", rel.display()))
}

/// One line of a page, and whether it is code (a fenced or an indented code block).
struct Line<'a> {
    number: usize,
    text: &'a str,
    code: bool,
}

/// The page's lines, marked as code or prose. An indented code block starts with four spaces
/// after a blank line (or after another code line), as CommonMark has it outside lists; the
/// pages put no code inside list items.
fn lines(markdown: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    let mut previous_blank = true;
    let mut in_indented = false;
    for (i, text) in markdown.lines().enumerate() {
        let trimmed = text.trim_start();
        let code = if let Some(f) = fence {
            if trimmed.starts_with(f) {
                fence = None;
            }
            true
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
            true
        } else if text.starts_with("    ") && (previous_blank || in_indented) {
            in_indented = true;
            true
        } else {
            if !text.trim().is_empty() {
                in_indented = false;
            }
            false
        };
        previous_blank = text.trim().is_empty();
        out.push(Line {
            number: i + 1,
            text,
            code,
        });
    }
    out
}

/// The text with code spans (`` `…` ``, any run of backticks) removed.
fn without_code_spans(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|&c| c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => rest = &after[end + ticks..],
            None => {
                // An unclosed run is literal text.
                out.push_str(&rest[start..start + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The targets of the inline links and images (`[text](target)`, `![alt](target)`) of a
/// prose line, with the line number.
fn link_targets(markdown: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for line in lines(markdown).into_iter().filter(|l| !l.code) {
        let prose = without_code_spans(line.text);
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let end = after.find(')').unwrap_or_else(|| {
                panic!(
                    "line {}: a link with no closing ')': {}",
                    line.number, line.text
                )
            });
            let target = after[..end].trim();
            // `[text](target "title")`: the title is not part of the path.
            let target = target.split(" \"").next().unwrap_or(target);
            out.push((line.number, target.trim_matches(['<', '>']).to_owned()));
            rest = &after[end + 1..];
        }
    }
    out
}

/// GitHub's anchor for a heading: the text as rendered (code spans, emphasis and links reduced
/// to their text), lower-cased, every character that is not a letter, a digit, `-` or `_`
/// dropped, spaces turned into `-`. Letters of every script stay (Hangul among them).
fn slug(heading: &str) -> String {
    let mut text = heading.replace('`', "").replace("**", "").replace('*', "");
    // A link in a heading reads as its text.
    while let (Some(open), Some(mid)) = (text.find('['), text.find("](")) {
        let Some(close) = text[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        if open > mid {
            break;
        }
        text = format!(
            "{}{}{}",
            &text[..open],
            &text[open + 1..mid],
            &text[close + 1..]
        );
    }
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings, with GitHub's `-1`, `-2` … for repeated ones.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for line in lines(markdown).into_iter().filter(|l| !l.code) {
        let hashes = line.text.chars().take_while(|&c| c == '#').count();
        if !(1..=6).contains(&hashes) || !line.text[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(line.text[hashes..].trim().trim_end_matches('#'));
        let n = seen.entry(base.clone()).or_insert(0);
        out.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    out
}

/// What is wrong with one link target of the page `page` (a path relative to the root), if
/// anything: a missing file, a path out of the repository, an anchor no heading has.
fn check_link(page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    if target.is_empty() {
        return Some("an empty link".to_owned());
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let root = Path::new(ROOT).canonicalize().unwrap();
    let linked = if path.is_empty() {
        Path::new(ROOT).join(page)
    } else {
        Path::new(ROOT).join(page.parent().unwrap()).join(path)
    };
    let Ok(resolved) = linked.canonicalize() else {
        return Some(format!("{target}: no such file"));
    };
    if !resolved.starts_with(&root) {
        return Some(format!("{target}: outside the repository"));
    }
    // The pages under docs/ are also a book built from docs/ alone: a link out of it breaks there.
    if page.starts_with("docs") && !resolved.starts_with(root.join("docs")) {
        return Some(format!(
            "{target}: out of docs/, which the book (mdbook build docs) cannot follow"
        ));
    }
    let anchor = anchor?;
    if resolved.extension().is_none_or(|e| e != "md") {
        return Some(format!(
            "{target}: an anchor on a file that is not Markdown"
        ));
    }
    let headings = anchors(&std::fs::read_to_string(&resolved).unwrap());
    if headings.contains(anchor) {
        None
    } else {
        Some(format!(
            "{target}: no heading with the anchor #{anchor} (it has: {})",
            headings.into_iter().collect::<Vec<_>>().join(", ")
        ))
    }
}

#[test]
fn every_relative_link_and_image_in_the_readmes_and_the_guide_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in markdown_files() {
        for (line, target) in link_targets(&read(&page)) {
            checked += 1;
            if let Some(problem) = check_link(&page, &target) {
                broken.push(format!("{}:{line}: {problem}", page.display()));
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} links found: is the scanner blind?"
    );
    assert!(
        broken.is_empty(),
        "{} broken links:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

/// A word in angle brackets outside code (`read as <unk>`) is an HTML tag to a forge, which
/// hides it: the pages keep such text in code spans.
#[test]
fn no_page_hides_text_in_what_a_forge_reads_as_html() {
    let mut hidden = Vec::new();
    for page in markdown_files() {
        let text = read(&page);
        for line in lines(&text).into_iter().filter(|l| !l.code) {
            let prose = without_code_spans(line.text);
            let mut rest = prose.as_str();
            while let Some(at) = rest.find('<') {
                let tag = &rest[at + 1..];
                if tag.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/') {
                    let end = tag.find('>').map_or(tag.len(), |e| e + 1);
                    hidden.push(format!(
                        "{}:{}: <{}",
                        page.display(),
                        line.number,
                        &tag[..end]
                    ));
                }
                rest = tag;
            }
        }
    }
    assert!(
        hidden.is_empty(),
        "raw HTML in prose (put it in `code`):\n{}",
        hidden.join("\n")
    );
}

/// The scanner and the slugs themselves: links in code are not links, anchors follow GitHub.
#[test]
fn the_link_scanner_reads_links_and_headings_as_a_forge_renders_them() {
    let page = "# Vector paths (`--isa`)\n\
                ## 한국어 텍스트로 학습하기\n\
                ## Results: each model at d2l's settings, and tuned\n\
                ## Notes\n\
                ## Notes\n\
                See [a](x.md#b) and ![pic](img/a.png \"title\"), not `[c](d.md)`.\n\
                \n    [e](code.md)\n\
                ```\n[f](fenced.md)\n```\n";
    let targets: Vec<String> = link_targets(page).into_iter().map(|(_, t)| t).collect();
    assert_eq!(targets, ["x.md#b", "img/a.png"]);
    let found = anchors(page);
    for anchor in [
        "vector-paths---isa",
        "한국어-텍스트로-학습하기",
        "results-each-model-at-d2ls-settings-and-tuned",
        "notes",
        "notes-1",
    ] {
        assert!(found.contains(anchor), "{anchor} not in {found:?}");
    }
    assert_eq!(
        check_link(Path::new("README.md"), "docs/nope.md"),
        Some("docs/nope.md: no such file".to_owned())
    );
    assert!(check_link(Path::new("README.md"), "../../etc/passwd").is_some());
    assert!(check_link(Path::new("docs/runs.md"), "../README.md")
        .is_some_and(|p| p.contains("out of docs/")));
    assert_eq!(
        check_link(Path::new("README.md"), "docs/runs.md#resume"),
        None
    );
    assert!(
        check_link(Path::new("docs/runs.md"), "cockpit.md#no-such-panel")
            .is_some_and(|p| p.contains("no heading with the anchor #no-such-panel"))
    );
}

/// The cockpit's `?` overlay names these sections of docs/cockpit.md for the focused panel.
#[test]
fn the_cockpit_page_has_a_section_for_every_panel() {
    let headings = anchors(&read(Path::new("docs/cockpit.md")));
    for anchor in [
        "perplexity-panel",
        "gradients-panel",
        "heatmap-panel",
        "completion-panel",
        "form-panel",
        "runs-picker",
    ] {
        assert!(headings.contains(anchor), "docs/cockpit.md lacks #{anchor}");
    }
}

/// `rnn-tui ARGS --help`'s output (exit 0).
fn help(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).arg("--help").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "rnn-tui {} --help failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The subcommands `rnn-tui --help` lists (without clap's own `help`).
fn subcommands() -> Vec<String> {
    let top = help(&[]);
    let list = top
        .split("Commands:\n")
        .nth(1)
        .expect("rnn-tui --help lists its commands");
    let names: Vec<String> = list
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|&name| name != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 8, "too few commands found: {names:?}");
    names
}

/// The long and short flags a help text offers (`--seed`, `-o`).
fn offered_flags(help: &str) -> BTreeSet<String> {
    help.split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .filter_map(|word| {
            let flag = word.split(['=', '<', '.']).next().unwrap();
            let long = flag.len() > 2
                && flag.starts_with("--")
                && flag[2..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-');
            let short = flag.len() == 2
                && flag.starts_with('-')
                && flag.chars().nth(1).unwrap().is_ascii_alphabetic();
            (long || short).then(|| flag.to_owned())
        })
        .collect()
}

/// An `rnn-tui` command shown in a line of code.
struct ShownCommand {
    /// The subcommand it runs; `None`: the top-level command (the cockpit).
    sub: Option<String>,
    /// The flags it gives (`--seed`, `-o`).
    flags: Vec<String>,
}

/// The `rnn-tui` command in a line of code, or why it cannot run (an unknown subcommand). A
/// line with no `rnn-tui` command (or a bare `cargo run --release`) gives `None`.
fn command_in(line: &str, commands: &[String]) -> Option<Result<ShownCommand, String>> {
    let words: Vec<&str> = line
        .split_whitespace()
        .take_while(|w| !w.starts_with('#'))
        .map(|w| w.trim_end_matches(';'))
        .collect();
    let start = if let Some(at) = words.iter().position(|&w| w == "rnn-tui") {
        at + 1
    } else {
        let cargo = words
            .windows(3)
            .position(|w| w == ["cargo", "run", "--release"])?;
        let dashes = words[cargo..].iter().position(|&w| w == "--")?;
        cargo + dashes + 1
    };
    let args = &words[start..];
    let end = args
        .iter()
        .position(|&w| matches!(w, "|" | "&&" | ">" | "&" | "done"))
        .unwrap_or(args.len());
    let args = &args[..end];
    if let Some(first) = args.first().filter(|w| !w.starts_with('-')) {
        if !commands.iter().any(|c| c == first) {
            return Some(Err(format!("`{first}` is not a subcommand of rnn-tui")));
        }
    }
    let sub = args
        .iter()
        .find(|w| commands.iter().any(|c| c == *w))
        .map(|w| (*w).to_owned());
    let flags = args
        .iter()
        .filter(|w| w.starts_with('-') && **w != "--" && **w != "-")
        .map(|w| w.split('=').next().unwrap().to_owned())
        .collect();
    Some(Ok(ShownCommand { sub, flags }))
}

/// What is wrong with the commands of these lines: unknown subcommands, flags their `--help`
/// does not offer. `helps` caches each subcommand's help.
fn check_commands(
    lines: impl Iterator<Item = (String, String)>,
    commands: &[String],
    helps: &mut BTreeMap<Option<String>, BTreeSet<String>>,
) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (place, line) in lines {
        let Some(command) = command_in(&line, commands) else {
            continue;
        };
        checked += 1;
        let ShownCommand { sub, flags } = match command {
            Ok(c) => c,
            Err(problem) => {
                problems.push(format!("{place}: {problem}: {line}"));
                continue;
            }
        };
        let offered = helps.entry(sub.clone()).or_insert_with(|| {
            offered_flags(&match &sub {
                Some(s) => help(&[s]),
                None => help(&[]),
            })
        });
        for flag in flags.iter().filter(|f| !offered.contains(*f)) {
            let shown = sub.as_deref().map_or("rnn-tui --help".to_owned(), |s| {
                format!("rnn-tui {s} --help")
            });
            problems.push(format!("{place}: {flag} is not in `{shown}`: {line}"));
        }
    }
    (checked, problems)
}

#[test]
fn every_flag_the_readmes_and_the_guide_show_exists_in_help() {
    let commands = subcommands();
    let mut helps = BTreeMap::new();
    let mut code_lines = Vec::new();
    for page in markdown_files() {
        let text = read(&page);
        for line in lines(&text).into_iter().filter(|l| l.code) {
            code_lines.push((
                format!("{}:{}", page.display(), line.number),
                line.text.to_owned(),
            ));
        }
    }
    let readme_commands = code_lines
        .iter()
        .filter(|(place, line)| {
            place.starts_with("README") && command_in(line, &commands).is_some()
        })
        .count();
    assert!(
        readme_commands >= 4,
        "README.md and README.ko.md show only {readme_commands} commands: is the scanner blind?"
    );
    let (checked, problems) = check_commands(code_lines.into_iter(), &commands, &mut helps);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked > 20, "only {checked} commands found");
}

/// The checker itself: it finds the subcommand and refuses a flag the help lacks.
#[test]
fn the_flag_checker_tells_a_real_flag_from_a_made_up_one() {
    let commands = subcommands();
    let mut helps = BTreeMap::new();
    let lines = [
        "    rnn-tui runs --sort best   # --not-a-flag in a comment",
        "cargo run --release -- --corpus x.txt --hiddens 64",
        "for c in rnn gru; do rnn-tui train --headless --cell $c; done",
        "rnn-tui runs --sortt best",
        "rnn-tui --data-dir d sample --run latest --no-such-flag",
        "rnn-tui frobnicate --x 1",
        "cargo run --release",
    ];
    let (checked, problems) = check_commands(
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("line {i}"), (*l).to_owned())),
        &commands,
        &mut helps,
    );
    assert_eq!(checked, 6, "{problems:?}");
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(problems[0].contains("--sortt is not in `rnn-tui runs --help`"));
    assert!(problems[1].contains("--no-such-flag is not in `rnn-tui sample --help`"));
    assert!(problems[2].contains("`frobnicate` is not a subcommand"));
}

#[test]
fn every_help_ends_with_a_working_example_and_a_guide_page() {
    let commands = subcommands();
    let mut helps = BTreeMap::new();
    let mut problems = Vec::new();
    let mut pages = Vec::new();
    let tops: Vec<Option<&String>> = std::iter::once(None)
        .chain(commands.iter().map(Some))
        .collect();
    for sub in tops {
        let text = match sub {
            Some(s) => help(&[s]),
            None => help(&[]),
        };
        let name = sub.map_or("rnn-tui".to_owned(), |s| format!("rnn-tui {s}"));
        let tail: Vec<&str> = text.trim_end().lines().rev().take(4).collect();
        // Reversed: the guide line, a blank line, the example, "Example:".
        let [guide, blank, example, label] = tail[..] else {
            problems.push(format!("{name} --help is too short"));
            continue;
        };
        if label != "Example:" || !blank.is_empty() || !example.starts_with("  rnn-tui ") {
            problems.push(format!(
                "{name} --help does not end with \"Example:\\n  rnn-tui …\\n\\nGuide: …\": {tail:?}"
            ));
            continue;
        }
        if let Some(sub) = sub {
            if !example.trim().starts_with(&format!("rnn-tui {sub}")) {
                problems.push(format!(
                    "{name} --help's example runs another command: {example}"
                ));
            }
        }
        pages.push((name.clone(), example.to_owned()));
        match guide.strip_prefix("Guide: docs/") {
            Some(page) if page.ends_with(".md") => {
                let path = Path::new(ROOT).join("docs").join(page);
                if !path.is_file() {
                    problems.push(format!(
                        "{name} --help points at docs/{page}, which is missing"
                    ));
                }
            }
            _ => problems.push(format!(
                "{name} --help's last line is not \"Guide: docs/….md\": {guide}"
            )),
        }
    }
    let (_, flag_problems) = check_commands(pages.into_iter(), &commands, &mut helps);
    problems.extend(flag_problems);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Every page of the guide is in the book's table of contents, and the table names no page
/// that is not there.
#[test]
fn the_book_lists_every_page_of_the_guide() {
    let summary = read(Path::new("docs/SUMMARY.md"));
    let listed: BTreeSet<String> = link_targets(&summary).into_iter().map(|(_, t)| t).collect();
    let pages: BTreeSet<String> = markdown_files()
        .into_iter()
        .filter_map(|p| {
            p.strip_prefix("docs")
                .ok()
                .map(|p| p.to_string_lossy().into_owned())
        })
        .filter(|p| p != "SUMMARY.md")
        .collect();
    let unlisted: Vec<&String> = pages.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "pages missing from docs/SUMMARY.md: {unlisted:?}"
    );
    let book = read(Path::new("docs/book.toml"));
    assert!(
        book.contains("title = \"rnn-tui guide\"") && book.contains("src = \".\""),
        "{book}"
    );
}
