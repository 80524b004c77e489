//! The cockpit's whole state and its one `update`: messages in (keys, mouse, trainer events),
//! state changed, at most one [`Action`] out for the event loop to carry out. Nothing here
//! draws or blocks, so tests drive it with synthetic events.

use crossbeam_channel::Sender;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::panels::completion::CompletionState;
use super::panels::form::{FormCheck, FormState};
use super::panels::gradients::GradientState;
use super::panels::perplexity::PerplexityState;
use super::panels::status::StatusState;
use super::theme::Theme;
use super::view;
use crate::train::{Command, Event, Field, HParams, TrainerState};

/// Everything that can change the state.
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Trainer(Event),
    /// The terminal's new size (for mouse hit-testing).
    Resize(u16, u16),
}

/// What the event loop must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    None,
    Quit,
    /// Build a new trainer with these hyperparameters and start it; on failure call
    /// [`App::restart_failed`], on success [`App::start_run`].
    Restart(HParams),
}

/// The panels that can take focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Perplexity,
    Gradients,
    Completion,
    Heatmap,
    Form,
}

impl Focus {
    pub const ORDER: [Focus; 5] = [
        Focus::Perplexity,
        Focus::Gradients,
        Focus::Completion,
        Focus::Heatmap,
        Focus::Form,
    ];

    fn index(self) -> usize {
        Focus::ORDER.iter().position(|&f| f == self).unwrap_or(0)
    }

    pub fn next(self) -> Focus {
        Focus::ORDER[(self.index() + 1) % Focus::ORDER.len()]
    }

    pub fn prev(self) -> Focus {
        Focus::ORDER[(self.index() + Focus::ORDER.len() - 1) % Focus::ORDER.len()]
    }
}

/// A question waiting for y/n.
#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    Quit,
    Restart { hp: HParams, question: String },
}

/// How a footer message should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

pub struct App {
    /// The hyperparameters of the current run (lr and clip follow live changes).
    pub hp: HParams,
    pub theme: Theme,
    commands: Option<Sender<Command>>,
    pub focus: Focus,
    pub help: bool,
    pub dialog: Option<Dialog>,
    /// One line for the footer: results of actions, refused input, rebuild failures.
    pub notice: Option<(Level, String)>,
    pub status: StatusState,
    pub perplexity: PerplexityState,
    pub gradients: GradientState,
    pub completion: CompletionState,
    pub form: FormState,
    /// The terminal size last seen, for mouse hit-testing.
    pub area: Rect,
    /// Runs started in this session (1 for the first).
    pub run: usize,
}

impl App {
    pub fn new(hp: HParams, theme: Theme) -> App {
        App {
            status: StatusState::new(hp.epochs),
            perplexity: PerplexityState::default(),
            gradients: GradientState::new(hp.clip),
            completion: CompletionState::default(),
            form: FormState::default(),
            hp,
            theme,
            commands: None,
            focus: Focus::Perplexity,
            help: false,
            dialog: None,
            notice: None,
            area: Rect::new(0, 0, 120, 40),
            run: 1,
        }
    }

    /// Connect to a trainer's command channel.
    pub fn attach(&mut self, commands: Sender<Command>) {
        self.commands = Some(commands);
    }

    fn send(&self, cmd: Command) {
        if let Some(tx) = &self.commands {
            let _ = tx.send(cmd);
        }
    }

    /// A new trainer was built for `hp` and started: fresh charts, same prefix, focus, theme.
    pub fn start_run(&mut self, hp: HParams, commands: Sender<Command>) {
        self.status = StatusState::new(hp.epochs);
        self.perplexity = PerplexityState::default();
        self.gradients = GradientState::new(hp.clip);
        self.completion.clear_model();
        self.hp = hp;
        self.commands = Some(commands);
        self.run += 1;
        self.notice = Some((Level::Info, format!("run {} started", self.run)));
    }

    /// Building the new trainer failed: say why, keep the current run and model.
    pub fn restart_failed(&mut self, message: String) {
        self.notice = Some((Level::Error, format!("not restarted: {message}")));
    }

    pub fn state(&self) -> TrainerState {
        self.status.state
    }

    pub fn update(&mut self, msg: Msg) -> Action {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(m) => {
                self.on_mouse(m);
                Action::None
            }
            Msg::Trainer(ev) => {
                self.on_event(ev);
                Action::None
            }
            Msg::Resize(w, h) => {
                self.area = Rect::new(0, 0, w, h);
                Action::None
            }
        }
    }

    fn on_event(&mut self, ev: Event) {
        match &ev {
            Event::Batch(b) => {
                self.perplexity.on_batch(b);
                self.gradients.on_batch(b);
            }
            Event::Epoch(e) => self.perplexity.on_epoch(e),
            Event::Snapshot(s) => self.completion.set_snapshot(s.clone()),
            Event::Settings { lr, clip } => {
                self.hp.lr = *lr;
                self.hp.clip = *clip;
                self.gradients.threshold = *clip;
            }
            Event::Finished(s) => {
                self.notice = Some((
                    Level::Info,
                    format!(
                        "run finished: {} epochs, val ppl {:.2}, {:.0} tokens/s — press r for a new run",
                        s.epochs, s.val_ppl, s.tokens_per_s
                    ),
                ));
            }
            Event::Error { message } => {
                self.notice = Some((Level::Error, message.clone()));
            }
            Event::Diverged { message, .. } => {
                self.notice = Some((
                    Level::Warn,
                    format!(
                        "{message} — weights restored, paused: lower the learning rate, then space"
                    ),
                ));
            }
            _ => {}
        }
        self.status.on_event(&ev, self.perplexity.ema_ppl());
    }

    fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind != KeyEventKind::Press {
            return Action::None;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if let Some(dialog) = self.dialog.clone() {
            return match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    self.dialog = None;
                    match dialog {
                        Dialog::Quit => Action::Quit,
                        Dialog::Restart { hp, .. } => {
                            self.form.editing = None;
                            self.form.check = None;
                            Action::Restart(hp)
                        }
                    }
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.dialog = None;
                    self.notice = Some((Level::Info, "cancelled".into()));
                    Action::None
                }
                _ => Action::None,
            };
        }
        if self.help {
            // Any key closes the overlay.
            self.help = false;
            return Action::None;
        }
        match key.code {
            KeyCode::Tab => {
                self.set_focus(self.focus.next());
                return Action::None;
            }
            KeyCode::BackTab => {
                self.set_focus(self.focus.prev());
                return Action::None;
            }
            _ => {}
        }
        if self.focus == Focus::Completion && self.completion.typing {
            self.completion_key(key);
            return Action::None;
        }
        if self.focus == Focus::Form && self.form.editing.is_some() {
            return self.form_edit_key(key);
        }
        match key.code {
            KeyCode::Char(' ') => self.toggle_run(),
            KeyCode::Char('r') => return self.ask_restart(),
            KeyCode::Char('?') => self.help = true,
            KeyCode::Char('q') => {
                if matches!(self.state(), TrainerState::Training | TrainerState::Paused)
                    && self.status.error.is_none()
                {
                    self.dialog = Some(Dialog::Quit);
                } else {
                    return Action::Quit;
                }
            }
            KeyCode::Esc => self.notice = None,
            KeyCode::Enter | KeyCode::Char('i') if self.focus == Focus::Completion => {
                self.completion.typing = true;
            }
            KeyCode::Up | KeyCode::Char('k') if self.focus == Focus::Form => self.form.up(),
            KeyCode::Down | KeyCode::Char('j') if self.focus == Focus::Form => self.form.down(),
            KeyCode::Enter if self.focus == Focus::Form => {
                let field = self.form.field();
                self.form.begin(self.hp.get(field));
                self.revalidate();
            }
            _ => {}
        }
        Action::None
    }

    fn set_focus(&mut self, f: Focus) {
        if self.form.editing.is_some() && f != Focus::Form {
            self.form.cancel();
        }
        self.focus = f;
        // Focusing the completion pane means typing into it.
        self.completion.typing = f == Focus::Completion;
    }

    fn toggle_run(&mut self) {
        if self.status.error.is_some() {
            self.notice = Some((
                Level::Warn,
                "the trainer stopped with an error — press r to restart".into(),
            ));
            return;
        }
        match self.state() {
            TrainerState::Ready => self.send(Command::Start),
            TrainerState::Training => self.send(Command::Pause),
            TrainerState::Paused => self.send(Command::Resume),
            TrainerState::Done => {
                self.notice = Some((
                    Level::Info,
                    "this run is finished — press r for a new run".into(),
                ))
            }
        }
    }

    fn ask_restart(&mut self) -> Action {
        if matches!(self.state(), TrainerState::Training | TrainerState::Paused)
            && self.status.error.is_none()
        {
            self.dialog = Some(Dialog::Restart {
                hp: self.hp.clone(),
                question: "Restart training from scratch? The current run is discarded.".into(),
            });
            Action::None
        } else {
            Action::Restart(self.hp.clone())
        }
    }

    fn completion_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => self.completion.typing = false,
            KeyCode::Backspace => self.completion.backspace(),
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.completion.type_char(c)
            }
            _ => {}
        }
    }

    fn form_edit_key(&mut self, key: KeyEvent) -> Action {
        match key.code {
            KeyCode::Esc => {
                self.form.cancel();
                self.notice = Some((Level::Info, "edit cancelled".into()));
            }
            KeyCode::Backspace => {
                if let Some(buf) = &mut self.form.editing {
                    buf.pop();
                }
                self.revalidate();
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                if let Some(buf) = &mut self.form.editing {
                    buf.push(c);
                }
                self.revalidate();
            }
            KeyCode::Enter => return self.commit_field(),
            _ => {}
        }
        Action::None
    }

    /// Validate the edit buffer with `HParams::set` (the one validator) on a copy.
    fn revalidate(&mut self) {
        let field = self.form.field();
        let Some(buf) = self.form.editing.clone() else {
            return;
        };
        let mut next = self.hp.clone();
        self.form.check = Some(match next.set(field, &buf) {
            Err(e) => FormCheck::Invalid(e),
            Ok(()) if next == self.hp => FormCheck::Unchanged,
            Ok(()) if field.needs_restart() => FormCheck::NeedsRestart,
            Ok(()) => FormCheck::Live,
        });
    }

    fn commit_field(&mut self) -> Action {
        let field = self.form.field();
        let Some(buf) = self.form.editing.clone() else {
            return Action::None;
        };
        let mut next = self.hp.clone();
        if let Err(e) = next.set(field, &buf) {
            self.form.check = Some(FormCheck::Invalid(e.clone()));
            self.notice = Some((Level::Error, format!("refused: {e}")));
            return Action::None;
        }
        if next == self.hp {
            self.form.cancel();
            return Action::None;
        }
        if field.needs_restart() {
            self.dialog = Some(Dialog::Restart {
                question: format!(
                    "Set {} to {} and rebuild the model? The current run is discarded.",
                    field.label(),
                    next.get(field)
                ),
                hp: next,
            });
            return Action::None;
        }
        self.hp = next;
        match field {
            Field::Lr => self.send(Command::SetLearningRate(self.hp.lr)),
            Field::Clip => {
                self.gradients.threshold = self.hp.clip;
                self.send(Command::SetClip(self.hp.clip))
            }
            _ => {}
        }
        self.notice = Some((
            Level::Info,
            format!(
                "{} = {} (applies from the next batch)",
                field.label(),
                self.hp.get(field)
            ),
        ));
        self.form.cancel();
        Action::None
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        if !matches!(m.kind, MouseEventKind::Down(MouseButton::Left))
            || self.help
            || self.dialog.is_some()
        {
            return;
        }
        let Some(areas) = view::layout(self.area) else {
            return;
        };
        let p = Position::new(m.column, m.row);
        for (focus, rect) in areas.panels() {
            if rect.contains(p) {
                self.set_focus(focus);
                return;
            }
        }
    }
}
