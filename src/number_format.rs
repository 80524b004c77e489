//! How user-chosen numbers (learning rate, clip threshold, …) are written on screen and in
//! messages: exactly (the text reads back as the same f64) and compactly, so `--lr 1e39` shows as
//! `1e39`, not as forty digits.

/// The shortest text that reads back as `x`: plain digits between 1e-4 and 1e6
/// (`0.001`, `1`, `2.5`, `250000`), scientific notation outside (`1e39`, `3.2e-5`).
pub fn compact(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let magnitude = x.abs();
    if x == 0.0 || (1e-4..1e6).contains(&magnitude) {
        // Rust's Display is the shortest round-trip form; "-0" is shown as "0".
        format!("{}", if x == 0.0 { 0.0 } else { x })
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::compact;

    #[test]
    fn ordinary_values_are_plain() {
        assert_eq!(compact(1.0), "1");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(compact(0.001), "0.001");
        assert_eq!(compact(0.0001), "0.0001");
        assert_eq!(compact(250000.0), "250000");
        assert_eq!(compact(-2.5), "-2.5");
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(-0.0), "0");
    }

    #[test]
    fn huge_and_tiny_values_are_scientific() {
        assert_eq!(compact(1e39), "1e39");
        assert_eq!(compact(3.2e-5), "3.2e-5");
        assert_eq!(compact(1e6), "1e6");
        assert_eq!(compact(-1.5e-7), "-1.5e-7");
        assert_eq!(compact(f64::MAX), "1.7976931348623157e308");
    }

    #[test]
    fn non_finite_values_are_named() {
        assert_eq!(compact(f64::NAN), "NaN");
        assert_eq!(compact(f64::INFINITY), "inf");
        assert_eq!(compact(f64::NEG_INFINITY), "-inf");
    }

    #[test]
    fn the_text_reads_back_as_the_same_number() {
        for x in [
            1e39,
            3.2e-5,
            0.1 + 0.2,
            1.0 / 3.0,
            123456.789,
            7e-300,
            0.0001,
            999999.9,
        ] {
            assert_eq!(compact(x).parse::<f64>().unwrap(), x, "{x}");
        }
    }
}
