//! App-state tests: every key does what the help overlay says, the form refuses bad input with a
//! message, live settings reach the trainer as Commands.

mod common;

use crossbeam_channel::{unbounded, Receiver};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

use common::keys::{app, ch, edit, key};
use rnn_tui::hparams::Field;
use rnn_tui::train::{Command, Event, TrainerState};
use rnn_tui::tui::panels::help;
use rnn_tui::tui::{fixtures, layout, view, Action, App, Dialog, Focus, Level, Msg};

fn set_state(a: &mut App, state: TrainerState) {
    a.update(Msg::Trainer(Event::State { state }));
}

/// What the app asked of the trainer, leaving out the epoch-sample prefix, which follows the
/// typed text since issue 24 (item 9: the trainer completes the pane's prefix at every epoch's
/// end); `sample_prefixes` reads those.
fn commands(rx: &Receiver<Command>) -> Vec<Command> {
    rx.try_iter()
        .filter(|c| !matches!(c, Command::SetEpochSample { .. }))
        .collect()
}

#[test]
fn space_starts_pauses_and_resumes() {
    let (mut a, rx) = app();
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Start]);
    set_state(&mut a, TrainerState::Training);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Pause]);
    set_state(&mut a, TrainerState::Paused);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Resume]);
    set_state(&mut a, TrainerState::Done);
    a.update(ch(' '));
    assert!(commands(&rx).is_empty());
    assert!(a.notice.as_ref().unwrap().1.contains("press r"));
}

#[test]
fn tab_and_shift_tab_cycle_focus() {
    let (mut a, _rx) = app();
    let mut seen = vec![a.focus];
    for _ in 0..5 {
        a.update(key(KeyCode::Tab));
        seen.push(a.focus);
    }
    assert_eq!(seen[..5], Focus::ORDER);
    assert_eq!(seen[5], Focus::ORDER[0]);
    a.update(key(KeyCode::BackTab));
    assert_eq!(a.focus, Focus::Form);
}

#[test]
fn help_opens_with_question_mark_and_any_key_closes_it() {
    let (mut a, rx) = app();
    a.update(ch('?'));
    assert!(a.help);
    // The key that closes the overlay does nothing else.
    assert_eq!(a.update(ch('q')), Action::None);
    assert!(!a.help);
    assert!(commands(&rx).is_empty());
}

#[test]
fn help_lists_every_key() {
    let listed: Vec<&str> = help::sections()
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|k| k.key)
        .collect();
    let all = listed.join(" ");
    for k in [
        "1-5",
        "/",
        "z",
        "space",
        "Tab",
        "Shift-Tab",
        "mouse",
        "r",
        "s",
        "o",
        "c",
        "?",
        "q",
        "Ctrl-C",
        "Esc",
        "Enter",
        "Backspace",
        "↑/↓",
        "[ / ]",
    ] {
        assert!(all.contains(k), "help overlay lacks {k}");
    }
}

#[test]
fn q_quits_at_once_when_idle_and_asks_while_training() {
    let (mut a, _rx) = app();
    assert_eq!(a.update(ch('q')), Action::Quit);
    set_state(&mut a, TrainerState::Training);
    assert_eq!(a.update(ch('q')), Action::None);
    assert_eq!(a.dialog, Some(Dialog::Quit));
    assert_eq!(a.update(ch('n')), Action::None);
    assert_eq!(a.dialog, None);
    a.update(ch('q'));
    assert_eq!(a.update(ch('y')), Action::Quit);
}

#[test]
fn ctrl_c_quits_and_key_releases_are_ignored() {
    let (mut a, rx) = app();
    let mut release = KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    a.update(Msg::Key(release));
    assert!(commands(&rx).is_empty());
    set_state(&mut a, TrainerState::Training);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(a.update(Msg::Key(ctrl_c)), Action::Quit);
}

#[test]
fn r_restarts_asking_first_while_training() {
    let (mut a, _rx) = app();
    assert_eq!(a.update(ch('r')), Action::Restart(a.hp.clone()));
    set_state(&mut a, TrainerState::Training);
    assert_eq!(a.update(ch('r')), Action::None);
    assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
    assert_eq!(a.update(key(KeyCode::Esc)), Action::None);
    assert!(a.dialog.is_none());
    a.update(ch('r'));
    assert_eq!(a.update(ch('y')), Action::Restart(a.hp.clone()));
}

#[test]
fn the_completion_pane_types_command_keys_as_text() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    // One Tab from the first panel: the completion pane is next in reading order. Reaching it
    // does not start typing (issue 24); Enter does.
    a.update(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Completion);
    assert!(!a.completion.typing);
    a.update(key(KeyCode::Enter));
    assert!(a.completion.typing);
    let before = a.completion.completion.clone().unwrap();
    for c in "q r ".chars() {
        assert_eq!(a.update(ch(c)), Action::None);
    }
    assert!(a.completion.prefix.ends_with("q r "));
    assert!(a.dialog.is_none());
    assert!(commands(&rx).is_empty());
    let after = a.completion.completion.clone().unwrap();
    assert_ne!(before.prefix(), after.prefix());
    assert_eq!(after.prefix(), a.completion.prefix);
    a.update(key(KeyCode::Backspace));
    assert!(a.completion.prefix.ends_with("q r"));
    // Capitals are lower-cased, as the corpus was.
    a.update(ch('T'));
    assert!(a.completion.prefix.ends_with("q rt"));
    a.update(key(KeyCode::Backspace));
    // Esc leaves typing mode: keys are commands again.
    a.update(key(KeyCode::Esc));
    assert!(!a.completion.typing);
    a.update(ch(' '));
    assert_eq!(commands(&rx), vec![Command::Pause]);
    a.update(key(KeyCode::Enter));
    assert!(a.completion.typing);
}

#[test]
fn a_new_snapshot_recomputes_the_completion() {
    let (mut a, _rx) = app();
    let n = a.completion.computed;
    a.update(Msg::Trainer(Event::Snapshot(std::sync::Arc::new(
        fixtures::snapshot(16, 9),
    ))));
    assert_eq!(a.completion.computed, n + 1);
    let c = a.completion.completion.as_ref().unwrap();
    assert_eq!(c.hidden.len(), c.tokens.len());
    assert_eq!(c.hidden[0].len(), 16);
}

#[test]
fn invalid_form_input_is_refused_with_a_message() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Lr, "-2");
    let check = format!("{:?}", a.form.check);
    assert!(check.contains("positive finite"), "{check}");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    let (level, msg) = a.notice.clone().unwrap();
    assert_eq!(level, Level::Error);
    assert!(msg.contains("refused") && msg.contains("lr"), "{msg}");
    assert_eq!(a.hp.lr, 1.0);
    assert!(a.form.editing.is_some(), "the edit stays open to be fixed");
    assert!(commands(&rx).is_empty());
    // Esc cancels.
    a.update(key(KeyCode::Esc));
    assert!(a.form.editing.is_none());
}

#[test]
fn a_live_lr_change_reaches_the_trainer() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Lr, "0.5");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert_eq!(commands(&rx), vec![Command::SetLearningRate(0.5)]);
    assert_eq!(a.hp.lr, 0.5);
    edit(&mut a, Field::Clip, "2");
    a.update(key(KeyCode::Enter));
    assert_eq!(commands(&rx), vec![Command::SetClip(2.0)]);
    assert_eq!(a.gradients.threshold, 2.0);
}

/// `off` (or 0) in the form turns clipping off live: the trainer gets a threshold of 0, the
/// form shows "off", the gradient panel says "clip off" and draws no threshold line; a huge
/// rate is written compactly everywhere it shows.
#[test]
fn clip_off_and_huge_rates_in_the_form() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    a.update(Msg::Trainer(Event::Batch(fixtures::batch(1, 1.0))));
    edit(&mut a, Field::Clip, "off");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert_eq!(commands(&rx), vec![Command::SetClip(0.0)]);
    assert_eq!(a.hp.clip, 0.0);
    let (_, msg) = a.notice.clone().unwrap();
    assert!(msg.contains("clip threshold = off"), "{msg}");
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("clip off"), "{screen}");
    assert!(!screen.contains("clip at"), "{screen}");
    edit(&mut a, Field::Lr, "1e39");
    a.update(key(KeyCode::Enter));
    assert_eq!(commands(&rx), vec![Command::SetLearningRate(1e39)]);
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("1e39"), "{screen}");
    assert!(!screen.contains("000000000"), "{screen}");
}

#[test]
fn a_structural_change_asks_then_restarts() {
    let (mut a, rx) = app();
    set_state(&mut a, TrainerState::Training);
    edit(&mut a, Field::Hiddens, "64");
    assert_eq!(a.update(key(KeyCode::Enter)), Action::None);
    assert!(matches!(a.dialog, Some(Dialog::Restart { .. })));
    let action = a.update(ch('y'));
    let Action::Restart(hp) = action else {
        panic!("{action:?}")
    };
    assert_eq!(hp.hiddens, 64);
    // Nothing changes until the new trainer exists.
    assert_eq!(a.hp.hiddens, 32);
    assert!(commands(&rx).is_empty());
    a.restart_failed("corpus file not found: nope.txt".into());
    assert!(a.notice.as_ref().unwrap().1.contains("nope.txt"));
    assert_eq!(a.hp.hiddens, 32);
}

#[test]
fn a_new_run_resets_the_charts_and_keeps_the_prefix() {
    let (mut a, _rx) = app();
    fixtures::feed_training(&mut a, 30);
    a.completion.prefix = "it has".into();
    let (tx, rx2) = unbounded();
    let mut hp = a.hp.clone();
    hp.hiddens = 8;
    a.start_run(hp, tx);
    assert!(a.perplexity.train.is_empty());
    assert_eq!(a.hp.hiddens, 8);
    assert_eq!(a.completion.prefix, "it has");
    a.update(ch(' '));
    assert_eq!(commands(&rx2), vec![Command::Start]);
}

#[test]
fn a_mouse_click_focuses_the_panel_under_it() {
    let (mut a, _rx) = app();
    a.update(Msg::Resize(120, 40));
    let areas = layout::layout(a.area, a.focus, a.zoomed).unwrap();
    assert_eq!(areas.panels().len(), 5);
    for (focus, _) in areas.panels() {
        // Where the panel is now (the form opens when focused, so the layout is re-read).
        let rect = layout::layout(a.area, a.focus, a.zoomed)
            .unwrap()
            .get(focus);
        a.update(Msg::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: rect.x + 1,
            row: rect.y + rect.height / 2,
            modifiers: KeyModifiers::NONE,
        }));
        assert_eq!(a.focus, focus);
    }
}

#[test]
fn trainer_errors_show_in_the_status() {
    let (mut a, _rx) = app();
    fixtures::feed_training(&mut a, 10);
    a.update(Msg::Trainer(Event::Error {
        message: "tensor error: boom".into(),
    }));
    assert_eq!(a.status.label(), "ERROR");
    assert_eq!(a.status.error.as_deref(), Some("tensor error: boom"));
}

// ——— Getting around: reading order, direct keys, `/`, zoom, the help and the footer ———

const SIZES: [(u16, u16); 4] = [(60, 18), (80, 24), (120, 40), (200, 50)];

fn shown(a: &App) -> Vec<Focus> {
    layout::layout(a.area, a.focus, a.zoomed)
        .unwrap()
        .panels()
        .into_iter()
        .map(|p| p.0)
        .collect()
}

#[test]
fn tab_follows_the_reading_order_and_always_lands_on_a_shown_panel() {
    // Folded, the layout read left to right and top to bottom is the Tab order.
    let areas = layout::layout(
        ratatui::layout::Rect::new(0, 0, 120, 40),
        Focus::Perplexity,
        false,
    )
    .unwrap();
    let mut by_place = areas.panels();
    by_place.sort_by_key(|(_, r)| (r.y, r.x));
    let reading: Vec<Focus> = by_place.into_iter().map(|p| p.0).collect();
    assert_eq!(reading, Focus::ORDER);
    for (w, h) in SIZES {
        let (mut a, _rx) = app();
        a.update(Msg::Resize(w, h));
        let mut visited = Vec::new();
        for _ in 0..Focus::ORDER.len() {
            visited.push(a.focus);
            assert!(
                shown(&a).contains(&a.focus),
                "{w}×{h}: {:?} hidden",
                a.focus
            );
            a.update(key(KeyCode::Tab));
        }
        assert_eq!(visited, Focus::ORDER, "{w}×{h}");
        assert_eq!(a.focus, Focus::ORDER[0]);
    }
}

/// The issue's new user: from the first screen one Tab reaches the completion pane, Enter
/// starts typing there (reaching it no longer does: issue 24), and what they type lands there
/// instead of starting (and restarting) training.
#[test]
fn one_tab_from_the_first_screen_reaches_the_completion_pane_ready_to_type() {
    let (mut a, rx) = app();
    a.update(key(KeyCode::Tab));
    assert_eq!(a.focus, Focus::Completion);
    assert!(!a.completion.typing);
    a.update(key(KeyCode::Enter));
    assert!(a.completion.typing);
    for c in "the war r".chars() {
        assert_eq!(a.update(ch(c)), Action::None);
    }
    assert!(
        a.completion.prefix.ends_with("the war r"),
        "{}",
        a.completion.prefix
    );
    assert!(commands(&rx).is_empty(), "nothing started training");
    assert_eq!(a.state(), TrainerState::Ready);
    assert_eq!(a.runs_started, 1);
}

#[test]
fn digits_go_straight_to_their_panel_and_titles_show_them() {
    let (mut a, rx) = app();
    for panel in Focus::ORDER.into_iter().rev() {
        a.update(ch(panel.key()));
        assert_eq!(a.focus, panel);
        // Reaching a panel never starts typing, the completion pane included (issue 24).
        assert!(!a.completion.typing);
        a.update(key(KeyCode::Esc));
    }
    assert!(commands(&rx).is_empty());
    let screen = common::screen::screen(&mut a, 120, 40);
    for (title, panel) in [
        ("[1] Perplexity", Focus::Perplexity),
        ("[2] Completion", Focus::Completion),
        ("[3] Hidden state", Focus::Heatmap),
        ("[4] Gradient norm", Focus::Gradients),
        ("[5] Hyperparameters", Focus::Form),
    ] {
        assert_eq!(format!("[{}] {}", panel.key(), panel.name()), title);
        assert!(screen.contains(title), "{title} missing:\n{screen}");
    }
    // Keys past the last panel are nothing.
    a.update(ch('9'));
    a.update(ch('0'));
    assert_eq!(a.focus, Focus::Perplexity);
}

#[test]
fn digits_and_navigation_keys_are_text_while_typing() {
    let (mut a, rx) = app();
    a.update(ch('/'));
    for c in "12 z/ 5?q".chars() {
        a.update(ch(c));
    }
    assert!(
        a.completion.prefix.ends_with("12 z/ 5?q"),
        "{}",
        a.completion.prefix
    );
    assert_eq!(a.focus, Focus::Completion);
    assert!(!a.zoomed && !a.help && a.dialog.is_none());
    assert!(commands(&rx).is_empty());
}

#[test]
fn slash_jumps_into_the_completion_pane_from_every_panel() {
    for panel in Focus::ORDER {
        let (mut a, rx) = app();
        a.update(ch(panel.key()));
        a.update(key(KeyCode::Esc));
        assert!(!a.completion.typing);
        a.update(ch('/'));
        assert_eq!(a.focus, Focus::Completion, "from {panel:?}");
        assert!(a.completion.typing, "from {panel:?}");
        for c in "the war".chars() {
            a.update(ch(c));
        }
        assert!(a.completion.prefix.ends_with("the war"), "from {panel:?}");
        assert!(commands(&rx).is_empty(), "from {panel:?}");
    }
}

#[test]
fn z_zooms_the_focused_panel_and_z_or_esc_brings_it_back() {
    let (mut a, _rx) = app();
    a.update(Msg::Resize(80, 24));
    for panel in Focus::ORDER {
        a.update(ch(panel.key()));
        a.update(key(KeyCode::Esc)); // (leave typing in the completion pane)
        a.update(ch('z'));
        assert!(a.zoomed, "{panel:?}");
        assert_eq!(shown(&a), vec![panel]);
        let body = layout::layout(a.area, a.focus, a.zoomed)
            .unwrap()
            .get(panel);
        assert_eq!(
            (body.width, body.height),
            (80, 20),
            "all but status, message line and footer"
        );
        a.update(ch('z'));
        assert!(!a.zoomed, "{panel:?}");
        assert!(shown(&a).len() >= 4);
        a.update(ch('z'));
        a.update(key(KeyCode::Esc));
        assert!(!a.zoomed, "Esc unzooms {panel:?}");
    }
}

#[test]
fn enter_zooms_a_chart_but_keeps_its_meaning_elsewhere() {
    let (mut a, _rx) = app();
    for chart in [Focus::Perplexity, Focus::Gradients] {
        a.update(ch(chart.key()));
        a.update(key(KeyCode::Enter));
        assert!(a.zoomed, "{chart:?}");
        a.update(key(KeyCode::Enter));
        assert!(!a.zoomed, "{chart:?}");
    }
    // On the form Enter edits a field; on the completion pane it types.
    a.update(ch('5'));
    a.update(key(KeyCode::Enter));
    assert!(!a.zoomed && a.form.is_editing());
    a.update(key(KeyCode::Esc));
    a.update(ch('2'));
    a.update(key(KeyCode::Esc));
    a.update(key(KeyCode::Enter));
    assert!(!a.zoomed && a.completion.typing);
}

#[test]
fn tab_and_direct_keys_while_zoomed_show_the_next_panel_zoomed() {
    let (mut a, _rx) = app();
    a.update(ch('z'));
    a.update(key(KeyCode::Tab));
    assert!(a.zoomed);
    assert_eq!(shown(&a), vec![Focus::Completion]);
    // Reaching the pane does not start typing (issue 24): the zoom stays, digits move on.
    assert!(a.zoomed && !a.completion.typing);
    a.update(ch('3'));
    assert_eq!(shown(&a), vec![Focus::Heatmap]);
    let screen = common::screen::screen(&mut a, 120, 40);
    assert!(screen.contains("[3] Hidden state"), "{screen}");
    assert!(!screen.contains("[1] Perplexity"), "{screen}");
    assert!(screen.contains("z/Esc unzoom"), "{screen}");
    a.update(key(KeyCode::Esc));
    assert!(!a.zoomed);
}

#[test]
fn the_cockpit_keys_still_work_in_every_panel_that_does_not_take_them() {
    for panel in Focus::ORDER {
        let (mut a, rx) = app();
        a.update(ch(panel.key()));
        a.update(key(KeyCode::Esc));
        a.update(ch(' '));
        assert_eq!(commands(&rx), vec![Command::Start], "space in {panel:?}");
        assert_eq!(a.update(ch('o')), Action::ListRuns, "o in {panel:?}");
        assert_eq!(a.update(ch('q')), Action::Quit, "q in {panel:?}");
    }
}

#[test]
fn the_help_scrolls_where_it_does_not_fit() {
    let (mut a, rx) = app();
    a.update(Msg::Resize(80, 24));
    a.update(ch('?'));
    let max = help::max_scroll(a.area, &a.theme);
    assert!(max > 0, "the key list is longer than 24 rows");
    let top = common::screen::screen(&mut a, 80, 24);
    assert!(top.contains("↑/↓ PgUp/PgDn scroll"), "{top}");
    a.update(key(KeyCode::Down));
    a.update(key(KeyCode::Down));
    assert!(a.help);
    assert_eq!(a.help_scroll, 2);
    a.update(key(KeyCode::End));
    assert_eq!(a.help_scroll, max);
    let bottom = common::screen::screen(&mut a, 80, 24);
    assert!(bottom.contains("Dialogs"), "{bottom}");
    assert!(!bottom.contains("Anywhere"), "{bottom}");
    a.update(key(KeyCode::PageUp));
    a.update(key(KeyCode::Home));
    assert_eq!(a.help_scroll, 0);
    // Any other key closes it and does nothing else.
    a.update(ch(' '));
    assert!(!a.help);
    assert!(commands(&rx).is_empty());
    // Where it fits it does not scroll.
    a.update(Msg::Resize(200, 70));
    a.update(ch('?'));
    a.update(key(KeyCode::Down));
    assert_eq!((a.help, a.help_scroll), (true, 0));
    let screen = common::screen::screen(&mut a, 200, 70);
    assert!(screen.contains("Keys — press any key to close"), "{screen}");
    assert!(
        screen.contains("Dialogs") && screen.contains("Anywhere"),
        "{screen}"
    );
}

/// Every key the footer offers, in every mode, is one the help overlay explains.
#[test]
fn the_footer_offers_only_keys_the_help_explains() {
    let listed: Vec<&str> = help::sections()
        .iter()
        .flat_map(|s| s.1.iter())
        .map(|k| k.key)
        .collect();
    let explained = |k: &str| {
        listed.contains(&k)
            || k.split('/').all(|part| {
                listed
                    .iter()
                    .any(|l| l.split([' ', '/', ',']).any(|w| w == part))
            })
    };
    let (mut a, _rx) = app();
    let mut modes = Vec::new();
    for panel in Focus::ORDER {
        a.update(ch(panel.key()));
        modes.push(view::footer_keys(&a));
        a.update(ch('z'));
        modes.push(view::footer_keys(&a));
        a.update(key(KeyCode::Esc));
        a.update(key(KeyCode::Esc));
    }
    a.update(ch('5'));
    a.update(key(KeyCode::Enter));
    assert!(a.form.is_editing());
    modes.push(view::footer_keys(&a));
    for keys in modes {
        assert!(keys.iter().any(|k| !k.short.is_empty()));
        for k in keys.iter().filter(|k| !k.key.ends_with(':')) {
            assert!(
                explained(k.key),
                "footer key {:?} is not in the help",
                k.key
            );
        }
    }
}

#[test]
fn the_footer_says_what_the_focused_panel_does_now() {
    let (mut a, _rx) = app();
    let footer = |a: &mut App| {
        let s = common::screen::screen(a, 120, 40);
        s.lines().last().unwrap().to_owned()
    };
    let f = footer(&mut a);
    assert!(
        f.contains("Enter zoom") && f.contains("space start/pause"),
        "{f}"
    );
    assert!(f.trim_end().ends_with("? help"), "{f}");
    a.update(ch('/'));
    let f = footer(&mut a);
    assert!(
        f.contains("every key is text") && f.contains("Esc stop typing"),
        "{f}"
    );
    assert!(!f.contains("space start/pause"), "{f}");
    a.update(key(KeyCode::Esc));
    a.update(ch('5'));
    let f = footer(&mut a);
    assert!(f.contains("↑/↓ field") && f.contains("Enter edit"), "{f}");
    a.update(key(KeyCode::Enter));
    let f = footer(&mut a);
    assert!(f.contains("Enter apply") && f.contains("Esc cancel"), "{f}");
}

/// The guide's cockpit page names every key the cockpit has (the help overlay's tables); the
/// README keeps only a short tour.
#[test]
fn the_guide_names_every_cockpit_key() {
    let page = include_str!("../docs/cockpit.md");
    let mut keys: Vec<String> = help::GLOBAL.iter().map(|k| k.key.to_owned()).collect();
    for panel in Focus::ORDER {
        keys.extend(help::panel_keys(panel).iter().map(|k| k.key.to_owned()));
    }
    for k in keys {
        let written = match k.as_str() {
            "1-5" => "`1`…`5`".to_owned(),
            "a-z 0-9 space" => "letters, digits, space".to_owned(),
            "Enter or i" => "Enter or `i`".to_owned(),
            k if k.chars().count() == 1 => format!("`{k}`"),
            k => k.to_owned(),
        };
        assert!(
            page.contains(&written),
            "docs/cockpit.md lacks {written:?} ({k})"
        );
    }
}
