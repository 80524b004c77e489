//! Issue 26, part 5 (the cockpit's half): the help overlay (`?`) names the guide's section on
//! the focused panel, and every section it can name exists in `docs/cockpit.md`.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::keys::{ch, training_app};
use common::screen::screen;
use rnn_tui::hparams::HParams;
use rnn_tui::tui::panels::help::{guide_page, GUIDE, PICKER_GUIDE};
use rnn_tui::tui::Focus;

/// The anchor GitHub gives a Markdown heading: its text in lower case, spaces as hyphens,
/// punctuation other than `-` and `_` left out.
fn anchor_of(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn anchors_are_made_as_github_makes_them() {
    assert_eq!(anchor_of("## Perplexity panel"), "perplexity-panel");
    assert_eq!(anchor_of("### The runs picker (`o`)"), "the-runs-picker-o");
    assert_eq!(
        anchor_of("# Form panel: hyper-parameters"),
        "form-panel-hyper-parameters"
    );
}

/// Read at run time, so the test follows the guide as it is (it fails until the guide's
/// sections on the panels are written).
#[test]
fn every_guide_section_the_help_names_has_its_heading_in_the_guide() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GUIDE);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the guide {}: {e}", path.display()));
    let mut in_code = false;
    let mut anchors = HashSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            anchors.insert(anchor_of(line));
        }
    }
    let pages: Vec<&str> = Focus::ORDER
        .iter()
        .map(|&f| guide_page(f))
        .chain([PICKER_GUIDE])
        .collect();
    for page in pages {
        let (file, anchor) = page.split_once('#').expect("a page and an anchor");
        assert_eq!(file, GUIDE, "{page}");
        assert!(
            anchors.contains(anchor),
            "{page}: no heading with anchor #{anchor} in {} (headings: {anchors:?})",
            path.display()
        );
    }
}

/// `?` over each panel: the overlay's bottom border names that panel's section of the guide,
/// whole, at the smallest size and a common one.
#[test]
fn the_help_overlay_names_the_focused_panels_guide_page() {
    let (mut a, _rx) = training_app(HParams::default());
    for panel in Focus::ORDER {
        a.update(ch(panel.key()));
        a.update(ch('?'));
        assert!(a.help);
        for (w, h) in [(60, 18), (120, 40)] {
            let s = screen(&mut a, w, h);
            let guide = s
                .lines()
                .find(|l| l.contains("Guide "))
                .unwrap_or_else(|| panic!("{panel:?} {w}×{h}: no guide line\n{s}"));
            assert!(
                guide.contains(&format!("Guide {} ", guide_page(panel))) && guide.contains('└'),
                "{panel:?} {w}×{h}: {guide}\n{s}"
            );
        }
        a.update(ch('?'));
        assert!(!a.help);
    }
}
