//! The frame around the screens: the tab bar, the status line (spinner,
//! last message, key hints) and the help overlay. Drawing reads the app's
//! state and never changes it.

use super::app::{App, ScreenId};
use super::screen::Screen;
use super::widgets::{alert, bold, centered, fit, selected, stale};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

const SPINNER: [&str; 4] = ["|", "/", "-", "\\"];

const BRAND: &str = "Alpenglow ";

/// The frame's rows: the tab bar, the screen, the status line.
pub fn layout(area: Rect) -> [Rect; 3] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(5), Constraint::Length(1)]).areas(area)
}

/// A tab's label; the current one swaps its spaces for brackets (same width).
fn tab_label(index: usize, screen: ScreenId, current: bool) -> String {
    let label = format!(" {}:{} ", index + 1, screen.tab());
    if current { format!("[{}]", label.trim()) } else { label }
}

/// The tab under `column` of the tab bar.
pub fn tab_at(column: u16) -> Option<ScreenId> {
    let mut x = BRAND.len() as u16;
    for (i, screen) in ScreenId::TABS.iter().enumerate() {
        let width = tab_label(i, *screen, false).chars().count() as u16;
        if (x..x + width).contains(&column) {
            return Some(*screen);
        }
        x += width;
    }
    None
}

/// The smallest terminal the screens are drawn in; below it, a notice.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 20;

/// Whether the screens fit in `area`.
pub fn fits(area: Rect) -> bool {
    area.width >= MIN_WIDTH && area.height >= MIN_HEIGHT
}

/// The status line when no message is shown: the keys that work now.
pub fn footer(app: &App) -> String {
    let shown = app.current();
    let keys = shown.keys();
    if shown.modal() {
        return keys;
    }
    let global = "? help · q quit";
    if keys.is_empty() { global.to_string() } else { format!("{keys} · {global}") }
}

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App) {
    if !fits(frame.area()) {
        let area = frame.area();
        let text = format!(
            "terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT}, this one is {}x{}): make it larger, or q to quit",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [tabs, body, status] = layout(frame.area());
    let mut spans = vec![Span::styled(BRAND, bold())];
    for (i, screen) in ScreenId::TABS.iter().enumerate() {
        // Brackets mark the current tab without colour; reverse video with.
        let current = *screen == app.screen;
        let label = tab_label(i, *screen, current);
        spans.push(if current { Span::styled(label, selected()) } else { Span::raw(label) });
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);

    app.current().draw(frame, body, &app.data);
    if let Some(why) = &app.disconnected {
        // Stale: greyed out, under a banner on the box's top border.
        frame.buffer_mut().set_style(body, stale());
        let banner = format!(" ! disconnected from the daemon, retrying · shown data may be stale · {why} ");
        let row = Rect { height: 1, ..body };
        frame.render_widget(Paragraph::new(fit(&banner, row.width as usize)).style(alert()), row);
    }

    // One place for messages, errors in the alert style; else the keys.
    let spinner = if app.busy() { SPINNER[(app.tick % 4) as usize] } else { " " };
    let (text, style) = match &app.message {
        Some(message) if app.message_is_error => (format!("! {message}"), alert()),
        Some(message) => (message.clone(), Style::default()),
        None => (footer(app), Style::default()),
    };
    let text = fit(&text, (status.width as usize).saturating_sub(2));
    let line = Line::from(vec![Span::raw(format!("{spinner} ")), Span::styled(text, style)]);
    frame.render_widget(Paragraph::new(line), status);

    if app.help {
        draw_help(frame, app);
    }
}

/// Keys of the screen shown, then the ones that work everywhere: the same
/// scheme on every screen (a add, Enter/e edit, d remove, x export, / search).
pub fn help_lines(screen: &dyn Screen) -> Vec<String> {
    let mut lines: Vec<String> = screen.help().iter().map(|l| l.to_string()).collect();
    lines.extend(
        [
            "",
            "↑↓ / j k  move · PgUp PgDn · g G first/last",
            "Ctrl-R (F5)  refresh · d asks y/N before removing anything",
            "mouse    click a tab, a quick action or a row · wheel moves",
            "1-6 or Tab  switch screen · Esc clears a search, then goes back",
            "?  this help · q quit · Ctrl-C quit anywhere",
        ]
        .map(String::from),
    );
    lines
}

fn draw_help(frame: &mut Frame, app: &App) {
    let shown = app.current();
    let mut lines: Vec<Line> = vec![Line::styled(format!("now: {}", footer(app)), bold()), Line::from("")];
    lines.extend(help_lines(shown).into_iter().map(Line::from));
    let area = centered(frame.area(), 72, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let title = format!(" Help: {} (any key closes) ", shown.title());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}
