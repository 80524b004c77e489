//! Colours: shipped themes (embedded), user themes from the config directory or a path, and the
//! terminal's colour depth (true colour, 256 colours, or none under `NO_COLOR`).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The themes built into the binary, by name.
pub const SHIPPED: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorMode {
    TrueColor,
    Indexed256,
    /// `NO_COLOR` is set: no colours at all, shapes and modifiers only.
    NoColor,
}

impl ColorMode {
    /// From the environment: `NO_COLOR` (non-empty) wins, then `COLORTERM=truecolor|24bit`.
    pub fn detect() -> Self {
        Self::from_env(
            std::env::var("NO_COLOR").ok().as_deref(),
            std::env::var("COLORTERM").ok().as_deref(),
        )
    }

    pub fn from_env(no_color: Option<&str>, colorterm: Option<&str>) -> Self {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ColorMode::NoColor;
        }
        match colorterm.map(|s| s.trim().to_ascii_lowercase()) {
            Some(s) if s == "truecolor" || s == "24bit" => ColorMode::TrueColor,
            _ => ColorMode::Indexed256,
        }
    }
}

/// A theme file as written: every colour is text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: Option<String>,
    bg: String,
    fg: String,
    dim: String,
    accent: String,
    border: String,
    border_focused: String,
    title: String,
    train: String,
    train_ema: String,
    val: String,
    grad: String,
    clip: String,
    ok: String,
    warn: String,
    error: String,
    prefix: String,
    continuation: String,
    selection_fg: String,
    selection_bg: String,
    heat_neg: String,
    heat_mid: String,
    heat_pos: String,
}

/// Resolved colours, adapted to the terminal's colour depth.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    pub mode: ColorMode,
    pub bg: Color,
    pub fg: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub border_focused: Color,
    pub title: Color,
    pub train: Color,
    pub train_ema: Color,
    pub val: Color,
    pub grad: Color,
    pub clip: Color,
    pub ok: Color,
    pub warn: Color,
    pub error: Color,
    pub prefix: Color,
    pub continuation: Color,
    pub selection_fg: Color,
    pub selection_bg: Color,
    /// Heatmap palette ends and centre, always RGB (interpolated, then adapted per cell).
    pub heat_neg: (u8, u8, u8),
    pub heat_mid: (u8, u8, u8),
    pub heat_pos: (u8, u8, u8),
}

/// A colour in a theme that cannot be used; `key` is the theme file's key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ColourError {
    #[error("{key} = {text:?} is not a colour (try a name, 0-255 or #rrggbb)")]
    NotAColour { key: String, text: String },
    /// The heatmap's colours are interpolated, so they must be RGB.
    #[error("{key} = {text:?} must be a #rrggbb colour")]
    NotRgb { key: String, text: String },
}

/// Why a `--theme` (or the config's `theme`) cannot be used. Every message is one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "unknown theme {spec:?}: use one of {} or a path to a .toml file",
        shipped_names()
    )]
    Unknown { spec: String },
    #[error("cannot read theme {}: {reason}", path.display())]
    Read { path: PathBuf, reason: String },
    /// Not TOML, or not a theme's keys; `reason` is the parser's first line.
    #[error("theme {theme}: {reason}")]
    Invalid { theme: String, reason: String },
    #[error("theme {theme}: {colour}")]
    Colour { theme: String, colour: ColourError },
}

/// The shipped themes' names, for messages.
fn shipped_names() -> String {
    let names: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
    names.join(", ")
}

fn color(key: &str, text: &str) -> Result<Color, ColourError> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u8>() {
        return Ok(Color::Indexed(n));
    }
    Color::from_str(t).map_err(|_| ColourError::NotAColour {
        key: key.to_owned(),
        text: t.to_owned(),
    })
}

fn rgb(key: &str, text: &str) -> Result<(u8, u8, u8), ColourError> {
    match color(key, text)? {
        Color::Rgb(r, g, b) => Ok((r, g, b)),
        _ => Err(ColourError::NotRgb {
            key: key.to_owned(),
            text: text.to_owned(),
        }),
    }
}

/// The xterm 256-colour index nearest to an RGB colour (6×6×6 cube or grey ramp).
pub fn rgb_to_indexed(r: u8, g: u8, b: u8) -> u8 {
    let q = |v: u8| -> u8 {
        // Cube levels: 0, 95, 135, 175, 215, 255.
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            ((v as u16 - 35) / 40) as u8
        }
    };
    let level = |i: u8| if i == 0 { 0 } else { 55 + 40 * i as i32 };
    let (qr, qg, qb) = (q(r), q(g), q(b));
    let cube = 16 + 36 * qr + 6 * qg + qb;
    let cube_err = (level(qr) - r as i32).pow(2)
        + (level(qg) - g as i32).pow(2)
        + (level(qb) - b as i32).pow(2);
    let avg = (r as i32 + g as i32 + b as i32) / 3;
    let gi = ((avg - 8).max(0) / 10).min(23);
    let gv = 8 + 10 * gi;
    let grey_err = (gv - r as i32).pow(2) + (gv - g as i32).pow(2) + (gv - b as i32).pow(2);
    if grey_err < cube_err {
        232 + gi as u8
    } else {
        cube
    }
}

impl Theme {
    /// Parse theme text (TOML) for a colour mode.
    pub fn parse(text: &str, fallback_name: &str, mode: ColorMode) -> Result<Theme, ThemeError> {
        let raw: RawTheme = toml::from_str(text).map_err(|e| ThemeError::Invalid {
            theme: fallback_name.to_owned(),
            reason: e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_owned(),
        })?;
        let in_theme = |colour| ThemeError::Colour {
            theme: fallback_name.to_owned(),
            colour,
        };
        let c = |k: &str, v: &str| color(k, v).map_err(in_theme);
        let h = |k: &str, v: &str| rgb(k, v).map_err(in_theme);
        let t = Theme {
            name: raw.name.clone().unwrap_or_else(|| fallback_name.to_owned()),
            mode,
            bg: c("bg", &raw.bg)?,
            fg: c("fg", &raw.fg)?,
            dim: c("dim", &raw.dim)?,
            accent: c("accent", &raw.accent)?,
            border: c("border", &raw.border)?,
            border_focused: c("border_focused", &raw.border_focused)?,
            title: c("title", &raw.title)?,
            train: c("train", &raw.train)?,
            train_ema: c("train_ema", &raw.train_ema)?,
            val: c("val", &raw.val)?,
            grad: c("grad", &raw.grad)?,
            clip: c("clip", &raw.clip)?,
            ok: c("ok", &raw.ok)?,
            warn: c("warn", &raw.warn)?,
            error: c("error", &raw.error)?,
            prefix: c("prefix", &raw.prefix)?,
            continuation: c("continuation", &raw.continuation)?,
            selection_fg: c("selection_fg", &raw.selection_fg)?,
            selection_bg: c("selection_bg", &raw.selection_bg)?,
            heat_neg: h("heat_neg", &raw.heat_neg)?,
            heat_mid: h("heat_mid", &raw.heat_mid)?,
            heat_pos: h("heat_pos", &raw.heat_pos)?,
        };
        Ok(t.adapted())
    }

    /// A shipped theme by name.
    pub fn shipped(name: &str, mode: ColorMode) -> Option<Theme> {
        SHIPPED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Theme::parse(text, n, mode).expect("shipped themes parse"))
    }

    /// The dark default theme.
    pub fn default_for(mode: ColorMode) -> Theme {
        Theme::shipped("default", mode).expect("default theme exists")
    }

    /// Where user themes live: `<config dir>/themes/` (the config file's directory, so
    /// `RNN_TUI_CONFIG_DIR` moves both).
    pub fn user_dir() -> Option<PathBuf> {
        crate::config::config_dir().map(|d| d.join("themes"))
    }

    /// `--theme NAME|PATH`: a shipped name, a user theme `<config>/themes/NAME.toml`, or a file.
    pub fn load(spec: &str, mode: ColorMode) -> Result<Theme, ThemeError> {
        Self::load_from(spec, mode, Self::user_dir().as_deref())
    }

    pub fn load_from(
        spec: &str,
        mode: ColorMode,
        user_dir: Option<&Path>,
    ) -> Result<Theme, ThemeError> {
        let spec = spec.trim();
        if let Some(t) = Theme::shipped(spec, mode) {
            return Ok(t);
        }
        let looks_like_path = spec.contains('/') || spec.contains('\\') || spec.ends_with(".toml");
        let path = if looks_like_path {
            PathBuf::from(spec)
        } else {
            match user_dir.map(|d| d.join(format!("{spec}.toml"))) {
                Some(p) if p.is_file() => p,
                _ => {
                    return Err(ThemeError::Unknown {
                        spec: spec.to_owned(),
                    })
                }
            }
        };
        let text = crate::regular_file::read_text(&path, crate::regular_file::SETTINGS_LIMIT)
            .map_err(|e| ThemeError::Read {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or(spec)
            .to_owned();
        Theme::parse(&text, &stem, mode)
    }

    /// Convert RGB colours for 256-colour terminals, drop colours under `NO_COLOR`.
    fn adapted(mut self) -> Theme {
        let mode = self.mode;
        for c in [
            &mut self.bg,
            &mut self.fg,
            &mut self.dim,
            &mut self.accent,
            &mut self.border,
            &mut self.border_focused,
            &mut self.title,
            &mut self.train,
            &mut self.train_ema,
            &mut self.val,
            &mut self.grad,
            &mut self.clip,
            &mut self.ok,
            &mut self.warn,
            &mut self.error,
            &mut self.prefix,
            &mut self.continuation,
            &mut self.selection_fg,
            &mut self.selection_bg,
        ] {
            *c = adapt(*c, mode);
        }
        self
    }

    pub fn base(&self) -> Style {
        Style::default().fg(self.fg).bg(self.bg)
    }

    /// The colours of saved runs overlaid on the perplexity chart, one per slot: theme colours
    /// the live curves (train, EMA, validation) do not use.
    pub fn run_colours(&self) -> [Color; 4] {
        [self.grad, self.continuation, self.title, self.clip]
    }

    /// The theme's colours for a figure (`rnn-tui plot`, the cockpit's `p`), as RGB: 256-colour
    /// indices and names as xterm shows them, a terminal's own background (`reset`) as a dark
    /// or light one to suit the text, colours lost to `NO_COLOR` as the default theme's. Runs
    /// overlaid take the live run's EMA colour, then the overlay slots' ([`Theme::run_colours`]).
    pub fn figure_palette(&self) -> crate::plot::Palette {
        use crate::plot::palette::{distinct, Palette, Rgb};
        let fallback = Palette::dark();
        let c = |colour: Color, or: Rgb| to_rgb(colour).map_or(or, |(r, g, b)| Rgb(r, g, b));
        let foreground = c(self.fg, fallback.foreground);
        let background = match to_rgb(self.bg) {
            Some((r, g, b)) => Rgb(r, g, b),
            None if foreground.luminance() < 0.4 => Rgb(0xff, 0xff, 0xff),
            None => fallback.background,
        };
        let train_ema = c(self.train_ema, fallback.train_ema);
        let mut runs = vec![train_ema];
        let slots = fallback.runs[1..].iter();
        runs.extend(
            self.run_colours()
                .iter()
                .zip(slots)
                .map(|(&k, &or)| c(k, or)),
        );
        runs.push(c(self.val, fallback.val));
        runs.push(c(self.train, fallback.train));
        Palette {
            background,
            foreground,
            grid: c(self.border, fallback.grid),
            train: c(self.train, fallback.train),
            train_ema,
            val: c(self.val, fallback.val),
            grad: c(self.grad, fallback.grad),
            clip: c(self.clip, fallback.clip),
            lr: c(self.accent, fallback.lr),
            runs: distinct(&runs),
        }
    }

    pub fn dim_style(&self) -> Style {
        Style::default().fg(self.dim)
    }

    pub fn border_style(&self, focused: bool) -> Style {
        if focused {
            let s = Style::default().fg(self.border_focused);
            if self.mode == ColorMode::NoColor {
                s.add_modifier(Modifier::BOLD)
            } else {
                s
            }
        } else {
            Style::default().fg(self.border)
        }
    }

    pub fn title_style(&self) -> Style {
        Style::default().fg(self.title).add_modifier(Modifier::BOLD)
    }

    /// A key named in a hint or the help ("Enter", "y").
    pub fn key_style(&self) -> Style {
        Style::default()
            .fg(self.accent)
            .add_modifier(Modifier::BOLD)
    }

    pub fn selection(&self) -> Style {
        let s = Style::default().fg(self.selection_fg).bg(self.selection_bg);
        if self.mode == ColorMode::NoColor {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }

    /// The heatmap colour for a hidden value in -1..1: `heat_neg` at -1, `heat_mid` at 0,
    /// `heat_pos` at +1, linear in between, adapted to the colour mode (`None` under NO_COLOR).
    pub fn heat(&self, v: f32) -> Option<Color> {
        let v = if v.is_finite() {
            v.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let (end, t) = if v < 0.0 {
            (self.heat_neg, -v)
        } else {
            (self.heat_pos, v)
        };
        let mix = |a: u8, b: u8| -> u8 { (a as f32 + (b as f32 - a as f32) * t).round() as u8 };
        let (r, g, b) = (
            mix(self.heat_mid.0, end.0),
            mix(self.heat_mid.1, end.1),
            mix(self.heat_mid.2, end.2),
        );
        match self.mode {
            ColorMode::TrueColor => Some(Color::Rgb(r, g, b)),
            ColorMode::Indexed256 => Some(Color::Indexed(rgb_to_indexed(r, g, b))),
            ColorMode::NoColor => None,
        }
    }
}

/// A terminal colour as RGB, as xterm shows it; `None` for the terminal's own (`reset`).
pub fn to_rgb(c: Color) -> Option<(u8, u8, u8)> {
    const BASE: [(u8, u8, u8); 16] = [
        (0, 0, 0),
        (205, 0, 0),
        (0, 205, 0),
        (205, 205, 0),
        (0, 0, 238),
        (205, 0, 205),
        (0, 205, 205),
        (229, 229, 229),
        (127, 127, 127),
        (255, 0, 0),
        (0, 255, 0),
        (255, 255, 0),
        (92, 92, 255),
        (255, 0, 255),
        (0, 255, 255),
        (255, 255, 255),
    ];
    let indexed = |n: u8| match n {
        0..=15 => BASE[n as usize],
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (n - 232);
            (v, v, v)
        }
    };
    Some(match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(n) => indexed(n),
        Color::Black => BASE[0],
        Color::Red => BASE[1],
        Color::Green => BASE[2],
        Color::Yellow => BASE[3],
        Color::Blue => BASE[4],
        Color::Magenta => BASE[5],
        Color::Cyan => BASE[6],
        Color::Gray => BASE[7],
        Color::DarkGray => BASE[8],
        Color::LightRed => BASE[9],
        Color::LightGreen => BASE[10],
        Color::LightYellow => BASE[11],
        Color::LightBlue => BASE[12],
        Color::LightMagenta => BASE[13],
        Color::LightCyan => BASE[14],
        Color::White => BASE[15],
    })
}

fn adapt(c: Color, mode: ColorMode) -> Color {
    match (mode, c) {
        (ColorMode::NoColor, _) => Color::Reset,
        (ColorMode::Indexed256, Color::Rgb(r, g, b)) => Color::Indexed(rgb_to_indexed(r, g, b)),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_theme_parses_in_every_mode() {
        for (name, _) in SHIPPED {
            for mode in [
                ColorMode::TrueColor,
                ColorMode::Indexed256,
                ColorMode::NoColor,
            ] {
                let t = Theme::shipped(name, mode).unwrap();
                assert_eq!(t.name, name);
            }
        }
    }

    #[test]
    fn colour_depth_comes_from_the_environment() {
        assert_eq!(
            ColorMode::from_env(Some("1"), Some("truecolor")),
            ColorMode::NoColor
        );
        assert_eq!(
            ColorMode::from_env(Some(""), Some("24bit")),
            ColorMode::TrueColor
        );
        assert_eq!(ColorMode::from_env(None, None), ColorMode::Indexed256);
    }

    #[test]
    fn figure_colours_are_the_themes_in_rgb() {
        use crate::plot::Rgb;
        let dark = Theme::default_for(ColorMode::TrueColor).figure_palette();
        assert_eq!(dark.train_ema, Rgb(0xff, 0xaf, 0x00));
        // `bg = "reset"` with light text: a dark background; the light theme's: white.
        assert!(dark.background.luminance() < 0.1);
        let light = Theme::shipped("light", ColorMode::TrueColor)
            .unwrap()
            .figure_palette();
        assert_eq!(light.background, Rgb(255, 255, 255));
        assert_eq!(light.val, Rgb(0, 0x87, 0));
        // The overlay slots follow the live run's colour, as in the cockpit.
        assert_eq!(light.runs[0], light.train_ema);
        assert_eq!(light.runs[1], light.grad);
        // A 256-colour theme reads back near its RGB; NO_COLOR falls back to the default's.
        let indexed = Theme::default_for(ColorMode::Indexed256).figure_palette();
        assert_eq!(indexed.train_ema, Rgb(255, 175, 0));
        let none = Theme::default_for(ColorMode::NoColor).figure_palette();
        assert_eq!(none.train_ema, dark.train_ema);
        assert_eq!(to_rgb(Color::Indexed(196)), Some((255, 0, 0)));
        assert_eq!(to_rgb(Color::Indexed(244)), Some((128, 128, 128)));
    }

    #[test]
    fn indexed_approximation_is_sane() {
        assert_eq!(rgb_to_indexed(0, 0, 0), 16);
        assert_eq!(rgb_to_indexed(255, 0, 0), 196);
        assert_eq!(rgb_to_indexed(255, 255, 255), 231);
        assert_eq!(rgb_to_indexed(128, 128, 128), 244);
    }
}
