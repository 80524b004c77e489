//! The heatmap's colour mapping, read back from buffer cells.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;

use rnn_tui::model::Completion;
use rnn_tui::tui::panels::heatmap::{render, GUTTER};
use rnn_tui::tui::theme::rgb_to_indexed;
use rnn_tui::tui::{ColorMode, Theme};

/// Three characters, two hidden units: unit 0 = -1, 0, +1; unit 1 = +1, -1, 0.
fn completion() -> Completion {
    Completion {
        tokens: vec!["a".into(), " ".into(), "b".into()],
        prefix_len: 1,
        hidden: vec![vec![-1.0, 1.0], vec![0.0, -1.0], vec![1.0, 0.0]],
    }
}

/// Drawn 12 wide and `height` tall: 2 lines hold one row of units and the character axis, so
/// colour modes pack two units per row (half blocks); 4 lines give each unit a row of its own.
fn draw_in(mode: ColorMode, height: u16) -> (Theme, Buffer) {
    let theme = Theme::default_for(mode);
    let area = Rect::new(0, 0, 12, height);
    let mut buf = Buffer::empty(area);
    render(&completion(), &theme, area, &mut buf);
    (theme, buf)
}

fn draw(mode: ColorMode) -> (Theme, Buffer) {
    draw_in(mode, if mode == ColorMode::NoColor { 4 } else { 2 })
}

fn rgb(c: (u8, u8, u8)) -> Color {
    Color::Rgb(c.0, c.1, c.2)
}

#[test]
fn true_colour_half_blocks_map_minus_one_zero_plus_one() {
    let (t, buf) = draw(ColorMode::TrueColor);
    let x = GUTTER;
    // Two units in one row: fg = top unit (0), bg = bottom unit (1).
    let cells: Vec<_> = (0..3).map(|i| &buf[(x + i, 0)]).collect();
    assert!(cells.iter().all(|c| c.symbol() == "▀"));
    assert_eq!(
        (cells[0].fg, cells[0].bg),
        (rgb(t.heat_neg), rgb(t.heat_pos))
    );
    assert_eq!(
        (cells[1].fg, cells[1].bg),
        (rgb(t.heat_mid), rgb(t.heat_neg))
    );
    assert_eq!(
        (cells[2].fg, cells[2].bg),
        (rgb(t.heat_pos), rgb(t.heat_mid))
    );
    // The default theme's actual colours.
    assert_eq!(cells[0].fg, Color::Rgb(0x21, 0x66, 0xac));
    assert_eq!(cells[0].bg, Color::Rgb(0xd6, 0x60, 0x4d));
    // Characters along the axis (space shown as ·), unit label in the gutter.
    let axis: String = (0..3)
        .map(|i| buf[(x + i, 1)].symbol().to_owned())
        .collect();
    assert_eq!(axis, "a·b");
    assert_eq!(buf[(2, 0)].symbol(), "0");
}

#[test]
fn a_tall_panel_gives_each_unit_a_row_of_its_own_in_colour() {
    let (t, buf) = draw_in(ColorMode::TrueColor, 4);
    let x = GUTTER;
    for (y, unit) in [
        (0u16, [t.heat_neg, t.heat_mid, t.heat_pos]),
        (1, [t.heat_pos, t.heat_neg, t.heat_mid]),
    ] {
        for (i, c) in unit.into_iter().enumerate() {
            let cell = &buf[(x + i as u16, y)];
            assert_eq!((cell.symbol(), cell.fg), ("█", rgb(c)), "unit {y} char {i}");
        }
    }
    assert_eq!(buf[(2, 1)].symbol(), "1", "the second row is unit 1");
    let axis: String = (0..3)
        .map(|i| buf[(x + i, 2)].symbol().to_owned())
        .collect();
    assert_eq!(axis, "a·b");
}

#[test]
fn half_way_values_are_interpolated() {
    let t = Theme::default_for(ColorMode::TrueColor);
    let Some(Color::Rgb(r, g, b)) = t.heat(0.5) else {
        panic!()
    };
    let mid = |a: u8, b: u8| ((a as f32 + b as f32) / 2.0).round() as u8;
    assert_eq!(
        (r, g, b),
        (
            mid(t.heat_mid.0, t.heat_pos.0),
            mid(t.heat_mid.1, t.heat_pos.1),
            mid(t.heat_mid.2, t.heat_pos.2)
        )
    );
    // Out-of-range and NaN are clamped, never panic.
    assert_eq!(t.heat(5.0), t.heat(1.0));
    assert_eq!(t.heat(f32::NAN), t.heat(0.0));
}

#[test]
fn without_true_colour_the_palette_is_256_colour_indexed() {
    let (t, buf) = draw(ColorMode::Indexed256);
    let c = &buf[(GUTTER, 0)];
    let idx = |c: (u8, u8, u8)| Color::Indexed(rgb_to_indexed(c.0, c.1, c.2));
    assert_eq!((c.fg, c.bg), (idx(t.heat_neg), idx(t.heat_pos)));
    let c = &buf[(GUTTER + 1, 0)];
    assert_eq!(c.fg, idx(t.heat_mid));
}

#[test]
fn under_no_color_shade_glyphs_show_magnitude_and_sign() {
    let (_, buf) = draw(ColorMode::NoColor);
    let row = |y: u16| -> Vec<String> {
        (0..3)
            .map(|i| buf[(GUTTER + i, y)].symbol().to_owned())
            .collect()
    };
    // One unit per row.
    assert_eq!(row(0), ["●", " ", "█"]);
    assert_eq!(row(1), ["█", "●", " "]);
    let axis: String = row(2).concat();
    assert_eq!(axis, "a·b");
    for y in 0..2 {
        for i in 0..3 {
            assert_eq!(buf[(GUTTER + i, y)].fg, Color::Reset);
        }
    }
}

#[test]
fn no_color_glyph_steps() {
    use rnn_tui::tui::panels::heatmap::glyph;
    assert_eq!(glyph(0.0), " ");
    assert_eq!(glyph(0.04), " ");
    assert_eq!(glyph(0.1), "░");
    assert_eq!(glyph(-0.1), "·");
    assert_eq!(glyph(0.3), "▒");
    assert_eq!(glyph(-0.6), "○");
    assert_eq!(glyph(0.99), "█");
    assert_eq!(glyph(-1.0), "●");
    assert_eq!(glyph(f32::NAN), " ");
}
