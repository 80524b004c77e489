//! The status bar: state, device, progress with ETA, perplexities, throughput, clip rate.
//! Every figure derives from event data (no wall clock), so it is deterministic under test.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};
use ratatui::Frame;

use crate::metrics::BatchStats;
use crate::number_format::compact_count;
use crate::text_width;

use crate::train::{Event, Summary, TrainerState};
use crate::tui::context::{Ctx, Panel};
use crate::tui::theme::ColorMode;
use crate::tui::widgets::{fit_spans, fmt_duration, fmt_ppl, fmt_rate};

#[derive(Clone, Debug)]
pub struct StatusState {
    pub state: TrainerState,
    /// The trainer stopped with this error.
    pub error: Option<String>,
    pub device: String,
    pub params: usize,
    pub vocab_size: usize,
    pub batches_per_epoch: usize,
    pub epochs: usize,
    pub last_batch: Option<BatchStats>,
    pub train_ppl: Option<f64>,
    pub val_ppl: Option<f64>,
    pub epochs_done: usize,
    pub batches_seen: u64,
    pub clipped_seen: u64,
    pub summary: Option<Summary>,
    /// The run's directory once the run is being saved (its name is the run id).
    pub run_dir: Option<std::path::PathBuf>,
    /// What is trained on: characters in the corpus, read by training, read by validation.
    pub chars: Option<(usize, usize, usize)>,
    /// The run is watched, not trained here (`rnn-tui watch`).
    pub watching: bool,
}

impl StatusState {
    pub fn new(epochs: usize) -> Self {
        StatusState {
            state: TrainerState::Ready,
            error: None,
            device: "…".into(),
            params: 0,
            vocab_size: 0,
            batches_per_epoch: 0,
            epochs,
            last_batch: None,
            train_ppl: None,
            val_ppl: None,
            epochs_done: 0,
            batches_seen: 0,
            clipped_seen: 0,
            summary: None,
            run_dir: None,
            chars: None,
            watching: false,
        }
    }

    /// `ema_ppl`: the smoothed per-batch train perplexity, shown until an epoch reports.
    pub fn on_event(&mut self, ev: &Event, ema_ppl: Option<f64>) {
        match ev {
            Event::Ready {
                device,
                compute_path,
                params,
                vocab_size,
                batches_per_epoch,
                corpus_chars,
                train_chars,
                val_chars,
                ..
            } => {
                self.chars = Some((*corpus_chars, *train_chars, *val_chars));
                self.device = format!("{device} · {compute_path}");
                self.params = *params;
                self.vocab_size = *vocab_size;
                self.batches_per_epoch = *batches_per_epoch;
            }
            Event::State { state } => self.state = *state,
            Event::Batch(b) => {
                self.batches_seen += 1;
                self.clipped_seen += b.clipped as u64;
                self.batches_per_epoch = b.batches_per_epoch;
                self.last_batch = Some(b.clone());
                if self.epochs_done == 0 {
                    self.train_ppl = ema_ppl;
                }
            }
            Event::Epoch(e) => {
                self.epochs_done = e.epoch;
                self.epochs = e.epochs;
                self.train_ppl = Some(e.train_ppl);
                self.val_ppl = Some(e.val_ppl);
            }
            Event::Finished(s) => self.summary = Some(s.clone()),
            Event::Saved { run_dir, .. } => self.run_dir = Some(run_dir.clone()),
            Event::Error { message } => self.error = Some(message.clone()),
            _ => {}
        }
    }

    /// The run id: the name of the run's directory.
    pub fn run_id(&self) -> Option<&str> {
        self.run_dir.as_deref()?.file_name()?.to_str()
    }

    /// Batches done in this run, counted from the last batch's position.
    pub fn batches_done(&self) -> usize {
        self.last_batch
            .as_ref()
            .map(|b| (b.epoch - 1) * b.batches_per_epoch + b.batch)
            .unwrap_or(0)
    }

    pub fn progress(&self) -> f64 {
        let total = self.epochs * self.batches_per_epoch;
        if total == 0 {
            return 0.0;
        }
        if self.state == TrainerState::Done && self.summary.as_ref().is_some_and(|s| s.completed) {
            return 1.0;
        }
        (self.batches_done() as f64 / total as f64).clamp(0.0, 1.0)
    }

    /// Training tokens per second so far (batch time only, as the trainer measures it).
    pub fn tokens_per_s(&self) -> Option<f64> {
        if let Some(s) = &self.summary {
            return Some(s.tokens_per_s);
        }
        let b = self.last_batch.as_ref()?;
        (b.elapsed > 0.0).then(|| self.batches_done() as f64 * b.tokens as f64 / b.elapsed)
    }

    /// Every epoch asked for is done (a finished run, or one loaded after its last epoch).
    pub fn all_epochs_done(&self) -> bool {
        self.epochs > 0 && self.epochs_done >= self.epochs
    }

    /// Seconds left at the current pace (validation excluded). It derives from batch times
    /// only, so it stands still while paused.
    pub fn eta_seconds(&self) -> Option<f64> {
        let b = self.last_batch.as_ref()?;
        let done = self.batches_done();
        if done == 0 || b.elapsed <= 0.0 {
            return None;
        }
        let total = self.epochs * self.batches_per_epoch;
        Some(total.saturating_sub(done) as f64 * b.elapsed / done as f64)
    }

    pub fn clip_rate(&self) -> Option<f64> {
        (self.batches_seen > 0).then(|| self.clipped_seen as f64 / self.batches_seen as f64)
    }

    pub fn label(&self) -> &'static str {
        if self.error.is_some() {
            return "ERROR";
        }
        match self.state {
            // Loaded after its last epoch: nothing is ready to train until more epochs are
            // asked for.
            TrainerState::Ready if self.all_epochs_done() => "DONE",
            TrainerState::Ready => "READY",
            TrainerState::Training => "TRAINING",
            TrainerState::Paused => "PAUSED",
            TrainerState::Done => "DONE",
        }
    }
}

/// The state line and the progress gauge (errors go to the message line: nothing takes the
/// gauge's place).
impl Panel for StatusState {
    /// Nothing from elsewhere.
    type Shows<'a> = ();

    fn draw(&self, f: &mut Frame, area: Rect, ctx: Ctx, _: ()) {
        let s = self;
        let t = ctx.theme;
        let [line_area, gauge_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
        let state_color = if s.error.is_some() {
            t.error
        } else {
            match s.state {
                TrainerState::Ready => t.accent,
                TrainerState::Training => t.ok,
                TrainerState::Paused => t.warn,
                TrainerState::Done => t.title,
            }
        };
        let mut state_style = Style::default()
            .fg(state_color)
            .add_modifier(Modifier::BOLD);
        if t.mode == ColorMode::NoColor {
            state_style = state_style.add_modifier(Modifier::REVERSED);
        }
        let sep = Span::styled(" │ ", t.dim_style());
        let val = |text: String| {
            Span::styled(text, Style::default().fg(t.fg).add_modifier(Modifier::BOLD))
        };
        let key = |text: &str| Span::styled(text.to_owned(), t.dim_style());
        let (epoch, batch) = s
            .last_batch
            .as_ref()
            .map(|b| (b.epoch, b.batch))
            .unwrap_or((0, 0));
        let dash = || "–".to_owned();
        let train = s.train_ppl.map(fmt_ppl).unwrap_or_else(dash);
        let valid = s.val_ppl.map(fmt_ppl).unwrap_or_else(dash);
        let rate = s.tokens_per_s().map(fmt_rate).unwrap_or_else(dash);
        let clip = s
            .clip_rate()
            .map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(dash);
        let head = vec![
            Span::styled(format!(" ● {} ", s.label()), state_style),
            sep.clone(),
        ];
        let wide = |device: String| {
            let mut spans = head.clone();
            spans.extend([
                val(device),
                sep.clone(),
                key("epoch "),
                val(format!("{epoch}/{}", s.epochs)),
                key(" batch "),
                val(format!("{batch}/{}", s.batches_per_epoch)),
                sep.clone(),
                key("train ppl "),
                val(train.clone()),
                sep.clone(),
                key("val ppl "),
                val(valid.clone()),
                sep.clone(),
                val(rate.clone()),
                key(" tok/s"),
                sep.clone(),
                key("clipped "),
                val(clip.clone()),
            ]);
            spans
        };
        // Narrow terminals: the same figures, shorter labels.
        let narrow = || {
            let mut spans = head.clone();
            spans.extend([
                val(s.device.split(' ').next().unwrap_or("").to_owned()),
                sep.clone(),
                key("ep "),
                val(format!(
                    "{epoch}/{} {batch}/{}",
                    s.epochs, s.batches_per_epoch
                )),
                sep.clone(),
                key("ppl "),
                val(format!("{train}/{valid}")),
                sep.clone(),
                val(rate.clone()),
                key(" tok/s"),
                sep.clone(),
                key("clip "),
                val(clip.clone()),
            ]);
            spans
        };
        // The long labels where they fit, the device said shorter first ("cpu (auto) · fused",
        // then "cpu · fused", then "cpu"), so the figures at the end are not the ones cut.
        let cols = line_area.width as usize;
        let spans_width =
            |spans: &[Span]| -> usize { spans.iter().map(|s| text_width::width(&s.content)).sum() };
        let mut spans = None;
        if area.width >= 110 {
            for device in device_names(&s.device) {
                let line = wide(device);
                if spans_width(&line) <= cols {
                    spans = Some(line);
                    break;
                }
            }
        }
        let spans = spans.unwrap_or_else(narrow);
        let spans = fit_spans(spans, line_area.width as usize);
        f.render_widget(Paragraph::new(Line::from(spans)).style(t.base()), line_area);

        let progress = s.progress();
        let eta = match (s.state, s.eta_seconds()) {
            (TrainerState::Done, _) => "done".to_owned(),
            _ if s.all_epochs_done() => "all epochs done".to_owned(),
            // Batch time only: it waits with the trainer, and says so.
            (TrainerState::Paused, Some(e)) => format!("ETA {} (paused)", fmt_duration(e)),
            (_, Some(e)) => format!("ETA {}", fmt_duration(e)),
            _ => "ETA –".to_owned(),
        };
        let mut label = format!("{:.0}% of {} epochs · {eta}", progress * 100.0, s.epochs);
        let run = s
            .run_id()
            .map(|id| format!(" · run {id}"))
            .unwrap_or_default();
        // What is trained on, where the row has room for it beside the rest.
        if let Some((corpus, train, val)) = s.chars {
            let chars = format!(
                " · chars {} train {} val {}",
                compact_count(corpus),
                compact_count(train),
                compact_count(val)
            );
            let width =
                text_width::width(&label) + text_width::width(&chars) + text_width::width(&run);
            if width + 8 <= gauge_area.width as usize {
                label.push_str(&chars);
            }
        }
        if s.watching {
            label.push_str(" · watching");
        }
        // The run id only where it fits whole; the figures before it come first.
        if text_width::width(&label) + text_width::width(&run) <= gauge_area.width as usize {
            label.push_str(&run);
        }
        let label = text_width::truncate(&label, gauge_area.width as usize).0;
        let mut gauge_style = Style::default().fg(t.accent).bg(t.border);
        if t.mode == ColorMode::NoColor {
            gauge_style = Style::default().add_modifier(Modifier::REVERSED);
        }
        let gauge = Gauge::default()
            .gauge_style(gauge_style)
            .ratio(progress)
            .label(Span::styled(
                label,
                Style::default().fg(t.fg).add_modifier(Modifier::BOLD),
            ))
            .use_unicode(true);
        f.render_widget(gauge, gauge_area);
    }
}

/// The device as the status bar may say it, longest first: whole, without the parenthesised
/// remarks (`cpu (auto) · fused` → `cpu · fused`), the first word.
fn device_names(device: &str) -> Vec<String> {
    let mut bare = String::new();
    let mut depth = 0usize;
    for c in device.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => bare.push(c),
            _ => {}
        }
    }
    let bare = bare.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = device.split(' ').next().unwrap_or("").to_owned();
    let mut names = vec![device.to_owned()];
    for n in [bare, first] {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names
}
