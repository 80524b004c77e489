//! The cockpit's whole state and its one `update`: messages in (keys, mouse, trainer events),
//! state changed, at most one [`Action`] out for the event loop to carry out. Nothing here
//! draws or blocks, so tests drive it with synthetic events.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crossbeam_channel::Sender;
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::chart_file::{ChartFile, ChartFileError};
use super::context::{Focus, Handled, Level};
use super::launch::RunList;
use super::layout::layout;
use super::message;
use super::panels::chart::ChartsState;
use super::panels::completion::CompletionState;
use super::panels::form::{self, FormOutcome, FormState};
use super::panels::gradients::GradientState;
use super::panels::heatmap::{self, HeatmapState, ViewKey};
use super::panels::help;
use super::panels::perplexity::{legend_name, short_id, OverlayCurve, PerplexityState};
use super::panels::runs::{PickerOutcome, RunsPicker};
use super::panels::status::StatusState;
use super::theme::Theme;
use crate::hparams::{Field, HParams};
use crate::metrics::MetricRecord;
use crate::runs::RunError;
use crate::train::{Command, Event, TrainerState};

/// Everything that can change the state.
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Trainer(Event),
    /// The terminal's new size (for mouse hit-testing).
    Resize(u16, u16),
    /// Text pasted into the terminal (bracketed paste): it goes into the completion prefix.
    Paste(String),
    /// The clock, from the event loop's ticker: messages fade by it.
    Tick(Instant),
}

/// What the event loop must do after an update.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    None,
    Quit,
    /// Build a new trainer with these hyperparameters and start it; on failure call
    /// [`App::restart_failed`], on success [`App::start_run`].
    Restart(HParams),
    /// List the saved runs and hand them to [`App::show_runs`].
    ListRuns,
    /// Stop the current trainer (it saves) and continue the run in this directory; then
    /// [`App::start_resumed`] or [`App::resume_failed`].
    Resume(PathBuf),
    /// Read this run's metrics and hand them to [`App::set_overlay`].
    LoadOverlay {
        id: String,
        path: PathBuf,
    },
    /// Name the run in this directory (an empty label removes it), then hand the result to
    /// [`App::run_labelled`] and the fresh list to [`App::show_runs`].
    LabelRun {
        path: PathBuf,
        label: String,
    },
    /// Delete the run in this directory (never the open one: the app refuses that first),
    /// then hand the result to [`App::run_deleted`] and the fresh list to [`App::show_runs`].
    DeleteRun {
        id: String,
        path: PathBuf,
    },
    /// Draw this chart into an SVG file in the run's directory, then hand the result to
    /// [`App::chart_saved`] (`p`).
    SaveChart(ChartFile),
}

/// A question waiting for y/n.
#[derive(Clone, Debug, PartialEq)]
pub enum Dialog {
    Quit,
    Restart { hp: HParams, question: String },
    Resume { path: PathBuf, question: String },
}

impl Dialog {
    /// The question as the dialog asks it.
    pub fn question(&self) -> &str {
        match self {
            Dialog::Quit => "Training is running. Quit anyway?",
            Dialog::Restart { question, .. } | Dialog::Resume { question, .. } => question,
        }
    }
}

pub struct App {
    /// The hyperparameters of the current run (lr and clip follow live changes).
    pub hp: HParams,
    pub theme: Theme,
    commands: Option<Sender<Command>>,
    pub focus: Focus,
    /// The focused panel fills the body (`z`, Enter on a chart; `z` or Esc again leaves).
    pub zoomed: bool,
    pub help: bool,
    /// Lines the help overlay is scrolled down (when it does not fit).
    pub help_scroll: u16,
    pub dialog: Option<Dialog>,
    /// The runs picker, while open.
    pub picker: Option<RunsPicker>,
    /// `s` was pressed and its `Saved` not yet seen (autosaves are not announced).
    save_requested: bool,
    /// The message line: results of actions, refused input, rebuild failures, with their
    /// level (see [`super::message`] for how long each stays). Set it with [`App::say`].
    pub notice: Option<(Level, String)>,
    /// The message as a tick first saw it, and when: it fades counted from then.
    notice_seen: Option<((Level, String), Instant)>,
    /// The message is the form's refusal of the value being edited: a valid value, or the
    /// edit's end, makes it stale.
    notice_from_form: bool,
    pub status: StatusState,
    pub perplexity: PerplexityState,
    pub gradients: GradientState,
    /// What both charts share: the x-axis, the cursor and the timeline they read.
    pub charts: ChartsState,
    pub completion: CompletionState,
    /// The heatmap's selected unit and the trainer's validation states (neuron inspector).
    pub heatmap: HeatmapState,
    pub form: FormState,
    /// The terminal size last seen, for mouse hit-testing.
    pub area: Rect,
    /// New runs started in this session (1 for the first; resumed runs do not count).
    pub runs_started: usize,
    /// Watching a run another process trains (`rnn-tui watch`): who trains it. Keys that would
    /// change the run are refused; space and `s` reach the trainer through the run directory.
    pub watching: Option<String>,
}

impl App {
    pub fn new(hp: HParams, theme: Theme) -> App {
        let mut completion = CompletionState::default();
        completion.set_len(hp.completion_len);
        App {
            status: StatusState::new(hp.epochs),
            perplexity: PerplexityState::default(),
            gradients: GradientState::new(hp.clip),
            charts: ChartsState::default(),
            completion,
            heatmap: HeatmapState::default(),
            form: FormState::default(),
            hp,
            theme,
            commands: None,
            focus: Focus::Perplexity,
            zoomed: false,
            help: false,
            help_scroll: 0,
            dialog: None,
            picker: None,
            save_requested: false,
            notice: None,
            notice_seen: None,
            notice_from_form: false,
            area: Rect::new(0, 0, 120, 40),
            runs_started: 1,
            watching: None,
        }
    }

    /// Watch the run in `run_dir`, which another process trains (`about` says who): the
    /// commands sent from now on go to the watcher, which passes pause, resume and save on.
    pub fn start_watching(&mut self, run_dir: &Path, about: String, commands: Sender<Command>) {
        self.commands = Some(commands);
        self.status.run_dir = Some(run_dir.to_owned());
        self.status.watching = true;
        let id = self.status.run_id().unwrap_or_default().to_owned();
        self.say(
            Level::Info,
            format!(
                "watching run {id}, {about} — space: pause/resume, s: save, q: leave (it goes on)"
            ),
        );
        self.watching = Some(about);
    }

    /// While watching: say that `what` would change a run this cockpit does not train.
    fn unavailable(&mut self, what: &str) {
        self.say(
            Level::Warn,
            format!("{what}: unavailable while watching — only pause/resume (space) and save (s) reach the training process"),
        );
    }

    /// Put `text` on the message line, at `level`.
    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some((level, text.into()));
        self.notice_from_form = false;
        // Its time starts at the next tick, even when the same words were up before.
        self.notice_seen = None;
    }

    /// The clock moved on: an information or a warning shown long enough fades.
    fn on_tick(&mut self, now: Instant) {
        let Some(notice) = &self.notice else {
            self.notice_seen = None;
            return;
        };
        match &self.notice_seen {
            Some((seen, since)) if seen == notice => {
                let shown_for = now.saturating_duration_since(*since);
                if message::fades_after(notice.0).is_some_and(|d| shown_for >= d) {
                    self.notice = None;
                    self.notice_seen = None;
                }
            }
            // A new message: it is shown from now on.
            _ => self.notice_seen = Some((notice.clone(), now)),
        }
    }

    /// What the run being trained becomes when a new one replaces it (it is saved and kept,
    /// never discarded): for the restart questions.
    fn current_run_fate(&self) -> String {
        let s = &self.status;
        // Where the last batch left it (epoch ends are reported later, after validation).
        let at = match s.last_batch.as_ref() {
            Some(b) if b.batch < b.batches_per_epoch => format!(
                "epoch {}/{} (batch {}/{} of epoch {})",
                b.epoch.saturating_sub(1),
                s.epochs,
                b.batch,
                b.batches_per_epoch,
                b.epoch
            ),
            Some(b) => format!("epoch {}/{}", b.epoch, s.epochs),
            None => format!("epoch {}/{}", s.epochs_done, s.epochs),
        };
        match s.run_id() {
            Some(id) => format!("The current run is kept as {id}, stopped at {at}."),
            None => format!("The current run is saved and kept, stopped at {at}."),
        }
    }

    /// Connect to a trainer's command channel. (The event loop gives a new trainer the
    /// prefix its epoch samples complete before spawning it; changes follow as commands.)
    pub fn attach(&mut self, commands: Sender<Command>) {
        self.commands = Some(commands);
    }

    /// Tell the trainer the prefix and length its sample at every epoch's end completes: the
    /// completion pane's.
    fn send_epoch_sample(&self) {
        self.send(Command::SetEpochSample {
            prefix: self.completion.prefix.clone(),
            len: self.completion.len,
        });
    }

    /// The samples a resumed run kept (its `samples.jsonl`), for the history.
    pub fn show_samples(&mut self, samples: Vec<crate::metrics::SampleRecord>) {
        for s in samples {
            self.completion.push_sample(s);
        }
    }

    fn send(&self, cmd: Command) {
        if let Some(tx) = &self.commands {
            let _ = tx.send(cmd);
        }
    }

    /// A new trainer was built for `hp` and started: fresh charts, same prefix, focus, theme.
    pub fn start_run(&mut self, hp: HParams, commands: Sender<Command>) {
        self.reset_for(hp, commands);
        self.runs_started += 1;
        self.say(Level::Info, format!("run {} started", self.runs_started));
    }

    /// Fresh charts and status for a new trainer; the prefix, focus, theme, the overlaid
    /// curves and how the charts are viewed (smoothing, scale, x-axis) stay.
    fn reset_for(&mut self, hp: HParams, commands: Sender<Command>) {
        let overlays = std::mem::take(&mut self.perplexity.overlays);
        let smoothing = self.perplexity.smoothing;
        self.status = StatusState::new(hp.epochs);
        self.perplexity = PerplexityState::default();
        self.perplexity.overlays = overlays;
        self.perplexity.smoothing = smoothing;
        let log = self.gradients.log;
        self.gradients = GradientState::new(hp.clip);
        self.gradients.log = log;
        self.charts = ChartsState {
            x_axis: self.charts.x_axis,
            ..ChartsState::default()
        };
        self.completion.clear_model();
        self.completion.set_len(hp.completion_len);
        self.heatmap.clear_model();
        self.hp = hp;
        self.commands = Some(commands);
        self.save_requested = false;
    }

    /// A saved run was restored into a new trainer (waiting for space): replay its metric
    /// log so the charts show its whole history, and pass on the restorer's notes.
    pub fn start_resumed(
        &mut self,
        run_dir: &Path,
        hp: HParams,
        commands: Sender<Command>,
        history: &[MetricRecord],
        notes: &[String],
    ) {
        self.reset_for(hp, commands);
        for r in history {
            match r {
                MetricRecord::Batch(b) => self.on_event(Event::Batch(b.clone())),
                MetricRecord::Epoch(e) => self.on_event(Event::Epoch(e.clone())),
            }
        }
        // The log knows the epochs the run was started with; it may now train longer.
        self.status.epochs = self.hp.epochs;
        self.status.run_dir = Some(run_dir.to_owned());
        let id = self.status.run_id().unwrap_or_default().to_owned();
        // The live curves are this run's now: never compare it with itself.
        self.perplexity.remove_overlay(&id);
        let mut msg = format!(
            "run {id} loaded at epoch {} — press space to continue",
            self.status.epochs_done
        );
        for n in notes {
            msg.push_str("; ");
            msg.push_str(n);
        }
        self.say(Level::Info, msg);
    }

    /// The loaded run had finished all its epochs and was loaded to train `more` epochs
    /// beyond them (its epochs field now says the new total): say so, and how to change it.
    pub fn offer_more_epochs(&mut self, more: usize) {
        let id = self.status.run_id().unwrap_or_default().to_owned();
        let done = self.status.epochs_done;
        self.say(
            Level::Info,
            format!(
                "run {id} finished its {done} epochs — space trains {more} more (to {}); change the number in the form's epochs field [5]",
                self.hp.epochs
            ),
        );
    }

    /// Restoring a saved run failed: say why, keep the current run.
    pub fn resume_failed(&mut self, message: String) {
        self.say(Level::Error, format!("not resumed: {message}"));
    }

    /// The saved runs, for the picker (or why they could not be listed).
    pub fn show_runs(&mut self, list: Result<RunList, RunError>) {
        match list {
            Ok(list) => match self.picker.as_mut() {
                // A fresh list after a label or a delete: same order, same run selected.
                Some(p) => p.replace_list(list),
                None => self.picker = Some(RunsPicker::new(list)),
            },
            Err(e) => self.say(Level::Error, format!("cannot list runs: {e}")),
        }
    }

    /// A past run's metrics to overlay on the perplexity chart (or why they could not be read).
    pub fn set_overlay(&mut self, id: String, records: Result<Vec<MetricRecord>, RunError>) {
        match records {
            Ok(r) if r.is_empty() => {
                self.say(Level::Warn, format!("run {id} has no metrics to compare"))
            }
            Ok(r) => {
                let mut curve = OverlayCurve::from_records(id.clone(), &r);
                if let Some(label) = self
                    .picker
                    .as_ref()
                    .and_then(|p| p.list.runs.iter().find(|s| s.id == id))
                    .and_then(|s| s.label.clone())
                {
                    curve.name = legend_name(&label);
                }
                self.perplexity.add_overlay(curve);
                self.say(
                    Level::Info,
                    format!(
                        "{} run(s) overlaid on the perplexity chart; c on a marked run removes it",
                        self.perplexity.overlays.len()
                    ),
                );
            }
            Err(e) => self.say(Level::Error, format!("cannot read run {id}: {e}")),
        }
    }

    /// The result of naming a run from the picker.
    pub fn run_labelled(&mut self, id: &str, result: Result<Option<String>, RunError>) {
        let (level, text) = match result {
            Ok(Some(label)) => {
                if let Some(o) = self.perplexity.overlays.iter_mut().find(|o| o.id == id) {
                    o.name = legend_name(&label);
                }
                (Level::Info, format!("run {id} labelled “{label}”"))
            }
            Ok(None) => {
                if let Some(o) = self.perplexity.overlays.iter_mut().find(|o| o.id == id) {
                    o.name = short_id(id);
                }
                (Level::Info, format!("run {id} has no label now"))
            }
            Err(e) => (Level::Error, format!("cannot label run {id}: {e}")),
        };
        self.say(level, text);
    }

    /// The result of deleting a run from the picker.
    pub fn run_deleted(&mut self, id: &str, result: Result<(), RunError>) {
        let (level, text) = match result {
            Ok(()) => {
                self.perplexity.remove_overlay(id);
                (Level::Info, format!("run {id} deleted"))
            }
            Err(e) => (Level::Error, format!("run {id} not deleted: {e}")),
        };
        self.say(level, text);
    }

    /// Building the new trainer failed: say why, keep the current run and model.
    pub fn restart_failed(&mut self, message: String) {
        self.say(Level::Error, format!("not restarted: {message}"));
    }

    pub fn state(&self) -> TrainerState {
        self.status.state
    }

    /// A trainer is training or paused, without an error: leaving it loses work, so the app
    /// asks first.
    fn training_live(&self) -> bool {
        matches!(self.state(), TrainerState::Training | TrainerState::Paused)
            && self.status.error.is_none()
            // Leaving a watcher leaves the run training.
            && self.watching.is_none()
    }

    pub fn update(&mut self, msg: Msg) -> Action {
        // What the user does can change the size, the focus, the zoom or the prefix, and with
        // them how many characters fill the panes (trainer events cannot: they skip this).
        let from_user = !matches!(msg, Msg::Trainer(_) | Msg::Tick(_));
        // However the prefix changed (typed, pasted, cleared, or the text's opening chosen for
        // a new model), the epoch samples follow it.
        let prefix = self.completion.prefix.clone();
        let action = self.route(msg);
        if from_user {
            self.fit_completion_length();
        }
        if self.completion.prefix != prefix {
            self.send_epoch_sample();
        }
        action
    }

    fn route(&mut self, msg: Msg) -> Action {
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
            Msg::Paste(text) => {
                self.on_paste(&text);
                Action::None
            }
            Msg::Tick(now) => {
                self.on_tick(now);
                Action::None
            }
        }
    }

    /// Pasted text is for the completion prefix (the only place that takes text, besides a
    /// form field being edited, which keeps it out): it focuses the pane and goes in whole.
    fn on_paste(&mut self, text: &str) {
        // A label being typed in the runs picker takes it.
        if self.dialog.is_none() && self.picker.as_mut().is_some_and(|p| p.paste(text)) {
            return;
        }
        if self.dialog.is_some() || self.picker.is_some() || self.form.is_editing() {
            self.say(
                Level::Info,
                "paste goes into the completion prefix: finish this first",
            );
            return;
        }
        self.help = false;
        if self.focus != Focus::Completion || !self.completion.typing {
            self.set_focus(Focus::Completion);
            self.completion.typing = true;
        }
        self.completion.paste(text);
    }

    /// Generate as many characters as the completion pane and the heatmap's columns show at
    /// this size, focus and zoom (a fixed length left a third of a wide heatmap empty). The
    /// prefix is not counted off: the length then changes with the layout only, never while
    /// typing, so a keystroke completes once.
    fn fit_completion_length(&mut self) {
        let Some(a) = layout(self.area, self.focus, self.zoomed) else {
            return;
        };
        let inner = |r: Rect| {
            (
                r.width.saturating_sub(2) as usize,
                r.height.saturating_sub(2) as usize,
            )
        };
        // The pane: the line being typed, then the completion.
        let (w, h) = inner(a.completion);
        let pane = w * h.saturating_sub(1);
        // The heatmap: a column per character after the unit gutter.
        let (hw, _) = inner(a.heatmap);
        let grid = hw.saturating_sub(heatmap::GUTTER as usize);
        self.completion.set_fill_len(pane.max(grid));
    }

    /// Units of the state vector the heatmap shows.
    fn heatmap_units(&self) -> usize {
        self.completion
            .completion
            .as_ref()
            .and_then(|c| c.hidden.first())
            .map(Vec::len)
            .or_else(|| self.heatmap.probe.as_ref().map(|p| p.units()))
            .unwrap_or(0)
    }

    fn on_event(&mut self, ev: Event) {
        match &ev {
            Event::Batch(b) => {
                self.perplexity.on_batch(b);
                self.gradients.on_batch(b);
                self.charts.on_batch(b);
            }
            Event::Epoch(e) => {
                self.perplexity.on_epoch(e);
                self.charts.timeline.on_epoch(e);
            }
            Event::Snapshot(s) => {
                self.completion.set_snapshot(s.clone());
                self.prefer_text_opening();
            }
            Event::Sample(s) => self.completion.push_sample(s.clone()),
            Event::Probe(p) => {
                self.heatmap.set_probe(p.clone());
                self.prefer_text_opening();
            }
            Event::Settings { lr, clip } => {
                self.hp.lr = *lr;
                self.hp.clip = *clip;
                self.gradients.threshold = *clip;
            }
            Event::Finished(s) if self.watching.is_some() => {
                let how = if s.completed {
                    "finished"
                } else {
                    "stopped before its last epoch"
                };
                self.say(
                    Level::Info,
                    format!(
                        "the watched run {how}: {} epochs, val ppl {:.2} — read-only, q leaves",
                        s.epochs, s.val_ppl
                    ),
                );
            }
            Event::Finished(s) => {
                self.say(
                    Level::Info,
                    format!(
                        "run finished: {} epochs, val ppl {:.2}, {} tok/s — press r for a new run",
                        s.epochs,
                        s.val_ppl,
                        // As the status bar writes it, so the two read alike.
                        super::widgets::fmt_rate(s.tokens_per_s)
                    ),
                );
            }
            Event::Error { .. } => {
                self.save_requested = false;
                // The message line shows the trainer's error (kept in the status) with its way
                // out whenever no newer message is up.
                self.notice = None;
            }
            Event::Warning { message } => {
                self.save_requested = false;
                self.say(Level::Warn, message.clone());
            }
            Event::Saved {
                run_dir,
                epoch,
                batch,
                ..
            } if self.save_requested => {
                self.save_requested = false;
                // Also as the trainer's own lines count it (`saved at epoch E batch B`, E the
                // epoch in progress), so a watcher and the trainer name the same save alike.
                let at = if *batch == 0 {
                    format!("the end of epoch {epoch}")
                } else {
                    format!("epoch {} batch {batch}", epoch + 1)
                };
                self.say(
                    Level::Info,
                    format!(
                        "saved after {epoch} epochs and {batch} batches (at {at}) to {}",
                        run_dir.display()
                    ),
                );
            }
            Event::Diverged { message, .. } => {
                self.say(
                    Level::Warn,
                    format!(
                        "{message} — weights restored, paused: lower the learning rate, then space"
                    ),
                );
            }
            _ => {}
        }
        self.status.on_event(&ev, self.perplexity.ema_ppl());
    }

    /// The built-in prefix is for d2l's text: for a text whose vocabulary lacks it, start
    /// from the opening of the validation text the inspector reads.
    fn prefer_text_opening(&mut self) {
        if let Some(p) = &self.heatmap.probe {
            let text = p.tokens().concat();
            self.completion.prefer_opening_of(&text);
            self.fit_completion_length();
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind != KeyEventKind::Press {
            return Action::None;
        }
        // The next key after an information or a warning means it was read.
        if self
            .notice
            .as_ref()
            .is_some_and(|(level, _)| message::fades_at_next_key(*level))
        {
            self.notice = None;
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
                            // The edit that asked for the rebuild (if any) is done.
                            self.form.cancel();
                            Action::Restart(hp)
                        }
                        Dialog::Resume { path, .. } => Action::Resume(path),
                    }
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.dialog = None;
                    self.say(Level::Info, "cancelled");
                    Action::None
                }
                _ => Action::None,
            };
        }
        if self.help {
            self.on_help_key(key);
            return Action::None;
        }
        if let Some(picker) = self.picker.as_mut() {
            let outcome = picker.on_key(key);
            return self.on_picker(outcome);
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
        // A pane being typed into takes every key; otherwise the keys that move around come
        // first, then the focused panel's own keys, then the cockpit's.
        if self.focused_takes_all_keys() {
            // One Esc leaves typing (or the edit) and takes the message with it.
            if key.code == KeyCode::Esc {
                self.notice = None;
            }
            return self.key_to_focused(key).unwrap_or(Action::None);
        }
        if let Some(action) = self.navigate(key) {
            return action;
        }
        if let Some(action) = self.key_to_focused(key) {
            return action;
        }
        match key.code {
            KeyCode::Char(' ') => self.toggle_run(),
            KeyCode::Char('r') => return self.ask_restart(),
            KeyCode::Char('s') => self.save(),
            KeyCode::Char('o') => return Action::ListRuns,
            KeyCode::Char('p') => return self.save_chart(false),
            KeyCode::Char('?') => {
                self.help = true;
                self.help_scroll = 0;
            }
            KeyCode::Char('q') => {
                if self.training_live() {
                    self.dialog = Some(Dialog::Quit);
                } else {
                    return Action::Quit;
                }
            }
            KeyCode::Esc if self.zoomed => self.zoomed = false,
            KeyCode::Esc => self.notice = None,
            _ => {}
        }
        Action::None
    }

    /// The keys that move around, the same in every panel: a panel's digit, `/` to type into
    /// the completion pane, `z` to zoom.
    fn navigate(&mut self, key: KeyEvent) -> Option<Action> {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        let KeyCode::Char(c) = key.code else {
            return None;
        };
        match c {
            '/' => {
                self.set_focus(Focus::Completion);
                self.completion.typing = true;
            }
            'z' => self.zoomed = !self.zoomed,
            c => self.set_focus(Focus::from_key(c)?),
        }
        Some(Action::None)
    }

    /// A key while the help overlay is open: the arrows (and k/j, PgUp/PgDn, Home/End) scroll
    /// it where it does not fit, any other key closes it and does nothing else.
    fn on_help_key(&mut self, key: KeyEvent) {
        let max = help::max_scroll(self.area, &self.theme);
        let s = self.help_scroll;
        self.help_scroll = match key.code {
            KeyCode::Up | KeyCode::Char('k') => s.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => s.saturating_add(1).min(max),
            KeyCode::PageUp => s.saturating_sub(10),
            KeyCode::PageDown => s.saturating_add(10).min(max),
            KeyCode::Home => 0,
            KeyCode::End => max,
            _ => {
                self.help = false;
                0
            }
        };
    }

    fn focused_takes_all_keys(&self) -> bool {
        match self.focus {
            Focus::Completion => self.completion.typing,
            Focus::Form => self.form.is_editing(),
            _ => false,
        }
    }

    /// Offer a key to the focused panel: `Some` with what it asks when the panel used the key,
    /// `None` when it left it to the cockpit.
    fn key_to_focused(&mut self, key: KeyEvent) -> Option<Action> {
        match self.focus {
            Focus::Completion => match self.completion.on_key(key) {
                Handled::Yes => Some(Action::None),
                Handled::No => None,
            },
            Focus::Form if self.watching.is_some() && key.code == KeyCode::Enter => {
                self.unavailable("editing the hyperparameters");
                Some(Action::None)
            }
            Focus::Form => {
                if !self.form.uses(&key) {
                    return None;
                }
                let outcome = self.form.on_key(key, &self.hp);
                let action = self.on_form(outcome);
                self.drop_stale_form_refusal();
                Some(action)
            }
            // Enter zooms a chart, as `z` does.
            Focus::Perplexity | Focus::Gradients if key.code == KeyCode::Enter => {
                self.zoomed = !self.zoomed;
                Some(Action::None)
            }
            // Each chart's own key (`e` smoothing, `l` log scale), then the keys both share
            // (`x` axis, the cursor on a zoomed chart).
            Focus::Perplexity | Focus::Gradients => {
                let own = match self.focus {
                    Focus::Perplexity => self.perplexity.on_key(key),
                    _ => self.gradients.on_key(key),
                };
                match own {
                    Handled::Yes => Some(Action::None),
                    Handled::No => match self.charts.on_key(key, self.zoomed) {
                        Handled::Yes => Some(Action::None),
                        Handled::No => None,
                    },
                }
            }
            Focus::Heatmap => {
                let units = self.heatmap_units();
                if self.heatmap.on_key(key, units) == Handled::Yes {
                    return Some(Action::None);
                }
                // `[` / `]` and `c` choose which state (layer, LSTM cell) it shows; the
                // completion records that state from then on.
                let snapshot = self.completion.snapshot.clone();
                match self.heatmap.on_view_key(key, snapshot.as_deref()) {
                    ViewKey::NotOne => None,
                    ViewKey::Changed => {
                        self.completion.record_state(self.heatmap.view);
                        Some(Action::None)
                    }
                    ViewKey::Nothing(why) => {
                        self.say(Level::Info, why);
                        Some(Action::None)
                    }
                }
            }
        }
    }

    /// A refusal of the form's is stale once the value being edited is valid or the edit
    /// is over.
    fn drop_stale_form_refusal(&mut self) {
        if self.notice_from_form && !self.form.is_refusing() {
            self.notice = None;
            self.notice_from_form = false;
        }
    }

    fn set_focus(&mut self, f: Focus) {
        if self.form.is_editing() && f != Focus::Form {
            self.form.cancel();
            self.drop_stale_form_refusal();
        }
        // Reaching a panel never starts typing (digits, `q` and `z` must keep navigating and
        // commanding): typing is a mode entered on purpose with `/`, `i` or Enter, and moving
        // to another panel leaves it (a click on the pane being typed into does not).
        if f != self.focus {
            self.completion.typing = false;
        }
        self.focus = f;
    }

    fn toggle_run(&mut self) {
        if self.watching.is_some()
            && (self.status.error.is_some() || self.state() == TrainerState::Done)
        {
            self.say(
                Level::Warn,
                "the watched run is not being trained: nothing to pause or resume (q leaves)",
            );
            return;
        }
        if self.status.error.is_some() {
            self.say(
                Level::Warn,
                "the trainer stopped with an error — press r to restart",
            );
            return;
        }
        match self.state() {
            TrainerState::Ready => self.send(Command::Start),
            TrainerState::Training => self.send(Command::Pause),
            TrainerState::Paused => self.send(Command::Resume),
            TrainerState::Done => {
                self.say(Level::Info, "this run is finished — press r for a new run")
            }
        }
    }

    fn save(&mut self) {
        if self.watching.is_some() && self.status.error.is_some() {
            self.say(
                Level::Warn,
                "the watched run's trainer is gone: nothing can save it",
            );
            return;
        }
        if self.status.error.is_some() {
            self.say(
                Level::Warn,
                "the trainer stopped with an error: nothing to save",
            );
            return;
        }
        match self.state() {
            TrainerState::Ready if self.status.run_dir.is_none() => self.say(
                Level::Info,
                "nothing to save yet: a run is saved once it starts training",
            ),
            TrainerState::Done => self.say(
                Level::Info,
                "this run is finished and was saved when it ended",
            ),
            _ => {
                self.save_requested = true;
                self.say(Level::Info, "saving…");
                self.send(Command::Save);
            }
        }
    }

    fn on_picker(&mut self, outcome: PickerOutcome) -> Action {
        match outcome {
            PickerOutcome::Stay => Action::None,
            PickerOutcome::Close => {
                self.picker = None;
                Action::None
            }
            // The picker stays open, so several runs can be laid over the chart in turn.
            PickerOutcome::Compare(run) => {
                if self.perplexity.remove_overlay(&run.id) {
                    self.say(Level::Info, format!("run {} no longer shown", run.id));
                    return Action::None;
                }
                if self.is_open_run(&run.path) {
                    self.say(
                        Level::Info,
                        format!(
                            "run {} is the one open here: its curves are the live ones",
                            run.id
                        ),
                    );
                    return Action::None;
                }
                Action::LoadOverlay {
                    id: run.id,
                    path: run.path,
                }
            }
            PickerOutcome::Plot => self.save_chart(true),
            PickerOutcome::Label(run, label) => Action::LabelRun {
                path: run.path,
                label,
            },
            PickerOutcome::Delete(run) if self.is_open_run(&run.path) => {
                self.say(
                    Level::Warn,
                    format!(
                        "run {} is open in this cockpit: it cannot be deleted (open another run or start a new one first)",
                        run.id
                    ),
                );
                Action::None
            }
            PickerOutcome::Delete(run) => Action::DeleteRun {
                id: run.id,
                path: run.path,
            },
            PickerOutcome::Continue(run) if self.watching.is_some() => {
                self.picker = None;
                self.unavailable(&format!("continuing run {}", run.id));
                Action::None
            }
            PickerOutcome::Continue(run) => {
                self.picker = None;
                if self.status.run_dir.as_ref() == Some(&run.path)
                    && self.status.error.is_none()
                    && self.state() != TrainerState::Done
                {
                    self.say(Level::Info, format!("run {} is already open", run.id));
                    return Action::None;
                }
                if self.training_live() {
                    self.dialog = Some(Dialog::Resume {
                        question: format!(
                            "Stop this run (it is saved) and continue run {}?",
                            run.id
                        ),
                        path: run.path,
                    });
                    return Action::None;
                }
                Action::Resume(run.path)
            }
        }
    }

    /// `p`: the focused chart (or, from the picker, the perplexity chart with the runs laid
    /// over it) as a file in the run's directory, as it is shown: its metric, x-axis,
    /// smoothing and scale, over the whole run (the charts always span it, zoomed or not).
    /// Refused, with the reason, on a run that is not saved or has nothing to draw yet.
    fn save_chart(&mut self, from_picker: bool) -> Action {
        use crate::plot::{FigureOptions, Metric, XAxis};
        use crate::tui::panels::chart::XAxis as ChartAxis;
        let metric = match self.focus {
            _ if from_picker => Metric::Ppl,
            Focus::Perplexity => Metric::Ppl,
            Focus::Gradients => Metric::Grad,
            _ => {
                self.say(
                    Level::Warn,
                    "p saves a chart: focus the perplexity [1] or gradient norm [4] panel first",
                );
                return Action::None;
            }
        };
        let overlays: Vec<String> = match metric {
            Metric::Ppl => self
                .perplexity
                .overlays
                .iter()
                .map(|o| o.id.clone())
                .collect(),
            _ => Vec::new(),
        };
        let with_open_run = !self.perplexity.train.is_empty() || !self.gradients.norms.is_empty();
        if !with_open_run && overlays.is_empty() {
            self.say(
                Level::Warn,
                "nothing to save yet: no batch trained (space starts training)",
            );
            return Action::None;
        }
        let Some(run_dir) = self.status.run_dir.clone() else {
            let why = if with_open_run {
                "this run is not saved (--no-save): it has no directory to keep the chart in"
            } else {
                "the chart goes into the run's directory, made when training starts (space)"
            };
            self.say(Level::Warn, why);
            return Action::None;
        };
        let x = match self.charts.x_axis {
            ChartAxis::Epoch => XAxis::Epochs,
            ChartAxis::Step => XAxis::Steps,
            ChartAxis::Time => XAxis::Time,
        };
        let stem = ChartFile::stem_for(metric, overlays.len(), self.status.epochs_done);
        Action::SaveChart(ChartFile {
            run_dir,
            with_open_run,
            overlays,
            options: FigureOptions {
                metric,
                x,
                palette: self.theme.figure_palette(),
                grad_log: self.gradients.log,
            },
            smoothing: self.perplexity.smoothing,
            stem,
        })
    }

    /// The result of saving a chart (`p`): where it went, or why it did not.
    pub fn chart_saved(&mut self, result: Result<PathBuf, ChartFileError>) {
        match result {
            Ok(path) => self.say(Level::Info, format!("chart saved to {}", path.display())),
            Err(e) => self.say(Level::Error, format!("chart not saved: {e}")),
        }
    }

    /// Whether `path` is the run this cockpit has open (training it, or watching it).
    fn is_open_run(&self, path: &Path) -> bool {
        self.status.run_dir.as_deref() == Some(path)
    }

    fn ask_restart(&mut self) -> Action {
        if self.watching.is_some() {
            self.unavailable("r (restart)");
            return Action::None;
        }
        if self.training_live() {
            self.dialog = Some(Dialog::Restart {
                hp: self.hp.clone(),
                question: format!("Restart training from scratch? {}", self.current_run_fate()),
            });
            Action::None
        } else {
            Action::Restart(self.hp.clone())
        }
    }

    /// Carry out what the form asks: a refusal or a cancel to tell, a live value to send to
    /// the trainer, or a rebuild to confirm.
    fn on_form(&mut self, outcome: FormOutcome) -> Action {
        match outcome {
            FormOutcome::None => {}
            FormOutcome::Cancelled => {
                self.say(Level::Info, "edit cancelled");
            }
            FormOutcome::Refused(e) => {
                self.say(Level::Error, format!("refused: {e}"));
                self.notice_from_form = true;
            }
            FormOutcome::Rebuild { field, hp } => {
                self.dialog = Some(Dialog::Restart {
                    question: format!(
                        "Set {} to {} and rebuild the model? {}",
                        form::label(field),
                        hp.get(field),
                        self.current_run_fate()
                    ),
                    hp,
                });
            }
            FormOutcome::Apply { field, hp } => {
                self.hp = hp;
                match field {
                    Field::Lr => self.send(Command::SetLearningRate(self.hp.lr)),
                    Field::Clip => {
                        self.gradients.threshold = self.hp.clip;
                        self.send(Command::SetClip(self.hp.clip))
                    }
                    // A finished trainer has ended: the new count is for the next run (or for
                    // continuing this one from the picker).
                    Field::Epochs if self.state() == TrainerState::Done => {
                        self.say(
                            Level::Info,
                            format!(
                                "epochs = {}: this run has finished — o, Enter on it continues it to that many; r starts a new run",
                                self.hp.epochs
                            ),
                        );
                        return Action::None;
                    }
                    Field::Epochs => {
                        self.status.epochs = self.hp.epochs;
                        self.send(Command::SetEpochs(self.hp.epochs))
                    }
                    Field::CompletionLen => {
                        self.completion.set_len(self.hp.completion_len);
                        self.send_epoch_sample();
                    }
                    _ => {}
                }
                self.say(
                    Level::Info,
                    format!(
                        "{} = {} (applies from the next batch)",
                        form::label(field),
                        self.hp.get(field)
                    ),
                );
            }
        }
        Action::None
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        if !matches!(m.kind, MouseEventKind::Down(MouseButton::Left))
            || self.help
            || self.dialog.is_some()
            || self.picker.is_some()
        {
            return;
        }
        let Some(areas) = layout(self.area, self.focus, self.zoomed) else {
            return;
        };
        let p = Position::new(m.column, m.row);
        for (focus, rect) in areas.panels() {
            if rect.contains(p) {
                self.set_focus(focus);
                if focus == Focus::Heatmap {
                    let units = self.heatmap_units();
                    self.heatmap.click(rect, p, units, self.theme.mode);
                }
                return;
            }
        }
    }
}
