//! Wide characters in the runs picker and the status bar, drawn into a `TestBackend` and read
//! back cell by cell: a Hangul or Han character takes two cells (the second hidden under it),
//! and the columns after it must stay where the header and the other rows put them. Byte or
//! char counting would shift them, or cut a character in half.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use rnn_tui::text_width::width;
use rnn_tui::tui::context::{Ctx, Panel};
use rnn_tui::tui::fixtures;
use rnn_tui::tui::launch::RunList;
use rnn_tui::tui::panels::runs::RunsPicker;
use rnn_tui::tui::panels::status::StatusState;
use rnn_tui::tui::{message, ColorMode, Level, Theme};

fn theme() -> Theme {
    Theme::default_for(ColorMode::TrueColor)
}

/// Row `y` as (x, symbol) for the cells a terminal shows, leaving out the cells hidden under
/// the second half of a wide character.
fn cells(buf: &Buffer, y: u16) -> Vec<(u16, String)> {
    let mut out = Vec::new();
    let mut hidden = 0;
    for x in buf.area.left()..buf.area.right() {
        if hidden > 0 {
            hidden -= 1;
            continue;
        }
        let s = buf[(x, y)].symbol().to_owned();
        hidden = width(&s).saturating_sub(1);
        out.push((x, s));
    }
    out
}

/// Row `y` as it looks on a terminal.
fn row_text(buf: &Buffer, y: u16) -> String {
    cells(buf, y).into_iter().map(|(_, s)| s).collect()
}

/// The x where `needle` starts in row `y` (`None` when it is not there).
fn find_x(buf: &Buffer, y: u16, needle: &str) -> Option<u16> {
    let cells = cells(buf, y);
    let text: Vec<&str> = cells.iter().map(|(_, s)| s.as_str()).collect();
    let n: Vec<String> = needle.chars().map(String::from).collect();
    (0..cells.len().saturating_sub(n.len() - 1))
        .find(|&i| text[i..i + n.len()].iter().zip(&n).all(|(a, b)| a == b))
        .map(|i| cells[i].0)
}

/// The symbol of the cell at (x, y).
fn at(buf: &Buffer, x: u16, y: u16) -> &str {
    buf[(x, y)].symbol()
}

fn korean_runs() -> RunList {
    let mut list = fixtures::run_list();
    list.runs[0].corpus = "동백꽃_김유정.txt".into(); // 17 columns, 11 chars, 29 bytes
    list.runs[1].corpus = "김유정_단편_동백꽃_1936.txt".into(); // 26 columns: cut
                                                                // Cut at 17 (wide) and 11 (compact) columns + `…`: both cuts fall inside a wide char.
    list.runs[2].corpus = "가a漢字와_かなさし.txt".into();
    list
}

fn draw_picker(picker: &RunsPicker, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| picker.draw(f, f.area(), &theme(), &[], None))
        .unwrap();
    term.backend().buffer().clone()
}

/// Every data row of the picker has its columns under the header's: the first digit of the
/// creation date under `CREATED`, the hidden-unit figure ending under `H`, the best
/// perplexity ending under `BEST VAL`, and the frame's right border in its column.
#[test]
fn the_runs_picker_keeps_its_columns_with_korean_corpus_names() {
    for (w, wide) in [(120u16, true), (80, false)] {
        let picker = RunsPicker::new(korean_runs());
        let buf = draw_picker(&picker, w, 20);
        let header = (0..20)
            .find(|&y| find_x(&buf, y, "CORPUS").is_some())
            .expect("a header row");
        let corpus_x = find_x(&buf, header, "CORPUS").unwrap();
        let h_x = find_x(&buf, header, " H ").unwrap() + 1;
        let best_end = find_x(&buf, header, "BEST VAL").unwrap() + 7;
        let border = (0..w).rev().find(|&x| at(&buf, x, header) == "│").unwrap();
        let runs = korean_runs().runs;
        for (i, r) in runs.iter().enumerate() {
            let y = header + 1 + i as u16;
            let line = row_text(&buf, y);
            assert_eq!(at(&buf, border, y), "│", "{w}: border of {line:?}");
            let hiddens = r.hiddens.to_string();
            assert_eq!(
                at(&buf, h_x, y),
                &hiddens[hiddens.len() - 1..],
                "{w}: hidden units end under H in {line:?}"
            );
            let best = rnn_tui::tui::widgets::fmt_ppl(r.best_val_ppl);
            assert_eq!(
                at(&buf, best_end, y),
                &best[best.len() - best.chars().last().unwrap().len_utf8()..],
                "{w}: best perplexity ends under BEST VAL in {line:?}"
            );
            if wide {
                let created_x = find_x(&buf, header, "CREATED").unwrap();
                assert_eq!(at(&buf, created_x, y), "2", "{w}: {line:?}");
            }
            assert_eq!(
                find_x(&buf, y, &r.corpus.chars().take(3).collect::<String>()),
                Some(corpus_x),
                "{w}: corpus starts under CORPUS in {line:?}"
            );
        }
        // The names that do not fit are cut between characters and marked.
        let (cols, l1, l2) = if wide { (18, 1, 2) } else { (12, 1, 2) };
        for i in [l1, l2] {
            let line = row_text(&buf, header + 1 + i as u16);
            let want = rnn_tui::text_width::fit_left(&runs[i].corpus, cols);
            assert!(want.contains('…'), "{want}");
            assert!(line.contains(&want), "{w}: {want:?} in {line:?}");
        }
    }
}

#[test]
fn the_runs_picker_draws_korean_names_at_any_size_without_a_panic() {
    let picker = RunsPicker::new(korean_runs());
    for w in [20u16, 41, 60, 95, 97, 98, 99, 100, 101, 130] {
        for h in [3u16, 7, 12] {
            draw_picker(&picker, w, h);
        }
    }
}

fn draw_status(s: &StatusState, w: u16) -> Buffer {
    let t = theme();
    let mut term = Terminal::new(TestBackend::new(w, 2)).unwrap();
    term.draw(|f| {
        let ctx = Ctx {
            theme: &t,
            focused: false,
            key: None,
            width: w,
        };
        Panel::draw(s, f, f.area(), ctx, ())
    })
    .unwrap();
    term.backend().buffer().clone()
}

/// The message line (issue 24: an error no longer takes the gauge's row) with an error.
fn draw_error(msg: &str, w: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, 2)).unwrap();
    term.draw(|f| {
        let row = ratatui::layout::Rect {
            y: 1,
            height: 1,
            ..f.area()
        };
        message::draw(f, row, &theme(), message::Shown::Message(Level::Error, msg))
    })
    .unwrap();
    term.backend().buffer().clone()
}

/// A refused corpus with a Korean path: the message is cut before the hint, between
/// characters, so "(Esc dismisses)" stays on screen at every width.
#[test]
fn a_long_korean_error_keeps_its_hint_and_is_cut_between_characters() {
    let msg = "corpus file not found: /home/사용자/소설/김유정_동백꽃_원문_전체.txt";
    for w in 40u16..=100 {
        let buf = draw_error(msg, w);
        let line = row_text(&buf, 1);
        let shown = line.trim_end();
        assert!(width(&line) <= w as usize, "{w}: {line:?}");
        if width(msg) + 3 + width("  (Esc dismisses)") <= w as usize {
            assert!(shown.contains(msg), "{w}: {line:?}");
        } else {
            assert!(shown.ends_with("…  (Esc dismisses)"), "{w}: {line:?}");
            // What is left of the message is the message's own start, whole characters only.
            let kept = shown
                .trim_start_matches(" ✗ ")
                .trim_end_matches("…  (Esc dismisses)");
            assert!(msg.starts_with(kept), "{w}: {kept:?}");
        }
    }
    // Too narrow for a useful message beside the hint: the message goes first, marked cut.
    let line = row_text(&draw_error(msg, 24), 1);
    assert!(
        line.starts_with(" ✗ corpus file") && line.contains('…'),
        "{line:?}"
    );
}

/// The state line cut at the terminal's width ends with `…`, never half a wide character,
/// and the gauge row drops the run id rather than show part of it.
#[test]
fn the_status_line_is_cut_with_a_mark_and_the_run_id_whole_or_not_at_all() {
    let mut s = StatusState::new(10);
    s.device = "가속기 한국어 장치 이름 · fused".into();
    s.run_dir = Some("/data/runs/20261129-053000-a3f9".into());
    for w in 30u16..=140 {
        let buf = draw_status(&s, w);
        let line = row_text(&buf, 0);
        assert!(width(&line) <= w as usize, "{w}: {line:?}");
        let shown = line.trim_end();
        // Either the whole line, up to the clip share, or a line marked as cut.
        assert!(
            shown.ends_with("clipped –") || shown.ends_with("clip –") || shown.ends_with('…'),
            "{w}: {line:?}"
        );
        if w < 60 {
            assert!(shown.ends_with('…'), "{w}: {line:?}");
        }
        let gauge = row_text(&buf, 1);
        let id = "run 20261129-053000-a3f9";
        if w >= 50 {
            assert!(gauge.contains(id), "{w}: {gauge:?}");
        } else {
            assert!(!gauge.contains("run 2026"), "{w}: {gauge:?}");
            assert!(gauge.contains("of 10 epochs"), "{w}: {gauge:?}");
        }
    }
}

/// At 120 columns a long device name ("cpu (auto) · fused", epoch 2/1000) is said shorter
/// rather than cutting the clip figure at the end of the line.
#[test]
fn the_status_line_shortens_the_device_before_it_cuts_a_figure() {
    use rnn_tui::hparams::{Field, HParams};
    use rnn_tui::tui::App;
    let mut hp = HParams::default();
    hp.set(Field::Epochs, "1000").unwrap();
    let mut a = App::new(hp, theme());
    fixtures::ready_app(&mut a);
    fixtures::feed_training(&mut a, 47);
    a.status.device = "cpu (auto) · fused".into();
    for (w, device) in [(200u16, "cpu (auto) · fused"), (120, "cpu · fused")] {
        let line = row_text(&draw_status(&a.status, w), 0);
        assert!(line.contains(&format!("│ {device} │")), "{w}: {line:?}");
        assert!(line.contains("val ppl "), "{w}: {line:?}");
        assert!(
            line.trim_end().ends_with('%'),
            "{w}: the clip share: {line:?}"
        );
    }
    // Narrower: the short labels, still every figure.
    let line = row_text(&draw_status(&a.status, 90), 0);
    assert!(
        line.contains(" ep ") && line.trim_end().ends_with('%'),
        "{line:?}"
    );
}

/// A Korean completion wrapped over several lines never covers the pane's right border, at
/// any width (ratatui's own word wrap put a two-column character in the last column at every
/// third width).
#[test]
fn a_wrapped_korean_completion_keeps_the_completion_panes_border() {
    use rnn_tui::model::Completion;
    use rnn_tui::tui::panels::completion::{self, CompletionState};

    let tokens: Vec<String> =
        "점순이가 또 우리 수탉을 잡아다가 가두고 닭싸움을 붙였다 나는 울타리 밑에서"
            .chars()
            .map(String::from)
            .collect();
    let pane = CompletionState {
        prefix: "점순이가".into(),
        completion: Some(Completion {
            prefix_len: 4,
            hidden: vec![vec![0.0; 2]; tokens.len()],
            tokens,
        }),
        ..CompletionState::default()
    };
    let t = theme();
    for w in 20..60u16 {
        let mut term = Terminal::new(TestBackend::new(w, 8)).unwrap();
        term.draw(|f| {
            let ctx = Ctx {
                theme: &t,
                focused: false,
                key: Some('2'),
                width: w,
            };
            Panel::draw(&pane, f, f.area(), ctx, completion::Shows::default());
        })
        .unwrap();
        let buf = term.backend().buffer().clone();
        for y in 1..7 {
            assert_eq!(
                at(&buf, w - 1, y),
                "│",
                "width {w}, line {y}: {}",
                row_text(&buf, y)
            );
        }
        // The continuation is all there, in order, over the wrapped lines.
        let text: String = (1..7).map(|y| row_text(&buf, y)).collect::<String>();
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect();
        assert!(
            compact.contains("점순이가또우리수탉을"),
            "width {w}: {compact}"
        );
    }
}
