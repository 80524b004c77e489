//! Terminal sizes: every size from 1×1 to 130×45 draws in every state without a panic, and
//! storms of resizes (down to 0×0 and up to the largest size a terminal reports) mixed with
//! clicks and keys leave the cockpit working.

mod common;

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Terminal;

use common::screen::buffer_text;
use rnn_tui::hparams::HParams;
use rnn_tui::train::{Event, TrainerState};
use rnn_tui::tui::{fixtures, view, App, ColorMode, Msg, Theme};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn training() -> App {
    let mut a = App::new(HParams::default(), Theme::default_for(ColorMode::TrueColor));
    fixtures::ready_app(&mut a);
    fixtures::feed_training(&mut a, 47);
    a
}

/// The cockpit in each state a user can reach, each with something on every panel.
fn states() -> Vec<(&'static str, App)> {
    let mut fresh = App::new(HParams::default(), Theme::default_for(ColorMode::NoColor));
    fresh.update(Msg::Trainer(fixtures::ready()));
    let mut ready = App::new(
        HParams::default(),
        Theme::default_for(ColorMode::Indexed256),
    );
    fixtures::ready_app(&mut ready);
    let mut paused = training();
    paused.update(Msg::Trainer(fixtures::state(TrainerState::Paused)));
    let mut help = training();
    help.update(key(KeyCode::Char('?')));
    let mut quit = training();
    quit.update(key(KeyCode::Char('q')));
    let mut form = training();
    for _ in 0..4 {
        form.update(key(KeyCode::Tab));
    }
    form.update(key(KeyCode::Enter));
    form.update(key(KeyCode::Char('x')));
    let mut restart = training();
    restart.update(key(KeyCode::Char('r')));
    let mut typing = training();
    typing.update(key(KeyCode::Tab));
    typing.update(key(KeyCode::Tab));
    for c in "a very long prefix typed into the completion pane ".chars() {
        typing.update(key(KeyCode::Char(c)));
    }
    let mut error = training();
    error.update(Msg::Trainer(Event::Error {
        message: "trainer crashed: injected fault — a long message that cannot fit".repeat(3),
    }));
    let mut refused = training();
    refused.restart_failed("corpus file not found: /a/very/long/path/".repeat(5));
    let mut done = training();
    done.update(Msg::Trainer(fixtures::state(TrainerState::Done)));
    vec![
        ("fresh", fresh),
        ("ready", ready),
        ("training", training()),
        ("paused", paused),
        ("help", help),
        ("quit", quit),
        ("form", form),
        ("restart", restart),
        ("typing", typing),
        ("error", error),
        ("refused", refused),
        ("done", done),
    ]
}

fn draw(term: &mut Terminal<TestBackend>, app: &mut App, w: u16, h: u16) {
    app.update(Msg::Resize(w, h));
    term.backend_mut().resize(w, h);
    term.resize(ratatui::layout::Rect::new(0, 0, w, h)).unwrap();
    term.draw(|f| view::draw(f, app)).unwrap();
}

#[test]
fn every_size_from_1x1_to_130x45_draws_in_every_state() {
    let mut draws = 0;
    for (name, mut app) in states() {
        let mut term = Terminal::new(TestBackend::new(1, 1)).unwrap();
        for w in 1..=130 {
            for h in 1..=45 {
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    draw(&mut term, &mut app, w, h)
                }));
                assert!(r.is_ok(), "{name} panicked at {w}x{h}");
                draws += 1;
            }
        }
        // Whatever the size, the screen was drawn to its full extent.
        assert_eq!(term.backend().buffer().area.width, 130, "{name}");
    }
    assert_eq!(draws, 12 * 130 * 45);
}

/// A deterministic pseudo-random stream (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn resize_storms_with_clicks_and_keys_never_panic_and_leave_the_cockpit_working() {
    let keys = [
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Esc,
        KeyCode::Down,
        KeyCode::Up,
        KeyCode::Char('?'),
        KeyCode::Char('x'),
    ];
    for (name, mut app) in states() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ name.len() as u64);
        let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
        for i in 0..20_000 {
            // Mostly small sizes, sometimes 0 and sometimes the largest a terminal can report.
            let (w, h) = match rng.below(10) {
                0 => (0, rng.below(3) as u16),
                1 => (u16::MAX, u16::MAX),
                _ => (rng.below(140) as u16, rng.below(50) as u16),
            };
            app.update(Msg::Resize(w, h));
            let (x, y) = (
                rng.below(w as u64 + 2) as u16,
                rng.below(h as u64 + 2) as u16,
            );
            app.update(Msg::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column: x,
                row: y,
                modifiers: KeyModifiers::NONE,
            }));
            if rng.below(4) == 0 {
                app.update(key(keys[rng.below(keys.len() as u64) as usize]));
            }
            // Draw now and then (the event loop draws at most every frame).
            if i % 50 == 0 && (1..=300).contains(&w) && (1..=100).contains(&h) {
                draw(&mut term, &mut app, w, h);
            }
        }
        // After the storm: a normal size draws the whole cockpit again.
        app.update(key(KeyCode::Esc));
        app.update(key(KeyCode::Esc));
        draw(&mut term, &mut app, 120, 40);
        let screen = buffer_text(term.backend().buffer());
        assert!(screen.contains("Perplexity"), "{name}:\n{screen}");
    }
}
