//! Issue 24, part A, on the app state and `TestBackend`: navigation never types, the message
//! line and its levels, the default prefix from the text, the form's corpus check and the
//! restart question, the heatmap's view keys on a one-layer model, and the status figures.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::KeyCode;

use common::keys::{app, ch, edit, form_commit, key, training_app};
use common::screen::screen;
use rnn_tui::data::Vocab;
use rnn_tui::eval::inspect;
use rnn_tui::hparams::{Field, HParams};
use rnn_tui::model::ModelSnapshot;
use rnn_tui::train::{Event, TrainerState};
use rnn_tui::tui::message::{INFO_FADES_AFTER, WARNING_FADES_AFTER};
use rnn_tui::tui::panels::completion::DEFAULT_PREFIX;
use rnn_tui::tui::{fixtures, Action, App, Dialog, Focus, Level, Msg};

/// The message line: the row above the footer.
fn message_row(a: &mut App, w: u16, h: u16) -> String {
    let s = screen(a, w, h);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len() - 2].to_owned()
}

fn footer_row(a: &mut App, w: u16, h: u16) -> String {
    screen(a, w, h).lines().last().unwrap().to_owned()
}

// ——— 1. Navigation never types ———

/// The first finding: open, press `2`, then `3`: the focus moves twice and the prefix
/// stays as it was (no `time traveller 3`, no `<unk>` warning).
#[test]
fn digits_after_reaching_the_completion_pane_still_navigate() {
    let (mut a, rx) = app();
    let prefix = a.completion.prefix.clone();
    a.update(ch('2'));
    assert_eq!(a.focus, Focus::Completion);
    assert!(
        !a.completion.typing,
        "reaching the pane does not start typing"
    );
    a.update(ch('3'));
    assert_eq!(a.focus, Focus::Heatmap);
    assert_eq!(a.completion.prefix, prefix);
    // Tab onto the pane does not type either: `z` zooms, `?` opens the help.
    a.update(ch('1'));
    a.update(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Completion);
    a.update(ch('z'));
    assert!(a.zoomed);
    a.update(ch('z'));
    a.update(ch('?'));
    assert!(a.help);
    a.update(key(KeyCode::Esc));
    assert_eq!(a.completion.prefix, prefix);
    assert!(rx.try_iter().next().is_none());
    // `q` on the pane quits (nothing is training yet).
    assert_eq!(a.update(ch('q')), Action::Quit);
}

#[test]
fn slash_i_and_enter_start_typing_one_esc_leaves_and_the_footer_says_typing() {
    for start in [ch('/'), ch('i'), key(KeyCode::Enter)] {
        let (mut a, _rx) = app();
        a.update(ch('2'));
        let footer = footer_row(&mut a, 120, 40);
        assert!(!footer.contains("TYPING"), "{footer}");
        // Before typing the footer offers the way in, not the editing keys.
        assert!(
            footer.contains("Enter or i type") && !footer.contains("Backspace"),
            "{footer}"
        );
        a.update(start.clone());
        assert!(a.completion.typing, "{start:?}");
        let footer = footer_row(&mut a, 120, 40);
        assert!(
            footer.starts_with(" TYPING every key is text  Esc stop typing"),
            "{footer}"
        );
        // At the smallest size the way out is still there.
        let footer = footer_row(&mut a, 60, 18);
        assert!(
            footer.contains("TYPING") && footer.contains("Esc"),
            "{footer}"
        );
        // A visible cursor after the prefix.
        let s = screen(&mut a, 120, 40);
        assert!(s.contains("time traveller ▏"), "{s}");
        a.update(ch('3'));
        assert!(
            a.completion.prefix.ends_with('3'),
            "digits are text while typing"
        );
        a.update(key(KeyCode::Esc));
        assert!(!a.completion.typing);
        a.update(ch('3'));
        assert_eq!(
            a.focus,
            Focus::Heatmap,
            "one Esc, and digits navigate again"
        );
    }
}

/// Leaving typing and dismissing a message took two Escs: one does both now.
#[test]
fn one_esc_leaves_typing_and_takes_the_error_with_it() {
    let (mut a, _rx) = training_app(HParams::default());
    a.restart_failed("corpus file not found: /nope.txt".into());
    a.update(ch('/'));
    assert!(a.notice.is_some(), "an error stays while typing");
    a.update(key(KeyCode::Esc));
    assert!(!a.completion.typing);
    assert_eq!(a.notice, None);
}

// ——— 2. The message line ———

#[test]
fn messages_have_a_line_of_their_own_and_the_gauge_and_key_hints_stay() {
    let (mut a, _rx) = training_app(HParams::default());
    a.restart_failed("corpus file not found: /nope.txt".into());
    for (w, h) in [(60, 18), (80, 24), (120, 40), (200, 50)] {
        let s = screen(&mut a, w, h);
        let lines: Vec<&str> = s.lines().collect();
        assert!(
            lines[1].contains("of 10") || lines[1].contains('%'),
            "{w}×{h} gauge: {}",
            lines[1]
        );
        let msg = lines[lines.len() - 2];
        assert!(
            msg.starts_with(" ✗ not restarted: corpus"),
            "{w}×{h}: {msg}"
        );
        let footer = lines[lines.len() - 1];
        assert!(footer.trim_end().ends_with("? help"), "{w}×{h}: {footer}");
    }
}

#[test]
fn information_fades_after_a_few_seconds_or_at_the_next_key() {
    let (mut a, _rx) = app();
    let t0 = Instant::now();
    a.say(Level::Info, "run 2 started");
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(
        t0 + INFO_FADES_AFTER - Duration::from_millis(100),
    ));
    assert!(a.notice.is_some());
    a.update(Msg::Tick(t0 + INFO_FADES_AFTER));
    assert_eq!(a.notice, None);
    // Or at the next key: five panel switches never keep it.
    a.say(Level::Info, "run 2 started");
    a.update(ch('3'));
    assert_eq!(a.notice, None);
    // A warning stays longer, then fades too.
    a.say(Level::Warn, "careful");
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(t0 + INFO_FADES_AFTER));
    assert!(a.notice.is_some());
    a.update(Msg::Tick(t0 + WARNING_FADES_AFTER));
    assert_eq!(a.notice, None);
}

/// The same words said again are a new message: their time starts again.
#[test]
fn a_message_said_again_gets_its_full_time_again() {
    let (mut a, _rx) = app();
    let t0 = Instant::now();
    a.say(Level::Info, "saved");
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(t0 + Duration::from_secs(3)));
    a.say(Level::Info, "saved");
    a.update(Msg::Tick(t0 + Duration::from_secs(3)));
    a.update(Msg::Tick(t0 + Duration::from_secs(5)));
    assert!(a.notice.is_some(), "2 s after it was said again");
    a.update(Msg::Tick(t0 + Duration::from_secs(3) + INFO_FADES_AFTER));
    assert_eq!(a.notice, None);
}

#[test]
fn an_error_stays_until_dismissed_whatever_the_clock_and_keys() {
    let (mut a, _rx) = training_app(HParams::default());
    a.restart_failed("boom".into());
    let t0 = Instant::now();
    a.update(Msg::Tick(t0));
    a.update(Msg::Tick(t0 + Duration::from_secs(3600)));
    for c in ['2', '3', '4', '1'] {
        a.update(ch(c));
    }
    assert_eq!(a.notice, Some((Level::Error, "not restarted: boom".into())));
    assert!(message_row(&mut a, 120, 40).contains("(Esc dismisses)"));
    a.update(key(KeyCode::Esc));
    assert_eq!(a.notice, None);
}

/// A refused value's error goes stale once the value typed is valid, and never sits beside
/// the confirm dialog.
#[test]
fn a_refusal_goes_stale_when_the_value_becomes_valid() {
    let (mut a, _rx) = training_app(HParams::default());
    assert_eq!(form_commit(&mut a, Field::Hiddens, "0"), Action::None);
    assert!(matches!(a.notice, Some((Level::Error, ref m)) if m.starts_with("refused:")));
    // Still invalid (empty): the refusal stands.
    a.update(key(KeyCode::Backspace));
    assert!(matches!(a.notice, Some((Level::Error, _))));
    a.update(ch('6'));
    a.update(ch('4'));
    assert_eq!(a.notice, None, "a valid value makes the refusal stale");
    a.update(key(KeyCode::Enter));
    assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
    assert_eq!(a.notice, None);
}

/// The finished message writes the rate as the status bar does, so at 80 columns its way on
/// (`r`) is in sight rather than cut behind seven digits.
#[test]
fn the_finished_message_fits_80_columns_with_its_way_on() {
    let (mut a, _rx) = training_app(HParams::default());
    a.update(Msg::Trainer(Event::Finished(rnn_tui::train::Summary {
        epochs: 100,
        completed: true,
        train_ppl: 6.137,
        val_ppl: 7.181,
        tokens_per_s: 4_136_546.0,
        seconds: 8.1,
        sample: "it has a said the time the".into(),
    })));
    let row = message_row(&mut a, 80, 24);
    assert_eq!(
        row.trim_end(),
        " • run finished: 100 epochs, val ppl 7.18, 4.14M tok/s — press r for a new run"
    );
}

#[test]
fn the_trainers_error_is_on_the_message_line_with_its_way_out() {
    let (mut a, _rx) = training_app(HParams::default());
    a.update(Msg::Trainer(Event::Error {
        message: "tensor error: boom".into(),
    }));
    let row = message_row(&mut a, 120, 40);
    assert!(
        row.starts_with(" ✗ tensor error: boom  (r restarts)"),
        "{row}"
    );
    let s = screen(&mut a, 120, 40);
    assert!(
        s.lines().nth(1).unwrap().contains('%'),
        "the gauge stays:\n{s}"
    );
}

// ——— 5. The default prefix comes from the text ———

fn korean_snapshot() -> ModelSnapshot {
    let mut s = fixtures::snapshot(16, 3);
    s.vocab = Vocab::from_text("점순이가 또 우리 수탉을 잡아다가 가두고 닭싸움을 붙였다");
    let v = s.vocab.len();
    s.w_xh = vec![0.01; v * 16];
    s.w_hq = vec![0.01; 16 * v];
    s.b_q = vec![0.0; v];
    s
}

#[test]
fn a_text_without_the_built_in_prefix_starts_from_its_own_opening() {
    let (mut a, _rx) = app();
    let snap = Arc::new(korean_snapshot());
    a.update(Msg::Trainer(Event::Snapshot(snap.clone())));
    let probe = inspect::probe(&snap, "점순이가 또 우리 수탉을 잡아다가").unwrap();
    a.update(Msg::Trainer(Event::Probe(Arc::new(probe))));
    assert_eq!(a.completion.prefix, "점순이가 또 ");
    assert!(a.completion.unknown().is_empty());
    // d2l's text keeps the built-in prefix.
    let (mut b, _rx) = app();
    let snap = Arc::new(fixtures::snapshot(16, 3));
    let probe = inspect::probe(&snap, "the time machine by h g wells").unwrap();
    b.update(Msg::Trainer(Event::Probe(Arc::new(probe))));
    assert_eq!(b.completion.prefix, DEFAULT_PREFIX);
}

#[test]
fn a_typed_prefix_is_never_replaced() {
    let (mut a, _rx) = app();
    a.update(ch('/'));
    a.update(ch('x'));
    let typed = a.completion.prefix.clone();
    let snap = Arc::new(korean_snapshot());
    a.update(Msg::Trainer(Event::Snapshot(snap.clone())));
    let probe = inspect::probe(&snap, "점순이가 또 우리").unwrap();
    a.update(Msg::Trainer(Event::Probe(Arc::new(probe))));
    assert_eq!(a.completion.prefix, typed);
}

/// The `<unk>` warning is broken between words at every width, never inside `<unk>`.
#[test]
fn the_unk_warning_never_wraps_inside_a_token() {
    let (mut a, _rx) = app();
    a.update(Msg::Trainer(Event::Snapshot(Arc::new(korean_snapshot()))));
    // No probe: the built-in prefix stays, all of it unknown.
    for w in 60..=120 {
        let s = screen(&mut a, w, 40);
        assert!(s.contains("<unk>:"), "{w}:\n{s}");
        for line in s.lines() {
            assert!(
                !line.trim_end().ends_with("<un") && !line.trim_end().ends_with("<u"),
                "{w}: {line}"
            );
        }
    }
}

// ——— 6. Form truth ———

#[test]
fn the_corpus_field_checks_the_file_as_it_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("book.txt");
    std::fs::write(&real, "some text").unwrap();
    let (mut a, _rx) = training_app(HParams::default());
    let missing = dir.path().join("nope.txt");
    edit(&mut a, Field::Corpus, missing.to_str().unwrap());
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("✗ corpus file not found"), "{s}");
    assert!(!s.contains("✓ valid"), "{s}");
    a.update(key(KeyCode::Enter));
    assert!(a.dialog.is_none(), "refused before any confirmation");
    assert!(matches!(a.notice, Some((Level::Error, ref m)) if m.contains("corpus file not found")));
    let (mut a, _rx) = training_app(HParams::default());
    edit(&mut a, Field::Corpus, real.to_str().unwrap());
    assert!(screen(&mut a, 120, 40).contains("✓ valid"));
}

#[test]
fn the_restart_question_says_the_current_run_is_kept() {
    let (mut a, _rx) = training_app(HParams::default());
    a.update(Msg::Trainer(Event::Saved {
        run_dir: "/d/runs/20261202-101500-a3f9".into(),
        epoch: 1,
        batch: 0,
        asked: false,
    }));
    a.update(ch('r'));
    let Some(Dialog::Restart { question, .. }) = &a.dialog else {
        panic!("asks first")
    };
    assert!(
        question.contains("kept as 20261202-101500-a3f9, stopped at epoch"),
        "{question}"
    );
    assert!(!question.contains("discarded"), "{question}");
    let s = screen(&mut a, 60, 18);
    assert!(
        s.contains("20261202-101500-a3f9"),
        "the dialog shows the id whole:\n{s}"
    );
    a.update(key(KeyCode::Esc));
    assert_eq!(form_commit(&mut a, Field::Hiddens, "64"), Action::None);
    let Some(Dialog::Restart { question, .. }) = &a.dialog else {
        panic!("asks first")
    };
    assert!(
        question.contains("kept as 20261202-101500-a3f9"),
        "{question}"
    );
}

// ——— 9. Smaller ———

#[test]
fn view_keys_on_a_one_layer_model_say_why_nothing_changes() {
    let (mut a, _rx) = app();
    a.update(ch('3'));
    for c in ['[', ']', 'c'] {
        a.notice = None;
        a.update(ch(c));
        let (level, msg) = a.notice.clone().expect("a message, not silence");
        assert_eq!(level, Level::Info);
        assert!(msg.starts_with(&format!("{c}: ")), "{msg}");
    }
}

#[test]
fn the_eta_waits_while_paused_and_a_finished_run_is_not_ready() {
    let (mut a, _rx) = training_app(HParams::default());
    a.update(Msg::Trainer(Event::State {
        state: TrainerState::Paused,
    }));
    let s = screen(&mut a, 120, 40);
    assert!(s.contains("(paused)"), "{s}");
    // A run loaded after its last epoch: DONE, no "ETA 0s".
    let mut b = App::new(
        HParams {
            epochs: 1,
            ..HParams::default()
        },
        rnn_tui::tui::Theme::default_for(rnn_tui::tui::ColorMode::TrueColor),
    );
    fixtures::ready_app(&mut b);
    fixtures::feed_training(&mut b, 20);
    b.update(Msg::Trainer(Event::State {
        state: TrainerState::Ready,
    }));
    b.status.epochs = 1;
    b.status.epochs_done = 1;
    let s = screen(&mut b, 120, 40);
    assert!(!s.contains("READY") && !s.contains("ETA 0s"), "{s}");
    assert!(s.contains("DONE"), "{s}");
}

#[test]
fn the_status_bar_says_which_train_perplexity_it_shows() {
    let (mut a, _rx) = app();
    fixtures::feed_training(&mut a, 5);
    let s = screen(&mut a, 200, 50);
    let status = s.lines().next().unwrap();
    assert!(status.contains("train ppl "), "{status}");
    // The sparkline's figure is the last batch's, and says so.
    assert!(s.contains("batch ") && !s.contains("│train "), "{s}");
}

#[test]
fn the_completion_fills_the_panes_at_big_sizes() {
    let (mut a, _rx) = training_app(HParams::default());
    screen(&mut a, 80, 24);
    let small = a.completion.completion.as_ref().unwrap().tokens.len();
    screen(&mut a, 200, 50);
    let big = a.completion.completion.as_ref().unwrap().tokens.len();
    assert!(big > small, "{small} → {big}");
    a.update(ch('3'));
    a.update(ch('z'));
    screen(&mut a, 200, 50);
    let comp = a.completion.completion.as_ref().unwrap();
    // A zoomed heatmap at 200 columns has 194 character columns after its gutter: all used.
    assert!(comp.tokens.len() >= 194, "{}", comp.tokens.len());
}

/// Issue 24: at 60×18 the completion pane showed one line of completion; it shows three
/// under the line being typed.
#[test]
fn at_60x18_the_completion_pane_shows_three_lines_of_completion() {
    let (mut a, _rx) = training_app(HParams::default());
    let s = screen(&mut a, 60, 18);
    let rows: Vec<&str> = s.lines().collect();
    let top = rows
        .iter()
        .position(|l| l.contains("[2] Completion"))
        .unwrap();
    // The pane's rows, from its title to its bottom border, in the right column.
    let at = rows[top].find("┌ [2]").unwrap();
    let col = rows[top][..at].chars().count();
    let inside: Vec<String> = rows[top + 1..]
        .iter()
        .map(|l| l.chars().skip(col).collect::<String>())
        .take_while(|l| !l.starts_with('└'))
        .collect();
    assert!(inside[0].starts_with("│› "), "{s}");
    let completion_rows = inside[1..]
        .iter()
        .filter(|l| {
            !l.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .is_empty()
        })
        .count();
    assert!(completion_rows >= 3, "{completion_rows} rows:\n{s}");
}

/// The heatmap's title keeps its key figures (the unit and its r) whole at 60 columns: the
/// grid's size and the panel's name give way first.
#[test]
fn the_heatmap_title_keeps_the_unit_and_r_whole() {
    let (mut a, _rx) = app();
    let snap = Arc::new(fixtures::snapshot(16, 3));
    a.update(Msg::Trainer(Event::Snapshot(snap.clone())));
    let probe = inspect::probe(&snap, "the time machine by h g wells a story").unwrap();
    a.update(Msg::Trainer(Event::Probe(Arc::new(probe))));
    a.update(ch('3'));
    for _ in 0..16 {
        a.update(key(KeyCode::Down));
    }
    let r = a
        .heatmap
        .score()
        .map(|s| format!(" r={:+.2}", s.r))
        .unwrap_or_default();
    let want = format!("unit 15{r}");
    for (w, h) in [(60, 18), (80, 24), (120, 40), (200, 50)] {
        let s = screen(&mut a, w, h);
        let title = s.lines().find(|l| l.contains("[3]")).unwrap();
        assert!(title.contains(&want), "{w}×{h}: {want:?} in {title}");
    }
}

/// Issue 24: the watcher said "after 15 epochs" where the trainer said "epoch 16" for the
/// same save; the message names both counts.
#[test]
fn a_save_is_named_as_the_trainer_names_it() {
    let (mut a, _rx) = training_app(HParams::default());
    a.update(ch('s'));
    a.update(Msg::Trainer(Event::Saved {
        run_dir: "/d/runs/20261202-101500-a3f9".into(),
        epoch: 15,
        batch: 37,
        asked: true,
    }));
    let (_, msg) = a.notice.clone().unwrap();
    assert!(
        msg.contains("after 15 epochs and 37 batches (at epoch 16 batch 37)"),
        "{msg}"
    );
}
