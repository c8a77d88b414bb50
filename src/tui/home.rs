//! Home: MCP on or off, Odoo's connection and version, the traffic numbers
//! the daemon records, and quick-action keys to every screen.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use super::screen::{Click, Screen};
use super::settings::needs_confirming;
use super::widgets::{alert, bold, confirm, fit};
use crate::admin::api::{GetStatus, SetSetting, ShowSettings};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

#[derive(Debug, Default)]
pub struct HomeScreen {
    /// `m` asked to turn MCP off: waiting for y.
    pub confirming_off: bool,
}

/// The quick actions: key, screen. None is a key of the one scheme (`a` is
/// add everywhere, `d` remove, `e` edit, `x` export): the audit log is `l`.
pub const QUICK: &[(char, ScreenId)] = &[
    ('s', ScreenId::Settings),
    ('r', ScreenId::Resources),
    ('c', ScreenId::Credentials),
    ('l', ScreenId::Audit),
    ('n', ScreenId::Sessions),
    ('w', ScreenId::Setup),
    ('o', ScreenId::OAuth),
    ('p', ScreenId::Approvals),
];

impl Screen for HomeScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Home
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "m        turn MCP access on or off (off asks first)",
            "s r c l n  Settings, Resources, Credentials, audit Log, Sessions",
            "w        setup wizard · o  remote connectors (OAuth grants, clients)",
            "p        approvals: writes waiting for a decision",
        ]
    }

    /// Home shows the settings' warnings: they change elsewhere too.
    fn live(&self) -> Option<Tag> {
        Some(Tag::Settings)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        ctx.out.send(Tag::Settings, ShowSettings {});
    }

    fn keys(&self) -> String {
        if self.confirming_off { "y yes · n/Esc no".into() } else { "m MCP on/off · s r c l n w go to".into() }
    }

    fn modal(&self) -> bool {
        self.confirming_off
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if std::mem::take(&mut self.confirming_off) {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                return turn_mcp(ctx, "off");
            }
            return Action::Say("MCP access unchanged".into());
        }
        if let KeyCode::Char(c) = key.code {
            if let Some((_, screen)) = QUICK.iter().find(|(k, _)| *k == c) {
                return Action::Go(*screen);
            }
            if c == 'm' {
                // Turning it off cuts every client off: asked first.
                if ctx.data.status.as_ref().is_some_and(|s| s.mcp_enabled) {
                    self.confirming_off = true;
                    return Action::None;
                }
                return turn_mcp(ctx, "on");
            }
        }
        Action::Unhandled
    }

    /// The screen whose quick action is clicked, if any.
    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        match self.quick_action_at(column, row, area) {
            Some(screen) => Click::Go(screen),
            None => Click::None,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        frame.render_widget(Block::bordered().title(" Home "), area);
        let [content, quick] = areas(area);
        Self::draw_quick(frame, quick);
        let Some(status) = &data.status else {
            frame.render_widget(Paragraph::new("Asking the daemon…"), content);
            return;
        };
        let odoo = &status.odoo;
        let shown = |v: &Option<String>| v.clone().unwrap_or_default();
        let odoo_line = if odoo.connected {
            format!("connected · Odoo {} · {}", shown(&odoo.version), shown(&odoo.protocol))
        } else if !odoo.configured {
            "not configured (w: setup wizard)".to_string()
        } else {
            format!("NOT CONNECTED: {}", shown(&odoo.message))
        };
        let traffic = status.traffic.as_ref();
        let number = |read: fn(&crate::admin::api::Traffic) -> usize| -> String {
            traffic.map_or_else(|| "n/a".into(), |t| read(t).to_string())
        };
        let row = |label: &str, value: String| {
            Line::from(vec![Span::styled(format!("  {label:<22}"), bold()), Span::raw(value)])
        };
        let mcp = if status.mcp_enabled { "ON  (m: turn off)" } else { "OFF (m: turn on)" };
        let mcp_url = status.gateway.as_ref().map(|g| g.mcp_url.clone());
        let mut lines = vec![
            Line::from(""),
            row("MCP access", mcp.into()),
            row("Odoo", odoo_line),
            row("Odoo URL", format!("{} (database {})", or_dash(&odoo.url), or_dash(&odoo.database))),
            row("MCP URL", or_dash(&mcp_url)),
            row("Traffic (req/minute)", number(|t| t.requests_per_minute)),
            row("Errors (last hour)", number(|t| t.errors_last_hour)),
            row("Active sessions", number(|t| t.active_sessions)),
            row("Rate-limit refusals", number(|t| t.rate_limited_last_hour)),
            row(
                "Configured",
                format!("{} resources · {} active credentials", status.resources, status.credentials_active),
            ),
            row("Daemon", format!("{} · up {}", status.mode, uptime(status.uptime_seconds))),
        ];
        match status.approvals_waiting {
            Some(0) | None => {}
            Some(n) => {
                let calls = if n == 1 { "1 call waits" } else { &format!("{n} calls wait") };
                lines.insert(2, Line::styled(format!("  {:<22}{calls} for a decision (p)", "Approvals"), alert()));
            }
        }
        if traffic.is_none() {
            lines.push(Line::from("  (n/a: this daemon does not record traffic yet)"));
        }
        if odoo.service_key == Some(false) {
            lines.push(Line::from("  No Odoo service key: no model, field or user lists."));
        }
        // One line each so the quick actions stay on screen; Settings shows them whole.
        let width = content.width as usize;
        for warning in &data.warnings {
            lines.push(Line::styled(fit(&format!("  ! warning: {warning}"), width), alert()));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), content);
        if self.confirming_off {
            confirm(frame, area, &needs_confirming("enable_mcp", "off").unwrap_or_default());
        }
    }
}

fn turn_mcp(ctx: &mut Ctx, value: &str) -> Action {
    let turn = SetSetting { key: "enable_mcp".into(), value: value.into() };
    ctx.out.send(Tag::SaveSetting("enable_mcp".into()), turn);
    ctx.out.send(Tag::Status, GetStatus {});
    Action::Say(format!("turning MCP access {value}…"))
}

impl HomeScreen {
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
    pub fn quick_action_at(&self, column: u16, row: u16, area: Rect) -> Option<ScreenId> {
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

fn or_dash(v: &Option<String>) -> String {
    match v.as_deref() {
        None | Some("") => "-".into(),
        Some(t) => t.to_string(),
    }
}

fn uptime(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
