//! Hidden-state heatmap: hidden units (rows) × the characters of the completion (columns), a
//! diverging palette centred on 0 for tanh's -1..1. Two units per terminal row: `▀` with the
//! top unit as foreground and the bottom unit as background. Under `NO_COLOR`, one unit per
//! row drawn with shade glyphs for positive values and dots for negative ones.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::Frame;

use crate::model::snapshot::Completion;
use crate::tui::context::Ctx;
use crate::tui::theme::{ColorMode, Theme};
use crate::tui::widgets::{framed, panel_block, placeholder, title};

/// Width of the unit-index gutter.
pub const GUTTER: u16 = 4;

/// Glyphs for |v| in five steps, positive values.
pub const POSITIVE_GLYPHS: [&str; 5] = [" ", "░", "▒", "▓", "█"];
/// Glyphs for |v| in five steps, negative values.
pub const NEGATIVE_GLYPHS: [&str; 5] = [" ", "·", "∘", "○", "●"];

/// The NO_COLOR glyph for a value in -1..1: |v| < 0.05 blank, then steps of 0.25.
pub fn glyph(v: f32) -> &'static str {
    let v = if v.is_finite() {
        v.clamp(-1.0, 1.0)
    } else {
        0.0
    };
    // Blank only near 0, so small but real activity still shows.
    let step = if v.abs() < 0.05 {
        0
    } else {
        1 + ((v.abs() * 4.0) as usize).min(3)
    };
    if v < 0.0 {
        NEGATIVE_GLYPHS[step]
    } else {
        POSITIVE_GLYPHS[step]
    }
}

fn token_label(tok: &str) -> String {
    match tok {
        " " => "·".into(),
        t if t.chars().count() == 1 => t.into(),
        _ => "?".into(),
    }
}

/// Draw the grid for `completion` into `area` (no border). Returns how many units and
/// characters were shown.
pub fn render(
    completion: &Completion,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) -> (usize, usize) {
    if area.width <= GUTTER || area.height < 2 || completion.hidden.is_empty() {
        return (0, 0);
    }
    let hiddens = completion.hidden[0].len();
    let per_row = if theme.mode == ColorMode::NoColor {
        1
    } else {
        2
    };
    let grid_rows = (area.height - 1) as usize;
    let rows = hiddens.div_ceil(per_row).min(grid_rows);
    let cols = completion.tokens.len().min((area.width - GUTTER) as usize);
    let dim = theme.dim_style();
    for r in 0..rows {
        let y = area.y + r as u16;
        let unit = r * per_row;
        let label = format!("{unit:>3} ");
        buf.set_stringn(area.x, y, &label, GUTTER as usize, dim);
        for (i, h) in completion.hidden.iter().take(cols).enumerate() {
            let x = area.x + GUTTER + i as u16;
            let cell = &mut buf[(x, y)];
            if per_row == 1 {
                cell.set_symbol(glyph(h[unit])).set_style(Style::default());
            } else {
                let top = theme.heat(h[unit]).unwrap_or(theme.fg);
                let bottom = h
                    .get(unit + 1)
                    .and_then(|&v| theme.heat(v))
                    .unwrap_or(theme.bg);
                cell.set_symbol("▀").set_fg(top).set_bg(bottom);
            }
        }
    }
    // Characters along the bottom axis, prefix and continuation styled apart.
    let y = area.y + rows as u16;
    buf.set_stringn(area.x, y, "chr ", GUTTER as usize, dim);
    for (i, tok) in completion.tokens.iter().take(cols).enumerate() {
        let style = if i < completion.prefix_len {
            Style::default()
                .fg(theme.prefix)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(theme.continuation)
        };
        buf.set_stringn(area.x + GUTTER + i as u16, y, token_label(tok), 1, style);
    }
    ((rows * per_row).min(hiddens), cols)
}

/// The heatmap of the completion pane's newest completion (the panel keeps no state of its own).
/// `view` names the state shown when the model has several (`layer 1/2 cell state `; `[` / `]`
/// and `c` choose it), empty otherwise.
pub fn draw(f: &mut Frame, area: Rect, ctx: Ctx, completion: Option<&Completion>, view: &str) {
    let t = ctx.theme;
    let legend = if t.mode == ColorMode::NoColor {
        "−1 ●○∘· 0 ░▒▓█ +1".to_owned()
    } else {
        "−1 … 0 … +1".to_owned()
    };
    let heading = title(" Hidden state ", t);
    let Some(comp) = completion else {
        let inner = framed(f, area, panel_block(heading, ctx));
        placeholder(f, inner, "no completion yet", t);
        return;
    };
    let hiddens = comp.hidden.first().map_or(0, |h| h.len());
    let heading = Line::from(vec![
        heading,
        Span::styled(
            format!("{view}{hiddens} units × {} chars ", comp.tokens.len()),
            t.dim_style(),
        ),
    ]);
    let inner = framed(f, area, panel_block(heading, ctx));
    let (units, chars) = render(comp, t, inner, f.buffer_mut());
    // Legend (and what did not fit) on the bottom border.
    let mut note = legend;
    if units < hiddens || chars < comp.tokens.len() {
        note = format!(
            "{note} · {units}/{hiddens} units · {chars}/{} chars",
            comp.tokens.len()
        );
    }
    if t.mode != ColorMode::NoColor && area.width > 8 && area.height > 1 {
        // A small colour ramp for the legend.
        let y = area.y + area.height - 1;
        let x0 = area.x + 2;
        let buf = f.buffer_mut();
        let ramp_w = 9u16.min(area.width.saturating_sub(4));
        for k in 0..ramp_w {
            let v = -1.0 + 2.0 * k as f32 / (ramp_w.max(2) - 1) as f32;
            if let Some(c) = t.heat(v) {
                buf[(x0 + k, y)].set_symbol("█").set_fg(c);
            }
        }
        let text_x = x0 + ramp_w + 1;
        if text_x < area.x + area.width - 1 {
            let w = (area.x + area.width - 1 - text_x) as usize;
            buf.set_stringn(text_x, y, format!(" {note} "), w, t.dim_style());
        }
    } else if area.width > 4 && area.height > 1 {
        let y = area.y + area.height - 1;
        let w = (area.width - 3) as usize;
        f.buffer_mut()
            .set_stringn(area.x + 2, y, format!(" {note} "), w, t.dim_style());
    }
}
