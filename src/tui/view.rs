//! The screen as a function of the state: panels where [`super::layout`] puts them, overlays, and
//! the too-small message. The only place that reads [`App`] to draw: each panel is handed its
//! own state and, by name, the few things from elsewhere that it shows.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::app::App;
use super::context::{Ctx, Focus, KeyHelp, Panel};
use super::layout::{layout, MIN_HEIGHT, MIN_WIDTH};
use super::message;
use super::panels::{chart, completion, form, heatmap, help, perplexity};
use super::widgets::fit_spans;

/// The message shown instead of the cockpit on a terminal smaller than 60×18.
pub fn too_small_message(width: u16, height: u16) -> String {
    format!(
        "Terminal too small: {width}×{height}, need {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge the window (q quits)."
    )
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    f.render_widget(
        Paragraph::new(too_small_message(area.width, area.height))
            .style(Style::default().fg(app.theme.warn))
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// The mode the footer names while the completion pane takes every key as text.
pub const TYPING: &str = "TYPING";

/// The keys the footer offers now, most specific first: while typing or editing, the keys
/// that still work; otherwise the focused panel's own keys and then the cockpit's.
pub fn footer_keys(app: &App) -> Vec<KeyHelp> {
    let panel = help::panel_keys(app.focus);
    if app.focus == Focus::Completion && app.completion.typing {
        let mut keys = vec![KeyHelp::new(TYPING, "every key is text", "")];
        // The way out first: on a narrow terminal it is the one hint that must stay.
        let works = |k: &&KeyHelp| k.works_while_typing() && !k.short.is_empty();
        keys.extend(panel.iter().filter(works).filter(|k| k.key == "Esc"));
        keys.extend(panel.iter().filter(works).filter(|k| k.key != "Esc"));
        keys.push(KeyHelp::new("Tab", "next panel", ""));
        return keys;
    }
    if app.focus == Focus::Form && app.form.is_editing() {
        return vec![
            KeyHelp::new("Enter", "apply", ""),
            KeyHelp::new("Esc", "cancel", ""),
            KeyHelp::new("Backspace", "delete", ""),
            KeyHelp::new("Tab", "leave (cancels)", ""),
        ];
    }
    let mut keys: Vec<KeyHelp> = Vec::new();
    if app.zoomed {
        keys.push(KeyHelp::new("z/Esc", "unzoom", ""));
    }
    // On the completion pane before typing, the keys that edit the prefix do nothing yet.
    let typing_only =
        |k: &KeyHelp| app.focus == Focus::Completion && matches!(k.key, "Backspace" | "Esc");
    keys.extend(
        panel
            .iter()
            .filter(|k| !k.short.is_empty() && !typing_only(k)),
    );
    keys.extend(
        help::GLOBAL
            .iter()
            .filter(|k| !k.short.is_empty())
            .filter(|k| !(app.zoomed && k.key == "z")),
    );
    keys
}

/// `keys` as one footer line of `width` columns: whole entries only, `? help` kept at the end
/// whenever it is among them.
pub fn footer_line(
    keys: &[KeyHelp],
    width: u16,
    key_style: Style,
    text_style: Style,
) -> Line<'static> {
    let help = keys.iter().find(|k| k.key == "?");
    let entry_w = |k: &KeyHelp| 1 + k.key.chars().count() + 1 + k.short.chars().count() + 1;
    let reserve = help.map_or(0, entry_w);
    let mut used = 0;
    let mut spans = Vec::new();
    let push = |spans: &mut Vec<Span<'static>>, k: &KeyHelp| {
        // The typing mode stands out: every other key is text while it lasts.
        let style = if k.key == TYPING {
            key_style.add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            key_style
        };
        spans.push(Span::styled(format!(" {}", k.key), style));
        spans.push(Span::styled(format!(" {} ", k.short), text_style));
    };
    for k in keys.iter().filter(|k| k.key != "?") {
        let w = entry_w(k);
        if used + w + reserve > width as usize {
            break;
        }
        used += w;
        push(&mut spans, k);
    }
    if let Some(h) = help {
        if used + reserve <= width as usize {
            push(&mut spans, h);
        }
    }
    Line::from(spans)
}

fn footer(f: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let line = if app.watching.is_some() {
        let k = |s: &'static str| Span::styled(s, Style::default().fg(t.accent));
        let d = |s: &'static str| Span::styled(s, t.dim_style());
        Line::from(fit_spans(
            vec![
                d(" watching  "),
                k("space"),
                d(" pause/resume the run  "),
                k("s"),
                d(" save it  "),
                k("tab"),
                d(" focus  "),
                k("/"),
                d(" type  "),
                k("o"),
                d(" runs  "),
                k("?"),
                d(" help  "),
                k("q"),
                d(" leave (the run goes on)"),
            ],
            area.width as usize,
        ))
    } else {
        footer_line(
            &footer_keys(app),
            area.width,
            Style::default().fg(t.accent),
            t.dim_style(),
        )
    };
    f.render_widget(Paragraph::new(line), area);
}

/// What the message line shows: the newest message, else the trainer's error.
fn message_shown(app: &App) -> message::Shown<'_> {
    match (&app.notice, &app.status.error) {
        (Some((level, text)), _) => message::Shown::Message(*level, text),
        (None, Some(e)) => message::Shown::TrainerError {
            message: e,
            watching: app.watching.is_some(),
        },
        (None, None) => message::Shown::Nothing,
    }
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, app: &App) {
    let t = &app.theme;
    let area = f.area();
    f.render_widget(Block::default().style(t.base()), area);
    let Some(a) = layout(area, app.focus, app.zoomed) else {
        too_small(f, area, app);
        return;
    };
    let ctx = |panel: Focus, r: Rect| Ctx {
        theme: t,
        focused: app.focus == panel,
        key: Some(panel.key()),
        width: r.width,
    };
    let bar = Ctx {
        theme: t,
        focused: false,
        key: None,
        width: a.status.width,
    };
    Panel::draw(&app.status, f, a.status, bar, ());
    let charts = chart::Shows {
        charts: &app.charts,
        zoomed: app.zoomed,
    };
    for (panel, r) in a.panels() {
        let c = ctx(panel, r);
        match panel {
            Focus::Perplexity => Panel::draw(
                &app.perplexity,
                f,
                r,
                c,
                perplexity::Shows {
                    trainer_failed: app.status.error.is_some(),
                    chart: charts,
                },
            ),
            Focus::Completion => Panel::draw(
                &app.completion,
                f,
                r,
                c,
                completion::Shows {
                    unit: app.heatmap.selected,
                    zoomed: app.zoomed,
                },
            ),
            Focus::Heatmap => Panel::draw(
                &app.heatmap,
                f,
                r,
                c,
                heatmap::Shows {
                    completion: app.completion.completion.as_ref(),
                    typed: Some(&app.completion.prefix),
                    snapshot: app.completion.snapshot.as_deref(),
                },
            ),
            Focus::Gradients => Panel::draw(&app.gradients, f, r, c, charts),
            Focus::Form => Panel::draw(
                &app.form,
                f,
                r,
                c,
                form::Shows {
                    hp: &app.hp,
                    open: a.form_open,
                },
            ),
        }
    }
    message::draw(f, a.message, t, message_shown(app));
    footer(f, a.footer, app);
    if let Some(p) = &app.picker {
        let overlaid: Vec<(String, usize)> = app
            .perplexity
            .overlays
            .iter()
            .map(|o| (o.id.clone(), o.slot))
            .collect();
        p.draw(f, area, t, &overlaid, app.status.run_id());
    }
    if app.help {
        help::draw(f, area, t, app.help_scroll, app.focus);
    }
    if let Some(d) = &app.dialog {
        help::draw_dialog(f, area, t, d.question());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_says_what_is_needed() {
        assert!(too_small_message(40, 10).contains("need 60×18"));
    }

    #[test]
    fn the_footer_keeps_whole_entries_and_help_last() {
        let keys = help::GLOBAL;
        let plain = |w| -> String {
            footer_line(keys, w, Style::default(), Style::default())
                .spans
                .iter()
                .map(|s| s.content.to_string())
                .collect()
        };
        let wide = plain(300);
        assert!(wide.contains(" space start/pause "), "{wide}");
        assert!(wide.trim_end().ends_with("? help"), "{wide}");
        let narrow = plain(40);
        assert!(narrow.chars().count() <= 40, "{narrow}");
        assert!(narrow.trim_end().ends_with("? help"), "{narrow}");
        assert!(!narrow.contains(" q "), "{narrow}");
    }
}
