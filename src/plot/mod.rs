//! Figures of runs' curves, kept as files: what the cockpit's charts show (perplexity raw and
//! smoothed with validation, the gradient norm with the clip threshold, the learning rate),
//! drawn with plotters as SVG or PNG. `rnn-tui plot` and the cockpit's `p` both come here.
//!
//! Plain data in ([`RunCurves`] from metric records, a [`Palette`] of RGB colours), bytes
//! out; [`write_figure`] puts them in place atomically. Text is measured and drawn with the
//! embedded DejaVu Sans, so a PNG looks the same on every machine.

pub mod figure;
pub mod palette;
pub mod series;

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::prelude::*;

pub use figure::{FigureOptions, Metric, Panel};
pub use palette::{Palette, Rgb};
pub use series::{RunCurves, RunInfo, XAxis, DEFAULT_SMOOTHING};

/// The family name figures ask for; the embedded font is registered under it.
pub const FONT_FAMILY: &str = "sans-serif";
/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// Largest width or height, in pixels (a 10000×10000 PNG is a 300 MB buffer already).
pub const MAX_SIDE: u32 = 10_000;
/// Smallest width and height: room for the axes' labels and a curve.
pub const MIN_WIDTH: u32 = 200;
pub const MIN_HEIGHT: u32 = 150;
/// The size a figure is drawn at unless asked otherwise.
pub const DEFAULT_SIZE: (u32, u32) = (1200, 800);

/// Why a figure could not be made or written. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    #[error("{path}: a figure is .svg or .png (named by the file's extension)")]
    UnknownFormat { path: PathBuf },
    #[error(
        "--size {text:?}: WIDTHxHEIGHT in pixels, from {MIN_WIDTH}x{MIN_HEIGHT} to {MAX_SIDE}x{MAX_SIDE} (e.g. 1200x800)"
    )]
    BadSize { text: String },
    #[error("run {run} has no batches yet: nothing to plot")]
    NoBatches { run: String },
    #[error("{path} is {what}, not a regular file (nothing written)")]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("{path}: cannot write there: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    /// Writing failed for another reason (a full disk): a failure, not bad input.
    #[error("{path}: {reason}")]
    Write { path: PathBuf, reason: String },
    #[error("drawing the figure failed: {0}")]
    Draw(String),
}

impl PlotError {
    /// Bad input from the user (a name, a size, a path, a run) rather than a failure.
    pub fn is_usage(&self) -> bool {
        !matches!(self, PlotError::Write { .. } | PlotError::Draw(_))
    }
}

/// A figure's file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// From the file's extension (`.svg`, `.png`, any case).
    pub fn of_path(path: &Path) -> Result<Format, PlotError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::UnknownFormat {
                path: path.to_owned(),
            }),
        }
    }
}

/// `--size WxH` (also `W×H`): each side within [`MIN_WIDTH`]/[`MIN_HEIGHT`]..=[`MAX_SIDE`].
pub fn parse_size(text: &str) -> Result<(u32, u32), PlotError> {
    let bad = || PlotError::BadSize {
        text: text.to_owned(),
    };
    let t = text.trim().to_ascii_lowercase();
    let (w, h) = t.split_once(['x', '×']).ok_or_else(bad)?;
    let side = |s: &str| s.trim().parse::<u32>().map_err(|_| bad());
    let (w, h) = (side(w)?, side(h)?);
    if !(MIN_WIDTH..=MAX_SIDE).contains(&w) || !(MIN_HEIGHT..=MAX_SIDE).contains(&h) {
        return Err(bad());
    }
    Ok((w, h))
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, DEJAVU_SANS).is_err() {
            // The font is part of the binary: it parses, or the build is broken.
            unreachable!("the embedded DejaVu Sans does not parse");
        }
    });
}

/// Draw `runs` (in the order given: their colours follow it) as a figure of `size` pixels.
/// Refused when a run has no batch yet.
pub fn render(
    runs: &[RunCurves],
    opts: &FigureOptions,
    format: Format,
    size: (u32, u32),
) -> Result<Vec<u8>, PlotError> {
    if let Some(empty) = runs.iter().find(|r| r.batches() == 0) {
        return Err(PlotError::NoBatches {
            run: empty.info.name.clone(),
        });
    }
    if runs.is_empty() {
        return Err(PlotError::Draw("no run to draw".into()));
    }
    register_font();
    let draw_err = |e: String| PlotError::Draw(e);
    match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                figure::draw(&root, runs, opts).map_err(|e| draw_err(e.to_string()))?;
            }
            Ok(svg.into_bytes())
        }
        Format::Png => {
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
                figure::draw(&root, runs, opts).map_err(|e| draw_err(e.to_string()))?;
            }
            encode_png(&rgb, size).map_err(|e| draw_err(e.to_string()))
        }
    }
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Fast: figures are mostly flat colour, which compresses well anyway.
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

/// What a path that is not a regular file is, in words.
fn describe(path: &Path) -> Option<&'static str> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    let t = meta.file_type();
    (!t.is_file()).then(|| crate::regular_file::describe(&t))
}

/// Check that `path` can take a figure: a regular file (replaced) or nothing yet, in an
/// existing directory. Never a symbolic link (its target is not touched), a directory, a
/// FIFO or a device.
pub fn check_output(path: &Path) -> Result<(), PlotError> {
    if let Some(what) = describe(path) {
        return Err(PlotError::NotAFile {
            path: path.to_owned(),
            what,
        });
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(PlotError::Unwritable {
            path: path.to_owned(),
            reason: format!("{} is not a directory", dir.display()),
        }),
        Err(e) => Err(PlotError::Unwritable {
            path: path.to_owned(),
            reason: format!("directory {}: {}", dir.display(), io_reason(&e)),
        }),
    }
}

/// An I/O error's words without the `(os error N)` tail.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Write a figure to `path` atomically (a temporary file renamed over it), after
/// [`check_output`]. A path the user cannot write (no such directory, no permission) is bad
/// input; anything else (a full disk) a failure.
pub fn write_figure(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    check_output(path)?;
    crate::runs::atomic::write_atomic(path, bytes).map_err(|e| {
        use std::io::ErrorKind as K;
        let usage = matches!(
            e.kind(),
            K::NotFound
                | K::PermissionDenied
                | K::IsADirectory
                | K::NotADirectory
                | K::ReadOnlyFilesystem
                | K::InvalidInput
        );
        if usage {
            PlotError::Unwritable {
                path: path.to_owned(),
                reason: io_reason(&e),
            }
        } else {
            PlotError::Write {
                path: path.to_owned(),
                reason: io_reason(&e),
            }
        }
    })
}

/// A name in `dir` for a new figure: `stem.ext`, else `stem-2.ext`, `stem-3.ext`, … — never
/// one that exists (nothing is overwritten).
pub fn unused_path(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (2u64..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("an unused name exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_within_bounds() {
        assert_eq!(parse_size("1200x800").unwrap(), (1200, 800));
        assert_eq!(parse_size(" 640X480 ").unwrap(), (640, 480));
        assert_eq!(parse_size("800×600").unwrap(), (800, 600));
        for bad in [
            "0x800",
            "1200x0",
            "20000x800",
            "800x10001",
            "big",
            "800",
            "x",
            "-5x5",
        ] {
            let e = parse_size(bad).unwrap_err();
            assert!(matches!(e, PlotError::BadSize { .. }), "{bad}");
            assert!(e.is_usage());
            assert!(e.to_string().starts_with("--size"), "{e}");
        }
    }

    #[test]
    fn the_format_comes_from_the_extension() {
        assert_eq!(Format::of_path(Path::new("a/b.svg")).unwrap(), Format::Svg);
        assert_eq!(Format::of_path(Path::new("B.PNG")).unwrap(), Format::Png);
        for bad in ["curves.pdf", "curves", "svg"] {
            assert!(Format::of_path(Path::new(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_names_never_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let first = unused_path(dir.path(), "ppl-epoch3", "svg");
        assert_eq!(first, dir.path().join("ppl-epoch3.svg"));
        std::fs::write(&first, "x").unwrap();
        let second = unused_path(dir.path(), "ppl-epoch3", "svg");
        assert_eq!(second, dir.path().join("ppl-epoch3-2.svg"));
    }

    #[test]
    fn output_paths_are_checked_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_output(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
        let e = check_output(&dir.path().join("missing/x.svg")).unwrap_err();
        assert!(
            e.is_usage() && e.to_string().contains("No such file"),
            "{e}"
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("link.svg");
            std::os::unix::fs::symlink(dir.path().join("t.svg"), &link).unwrap();
            let e = write_figure(&link, b"<svg/>").unwrap_err();
            assert!(e.to_string().contains("symbolic link"), "{e}");
            assert!(!dir.path().join("t.svg").exists());
        }
        let ok = dir.path().join("ok.svg");
        write_figure(&ok, b"<svg/>").unwrap();
        assert_eq!(std::fs::read(&ok).unwrap(), b"<svg/>");
    }
}
