//! Turns a terminal screen captured by `tmux capture-pane -e -p` into a PNG picture.
//!
//!     cargo run --release --example screenshot -- CAPTURE.ans OUT.png --size 120x40
//!
//! `scripts/screenshots.sh` uses it for the cockpit pictures of the README and the guide.
//! Why a renderer of our own rather than `aha` + a headless browser: it needs nothing outside
//! Cargo (no browser on a CI machine), it embeds its font so every machine draws the same
//! letters, and it lays the screen on an exact cell grid — borders, sparklines and braille
//! charts meet at the cell edges as they do in a terminal, where HTML text would not.

mod raster;
mod screen;

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug)]
struct Args {
    capture: PathBuf,
    out: PathBuf,
    cols: usize,
    rows: usize,
}

const USAGE: &str = "usage: screenshot CAPTURE.ans OUT.png --size COLSxROWS";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut files = Vec::new();
    let mut size = None;
    while let Some(a) = args.next() {
        if a == "--size" {
            let v = args.next().ok_or("--size needs COLSxROWS, e.g. 120x40")?;
            size = Some(parse_size(&v)?);
        } else if a.starts_with('-') {
            return Err(format!("unknown option {a:?}; {USAGE}"));
        } else {
            files.push(PathBuf::from(a));
        }
    }
    let [capture, out] = <[PathBuf; 2]>::try_from(files).map_err(|_| USAGE.to_owned())?;
    if out.extension().and_then(|e| e.to_str()) != Some("png") {
        return Err(format!("{}: the picture is written as .png", out.display()));
    }
    let (cols, rows) = size.ok_or_else(|| format!("--size is required; {USAGE}"))?;
    Ok(Args {
        capture,
        out,
        cols,
        rows,
    })
}

fn parse_size(v: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--size {v:?}: expected COLSxROWS, each 1 to 1000, e.g. 120x40");
    let (c, r) = v.split_once('x').ok_or_else(bad)?;
    let (c, r): (usize, usize) = (c.parse().map_err(|_| bad())?, r.parse().map_err(|_| bad())?);
    if !(1..=1000).contains(&c) || !(1..=1000).contains(&r) {
        return Err(bad());
    }
    Ok((c, r))
}

fn run() -> Result<(), String> {
    let args = parse_args(std::env::args().skip(1))?;
    let capture = std::fs::read_to_string(&args.capture)
        .map_err(|e| format!("{}: {e}", args.capture.display()))?;
    let screen = screen::Screen::parse(&capture, args.cols, args.rows)
        .map_err(|e| format!("{}: {e}", args.capture.display()))?;
    let image = raster::render(&screen, &raster::DARK, &raster::DEFAULT_METRICS);
    std::fs::write(&args.out, image.png()).map_err(|e| format!("{}: {e}", args.out.display()))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Result<Args, String> {
        parse_args(v.iter().map(|s| s.to_string()))
    }

    #[test]
    fn sizes_and_file_names_are_checked() {
        let a = args(&["c.ans", "o.png", "--size", "120x40"]).unwrap();
        assert_eq!((a.cols, a.rows), (120, 40));
        assert!(args(&["c.ans", "o.png"])
            .unwrap_err()
            .contains("--size is required"));
        assert!(args(&["c.ans", "o.jpg", "--size", "1x1"])
            .unwrap_err()
            .contains(".png"));
        assert!(args(&["c.ans", "o.png", "--size", "0x4"])
            .unwrap_err()
            .contains("1 to 1000"));
        assert!(args(&["c.ans", "o.png", "--size", "wide"])
            .unwrap_err()
            .contains("COLSxROWS"));
        assert!(args(&["c.ans", "--size", "3x3"])
            .unwrap_err()
            .starts_with("usage"));
    }
}
