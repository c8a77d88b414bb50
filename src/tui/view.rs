//! The frame around the screens: the tab bar, the status line (spinner,
//! last message, key hints) and the help overlay. Drawing reads the app's
//! state and never changes it.

use super::app::{App, ScreenId};
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

    match app.screen {
        ScreenId::Home => app.home.draw(frame, body, &app.data),
        ScreenId::Settings => app.settings.draw(frame, body, &app.data),
        ScreenId::Resources => app.resources.draw(frame, body, &app.data),
        ScreenId::Credentials => app.credentials.draw(frame, body, &app.data),
        ScreenId::Audit => app.audit.draw(frame, body),
        ScreenId::Sessions => app.sessions.draw(frame, body),
        ScreenId::Setup => app.setup.draw(frame, body, app.data.status.as_ref()),
    }

    let spinner = if app.busy() { SPINNER[(app.tick % 4) as usize] } else { " " };
    let message = app.message.clone().unwrap_or_else(|| "? help · Tab next screen · Esc back · q quit".into());
    let line = format!("{spinner} {message}");
    frame.render_widget(Paragraph::new(fit(&line, status.width as usize)), status);

    if app.help {
        draw_help(frame, app);
    }
}

/// Keys of the screen shown, then the ones that work everywhere.
pub fn help_lines(screen: ScreenId) -> Vec<&'static str> {
    let own: &[&str] = match screen {
        ScreenId::Home => &[
            "m        turn MCP access on or off",
            "s r c a n  Settings, Resources, Credentials, Audit, Sessions",
            "w        setup wizard",
        ],
        ScreenId::Settings => {
            &["Enter/e  edit the setting (switches flip)", "Esc      cancel the edit", "/        search"]
        }
        ScreenId::Resources => &[
            "a        Add Resources wizard (several models, one permission set)",
            "e/Enter  edit · d delete",
            "Ctrl-S   save a form · Space toggles",
            "/        search",
        ],
        ScreenId::Credentials => &[
            "n        new credential (user, key, scope, expiry, company)",
            "x        revoke (asks first)",
            "Ctrl-S   create · /  search",
        ],
        ScreenId::Audit => &[
            "f        filters · / text filter",
            "l        live tail on/off · g refresh",
            "Tab      detail pane · x export to a file (asks where)",
        ],
        ScreenId::Sessions => &["e        end the selected session · g refresh"],
        ScreenId::Setup => &["Enter    next / edit · s skip · b back · Esc leave"],
    };
    let mut lines = own.to_vec();
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
    let lines: Vec<Line> = help_lines(app.screen).into_iter().map(Line::from).collect();
    let area = centered(frame.area(), 72, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let title = format!(" Help: {} (any key closes) ", app.screen.title());
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(title)), area);
}
