//! The frame around the screens: the tab bar, the status line (spinner,
//! last message, key hints) and the help overlay. Drawing reads the app's
//! state and never changes it.

use super::app::{App, ScreenId};
use super::screen::Screen;
use super::widgets::{bold, centered, fit, selected};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
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

/// Draws the whole dashboard.
pub fn draw(frame: &mut Frame, app: &App) {
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

    let spinner = if app.busy() { SPINNER[(app.tick % 4) as usize] } else { " " };
    let message = app.message.clone().unwrap_or_else(|| "? help · Tab next screen · Esc back · q quit".into());
    let line = format!("{spinner} {message}");
    frame.render_widget(Paragraph::new(fit(&line, status.width as usize)), status);

    if app.help {
        draw_help(frame, app);
    }
}

/// Keys of the screen shown, then the ones that work everywhere.
pub fn help_lines(screen: &dyn Screen) -> Vec<&'static str> {
    let mut lines = screen.help().to_vec();
    lines.extend([
        "",
        "↑↓ / j k  move · PgUp PgDn · g G first/last",
        "mouse    click a tab, a quick action or a row · wheel moves",
        "1-6 or Tab  switch screen · Esc back",
        "?  this help · q quit · Ctrl-C quit anywhere",
    ]);
    lines
}

fn draw_help(frame: &mut Frame, app: &App) {
    let shown = app.current();
    let lines: Vec<Line> = help_lines(shown).into_iter().map(Line::from).collect();
    let area = centered(frame.area(), 72, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let title = format!(" Help: {} (any key closes) ", shown.title());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}
