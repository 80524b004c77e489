//! Paints a `Screen` into RGB pixels, one fixed-size box per cell.
//!
//! Letters come from the embedded DejaVu Sans Mono (regular and bold), so the picture does not
//! depend on the machine's fonts. Box-drawing lines, block elements and braille dots — the
//! cockpit's borders, sparklines, gauges and charts — are drawn as geometry instead: a font's
//! glyphs for them rarely meet at the cell edges, and DejaVu Sans Mono has no braille at all.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};

use crate::screen::{Cell, Colour, Screen, Style};

const REGULAR: &[u8] = include_bytes!("fonts/DejaVuSansMono.ttf");
const BOLD: &[u8] = include_bytes!("fonts/DejaVuSansMono-Bold.ttf");

/// The terminal the picture pretends to be: its default colours and its 16-colour palette
/// (xterm's, which is what a default terminal shows for the named colours).
pub struct Palette {
    pub fg: [u8; 3],
    pub bg: [u8; 3],
    pub ansi: [[u8; 3]; 16],
}

pub const DARK: Palette = Palette {
    fg: [0xd0, 0xd0, 0xd0],
    bg: [0x12, 0x12, 0x12],
    ansi: [
        [0x00, 0x00, 0x00],
        [0xcd, 0x00, 0x00],
        [0x00, 0xcd, 0x00],
        [0xcd, 0xcd, 0x00],
        [0x00, 0x00, 0xee],
        [0xcd, 0x00, 0xcd],
        [0x00, 0xcd, 0xcd],
        [0xe5, 0xe5, 0xe5],
        [0x7f, 0x7f, 0x7f],
        [0xff, 0x00, 0x00],
        [0x00, 0xff, 0x00],
        [0xff, 0xff, 0x00],
        [0x5c, 0x5c, 0xff],
        [0xff, 0x00, 0xff],
        [0x00, 0xff, 0xff],
        [0xff, 0xff, 0xff],
    ],
};

impl Palette {
    fn resolve(&self, c: Colour, default: [u8; 3]) -> [u8; 3] {
        match c {
            Colour::Default => default,
            Colour::Rgb(r, g, b) => [r, g, b],
            Colour::Indexed(n) if n < 16 => self.ansi[n as usize],
            Colour::Indexed(n) if n < 232 => {
                // The 6×6×6 cube: levels 0, 95, 135, 175, 215, 255.
                let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
                let n = n - 16;
                [level(n / 36), level((n / 6) % 6), level(n % 6)]
            }
            Colour::Indexed(n) => {
                let v = 8 + 10 * (n - 232);
                [v, v, v]
            }
        }
    }

    /// Foreground and background of a cell, after reverse video and dimming.
    fn colours(&self, style: &Style) -> ([u8; 3], [u8; 3]) {
        let mut fg = self.resolve(style.fg, self.fg);
        let mut bg = self.resolve(style.bg, self.bg);
        if style.reverse {
            std::mem::swap(&mut fg, &mut bg);
        }
        if style.dim {
            fg = mix(bg, fg, 0.6);
        }
        (fg, bg)
    }
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let m = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

/// An RGB picture, row by row.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Image {
    fn new(width: usize, height: usize, fill: [u8; 3]) -> Image {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&fill);
        }
        Image {
            width,
            height,
            pixels,
        }
    }

    #[cfg(test)]
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    fn blend(&mut self, x: usize, y: usize, colour: [u8; 3], coverage: f32) {
        if x >= self.width || y >= self.height || coverage <= 0.0 {
            return;
        }
        let i = (y * self.width + x) * 3;
        let under = [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]];
        let out = mix(under, colour, coverage.min(1.0));
        self.pixels[i..i + 3].copy_from_slice(&out);
    }

    fn fill(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, colour: [u8; 3]) {
        // Whole pixels only: the geometry is laid on the cell grid, so edges stay crisp.
        let (x0, y0) = (x0.round().max(0.0) as usize, y0.round().max(0.0) as usize);
        let (x1, y1) = (x1.round() as usize, y1.round() as usize);
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                self.blend(x, y, colour, 1.0);
            }
        }
    }

    /// The picture as a PNG file's bytes.
    pub fn png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("PNG header into memory");
        writer
            .write_image_data(&self.pixels)
            .expect("PNG data into memory");
        writer.finish().expect("PNG end into memory");
        out
    }
}

/// Cell size in pixels and the font size that fits it.
pub struct Metrics {
    pub cell_w: usize,
    pub cell_h: usize,
    pub font_px: f32,
}

/// 10 × 20 pixels a cell: a 120 × 40 screen becomes 1200 × 800.
pub const DEFAULT_METRICS: Metrics = Metrics {
    cell_w: 10,
    cell_h: 20,
    font_px: 16.5,
};

pub fn render(screen: &Screen, palette: &Palette, m: &Metrics) -> Image {
    let regular = FontRef::try_from_slice(REGULAR).expect("the embedded regular font parses");
    let bold = FontRef::try_from_slice(BOLD).expect("the embedded bold font parses");
    let mut img = Image::new(screen.cols * m.cell_w, screen.rows * m.cell_h, palette.bg);
    for row in 0..screen.rows {
        for col in 0..screen.cols {
            let Cell::Char { ch, style, wide } = screen.cell(col, row) else {
                continue;
            };
            let (fg, bg) = palette.colours(&style);
            let span = if wide { 2 } else { 1 };
            let (x, y) = ((col * m.cell_w) as f32, (row * m.cell_h) as f32);
            let w = (span * m.cell_w) as f32;
            let h = m.cell_h as f32;
            img.fill(x, y, x + w, y + h, bg);
            let drawn_as_geometry =
                ch == ' ' || draw_geometry(&mut img, ch, x, y, w, h, fg, style.bold);
            if !drawn_as_geometry {
                let font = if style.bold { &bold } else { &regular };
                draw_glyph(&mut img, font, ch, x, y, m, fg);
            }
            if style.underline {
                img.fill(x, y + h - 2.0, x + w, y + h - 1.0, fg);
            }
        }
    }
    img
}

fn draw_glyph(img: &mut Image, font: &FontRef, ch: char, x: f32, y: f32, m: &Metrics, fg: [u8; 3]) {
    let scale = PxScale::from(m.font_px);
    let scaled = font.as_scaled(scale);
    let id = font.glyph_id(ch);
    // Centre the font's line (ascent + descent) in the cell.
    let line = scaled.ascent() - scaled.descent();
    let baseline = y + (m.cell_h as f32 - line) / 2.0 + scaled.ascent();
    let glyph = id.with_scale_and_position(scale, ab_glyph::point(x, baseline));
    if let Some(outline) = font.outline_glyph(glyph) {
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let px = bounds.min.x + gx as f32;
            let py = bounds.min.y + gy as f32;
            if px >= 0.0 && py >= 0.0 {
                img.blend(px as usize, py as usize, fg, coverage);
            }
        });
    }
}

/// Box drawing (U+2500–257F, the lines), block elements (U+2580–259F) and braille
/// (U+2800–28FF) as geometry. Returns false for any other character.
#[allow(clippy::too_many_arguments)]
fn draw_geometry(
    img: &mut Image,
    ch: char,
    x: f32,
    y: f32,
    w: f32,
    h: f32,
    fg: [u8; 3],
    bold: bool,
) -> bool {
    let code = ch as u32;
    if let Some(arms) = box_arms(ch) {
        let thin = 1.0_f32;
        let thick = if bold { 3.0 } else { 2.0 };
        let (cx, cy) = ((x + w / 2.0).floor(), (y + h / 2.0).floor());
        let [up, right, down, left] = arms;
        let stroke = |weight: u8| if weight == 2 { thick } else { thin };
        if up > 0 {
            let t = stroke(up);
            img.fill(
                cx - (t / 2.0).floor(),
                y,
                cx - (t / 2.0).floor() + t,
                cy + 1.0,
                fg,
            );
        }
        if down > 0 {
            let t = stroke(down);
            img.fill(
                cx - (t / 2.0).floor(),
                cy,
                cx - (t / 2.0).floor() + t,
                y + h,
                fg,
            );
        }
        if left > 0 {
            let t = stroke(left);
            img.fill(
                x,
                cy - (t / 2.0).floor(),
                cx + 1.0,
                cy - (t / 2.0).floor() + t,
                fg,
            );
        }
        if right > 0 {
            let t = stroke(right);
            img.fill(
                cx,
                cy - (t / 2.0).floor(),
                x + w,
                cy - (t / 2.0).floor() + t,
                fg,
            );
        }
        return true;
    }
    match code {
        // ▀ upper half
        0x2580 => img.fill(x, y, x + w, y + (h / 2.0).round(), fg),
        // ▁…█ lower eighths
        0x2581..=0x2588 => {
            let eighths = (code - 0x2580) as f32;
            img.fill(x, y + h - (h * eighths / 8.0).round(), x + w, y + h, fg);
        }
        // ▉…▏ left eighths (7/8 down to 1/8)
        0x2589..=0x258F => {
            let eighths = (0x2590 - code) as f32;
            img.fill(x, y, x + (w * eighths / 8.0).round(), y + h, fg);
        }
        // ▐ right half
        0x2590 => img.fill(x + (w / 2.0).round(), y, x + w, y + h, fg),
        // ░ ▒ ▓ shades: the foreground at a quarter, half, three quarters over the cell.
        0x2591..=0x2593 => {
            let t = (code - 0x2590) as f32 / 4.0;
            for py in y as usize..(y + h) as usize {
                for px in x as usize..(x + w) as usize {
                    img.blend(px, py, fg, t);
                }
            }
        }
        // ▔ upper eighth, ▕ right eighth
        0x2594 => img.fill(x, y, x + w, y + (h / 8.0).round(), fg),
        0x2595 => img.fill(x + w - (w / 8.0).round(), y, x + w, y + h, fg),
        0x2800..=0x28FF => {
            // Dots 1–8: bits 0,1,2,6 down the left column, 3,4,5,7 down the right.
            let bits = code - 0x2800;
            const PLACE: [(u32, f32, f32); 8] = [
                (0, 0.0, 0.0),
                (1, 0.0, 1.0),
                (2, 0.0, 2.0),
                (3, 1.0, 0.0),
                (4, 1.0, 1.0),
                (5, 1.0, 2.0),
                (6, 0.0, 3.0),
                (7, 1.0, 3.0),
            ];
            let (dx, dy) = (w / 2.0, h / 4.0);
            let dot = (w / 4.0).max(2.0).round();
            for (bit, c, r) in PLACE {
                if bits & (1 << bit) != 0 {
                    let px = (x + c * dx + (dx - dot) / 2.0).round();
                    let py = (y + r * dy + (dy - dot) / 2.0).round();
                    img.fill(px, py, px + dot, py + dot, fg);
                }
            }
        }
        _ => return false,
    }
    true
}

/// The arms of a box-drawing line character: up, right, down, left; 0 none, 1 light,
/// 2 heavy (double lines are drawn heavy). Rounded corners are drawn square.
fn box_arms(ch: char) -> Option<[u8; 4]> {
    Some(match ch {
        '─' => [0, 1, 0, 1],
        '━' | '═' => [0, 2, 0, 2],
        '│' => [1, 0, 1, 0],
        '┃' | '║' => [2, 0, 2, 0],
        '┌' | '╭' => [0, 1, 1, 0],
        '┐' | '╮' => [0, 0, 1, 1],
        '└' | '╰' => [1, 1, 0, 0],
        '┘' | '╯' => [1, 0, 0, 1],
        '┏' | '╔' => [0, 2, 2, 0],
        '┓' | '╗' => [0, 0, 2, 2],
        '┗' | '╚' => [2, 2, 0, 0],
        '┛' | '╝' => [2, 0, 0, 2],
        '├' => [1, 1, 1, 0],
        '┤' => [1, 0, 1, 1],
        '┬' => [0, 1, 1, 1],
        '┴' => [1, 1, 0, 1],
        '┼' => [1, 1, 1, 1],
        '┣' | '╠' => [2, 2, 2, 0],
        '┫' | '╣' => [2, 0, 2, 2],
        '┳' | '╦' => [0, 2, 2, 2],
        '┻' | '╩' => [2, 2, 0, 2],
        '╋' | '╬' => [2, 2, 2, 2],
        '╴' => [0, 0, 0, 1],
        '╵' => [1, 0, 0, 0],
        '╶' => [0, 1, 0, 0],
        '╷' => [0, 0, 1, 0],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(capture: &str, cols: usize) -> Image {
        let screen = Screen::parse(capture, cols, 1).unwrap();
        render(&screen, &DARK, &DEFAULT_METRICS)
    }

    fn colours_in(img: &Image, x0: usize, x1: usize) -> std::collections::HashSet<[u8; 3]> {
        let mut seen = std::collections::HashSet::new();
        for y in 0..img.height {
            for x in x0..x1 {
                seen.insert(img.pixel(x, y));
            }
        }
        seen
    }

    #[test]
    fn the_picture_is_the_screen_times_the_cell_size() {
        let img = one("ab", 3);
        assert_eq!((img.width, img.height), (30, 20));
        assert_eq!(img.pixels.len(), 30 * 20 * 3);
    }

    #[test]
    fn a_letter_is_drawn_in_its_colour_on_its_background() {
        let img = one("\x1b[38;2;255;0;0;48;2;0;0;255mA\x1b[0m ", 2);
        let cell = colours_in(&img, 0, 10);
        assert!(cell.contains(&[0, 0, 255]), "the background fills the cell");
        assert!(cell.contains(&[255, 0, 0]), "the letter's core is pure red");
        // The blank next cell is the terminal's default background only.
        assert_eq!(colours_in(&img, 10, 20), [DARK.bg].into());
    }

    #[test]
    fn box_lines_meet_at_the_cell_edges() {
        let img = one("\x1b[38;2;255;255;255m──", 2);
        let y = (0..20)
            .find(|&y| img.pixel(0, y) == [255, 255, 255])
            .expect("a horizontal line");
        // Unbroken from the first pixel of the first cell to the last of the second.
        assert!((0..20).all(|x| img.pixel(x, y) == [255, 255, 255]));
    }

    #[test]
    fn braille_dots_and_blocks_are_drawn() {
        // ⣿ has all eight dots; █ fills its cell.
        let img = one("\x1b[38;2;0;255;0m⣿█", 2);
        let dots = (0..10)
            .flat_map(|x| (0..20).map(move |y| (x, y)))
            .filter(|&(x, y)| img.pixel(x, y) == [0, 255, 0])
            .count();
        assert!(dots >= 8 * 4, "{dots} green pixels");
        assert_eq!(colours_in(&img, 10, 20), [[0, 255, 0]].into());
    }

    #[test]
    fn indexed_colours_follow_the_xterm_table() {
        assert_eq!(DARK.resolve(Colour::Indexed(196), DARK.fg), [255, 0, 0]);
        assert_eq!(DARK.resolve(Colour::Indexed(16), DARK.fg), [0, 0, 0]);
        assert_eq!(DARK.resolve(Colour::Indexed(244), DARK.fg), [128, 128, 128]);
        assert_eq!(DARK.resolve(Colour::Indexed(1), DARK.fg), DARK.ansi[1]);
    }

    #[test]
    fn the_png_decodes_to_the_same_pixels() {
        let img = one("\x1b[31mok", 2);
        let bytes = img.png();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (20, 20));
        assert_eq!(&buf[..info.buffer_size()], &img.pixels[..]);
    }
}
