//! Whole-screen snapshots (TestBackend + insta) in every state at 60×18, 80×24, 120×40 and
//! 200×50 (and the too-small message at 30×8), from synthetic events, plus "no size panics".

mod common;

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Terminal;

use common::screen::screen;
use rnn_tui::hparams::HParams;
use rnn_tui::text_width::{self, ELLIPSIS};
use rnn_tui::train::{Event, TrainerState};
use rnn_tui::tui::{fixtures, view, Action, App, ColorMode, Level, Msg, Theme};

const SIZES: [(u16, u16); 5] = [(120, 40), (80, 24), (30, 8), (60, 18), (200, 50)];

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn hp() -> HParams {
    let mut hp = HParams::default();
    hp.set(rnn_tui::hparams::Field::Epochs, "10").unwrap();
    hp.set(rnn_tui::hparams::Field::BatchSize, "256").unwrap();
    hp.set(rnn_tui::hparams::Field::Hiddens, "16").unwrap();
    hp
}

fn app() -> App {
    App::new(hp(), Theme::default_for(ColorMode::TrueColor))
}

fn training() -> App {
    let mut a = app();
    fixtures::ready_app(&mut a);
    fixtures::feed_training(&mut a, 47);
    a
}

/// A training app with the three runs of [`fixtures::run_list`] overlaid.
fn overlaid3() -> App {
    let mut a = training();
    a.update(key(KeyCode::Char('o')));
    a.show_runs(Ok(fixtures::run_list()));
    // As the event loop does after each `c`: the picker is open, so labels name the curves.
    for (i, id) in fixtures::run_list()
        .runs
        .iter()
        .map(|r| r.id.clone())
        .enumerate()
    {
        a.set_overlay(id, Ok(fixtures::past_run_records(120 + 40 * i)));
    }
    a.update(key(KeyCode::Esc));
    assert_eq!(a.perplexity.overlays.len(), 3);
    a
}

fn states() -> Vec<(&'static str, App)> {
    let mut ready = app();
    fixtures::ready_app(&mut ready);

    let mut paused = training();
    paused.update(Msg::Trainer(Event::State {
        state: TrainerState::Paused,
    }));

    let mut help = training();
    help.update(key(KeyCode::Char('?')));

    let mut form = training();
    for _ in 0..4 {
        form.update(key(KeyCode::Tab));
    }
    assert_eq!(form.focus, rnn_tui::tui::Focus::Form);
    form.update(key(KeyCode::Enter));
    form.update(key(KeyCode::Backspace));
    form.update(key(KeyCode::Backspace));
    form.update(key(KeyCode::Char('0')));

    let mut error = training();
    error.update(Msg::Trainer(Event::Error {
        message: "tensor error: out of memory allocating 4.0 GiB".into(),
    }));

    // A rebuild refused (missing corpus): the old run goes on, the reason in the status bar.
    let mut refused = training();
    refused.restart_failed("corpus file not found: /nope.txt".into());

    // The runs picker over a training run (`o`, then the list the event loop hands back).
    let mut picker = training();
    assert_eq!(picker.update(key(KeyCode::Char('o'))), Action::ListRuns);
    picker.show_runs(Ok(fixtures::run_list()));
    picker.update(key(KeyCode::Down));

    // A past run's curve overlaid, dimmed, on the current one.
    let mut overlay = training();
    overlay.set_overlay(
        "20261127-184210-07c2".into(),
        Ok(fixtures::past_run_records(200)),
    );

    // Three saved runs overlaid at once (issue 24): a colour and a legend entry each.
    let overlay3 = overlaid3();

    // The picker over those three, their hyperparameters side by side.
    let mut compare3 = overlaid3();
    compare3.update(key(KeyCode::Char('o')));
    compare3.show_runs(Ok(fixtures::run_list()));

    // The zoomed perplexity chart with its cursor moved back 5 batches from the newest.
    let mut cursor = training();
    cursor.update(key(KeyCode::Char('z')));
    for _ in 0..6 {
        cursor.update(key(KeyCode::Left));
    }
    assert!(cursor.charts.cursor.is_some());

    // The zoomed completion pane with the samples of 3 epochs (not typing).
    let mut history = training();
    history.update(key(KeyCode::Char('2')));
    history.update(key(KeyCode::Esc));
    history.update(key(KeyCode::Char('z')));
    for e in 1..=3 {
        history.update(Msg::Trainer(Event::Sample(fixtures::sample(e))));
    }

    // `/` from the first screen: typing into the completion pane.
    let mut typing = training();
    typing.update(key(KeyCode::Char('/')));
    for c in "the war".chars() {
        typing.update(key(KeyCode::Char(c)));
    }

    // `z` on the perplexity chart, and on the heatmap (reached with its digit).
    let mut zoom_chart = training();
    zoom_chart.update(key(KeyCode::Char('z')));
    let mut zoom_heatmap = training();
    zoom_heatmap.update(key(KeyCode::Char('3')));
    zoom_heatmap.update(key(KeyCode::Char('z')));

    // The gradient chart focused: on short terminals it takes the perplexity chart's place.
    let mut gradients = training();
    gradients.update(key(KeyCode::Char('4')));

    // The message line at each level (issue 24): an action's result, a warning, and the form's
    // refusal of a value being edited (it stays until the value is fixed or Esc).
    let mut info = training();
    info.say(Level::Info, "saved after 2 epochs and 7 batches to /home/user/.local/share/rnn-tui/runs/20261202-101500-a3f9");
    let mut warning = training();
    warning.say(
        Level::Warn,
        "training diverged at epoch 3 (loss NaN) — weights restored, paused: lower the learning rate, then space",
    );
    let mut refusal = training();
    refusal.update(key(KeyCode::Char('5')));
    refusal.update(key(KeyCode::Enter));
    refusal.update(key(KeyCode::Backspace));
    refusal.update(key(KeyCode::Backspace));
    refusal.update(key(KeyCode::Char('0')));
    refusal.update(key(KeyCode::Enter));
    assert!(matches!(refusal.notice, Some((Level::Error, _))));

    vec![
        ("ready", ready),
        ("message_info", info),
        ("message_warning", warning),
        ("message_error", refusal),
        ("typing", typing),
        ("zoom_chart", zoom_chart),
        ("zoom_heatmap", zoom_heatmap),
        ("gradients_focused", gradients),
        ("runs_picker", picker),
        ("overlay", overlay),
        ("overlay3", overlay3),
        ("compare3", compare3),
        ("cursor", cursor),
        ("sample_history", history),
        ("rebuild_refused", refused),
        ("training", training()),
        ("paused", paused),
        ("help", help),
        ("form_editing", form),
        ("error", error),
    ]
}

#[test]
fn whole_screen_in_every_state_and_size() {
    for (name, mut app) in states() {
        for (w, h) in SIZES {
            let text = screen(&mut app, w, h);
            insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
        }
    }
}

#[test]
fn no_size_panics_down_to_1x1() {
    for (_, mut app) in states() {
        for w in (1..=130).step_by(7).chain([1, 2, 59, 60, 61]) {
            for h in (1..=45).step_by(4).chain([1, 2, 17, 18, 19]) {
                screen(&mut app, w, h);
            }
        }
    }
}

#[test]
fn themes_and_colour_modes_all_draw() {
    for (name, _) in rnn_tui::tui::theme::SHIPPED {
        for mode in [
            ColorMode::TrueColor,
            ColorMode::Indexed256,
            ColorMode::NoColor,
        ] {
            let mut a = App::new(hp(), Theme::shipped(name, mode).unwrap());
            fixtures::ready_app(&mut a);
            fixtures::feed_training(&mut a, 30);
            let text = screen(&mut a, 120, 40);
            assert!(text.contains("Hidden state"), "{name} {mode:?}");
        }
    }
}

/// Whether `line` shows text cut at a border or the screen's edge without saying so: a panel
/// title or a legend that runs into its corner must end with `…` there, and a row that reaches
/// the last column must not end inside a word.
fn silently_cut(line: &str) -> Option<String> {
    let cells: Vec<char> = line.chars().collect();
    for (i, &c) in cells.iter().enumerate() {
        if (c == '┐' || c == '┘') && i > 0 {
            let before = cells[i - 1];
            // The border line itself, a title ending in its padding, or the cut mark.
            if !matches!(before, '─' | ' ' | '…' | '┌' | '└') {
                return Some(format!("runs into its corner at column {i}"));
            }
        }
    }
    None
}

/// Issue 24: no drawn line of any state, at any of the sizes, is cut without `…`.
#[test]
fn no_line_is_cut_without_a_mark() {
    for (name, mut app) in states() {
        for (w, h) in SIZES.into_iter().filter(|&(w, _)| w >= 60) {
            let text = screen(&mut app, w, h);
            for (y, line) in text.lines().enumerate() {
                if let Some(why) = silently_cut(line) {
                    panic!("{name} {w}×{h} line {y} {why}:\n{line}\n\n{text}");
                }
                // A row reaching the last column ends with a mark, a border, or a whole word
                // (a letter or digit at the edge after another is a word cut there).
                let cells: Vec<char> = line.chars().collect();
                if rnn_tui::text_width::width(line) == w as usize {
                    let last = cells[cells.len() - 1];
                    let before = cells[cells.len() - 2];
                    assert!(
                        !(last.is_alphanumeric() && before.is_alphanumeric()),
                        "{name} {w}×{h} line {y} ends inside a word:\n{line}\n\n{text}"
                    );
                }
            }
        }
    }
}

/// A border or a chart's axis line: text that runs into one ends there.
fn is_border(c: char) -> bool {
    ('\u{2500}'..='\u{257F}').contains(&c)
}

/// A cell of a picture or a mark, not of text: braille curves, block bars and heat cells,
/// geometric marks (`◆ ▶ ▸`), chart dots.
fn is_graphic(c: char) -> bool {
    ('\u{2800}'..='\u{28FF}').contains(&c) || ('\u{2580}'..='\u{25FF}').contains(&c) || c == '•'
}

/// The screen at `w`×`h` and every text the drawing helpers were handed for it (what was
/// meant to be drawn; see [`text_width::recording_intended`]).
fn drawn_with_intent(app: &mut App, w: u16, h: u16) -> (Buffer, Vec<String>) {
    app.update(Msg::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let ((), intended) = text_width::recording_intended(|| {
        term.draw(|f| view::draw(f, app)).unwrap();
    });
    (term.backend().buffer().clone(), intended)
}

/// Whether `text`, drawn up against a border or the screen's edge, is the whole end of a
/// text meant to be drawn: some `intended` string ends with it, and it starts there at a word
/// (or after a mark or a glyph), not inside one. A text cut on its left by a right-aligned
/// label's room (`k steps` of `12.3k steps`) or on its right (`units 1` of `units 15`) is not.
fn ends_an_intended_text(text: &str, intended: &[String]) -> bool {
    intended.iter().any(|s| {
        let s = s.trim_end();
        let Some(before) = s.strip_suffix(text) else {
            return false;
        };
        before
            .chars()
            .last()
            .is_none_or(|c| c.is_whitespace() || is_border(c) || is_graphic(c) || c == ELLIPSIS)
    })
}

/// Every run of text in `buf` that ends against a border glyph or the right edge without a
/// space between, and is neither marked with `…` nor the end of an intended text: a text cut
/// silently. A run is what lies after the last border, picture cell or double space before
/// the border (table columns and axis labels are separated by two spaces or more).
///
/// `overlay`: where a popup (the help, the runs picker, a dialog) covers the panels. The
/// panels' text it hides is covered, not cut: a run ending at its left border or starting
/// after its right one is not judged.
fn silent_cuts(buf: &Buffer, intended: &[String], overlay: Option<Rect>) -> Vec<String> {
    let area = buf.area;
    let mut found = Vec::new();
    for y in area.top()..area.bottom() {
        let beside = overlay.filter(|o| (o.top()..o.bottom()).contains(&y));
        let mut run = String::new();
        // The run began where the popup hid the rest of its text.
        let mut uncovered = false;
        let mut check = |run: &mut String, x: u16, uncovered: bool| {
            let text = run.trim_start();
            let last = text.chars().last();
            let touches = last.is_some_and(|c| !c.is_whitespace());
            let covered = uncovered || beside.is_some_and(|o| x == o.left());
            if touches
                && !covered
                && last != Some(ELLIPSIS)
                && !ends_an_intended_text(text, intended)
            {
                found.push(format!("row {y} column {x}: {text:?}"));
            }
            run.clear();
        };
        for x in area.left()..area.right() {
            let sym = buf[(x, y)].symbol();
            // The second column of a wide character.
            if sym.is_empty() {
                continue;
            }
            let c = sym.chars().next().unwrap_or(' ');
            if is_border(c) {
                check(&mut run, x, uncovered);
                uncovered = beside.is_some_and(|o| x + 1 == o.right());
            } else if is_graphic(c) {
                run.clear();
            } else {
                run.push_str(sym);
                if run.ends_with("  ") {
                    run.clear();
                    uncovered = false;
                }
            }
        }
        check(&mut run, area.right(), uncovered);
    }
    found
}

/// Where the popup open over the panels is, if one is: the cells that change when it is
/// taken away (its border bounds it).
fn overlay_area(app: &mut App, w: u16, h: u16, with: &Buffer) -> Option<Rect> {
    let picker = app.picker.take();
    let help = std::mem::take(&mut app.help);
    let dialog = app.dialog.take();
    if picker.is_none() && !help && dialog.is_none() {
        return None;
    }
    let (without, _) = drawn_with_intent(app, w, h);
    app.picker = picker;
    app.help = help;
    app.dialog = dialog;
    let mut changed = None::<(u16, u16, u16, u16)>;
    for y in 0..h {
        for x in 0..w {
            if with[(x, y)] != without[(x, y)] {
                changed = Some(match changed {
                    None => (x, y, x, y),
                    Some((l, t, r, b)) => (l.min(x), t.min(y), r.max(x), b.max(y)),
                });
            }
        }
    }
    changed.map(|(l, t, r, b)| Rect::new(l, t, r - l + 1, b - t + 1))
}

/// Issue 24: at 60×18, 80×24, 120×40 and 200×50, in every state, each text that ends against
/// a border, an axis, a neighbouring panel or the screen's edge is the whole of what was meant
/// to be drawn there, or says it was cut with `…`. Exact: the texts meant are recorded as the
/// cockpit hands them to its layout helpers, not guessed from the screen.
#[test]
fn no_text_ends_against_a_border_cut_without_a_mark() {
    let mut failures = Vec::new();
    for (name, mut app) in states().into_iter().chain(more_states()) {
        for (w, h) in SIZES.into_iter().filter(|&(w, _)| w >= 60) {
            let (buf, intended) = drawn_with_intent(&mut app, w, h);
            let overlay = overlay_area(&mut app, w, h, &buf);
            for cut in silent_cuts(&buf, &intended, overlay) {
                failures.push(format!("{name} {w}×{h} {cut}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "cut without …:\n{}",
        failures.join("\n")
    );
}

/// States besides the snapshots' where text meets borders: the charts on steps (past 4096
/// batches, so the labels are long) and on training time, the picker typing a long label and
/// asking to delete, the help over each panel.
fn more_states() -> Vec<(&'static str, App)> {
    let long = || {
        let mut a = app();
        fixtures::ready_app(&mut a);
        fixtures::feed_training(&mut a, 5000);
        a
    };
    let mut steps = long();
    steps.update(key(KeyCode::Char('x')));
    let mut steps_zoomed = long();
    steps_zoomed.update(key(KeyCode::Char('x')));
    steps_zoomed.update(key(KeyCode::Char('z')));
    steps_zoomed.update(key(KeyCode::Left));
    let mut time = overlaid3();
    time.update(key(KeyCode::Char('x')));
    time.update(key(KeyCode::Char('x')));
    let mut labelling = overlaid3();
    labelling.update(key(KeyCode::Char('o')));
    labelling.show_runs(Ok(fixtures::run_list()));
    labelling.update(key(KeyCode::Char('n')));
    for c in "a label long enough to fill the picker's last row".chars() {
        labelling.update(key(KeyCode::Char(c)));
    }
    let mut deleting = training();
    deleting.update(key(KeyCode::Char('o')));
    deleting.show_runs(Ok(fixtures::run_list()));
    deleting.update(key(KeyCode::Char('d')));
    let mut out = vec![
        ("steps_axis", steps),
        ("steps_axis_cursor", steps_zoomed),
        ("time_axis", time),
        ("picker_labelling", labelling),
        ("picker_deleting", deleting),
    ];
    for c in ['2', '3', '4', '5'] {
        let mut help = training();
        help.update(key(KeyCode::Char(c)));
        help.update(key(KeyCode::Esc));
        help.update(key(KeyCode::Char('?')));
        out.push(("help_on_a_panel", help));
    }
    out
}

/// The check itself: it finds a legend cut short, a label cut on its left, and lets a whole
/// label or a marked cut pass.
#[test]
fn the_silent_cut_check_tells_a_cut_from_a_whole_text() {
    let mut buf = Buffer::empty(Rect::new(0, 0, 16, 3));
    buf.set_string(0, 0, "│units 1│", ratatui::style::Style::default());
    buf.set_string(0, 1, "│ k steps│", ratatui::style::Style::default());
    buf.set_string(0, 2, "│units …│ 2.4 ep", ratatui::style::Style::default());
    let intended = vec![
        "units 15".to_owned(),
        "12.3k steps".to_owned(),
        "2.4 ep".to_owned(),
    ];
    let cuts = silent_cuts(&buf, &intended, None);
    assert_eq!(cuts.len(), 2, "{cuts:?}");
    assert!(cuts[0].contains("\"units 1\""), "{cuts:?}");
    assert!(cuts[1].contains("\"k steps\""), "{cuts:?}");
    // Under a popup whose left border is the second `│` of row 0, the legend is covered.
    let popup = Rect::new(8, 0, 4, 1);
    let cuts = silent_cuts(&buf, &intended, Some(popup));
    assert_eq!(cuts.len(), 1, "{cuts:?}");
}
