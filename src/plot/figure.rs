//! Drawing a figure with plotters, on any of its backends (SVG text, an RGB buffer): stacked
//! panels that share the x-axis — perplexity on a log axis, the gradient norm with the clip
//! threshold, the learning rate — each run's series in the theme's colours.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{Palette, Rgb};
use super::series::{decimate, Points, RunCurves, XAxis};
use super::FONT_FAMILY;
use crate::number_format::compact;

/// What a figure shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Metric {
    /// Perplexity (train per batch, its EMA, validation per epoch), log scale.
    Ppl,
    /// The gradient norm per batch and the clip threshold.
    Grad,
    /// The learning rate per batch.
    Lr,
    /// Perplexity and gradients stacked, and the learning rate when it changed.
    #[default]
    All,
}

/// How a figure is drawn (what, against what, in which colours).
#[derive(Clone, Debug, PartialEq)]
pub struct FigureOptions {
    pub metric: Metric,
    pub x: XAxis,
    pub palette: Palette,
    /// The gradient panel's y-axis is log10 (the cockpit's `l`).
    pub grad_log: bool,
}

/// One of a figure's stacked panels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Ppl,
    Grad,
    Lr,
}

/// The panels a figure of `runs` stacks, top to bottom: `all` shows the learning rate only
/// when some run's changed (a constant one is in each run's legend).
pub fn panels(metric: Metric, runs: &[RunCurves]) -> Vec<Panel> {
    match metric {
        Metric::Ppl => vec![Panel::Ppl],
        Metric::Grad => vec![Panel::Grad],
        Metric::Lr => vec![Panel::Lr],
        Metric::All if runs.iter().any(RunCurves::lr_varied) => {
            vec![Panel::Ppl, Panel::Grad, Panel::Lr]
        }
        Metric::All => vec![Panel::Ppl, Panel::Grad],
    }
}

/// The range an axis spans to show `values` (all finite): lowest to highest, widened a little
/// so no curve touches the frame; a single value gets room around it. `log`: the values are
/// positive and the widening is a factor.
pub fn axis_range(values: impl Iterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return None;
    }
    if log {
        let (l, h) = (lo.ln(), hi.ln());
        let pad = ((h - l) * 0.05).max(0.05);
        return Some(((l - pad).exp(), (h + pad).exp()));
    }
    let span = hi - lo;
    if span <= f64::EPSILON * hi.abs().max(1.0) {
        let room = (hi.abs() * 0.1).max(0.5);
        return Some((lo - room, hi + room));
    }
    Some((lo - span * 0.03, hi + span * 0.03))
}

/// The x-range of a panel: every point it draws, exactly (the cockpit's charts span the
/// whole run too).
fn x_range(series: &[&Points], x: XAxis) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in series.iter().flat_map(|s| s.iter()) {
        let v = p.0.on(x);
        if v.is_finite() {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    match (lo.is_finite(), hi > lo) {
        (false, _) => (0.0, 1.0),
        (true, false) => (lo - 0.5, hi + 0.5),
        (true, true) => (lo, hi),
    }
}

/// A time in seconds as an axis label: `45s`, `3m20s`, `1h05m`.
pub fn fmt_time(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// An x-axis label.
fn fmt_x(v: f64, x: XAxis) -> String {
    match x {
        XAxis::Time => fmt_time(v),
        XAxis::Steps => format!("{}", v.round() as i64),
        XAxis::Epochs if (v - v.round()).abs() < 1e-9 => format!("{}", v.round() as i64),
        XAxis::Epochs => format!("{v:.1}"),
    }
}

/// A y-axis label: short, and exact enough to read.
fn fmt_y(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (0.01..1e5).contains(&a) {
        let s = format!("{v:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_owned()
    } else {
        format!("{v:.1e}")
    }
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// Draw the figure of `runs` (at least one, each with a batch) on `root`.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    opts: &FigureOptions,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let p = &opts.palette;
    root.fill(&rgb(p.background))?;
    let (w, h) = root.dim_in_pixel();
    // Text grows with the figure: 14 px on an 800 px tall one.
    let text_px = (w.min(h) as f64 / 800.0 * 14.0).clamp(9.0, 40.0);
    let fg = rgb(p.foreground);
    let font = |scale: f64| (FONT_FAMILY, text_px * scale).into_font().color(&fg);
    let title = match runs {
        [one] => one.legend(),
        many => format!("{} runs", many.len()),
    };
    let area = root.titled(&title, font(1.2))?;
    let shown = panels(opts.metric, runs);
    // Perplexity gets twice the height of the others.
    let weights: Vec<u32> = shown
        .iter()
        .map(|p| if *p == Panel::Ppl { 2 } else { 1 })
        .collect();
    let total: u32 = weights.iter().sum();
    let (_, area_h) = area.dim_in_pixel();
    let mut breaks = Vec::new();
    let mut acc = 0;
    for wgt in &weights[..weights.len() - 1] {
        acc += wgt;
        breaks.push((area_h as u64 * acc as u64 / total as u64) as i32);
    }
    let areas = area.split_by_breakpoints(Vec::<i32>::new(), breaks);
    for (i, (panel, a)) in shown.iter().zip(&areas).enumerate() {
        // Several runs: the first panel's legend names them (their colours hold below).
        let name_runs = i == 0;
        let last = i + 1 == shown.len();
        draw_panel(a, *panel, runs, opts, text_px, name_runs, last)?;
    }
    root.present()
}

/// How one series of a run is drawn.
struct Look {
    colour: RGBAColor,
    width: u32,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: Panel,
    runs: &[RunCurves],
    opts: &FigureOptions,
    text_px: f64,
    name_runs: bool,
    with_x_title: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let p = &opts.palette;
    let x = opts.x;
    let single = runs.len() == 1;
    let fg = rgb(p.foreground);
    let font = |scale: f64| (FONT_FAMILY, text_px * scale).into_font().color(&fg);
    // Columns to draw at most: two points per pixel column keep every spike.
    let (w, _) = area.dim_in_pixel();
    let buckets = (w as usize).max(16);
    let on_x = |s: &Points| -> Vec<(f64, f64)> {
        let pts: Vec<(f64, f64)> = s.iter().map(|(at, v)| (at.on(x), *v)).collect();
        decimate(&pts, buckets)
    };
    let (caption, series): (String, Vec<&Points>) = match panel {
        Panel::Ppl => {
            let smoothing = runs[0].smoothing;
            (
                format!(
                    "perplexity (log) — faint: per batch · line: EMA {} · dots: validation",
                    compact(smoothing)
                ),
                runs.iter()
                    .flat_map(|r| [&r.train, &r.ema, &r.val])
                    .collect(),
            )
        }
        Panel::Grad => (
            if opts.grad_log {
                "gradient norm (log), before clipping".into()
            } else {
                "gradient norm, before clipping".into()
            },
            runs.iter().map(|r| &r.grad).collect(),
        ),
        Panel::Lr => ("learning rate".into(), runs.iter().map(|r| &r.lr).collect()),
    };
    let (x0, x1) = x_range(&series, x);
    let values = || series.iter().flat_map(|s| s.iter().map(|p| p.1));
    let log_y = panel == Panel::Ppl || (panel == Panel::Grad && opts.grad_log);
    let (mut y0, mut y1) = axis_range(values(), log_y).unwrap_or((1.0, 10.0));
    // The clip line is drawn when it is near the norms (a far one would flatten them); the
    // caption says where it is otherwise, as the cockpit's title does.
    let mut clip_shown = false;
    let mut caption = caption;
    if panel == Panel::Grad {
        let thresholds = runs.iter().flat_map(|r| r.clip.iter().map(|p| p.1));
        let (c0, c1) = thresholds.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
            (lo.min(t), hi.max(t))
        });
        if c0 <= c1 {
            let t = runs.iter().find_map(|r| r.clip.last()).map_or(0.0, |p| p.1);
            if c1 <= y1 * 3.0 && c0 >= y0 / 3.0 {
                y0 = y0.min(c0);
                y1 = y1.max(c1);
                clip_shown = true;
            } else if t > y1 {
                caption.push_str(&format!(" · clip at {} (above)", compact(t)));
            } else {
                caption.push_str(&format!(" · clip at {} (below)", compact(t)));
            }
        }
    }
    if !log_y && panel != Panel::Ppl {
        // Norms and rates are never negative: the axis starts at 0 unless they are far from it.
        if y0 < 0.0 || y0 < (y1 - y0) {
            y0 = 0.0;
        }
    }
    // A log axis is drawn as a linear one over log10 of the values, with its ticks at round
    // values (plotters' own log axis labels nothing in a narrow range such as 18–30).
    let to_axis = move |v: f64| if log_y { v.log10() } else { v };
    let from_axis = move |v: f64| if log_y { 10f64.powf(v) } else { v };
    let keys: Vec<f64> = ticks(y0, y1, log_y).into_iter().map(to_axis).collect();
    let mut builder = ChartBuilder::on(area);
    builder
        .margin((text_px * 0.6) as u32)
        .caption(caption, font(1.0))
        .x_label_area_size((text_px * 2.6) as u32)
        .y_label_area_size((text_px * 4.6) as u32);
    let y_axis = ValueAxis {
        range: to_axis(y0)..to_axis(y1),
        ticks: keys,
    };
    let mut chart = builder.build_cartesian_2d(x0..x1, y_axis)?;
    let mesh_colour = rgb(p.grid);
    let x_title = if with_x_title { x.title() } else { "" };
    chart
        .configure_mesh()
        .bold_line_style(mesh_colour.mix(0.5))
        .light_line_style(mesh_colour.mix(0.15))
        .axis_style(fg.mix(0.8))
        .label_style(font(0.85))
        .axis_desc_style(font(0.85))
        .x_desc(x_title)
        .x_labels(8)
        .x_label_formatter(&|v| fmt_x(*v, x))
        .y_label_formatter(&|v| fmt_y(from_axis(*v)))
        .draw()?;
    // Whether a series has a legend entry (plotters draws an empty box otherwise).
    let mut labelled = false;
    for (k, run) in runs.iter().enumerate() {
        let run_colour = rgb(p.run(k));
        let look = |single_colour: Rgb, alpha: f64, width: u32| Look {
            colour: if single {
                rgb(single_colour).mix(alpha)
            } else {
                run_colour.mix(alpha)
            },
            width,
        };
        let run_label = (!single && name_runs).then(|| run.legend());
        // The series of this run in this panel: points, look, legend label, dot size.
        let mut parts: Vec<(&Points, Look, Option<String>, u32)> = Vec::new();
        match panel {
            Panel::Ppl => {
                parts.push((
                    &run.train,
                    look(p.train, 0.3, 1),
                    single.then(|| "train, per batch".to_owned()),
                    0,
                ));
                let ema_label = match single {
                    true => Some(format!("train EMA {}", compact(run.smoothing))),
                    false => run_label,
                };
                parts.push((&run.ema, look(p.train_ema, 1.0, 2), ema_label, 0));
                parts.push((
                    &run.val,
                    look(p.val, 1.0, 1),
                    single.then(|| "validation, per epoch".to_owned()),
                    3,
                ));
            }
            Panel::Grad => {
                let alpha = if single { 0.8 } else { 0.6 };
                let label = match single {
                    true => Some("gradient norm".to_owned()),
                    false => run_label,
                };
                parts.push((&run.grad, look(p.grad, alpha, 1), label, 0));
                if clip_shown && !run.clip.is_empty() {
                    // In the clip colour for every run, labelled once.
                    let label = (k == 0 || single).then(|| {
                        let t = run.clip.last().map_or(0.0, |p| p.1);
                        format!("clip threshold {}", compact(t))
                    });
                    let colour = rgb(p.clip).mix(0.9);
                    parts.push((&run.clip, Look { colour, width: 1 }, label, 0));
                }
            }
            Panel::Lr => {
                let label = match single {
                    true => Some("learning rate".to_owned()),
                    false => run_label,
                };
                parts.push((&run.lr, look(p.lr, 1.0, 2), label, 0));
            }
        }
        for (points, look, label, dots) in parts {
            let pts: Vec<(f64, f64)> = on_x(points)
                .into_iter()
                .map(|(px, py)| (px, to_axis(py)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let style = ShapeStyle {
                color: look.colour,
                filled: true,
                stroke_width: look.width,
            };
            let drawn = chart.draw_series(LineSeries::new(pts, style).point_size(dots))?;
            if let Some(label) = label {
                labelled = true;
                let swatch = look.colour;
                drawn.label(label).legend(move |(lx, ly)| {
                    Rectangle::new([(lx, ly - 3), (lx + 16, ly + 3)], swatch.filled())
                });
            }
        }
    }
    if !labelled {
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(rgb(p.background).mix(0.85))
        .border_style(mesh_colour)
        .label_font(font(0.85))
        .draw()?;
    Ok(())
}

/// A y-axis with its ticks where [`ticks`] puts them (plotters picks its own otherwise, and
/// labels none on a narrow log range). Values are on the axis's scale (log10 for a log axis).
#[derive(Clone)]
struct ValueAxis {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let share = if span > 0.0 {
            (value - self.range.start) / span
        } else {
            0.5
        };
        limit.0 + ((limit.1 - limit.0) as f64 * share + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // The ticks are the bold grid lines; no light ones between them.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for ValueAxis {
    fn format(value: &f64) -> String {
        fmt_y(*value)
    }
}

/// Round values for an axis from `lo` to `hi`, about five. Linear: steps of 1, 2 or 5 times a
/// power of ten. Log: powers of ten, else 1-2-5 or 1…9 of each decade, whichever first gives
/// three ticks in range; a range too narrow for that (perplexity 18 to 30) gets linear ticks.
pub fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    if log && lo > 0.0 {
        let (d0, d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        for mantissas in [
            &[1.0][..],
            &[1.0, 2.0, 5.0],
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        ] {
            let t: Vec<f64> = (d0..=d1)
                .flat_map(|d| mantissas.iter().map(move |m| m * 10f64.powi(d)))
                .filter(|v| (lo..=hi).contains(v))
                .collect();
            if t.len() >= 3 && t.len() <= 12 {
                return t;
            }
        }
    }
    let raw = (hi - lo) / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_ranges_hold_every_value_with_a_margin() {
        let (lo, hi) = axis_range([2.0, 10.0, 5.0].into_iter(), false).unwrap();
        assert!(lo < 2.0 && lo > 1.7 && hi > 10.0 && hi < 10.3, "{lo} {hi}");
        // Log: a factor each side; non-positive values cannot be drawn and are left out.
        let (lo, hi) = axis_range([0.0, 4.0, 40.0, f64::NAN].into_iter(), true).unwrap();
        assert!(lo < 4.0 && lo > 3.0 && hi > 40.0 && hi < 50.0, "{lo} {hi}");
        // One value: room around it.
        let (lo, hi) = axis_range([1.0, 1.0].into_iter(), false).unwrap();
        assert!(lo < 1.0 && hi > 1.0);
        assert_eq!(axis_range([f64::NAN].into_iter(), false), None);
        assert_eq!(axis_range([-1.0].into_iter(), true), None);
    }

    #[test]
    fn ticks_are_round_and_in_range() {
        assert_eq!(
            ticks(0.0, 1.0, false),
            vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        assert_eq!(ticks(3.0, 2000.0, true), vec![10.0, 100.0, 1000.0]);
        assert_eq!(ticks(4.0, 60.0, true), vec![5.0, 10.0, 20.0, 50.0]);
        // Too narrow for decades: linear steps, still inside.
        let t = ticks(18.0, 31.0, true);
        assert_eq!(t, vec![20.0, 25.0, 30.0]);
        assert_eq!(ticks(5.0, 5.0, false), vec![5.0]);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(fmt_time(42.4), "42s");
        assert_eq!(fmt_time(200.0), "3m20s");
        assert_eq!(fmt_time(3900.0), "1h05m");
        assert_eq!(fmt_x(250.0, XAxis::Steps), "250");
        assert_eq!(fmt_x(2.5, XAxis::Epochs), "2.5");
        assert_eq!(fmt_x(3.0, XAxis::Epochs), "3");
        assert_eq!(fmt_y(12.5), "12.5");
        assert_eq!(fmt_y(0.000_25), "2.5e-4");
        assert_eq!(fmt_y(0.0), "0");
    }
}
