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

/// A count of things (characters, windows) in at most six characters: exact below 1000, else
/// one decimal and `k`, `M` or `G` (`10.0k`, `173.4k`, `52.4M`, `1.1G`).
pub fn compact_count(n: usize) -> String {
    let x = n as f64;
    match n {
        0..=999 => n.to_string(),
        1_000..=999_949 => format!("{:.1}k", x / 1e3),
        999_950..=999_949_999 => format!("{:.1}M", x / 1e6),
        _ => format!("{:.1}G", x / 1e9),
    }
}

#[cfg(test)]
mod count_tests {
    use super::compact_count;

    #[test]
    fn counts_are_short() {
        assert_eq!(compact_count(0), "0");
        assert_eq!(compact_count(999), "999");
        assert_eq!(compact_count(1_000), "1.0k");
        assert_eq!(compact_count(10_032), "10.0k");
        assert_eq!(compact_count(173_428), "173.4k");
        assert_eq!(compact_count(999_949), "999.9k");
        assert_eq!(compact_count(999_950), "1.0M");
        assert_eq!(compact_count(52_428_800), "52.4M");
        assert_eq!(compact_count(1_073_741_824), "1.1G");
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
