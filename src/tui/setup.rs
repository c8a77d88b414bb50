//! The setup wizard, shown first when no Odoo connection is configured:
//! Odoo URL and database, a connection test, the service key, Require
//! Credential, the first models (the Add Resources wizard), the first
//! credential (the credential form), MCP on (only once a credential can get
//! in), and the client configuration as one line to paste.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use super::screen::Screen;
use super::settings::SettingsScreen;
use super::widgets::{Input, bold, form_line};
use crate::admin::api::{ApiResult, GetStatus, SetSetting, ShowSettings, Status};
use crate::bridge::{McpClient, SERVER_NAME, client_config};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

pub const STEPS: [&str; 8] = [
    "Odoo URL and database",
    "Connection test",
    "Service key",
    "Require Credential",
    "Pick models",
    "First credential",
    "Enable MCP",
    "Client configuration",
];
// Steps by what they do, for the key handling and drawing.
const CONNECTION: usize = 0;
const TEST: usize = 1;
const SERVICE_KEY: usize = 2;
const REQUIRE: usize = 3;
const MODELS: usize = 4;
const CREDENTIAL: usize = 5;
const ENABLE: usize = 6;

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

    /// Saves one switch; the answer moves to the next step.
    fn save(&mut self, key: &str, value: &str, ctx: &mut Ctx) {
        self.error = None;
        self.saving = 1;
        ctx.out.send(Tag::SaveSetting(key.into()), SetSetting { key: key.into(), value: value.into() });
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
            (_, KeyCode::Char('s')) | (_, KeyCode::Right) => {
                self.error = None;
                self.step = (self.step + 1).min(STEPS.len() - 1)
            }
            (_, KeyCode::Left) | (_, KeyCode::Char('b')) => {
                self.error = None;
                self.step = self.step.saturating_sub(1)
            }
            (CONNECTION, KeyCode::Up | KeyCode::Char('k')) => self.focus = self.focus.saturating_sub(1),
            (CONNECTION, KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab) => self.focus = (self.focus + 1).min(2),
            (CONNECTION, KeyCode::Enter) if self.focus < 2 => self.editing = true,
            (CONNECTION, KeyCode::Enter) => self.save_connection(ctx),
            (TEST, KeyCode::Char('t')) => ctx.out.send(Tag::Status, GetStatus {}),
            (TEST | SERVICE_KEY, KeyCode::Enter) => self.step += 1,
            (REQUIRE, KeyCode::Char('y' | 'n')) => {
                let value = if key.code == KeyCode::Char('y') { "on" } else { "off" };
                self.save("require_credential", value, ctx);
            }
            (REQUIRE, KeyCode::Enter) => self.step += 1,
            (MODELS, KeyCode::Enter) => {
                self.waiting = Some(ScreenId::Resources);
                return Action::Go(ScreenId::Resources);
            }
            (CREDENTIAL, KeyCode::Enter) => {
                self.waiting = Some(ScreenId::Credentials);
                return Action::Go(ScreenId::Credentials);
            }
            (ENABLE, KeyCode::Char('y')) => match nobody_gets_in(ctx.data) {
                Some(_) => self.error = Some("MCP stays off until a credential exists (b back to make one)".into()),
                None => self.save("enable_mcp", "on", ctx),
            },
            (ENABLE, KeyCode::Char('n') | KeyCode::Enter) => self.step += 1,
            (_, KeyCode::Enter) if self.step == STEPS.len() - 1 => return Action::Go(ScreenId::Home),
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
        let title = Line::styled(format!("Step {} of {}: {}", self.step + 1, STEPS.len(), STEPS[self.step]), bold());
        let mut lines = vec![title.clone(), Line::from("")];
        match self.step {
            CONNECTION => {
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
            TEST => {
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
            SERVICE_KEY => {
                if status.and_then(|s| s.odoo.service_key).unwrap_or(false) {
                    lines.push(Line::from("The gateway has a service key: the model, field and user pickers"));
                    lines.push(Line::from("list what Odoo has."));
                } else {
                    lines.push(Line::from("No service key: the pickers cannot list Odoo's models, fields and"));
                    lines.push(Line::from("users, so names are typed. To add one, put an Odoo API key as"));
                    lines.push(Line::from("  service_key = \"...\"   under [odoo] in the config file (mode 0600),"));
                    lines.push(Line::from("or as the systemd credential odoo_service_key; then restart."));
                }
                lines.push(Line::from(""));
                lines.push(Line::from("Enter next · b back"));
            }
            REQUIRE => {
                let on = data.setting("require_credential") == "on";
                lines.push(Line::from(format!("Require Credential is {}.", if on { "on" } else { "off" })));
                lines.push(Line::from("On: only API keys with a credential get in, with its scope and expiry."));
                lines.push(Line::from("Off: any Odoo user's API key gets in as that user, unlimited."));
                lines.push(Line::from(""));
                lines.push(Line::from("Require a credential for every key? y on (recommended) · n off"));
                lines.push(Line::from("Enter keeps it as it is."));
            }
            MODELS => {
                lines.push(Line::from("AI clients see only the models you enable as resources."));
                lines.push(Line::from("Enter: open the Add Resources wizard · s skip"));
            }
            CREDENTIAL => {
                lines.push(Line::from("A credential ties an Odoo user's API key to a scope and an expiry."));
                lines.push(Line::from("Enter: create the first credential · s skip"));
            }
            ENABLE => {
                let on = status.is_some_and(|s| s.mcp_enabled);
                lines.push(Line::from(format!("MCP access is {}.", if on { "on" } else { "off" })));
                if let Some(why) = nobody_gets_in(data) {
                    lines.push(Line::from(format!("Not yet: {why}.")));
                }
                lines.push(Line::from("Turn it on now? y / n"));
            }
            _ => {
                // No box: the configuration is copied from the screen, and
                // borders would come with it.
                let mut lines = vec![title];
                lines.extend(desktop_lines(status).into_iter().map(Line::from));
                frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
                return;
            }
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

/// Why turning MCP on now would let nobody in: Require Credential is on and
/// no credential is active yet.
fn nobody_gets_in(data: &Data) -> Option<&'static str> {
    let none_active = data.status.as_ref().is_some_and(|s| s.credentials_active == 0);
    (data.setting("require_credential") == "on" && none_active)
        .then_some("Require Credential is on and no credential exists, so every client would be refused")
}

/// Stands for the user's own key in the configs shown.
pub const KEY_PLACEHOLDER: &str = "YOUR_ODOO_API_KEY";

/// The last step: this daemon's MCP URL (as it reports it), the command
/// that prints any client's configuration, and the Claude Desktop entry as
/// one line (it wraps between tokens, so copied rows still parse).
pub fn desktop_lines(status: Option<&Status>) -> Vec<String> {
    let Some(gateway) = status.and_then(|s| s.gateway.as_ref()) else {
        return vec![
            "This daemon does not report its address: use its URL (https://HOST:PORT)".into(),
            format!("as --url in a Claude Desktop entry named {SERVER_NAME} (see the README)."),
            "Enter: done".into(),
        ];
    };
    let desktop = client_config(McpClient::ClaudeDesktop, None, &gateway.url, KEY_PLACEHOLDER);
    vec![
        format!("MCP URL: {}", gateway.mcp_url),
        String::new(),
        "Any client's configuration, ready to paste, from a shell here:".into(),
        "  alpenglow client-config claude-desktop|claude-code|cursor|vscode".into(),
        String::new(),
        format!("Claude Desktop ({}), with the official bridge:", desktop.place),
        desktop.text,
        String::new(),
        format!("Put the user's Odoo API key for {KEY_PLACEHOLDER}; behind a proxy, its public URL."),
        String::new(),
        "Enter done · b back · Esc leave the wizard".into(),
    ]
}
