//! A figure's colours as plain RGB. The front ends fill it from a theme (the cockpit's
//! `Theme::figure_palette`); this module knows nothing of terminals.

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Relative luminance, 0 (black) to 1 (white): light themes get a light background.
    pub fn luminance(self) -> f64 {
        let lin = |c: u8| {
            let c = c as f64 / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }
}

/// The colours a figure is drawn in.
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    pub background: Rgb,
    /// Text, axes.
    pub foreground: Rgb,
    /// Grid lines.
    pub grid: Rgb,
    /// One run alone: the raw train perplexity, its EMA, validation.
    pub train: Rgb,
    pub train_ema: Rgb,
    pub val: Rgb,
    pub grad: Rgb,
    pub clip: Rgb,
    pub lr: Rgb,
    /// Several runs: one colour each, in the order the runs are given (the first is the
    /// cockpit's live run's, then its overlay slots), never empty.
    pub runs: Vec<Rgb>,
}

impl Palette {
    /// The colour of the `i`-th of several runs (the list repeats past its end).
    pub fn run(&self, i: usize) -> Rgb {
        self.runs[i % self.runs.len()]
    }

    /// The palette of the default dark theme, for where no theme is given.
    pub fn dark() -> Palette {
        let train_ema = Rgb(0xff, 0xaf, 0x00);
        let grad = Rgb(0xaf, 0x87, 0xff);
        let continuation = Rgb(0x87, 0xd7, 0xff);
        let title = Rgb(0xff, 0xd7, 0x5f);
        let clip = Rgb(0xff, 0x5f, 0x5f);
        let val = Rgb(0x87, 0xd7, 0x87);
        let train = Rgb(0x5f, 0xaf, 0xff);
        Palette {
            background: Rgb(0x1c, 0x1c, 0x1c),
            foreground: Rgb(0xd0, 0xd0, 0xd0),
            grid: Rgb(0x4e, 0x4e, 0x4e),
            train,
            train_ema,
            val,
            grad,
            clip,
            lr: train,
            runs: distinct(&[train_ema, grad, continuation, title, clip, val, train]),
        }
    }
}

/// `colours` without repeats, in order; the extra hues below are added until there are at
/// least eight, so ten runs overlaid repeat few colours.
pub fn distinct(colours: &[Rgb]) -> Vec<Rgb> {
    const EXTRA: [Rgb; 6] = [
        Rgb(0x1f, 0x77, 0xb4),
        Rgb(0x2c, 0xa0, 0x2c),
        Rgb(0xd6, 0x27, 0x28),
        Rgb(0x94, 0x67, 0xbd),
        Rgb(0x8c, 0x56, 0x4b),
        Rgb(0xe3, 0x77, 0xc2),
    ];
    let mut out: Vec<Rgb> = Vec::new();
    for &c in colours.iter().chain(EXTRA.iter()) {
        if out.len() >= 8 && !colours.contains(&c) {
            break;
        }
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_colours_are_distinct_and_start_with_the_themes() {
        let p = Palette::dark();
        assert_eq!(p.run(0), p.train_ema);
        assert_eq!(p.run(1), p.grad);
        assert!(p.runs.len() >= 7);
        assert_eq!(p.run(p.runs.len()), p.run(0));
        // High-contrast themes repeat colours: repeats go, other hues fill in.
        let white = Rgb(255, 255, 255);
        let few = distinct(&[white, white, Rgb(255, 0, 0)]);
        assert_eq!(few.len(), 8);
        assert_eq!(&few[..2], &[white, Rgb(255, 0, 0)]);
        assert!(white.luminance() > 0.99 && Rgb(0, 0, 0).luminance() < 0.01);
    }
}
