//! What the panels draw alike: their bordered, titled blocks, the centred popups, the
//! placeholder line of an empty panel, and how numbers are written.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui::Frame;

use super::context::Ctx;
use super::theme::Theme;
use crate::text_width::{self, ELLIPSIS};

/// A panel's title text in the title style (the caller pads it with spaces).
pub fn title<'a>(text: impl Into<std::borrow::Cow<'a, str>>, theme: &Theme) -> Span<'a> {
    Span::styled(text, theme.title_style())
}

/// `" Name (hint) "`: a panel title followed by a dimmed hint on what its keys do now.
pub fn hinted_title(name: &'static str, hint: &str, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        title(name, theme),
        Span::styled(format!("({hint}) "), theme.dim_style()),
    ])
}

/// A panel's border, bright when it has the focus, and its title after the panel's direct
/// key (`" [3]"`), so every panel shows its key the same way without drawing it itself. A
/// title longer than the border between the corners is cut with `…` (a title is written most
/// important first, so what goes is the least).
pub fn panel_block<'a>(title: impl Into<Line<'a>>, ctx: Ctx) -> Block<'static> {
    let mut title: Line<'a> = title.into();
    if let Some(k) = ctx.key {
        title
            .spans
            .insert(0, Span::styled(format!(" [{k}]"), ctx.theme.key_style()));
    }
    Block::bordered()
        .title(fit_line(title, ctx.width.saturating_sub(2) as usize))
        .border_style(ctx.theme.border_style(ctx.focused))
}

/// Draw `block` over `area` and return the area inside its border.
pub fn framed(f: &mut Frame, area: Rect, block: Block) -> Rect {
    let inner = block.inner(area);
    f.render_widget(block, area);
    inner
}

/// One dimmed line standing in for what a panel cannot show yet (cut with `…` where the
/// panel is narrower).
pub fn placeholder(f: &mut Frame, area: Rect, text: &'static str, theme: &Theme) {
    let (text, _) = text_width::truncate(text, area.width as usize);
    f.render_widget(Paragraph::new(Span::styled(text, theme.dim_style())), area);
}

/// A `w`×`h` rectangle in the middle of `area` (smaller where `area` is).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(v);
    r
}

/// Clear a `w`×`h` popup in the middle of `area` and return where it is.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let popup = centered(area, w, h);
    f.render_widget(Clear, popup);
    popup
}

/// A popup's border and title; `border` tells what kind of popup it is.
pub fn popup_block<'a>(
    title_text: impl Into<std::borrow::Cow<'a, str>>,
    theme: &Theme,
    border: Color,
) -> Block<'a> {
    Block::bordered()
        .title(title(title_text, theme))
        .border_style(Style::default().fg(border))
}

/// `v` with two decimals below `one_decimal_from`, one below ten times that, none above.
fn fmt_shrinking_decimals(v: f64, one_decimal_from: f64) -> String {
    if v >= 10.0 * one_decimal_from {
        format!("{v:.0}")
    } else if v >= one_decimal_from {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A perplexity: fewer decimals as it grows, a dash when it is not a number.
pub fn fmt_ppl(v: f64) -> String {
    if v.is_finite() {
        fmt_shrinking_decimals(v, 100.0)
    } else {
        "–".into()
    }
}

/// A gradient norm: fewer decimals as it grows.
pub fn fmt_norm(v: f64) -> String {
    fmt_shrinking_decimals(v, 10.0)
}

/// A rate with a k or M suffix.
pub fn fmt_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Seconds as `1h02m`, `3m05s` or `42s`.
pub fn fmt_duration(s: f64) -> String {
    if !s.is_finite() {
        return "?".into();
    }
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

/// `spans` cut to `cols` terminal columns between characters, with `…` in the last column
/// when anything was left out: a wide character (a Korean path in a message) is never split
/// at the edge, and a cut line says it was cut. Control characters are shown as `�`.
///
/// The one way the cockpit shortens a line of styled text (titles, legends, the footer, the
/// message and status lines); plain strings go through [`text_width::truncate`], which this
/// is built on, so every cut looks the same.
pub fn fit_spans<'a>(spans: impl IntoIterator<Item = Span<'a>>, cols: usize) -> Vec<Span<'static>> {
    let spans: Vec<Span<'a>> = spans.into_iter().collect();
    text_width::intended_parts(spans.iter().map(|s| s.content.as_ref()));
    let total: usize = spans.iter().map(|s| text_width::width(&s.content)).sum();
    let printable = |s: &Span<'a>| {
        let content = text_width::printable(&s.content).into_owned();
        Span::styled(content, s.style)
    };
    if total <= cols {
        return spans.iter().map(printable).collect();
    }
    let mut room = cols.saturating_sub(1);
    let mut out = Vec::new();
    for span in &spans {
        let w = text_width::width(&span.content);
        if w <= room {
            room -= w;
            out.push(printable(span));
            continue;
        }
        let (head, _) = text_width::head(&span.content, room);
        let mut cut = head;
        if cols > 0 {
            cut.push(ELLIPSIS);
        }
        out.push(Span::styled(cut, span.style));
        break;
    }
    out
}

/// `line` cut to `cols` columns as [`fit_spans`] cuts, its own style kept.
pub fn fit_line(line: Line<'_>, cols: usize) -> Line<'static> {
    let style = line.style;
    let alignment = line.alignment;
    let mut out = Line::from(fit_spans(line.spans, cols)).style(style);
    out.alignment = alignment;
    out
}
