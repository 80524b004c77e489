//! `rnn-tui plot` end to end, on real runs trained by `train --headless`: the SVG is
//! well-formed XML with one polyline per series and the legend's names, the PNG decodes at the
//! asked size and is not blank, runs overlay, a run still being written plots, and every bad
//! input is one line and exit code 2.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::cli::{private_dir, rnn_tui, SMALL_SPLIT};

struct Env {
    tmp: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env { tmp: private_dir() }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.tmp.path().join(p)
    }

    fn run(&self, args: &[&str]) -> Output {
        rnn_tui(self.tmp.path()).args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        common::cli::success_stdout(self.run(args), args)
    }

    /// Train a tiny model for `epochs`; its id and directory.
    fn train(&self, epochs: &str, extra: &[&str]) -> (String, PathBuf) {
        let corpus = self.path("slice.txt").display().to_string();
        let mut args = vec!["train", "--headless", "--device", "cpu", "--threads", "1"];
        args.extend(SMALL_SPLIT);
        // A clip threshold among the gradient norms (~0.05–0.3 here), so its line is drawn.
        args.extend(["--hiddens", "16", "--clip", "0.15", "--epochs", epochs]);
        args.extend(["--corpus", &corpus]);
        args.extend(extra);
        let text = self.ok(&args);
        let line = text
            .lines()
            .find(|l| l.starts_with("run "))
            .unwrap_or_else(|| panic!("no run line in {text}"));
        let parts: Vec<&str> = line.split(' ').collect();
        (parts[1].to_owned(), PathBuf::from(parts[2]))
    }

    /// Expect exit code 2 and one `error:` line containing `needle`, and no file at `output`.
    fn refused(&self, args: &[&str], needle: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        assert!(lines[0].contains(needle), "{args:?}: {stderr}");
    }
}

/// The default theme's text and axis colour.
const AXIS_COLOUR: &str = "#D0D0D0";

/// The SVG's curves (one polyline per series drawn: its colour and point count) and texts.
struct Svg {
    polylines: Vec<(String, usize)>,
    texts: Vec<String>,
}

fn parse_svg(path: &Path) -> Svg {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // The axes' tick marks are polylines too, in the text colour (the default theme's).
    let polylines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("path"))
        .filter(|n| n.attribute("stroke") != Some(AXIS_COLOUR))
        .map(|n| {
            let stroke = n.attribute("stroke").unwrap_or_default().to_owned();
            let points = n
                .attribute("points")
                .map_or(0, |p| p.split_whitespace().count());
            (stroke, points)
        })
        .collect();
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::to_owned))
        .collect();
    Svg { polylines, texts }
}

impl Svg {
    fn has_text(&self, needle: &str) -> bool {
        self.texts.iter().any(|t| t.contains(needle))
    }
}

#[test]
fn one_run_as_svg_has_a_line_per_series_and_names_them() {
    let env = Env::new();
    let (id, dir) = env.train("3", &[]);
    let out = env.path("curves.svg");
    env.ok(&["plot", &id, "-o", out.to_str().unwrap()]);
    let svg = parse_svg(&out);
    // Perplexity: per batch, EMA, validation; gradients: the norm and the clip threshold.
    assert_eq!(svg.polylines.len(), 5, "{:?}", svg.polylines);
    // 3 epochs of 8 batches: every batch is a point of the train and gradient curves.
    let counts: Vec<usize> = svg.polylines.iter().map(|p| p.1).collect();
    assert_eq!(counts.iter().filter(|&&n| n == 24).count(), 4, "{counts:?}");
    assert!(counts.contains(&3), "3 validation points: {counts:?}");
    for name in [
        "train, per batch",
        "train EMA 0.95",
        "validation, per epoch",
        "gradient norm",
        "clip threshold 0.15",
        id.as_str(),
        "rnn H16 sgd",
        "lr 1",
        "batch 256",
        "steps",
    ] {
        assert!(svg.has_text(name), "no {name:?} in {:?}", svg.texts);
    }
    // A label names the run instead of its id; `latest` and a path find it too.
    env.ok(&["runs", "--label", &id, "baseline <§9.5>"]);
    env.ok(&["plot", "latest", "-o", out.to_str().unwrap()]);
    assert!(parse_svg(&out).has_text("baseline <§9.5>"));
    env.ok(&[
        "plot",
        dir.to_str().unwrap(),
        "--metric",
        "ppl",
        "--x",
        "time",
        "-o",
        out.to_str().unwrap(),
    ]);
    let svg = parse_svg(&out);
    assert_eq!(svg.polylines.len(), 3);
    assert!(svg.has_text("training time"), "{:?}", svg.texts);
}

#[test]
fn png_decodes_at_the_asked_size_and_is_not_blank() {
    let env = Env::new();
    let (id, _) = env.train("2", &[]);
    let out = env.path("curves.png");
    env.ok(&[
        "plot",
        &id,
        "--size",
        "640x400",
        "--theme",
        "light",
        "-o",
        out.to_str().unwrap(),
    ]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (640, 400));
    let px = info.color_type.samples();
    let colours: HashSet<&[u8]> = buf[..info.buffer_size()].chunks(px).collect();
    // Background, text, grid, and the curves' colours (anti-aliased text adds shades).
    assert!(colours.len() >= 8, "{} colours", colours.len());
    // The light theme: a white background.
    assert_eq!(&buf[..3], &[255, 255, 255]);
}

#[test]
fn three_runs_overlay_a_colour_each_and_the_lr_panel_shows_a_change() {
    let env = Env::new();
    let (a, _) = env.train("2", &[]);
    let (b, _) = env.train("2", &["--lr", "0.5"]);
    // Run c is resumed at a lower learning rate: its rate changed over the run.
    let (c, _) = env.train("2", &["--lr", "4"]);
    env.ok(&[
        "train",
        "--headless",
        "--resume",
        &c,
        "--epochs",
        "3",
        "--lr",
        "0.5",
        "--threads",
        "1",
    ]);
    let out = env.path("three.svg");
    env.ok(&[
        "plot",
        &a,
        &b,
        &c,
        "--metric",
        "ppl",
        "-o",
        out.to_str().unwrap(),
    ]);
    let svg = parse_svg(&out);
    assert_eq!(svg.polylines.len(), 9, "{:?}", svg.polylines);
    let strokes: HashSet<&str> = svg.polylines.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(strokes.len(), 3, "a colour per run: {strokes:?}");
    for id in [&a, &b, &c] {
        assert!(svg.has_text(id), "no {id} in {:?}", svg.texts);
    }
    assert!(svg.has_text("3 runs"));
    // All: perplexity, gradients, and the learning rate (run c's decayed).
    env.ok(&["plot", &a, &b, &c, "-o", out.to_str().unwrap()]);
    let svg = parse_svg(&out);
    assert_eq!(
        svg.polylines.len(),
        3 * 3 + 3 * 2 + 3,
        "{:?}",
        svg.polylines
    );
    assert!(svg.has_text("learning rate"));
    assert!(
        svg.has_text("lr 4→0.5"),
        "the decayed run's legend: {:?}",
        svg.texts
    );
}

#[test]
fn a_run_still_being_written_plots_what_it_has() {
    let env = Env::new();
    let (_, dir) = env.train("2", &[]);
    // A copy whose writer is mid-line: the torn last line is left out, as the watcher does.
    let copy = dir.parent().unwrap().join("20990101-000000-beef");
    std::fs::create_dir(&copy).unwrap();
    for f in ["run.json", "metrics.jsonl"] {
        std::fs::copy(dir.join(f), copy.join(f)).unwrap();
    }
    let metrics = copy.join("metrics.jsonl");
    let mut text = std::fs::read_to_string(&metrics).unwrap();
    text.push_str(r#"{"event":"batch","epoch":3,"batch":1,"batches_per_ep"#);
    std::fs::write(&metrics, text).unwrap();
    let out = env.path("live.svg");
    env.ok(&["plot", "20990101-000000-beef", "-o", out.to_str().unwrap()]);
    let svg = parse_svg(&out);
    assert_eq!(svg.polylines.len(), 5);
    assert!(
        svg.polylines.iter().any(|p| p.1 == 16),
        "{:?}",
        svg.polylines
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let env = Env::new();
    let (id, dir) = env.train("1", &[]);
    let out = env.path("x.svg");
    let o = out.to_str().unwrap();
    env.refused(&["plot", "nosuchrun", "-o", o], "no run \"nosuchrun\"");
    env.refused(
        &["plot", &id, "-o", "curves.pdf"],
        "a figure is .svg or .png",
    );
    env.refused(&["plot", &id, "-o", "curves"], "a figure is .svg or .png");
    let missing = env.path("no/such/dir/x.svg");
    env.refused(
        &["plot", &id, "-o", missing.to_str().unwrap()],
        "cannot write there",
    );
    let as_dir = env.path("a-dir.svg");
    std::fs::create_dir(&as_dir).unwrap();
    env.refused(
        &["plot", &id, "-o", as_dir.to_str().unwrap()],
        "a directory",
    );
    #[cfg(unix)]
    {
        let target = env.path("target.svg");
        let link = env.path("link.svg");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        env.refused(
            &["plot", &id, "-o", link.to_str().unwrap()],
            "a symbolic link",
        );
        assert!(!target.exists(), "the link's target is never written");
    }
    for size in ["0x800", "20000x800", "garbage", "800"] {
        env.refused(&["plot", &id, "--size", size, "-o", o], "--size");
    }
    env.refused(&["plot", &id, "--theme", "nope", "-o", o], "unknown theme");
    // A run made but with no batch yet.
    let fresh = dir.parent().unwrap().join("20990101-000000-f00d");
    std::fs::create_dir(&fresh).unwrap();
    std::fs::copy(dir.join("run.json"), fresh.join("run.json")).unwrap();
    std::fs::write(fresh.join("metrics.jsonl"), "").unwrap();
    env.refused(
        &["plot", "20990101-000000-f00d", "-o", o],
        "has no batches yet",
    );
    assert!(!out.exists(), "nothing written on bad input");
    // --help ends with an example and the guide.
    let help = env.ok(&["plot", "--help"]);
    assert!(
        help.trim_end()
            .ends_with("Example:\n  rnn-tui plot latest -o curves.svg\n\nGuide: docs/plots.md"),
        "{help}"
    );
}
