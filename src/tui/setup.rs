//! The setup wizard, shown first when no Odoo connection is configured:
//! Odoo URL and database, a connection test, MCP on, the first models (the
//! Add Resources wizard), the first credential (the credential form), and
//! the Claude Desktop config to paste.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use super::screen::Screen;
use super::settings::SettingsScreen;
use super::widgets::{Input, bold, form_line};
use crate::admin::api::{ApiResult, GetStatus, SetSetting, ShowSettings, Status};
use crate::bridge::{DesktopEntry, SERVER_NAME};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

pub const STEPS: [&str; 6] =
    ["Odoo URL and database", "Connection test", "Enable MCP", "Pick models", "First credential", "Claude Desktop"];

#[derive(Debug, Default)]
pub struct SetupScreen {
    pub step: usize,
    pub url: Input,
    pub database: Input,
    /// 0 URL, 1 database, 2 the Save button.
    pub focus: usize,
    pub editing: bool,
    pub error: Option<String>,
    /// Settings saves still awaited in step 1.
    saving: usize,
    /// The screen the wizard handed over to, until it reports success.
    waiting: Option<ScreenId>,
}

impl SetupScreen {
    pub fn waiting_for(&self, screen: ScreenId) -> bool {
        self.waiting == Some(screen)
    }

    /// The screen handed over to is done: the next step.
    pub fn advance(&mut self) {
        self.waiting = None;
        self.step = (self.step + 1).min(STEPS.len() - 1);
    }

    fn save_connection(&mut self, ctx: &mut Ctx) {
        for (key, input) in [("odoo_url", &self.url), ("odoo_database", &self.database)] {
            if let Err(e) = SettingsScreen::check(key, &input.text) {
                self.error = Some(e);
                return;
            }
        }
        self.error = None;
        self.saving = 2;
        for (key, input) in [("odoo_url", &self.url), ("odoo_database", &self.database)] {
            let save = SetSetting { key: key.into(), value: input.text.trim().into() };
            ctx.out.send(Tag::SaveSetting(key.into()), save);
        }
    }
}

impl Screen for SetupScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Setup
    }

    fn help(&self) -> &'static [&'static str] {
        &["Enter    next / edit · s skip · b back · Esc leave"]
    }

    fn keys(&self) -> String {
        if self.editing {
            "type · Enter done · Esc cancel".into()
        } else {
            "Enter next/edit · s skip · b back · Esc leave the wizard".into()
        }
    }

    fn typing(&self) -> bool {
        self.editing
    }

    /// Entering the wizard: fill in what is configured already.
    fn on_enter(&mut self, ctx: &mut Ctx) {
        self.waiting = None;
        if self.url.text.is_empty() {
            self.url.set(&ctx.data.setting("odoo_url"));
        }
        if self.database.text.is_empty() {
            self.database.set(&ctx.data.setting("odoo_database"));
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if self.editing {
            match key.code {
                KeyCode::Enter | KeyCode::Esc | KeyCode::Tab => self.editing = false,
                _ => {
                    let (key_name, input) = if self.focus == 0 {
                        ("odoo_url", &mut self.url)
                    } else {
                        ("odoo_database", &mut self.database)
                    };
                    input.on_key(key);
                    self.error = SettingsScreen::check(key_name, &input.text).err();
                }
            }
            return Action::None;
        }
        match (self.step, key.code) {
            (_, KeyCode::Esc) => return Action::Go(ScreenId::Home),
            (_, KeyCode::Char('s')) | (_, KeyCode::Right) => self.step = (self.step + 1).min(STEPS.len() - 1),
            (_, KeyCode::Left) | (_, KeyCode::Char('b')) => self.step = self.step.saturating_sub(1),
            (0, KeyCode::Up | KeyCode::Char('k')) => self.focus = self.focus.saturating_sub(1),
            (0, KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab) => self.focus = (self.focus + 1).min(2),
            (0, KeyCode::Enter) if self.focus < 2 => self.editing = true,
            (0, KeyCode::Enter) => self.save_connection(ctx),
            (1, KeyCode::Char('t')) => ctx.out.send(Tag::Status, GetStatus {}),
            (1, KeyCode::Enter) => self.step = 2,
            (2, KeyCode::Char('y') | KeyCode::Enter) => {
                let turn_on = SetSetting { key: "enable_mcp".into(), value: "on".into() };
                ctx.out.send(Tag::SaveSetting("enable_mcp".into()), turn_on);
                self.saving = 1;
            }
            (2, KeyCode::Char('n')) => self.step = 3,
            (3, KeyCode::Enter) => {
                self.waiting = Some(ScreenId::Resources);
                return Action::Go(ScreenId::Resources);
            }
            (4, KeyCode::Enter) => {
                self.waiting = Some(ScreenId::Credentials);
                return Action::Go(ScreenId::Credentials);
            }
            (5, KeyCode::Enter) => return Action::Go(ScreenId::Home),
            _ => return Action::Unhandled,
        }
        Action::None
    }

    /// A save of this wizard answered.
    fn on_reply(&mut self, _tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        ctx.out.send(Tag::Settings, ShowSettings {});
        match result {
            Err(e) => {
                self.saving = 0;
                self.error = Some(e.message.clone());
                Some(format!("not saved: {}", e.message))
            }
            Ok(_) => {
                self.saving = self.saving.saturating_sub(1);
                if self.saving == 0 {
                    ctx.out.send(Tag::Status, GetStatus {});
                    self.step += 1;
                }
                None
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        let status = data.status.as_ref();
        let mut lines = vec![
            Line::styled(format!("Step {} of {}: {}", self.step + 1, STEPS.len(), STEPS[self.step]), bold()),
            Line::from(""),
        ];
        match self.step {
            0 => {
                lines.push(form_line("Odoo URL", self.url.shown(self.editing && self.focus == 0), self.focus == 0));
                lines.push(form_line(
                    "Database",
                    self.database.shown(self.editing && self.focus == 1),
                    self.focus == 1,
                ));
                lines.push(form_line("[ Save and test ]", String::new(), self.focus == 2));
                lines.push(Line::from(""));
                lines.push(Line::from("e.g. https://odoo.example.com and the database name."));
            }
            1 => {
                let shown = |v: &Option<String>| v.clone().unwrap_or_default();
                let state = match status.map(|s| &s.odoo) {
                    Some(o) if o.connected => {
                        format!("Connected: Odoo {} over {}", shown(&o.version), shown(&o.protocol))
                    }
                    Some(o) => format!("Not connected: {}", shown(&o.message)),
                    None => "Testing…".into(),
                };
                lines.push(Line::from(state));
                lines.push(Line::from(""));
                lines.push(Line::from("t test again · Enter next · b back"));
            }
            2 => {
                let on = status.is_some_and(|s| s.mcp_enabled);
                lines.push(Line::from(format!("MCP access is {}.", if on { "on" } else { "off" })));
                lines.push(Line::from("Turn it on now? y / n"));
            }
            3 => {
                lines.push(Line::from("AI clients see only the models you enable as resources."));
                lines.push(Line::from("Enter: open the Add Resources wizard · s skip"));
            }
            4 => {
                lines.push(Line::from("A credential ties an Odoo user's API key to a scope and an expiry."));
                lines.push(Line::from("Enter: create the first credential · s skip"));
            }
            _ => lines.extend(desktop_lines(status).into_iter().map(Line::from)),
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(""));
            lines.push(Line::styled(format!("! {e}"), bold()));
        }
        lines.push(Line::from(""));
        lines.push(Line::from("s skip · b back · Esc leave the wizard"));
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(" Setup wizard ")),
            area,
        );
    }
}

/// Stands for the user's own key in the configs shown.
pub const KEY_PLACEHOLDER: &str = "YOUR_ODOO_API_KEY";

/// The last step: this daemon's MCP URL (as it reports it) and the Claude
/// Desktop entry for it, with the official bridge and with `alpenglow bridge`.
pub fn desktop_lines(status: Option<&Status>) -> Vec<String> {
    let Some(gateway) = status.and_then(|s| s.gateway.as_ref()) else {
        return vec![
            "This daemon does not report its address: use its URL (https://HOST:PORT)".into(),
            format!("as --url in a Claude Desktop entry named {SERVER_NAME} (see the README)."),
            "Enter: done".into(),
        ];
    };
    let base = gateway.url.as_str();
    let mut lines = vec![
        format!("MCP URL: {}", gateway.mcp_url),
        format!("Server {SERVER_NAME} in claude_desktop_config.json; put the user's Odoo"),
        format!("API key for {KEY_PLACEHOLDER}, and behind a proxy its public URL:"),
    ];
    for entry in DesktopEntry::both(base, KEY_PLACEHOLDER) {
        lines.push(format!("With {}:", entry.label));
        lines.extend(entry_lines(&entry));
    }
    lines.push("Enter: done".into());
    lines
}

/// One entry as JSON on three short lines (fits 80 columns, pastes as is).
pub fn entry_lines(entry: &DesktopEntry) -> Vec<String> {
    let quoted =
        |items: &[String]| items.iter().map(|a| Value::from(a.as_str()).to_string()).collect::<Vec<_>>().join(", ");
    let split = entry.args.iter().position(|a| a == "--token").unwrap_or(entry.args.len());
    vec![
        format!(
            "{{\"mcpServers\": {{{}: {{\"command\": {}, \"args\": [",
            Value::from(SERVER_NAME),
            Value::from(entry.command)
        ),
        format!("  {},", quoted(&entry.args[..split])),
        format!("  {}]}}}}}}", quoted(&entry.args[split..])),
    ]
}
