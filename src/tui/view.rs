//! The screen as a function of the state: layout, panels, overlays, and the too-small message.
//! The only place that reads [`App`] to draw: each panel is handed its own state and, by name,
//! the few things from elsewhere that it shows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::context::{Ctx, Focus, Level};
use super::panels::{form, heatmap, help};

/// Below this the cockpit shows only "enlarge the window".
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Where each part of the screen goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Areas {
    pub status: Rect,
    pub perplexity: Rect,
    pub gradients: Rect,
    pub completion: Rect,
    pub heatmap: Rect,
    pub form: Rect,
    pub footer: Rect,
}

impl Areas {
    pub fn panels(&self) -> [(Focus, Rect); 5] {
        [
            (Focus::Perplexity, self.perplexity),
            (Focus::Gradients, self.gradients),
            (Focus::Completion, self.completion),
            (Focus::Heatmap, self.heatmap),
            (Focus::Form, self.form),
        ]
    }
}

/// The layout for a terminal of this size, or `None` when it is too small.
pub fn layout(area: Rect) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [status, body, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(56), Constraint::Percentage(44)]).areas(body);
    let [perplexity, gradients] =
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(left);
    let completion_h = if area.height >= 30 { 6 } else { 5 };
    let [completion, heatmap, form] = Layout::vertical([
        Constraint::Length(completion_h),
        Constraint::Min(4),
        Constraint::Length(form::HEIGHT),
    ])
    .areas(right);
    Some(Areas {
        status,
        perplexity,
        gradients,
        completion,
        heatmap,
        form,
        footer,
    })
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    let msg = format!(
        "Terminal too small ({}×{}): enlarge the window to at least {MIN_WIDTH}×{MIN_HEIGHT}. q quits.",
        area.width, area.height
    );
    f.render_widget(
        Paragraph::new(msg)
            .style(Style::default().fg(app.theme.warn))
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn footer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if let Some(err) = &app.status.error {
        Line::from(Span::styled(
            format!(" error: {err}"),
            Style::default().fg(t.error),
        ))
    } else if let Some((level, msg)) = &app.notice {
        let color = match level {
            Level::Info => t.ok,
            Level::Warn => t.warn,
            Level::Error => t.error,
        };
        Line::from(Span::styled(format!(" {msg}"), Style::default().fg(color)))
    } else {
        let k = |s: &'static str| Span::styled(s, Style::default().fg(t.accent));
        let d = |s: &'static str| Span::styled(s, t.dim_style());
        Line::from(vec![
            k(" space"),
            d(" start/pause  "),
            k("tab"),
            d(" focus  "),
            k("enter"),
            d(" edit/type  "),
            k("esc"),
            d(" cancel  "),
            k("r"),
            d(" restart  "),
            k("s"),
            d(" save  "),
            k("o"),
            d(" runs  "),
            k("?"),
            d(" help  "),
            k("q"),
            d(" quit"),
        ])
    };
    f.render_widget(Paragraph::new(line), area);
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let area = f.area();
    f.render_widget(Block::default().style(t.base()), area);
    let Some(a) = layout(area) else {
        too_small(f, area, app);
        return;
    };
    let ctx = |panel: Focus| Ctx {
        theme: t,
        focused: app.focus == panel,
    };
    let error_notice = match &app.notice {
        Some((Level::Error, msg)) => Some(msg.as_str()),
        _ => None,
    };
    let trainer_failed = app.status.error.is_some();
    app.status.draw(f, a.status, t, error_notice);
    app.perplexity
        .draw(f, a.perplexity, ctx(Focus::Perplexity), trainer_failed);
    app.gradients.draw(f, a.gradients, ctx(Focus::Gradients));
    app.completion.draw(f, a.completion, ctx(Focus::Completion));
    heatmap::draw(
        f,
        a.heatmap,
        ctx(Focus::Heatmap),
        app.completion.completion.as_ref(),
        &app.completion.view_label(),
    );
    app.form.draw(f, a.form, ctx(Focus::Form), &app.hp);
    footer(f, a.footer, app);
    if let Some(p) = &app.picker {
        let compared = app.perplexity.overlay.as_ref().map(|o| o.id.as_str());
        p.draw(f, area, t, compared);
    }
    if app.help {
        help::draw(f, area, t);
    }
    if let Some(d) = &app.dialog {
        help::draw_dialog(f, area, t, d.question());
    }
}
