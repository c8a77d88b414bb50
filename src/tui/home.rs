//! Home: MCP on or off, Odoo's connection and version, the traffic numbers
//! the daemon records, and quick-action keys to every screen.

use super::app::{Action, Ctx, Data, ScreenId, Tag, text};
use super::widgets::{bold, fit};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::{Value, json};

#[derive(Debug, Default)]
pub struct HomeScreen;

/// The quick actions: key, screen.
pub const QUICK: &[(char, ScreenId)] = &[
    ('s', ScreenId::Settings),
    ('r', ScreenId::Resources),
    ('c', ScreenId::Credentials),
    ('a', ScreenId::Audit),
    ('n', ScreenId::Sessions),
    ('w', ScreenId::Setup),
];

impl HomeScreen {
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if let KeyCode::Char(c) = key.code {
            if let Some((_, screen)) = QUICK.iter().find(|(k, _)| *k == c) {
                return Action::Go(*screen);
            }
            if c == 'm' {
                let on = ctx.data.status.as_ref().is_some_and(|s| s["mcp_enabled"] == true);
                let value = if on { "off" } else { "on" };
                ctx.out.send(
                    Tag::SaveSetting("enable_mcp".into()),
                    "settings.set",
                    json!({"key": "enable_mcp", "value": value}),
                );
                ctx.out.send(Tag::Status, "status", Value::Null);
                return Action::Say(format!("turning MCP access {value}…"));
            }
        }
        Action::Unhandled
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        frame.render_widget(Block::bordered().title(" Home "), area);
        let [content, quick] = areas(area);
        Self::draw_quick(frame, quick);
        let Some(status) = &data.status else {
            frame.render_widget(Paragraph::new("Asking the daemon…"), content);
            return;
        };
        let odoo = &status["odoo"];
        let odoo_line = if odoo["connected"] == true {
            format!("connected · Odoo {} · {}", text(&odoo["version"]), text(&odoo["protocol"]))
        } else if odoo["configured"] == false {
            "not configured (w: setup wizard)".to_string()
        } else {
            format!("NOT CONNECTED: {}", text(&odoo["message"]))
        };
        let traffic = &status["traffic"];
        let number = |key: &str| -> String {
            match &traffic[key] {
                Value::Null => "n/a".into(),
                v => text(v),
            }
        };
        let row = |label: &str, value: String| {
            Line::from(vec![Span::styled(format!("  {label:<22}"), bold()), Span::raw(value)])
        };
        let mcp = if status["mcp_enabled"] == true { "ON  (m: turn off)" } else { "OFF (m: turn on)" };
        let mut lines = vec![
            Line::from(""),
            row("MCP access", mcp.into()),
            row("Odoo", odoo_line),
            row("Odoo URL", format!("{} (database {})", or_dash(&odoo["url"]), or_dash(&odoo["database"]))),
            row("MCP URL", or_dash(&status["gateway"]["mcp_url"])),
            row("Requests per minute", number("requests_per_minute")),
            row("Errors (last hour)", number("errors_last_hour")),
            row("Active sessions", number("active_sessions")),
            row("Rate-limit refusals", number("rate_limited_last_hour")),
            row(
                "Configured",
                format!(
                    "{} resources · {} active credentials",
                    text(&status["resources"]),
                    text(&status["credentials_active"])
                ),
            ),
            row("Daemon", format!("{} · up {}", text(&status["mode"]), uptime(&status["uptime_seconds"]))),
        ];
        if traffic.is_null() {
            lines.push(Line::from("  (n/a: this daemon does not record traffic yet)"));
        }
        if odoo["service_key"] == false {
            lines.push(Line::from("  No Odoo service key: no model, field or user lists."));
        }
        // One line each so the quick actions stay on screen; Settings shows them whole.
        let width = content.width as usize;
        for warning in &data.warnings {
            lines.push(Line::styled(fit(&format!("  ! warning: {warning}"), width), bold()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), content);
    }

    /// The quick actions, in the bottom lines of the box; clickable.
    fn draw_quick(frame: &mut Frame, area: Rect) {
        let mut lines = vec![Line::from(Span::styled("  Quick actions", bold()))];
        for items in QUICK.chunks(QUICK_PER_ROW) {
            let labels: Vec<String> = items.iter().map(|(k, s)| quick_label(*k, *s)).collect();
            lines.push(Line::from(format!("  {}", labels.join(QUICK_GAP))));
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    /// The screen whose quick action is at (`column`, `row`), if any.
    pub fn click(&self, column: u16, row: u16, area: Rect) -> Option<ScreenId> {
        let quick = areas(area)[1];
        // The area's first line is its title.
        let line = row.checked_sub(quick.y + 1)? as usize;
        let items = QUICK.chunks(QUICK_PER_ROW).nth(line)?;
        let mut x = quick.x + 2;
        for (k, screen) in items {
            let width = quick_label(*k, *screen).chars().count() as u16;
            if (x..x + width).contains(&column) {
                return Some(*screen);
            }
            x += width + QUICK_GAP.len() as u16;
        }
        None
    }
}

const QUICK_PER_ROW: usize = 3;
const QUICK_GAP: &str = "   ";

fn quick_label(key: char, screen: ScreenId) -> String {
    format!("[{key}] {}", screen.title())
}

/// Inside the box: the status lines, and the quick actions at the bottom.
fn areas(area: Rect) -> [Rect; 2] {
    let rows = QUICK.len().div_ceil(QUICK_PER_ROW) as u16 + 1;
    Layout::vertical([Constraint::Min(0), Constraint::Length(rows)]).areas(Block::bordered().inner(area))
}

fn or_dash(v: &Value) -> String {
    let t = text(v);
    if t.is_empty() { "-".into() } else { t }
}

fn uptime(v: &Value) -> String {
    let s = v.as_u64().unwrap_or(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
