//! Home: MCP on or off, Odoo's connection and version, the traffic numbers
//! the daemon records, and quick-action keys to every screen.

use super::app::{Action, Ctx, Data, ScreenId, Tag, text};
use super::widgets::{bold, fit};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
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
        let Some(status) = &data.status else {
            frame.render_widget(Paragraph::new("Asking the daemon…").block(Block::bordered()), area);
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
        let width = area.width.saturating_sub(2) as usize;
        for warning in &data.warnings {
            lines.push(Line::styled(fit(&format!("  ! warning: {warning}"), width), bold()));
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("  Quick actions", bold())));
        let quick: Vec<String> = QUICK.iter().map(|(k, s)| format!("[{k}] {}", s.title())).collect();
        lines.push(Line::from(format!("  {}", quick[..3].join("   "))));
        lines.push(Line::from(format!("  {}", quick[3..].join("   "))));
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(" Home ")),
            area,
        );
    }
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
