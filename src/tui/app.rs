//! The dashboard's state and its routing: which screen is shown, the data
//! fetched from the daemon, the requests waiting to be sent, and where each
//! key and each answer goes. No drawing and no I/O here: keys and answers go
//! in, requests come out, so the logic is tested without a terminal.

use super::audit::AuditScreen;
use super::credentials::CredentialsScreen;
use super::home::HomeScreen;
use super::resources::ResourcesScreen;
use super::sessions::SessionsScreen;
use super::settings::SettingsScreen;
use super::setup::SetupScreen;
use crate::admin_socket::ApiResult;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use serde_json::Value;
use std::collections::HashMap;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenId {
    Home,
    Settings,
    Resources,
    Credentials,
    Audit,
    Sessions,
    Setup,
}

impl ScreenId {
    pub const TABS: [ScreenId; 6] = [
        ScreenId::Home,
        ScreenId::Settings,
        ScreenId::Resources,
        ScreenId::Credentials,
        ScreenId::Audit,
        ScreenId::Sessions,
    ];

    /// The short name in the tab bar (all six fit in 80 columns).
    pub fn tab(self) -> &'static str {
        match self {
            ScreenId::Audit => "Audit",
            other => other.title(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ScreenId::Home => "Home",
            ScreenId::Settings => "Settings",
            ScreenId::Resources => "Resources",
            ScreenId::Credentials => "Credentials",
            ScreenId::Audit => "Audit log",
            ScreenId::Sessions => "Sessions",
            ScreenId::Setup => "Setup",
        }
    }
}

/// What an answer is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Status,
    Settings,
    Resources,
    Credentials,
    Models,
    Fields(String),
    Users,
    SaveSetting(String),
    SaveResource,
    RemoveResource,
    CreateCredential,
    RevokeCredential,
    Audit,
    ExportAudit,
    Sessions,
    EndSession,
}

/// One admin API request.
#[derive(Debug, Clone)]
pub struct Request {
    pub tag: Tag,
    pub op: String,
    pub args: Value,
}

/// One answer.
#[derive(Debug)]
pub struct Reply {
    pub tag: Tag,
    pub result: ApiResult<Value>,
}

/// Something fetched from the daemon.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loadable<T> {
    #[default]
    NotAsked,
    Loading,
    Ready(T),
    Failed(String),
}

impl<T> Loadable<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Loadable::Ready(v) => Some(v),
            _ => None,
        }
    }
}

/// One field of a model: (name, label, type).
pub type FieldInfo = (String, String, String);

/// What the screens share: the daemon's data as last fetched.
#[derive(Debug, Default)]
pub struct Data {
    pub status: Option<Value>,
    pub settings: Vec<Value>,
    pub warnings: Vec<String>,
    pub resources: Vec<Value>,
    pub credentials: Vec<Value>,
    /// Odoo's models: (technical name, label).
    pub models: Loadable<Vec<(String, String)>>,
    /// Each model's fields.
    pub fields: HashMap<String, Loadable<Vec<FieldInfo>>>,
    /// Odoo's internal users: (id, login, name).
    pub users: Loadable<Vec<(u32, String, String)>>,
}

/// Requests the screens want sent.
#[derive(Debug, Default)]
pub struct Outbox(pub Vec<Request>);

impl Outbox {
    pub fn send(&mut self, tag: Tag, op: &str, args: Value) {
        self.0.push(Request { tag, op: op.to_string(), args });
    }
}

/// What a screen gets when it handles a key or an answer.
pub struct Ctx<'a> {
    pub data: &'a mut Data,
    pub out: &'a mut Outbox,
}

impl Ctx<'_> {
    /// Asks for Odoo's model list once.
    pub fn want_models(&mut self) {
        if matches!(self.data.models, Loadable::NotAsked | Loadable::Failed(_)) {
            self.data.models = Loadable::Loading;
            self.out.send(Tag::Models, "odoo.models", Value::Null);
        }
    }

    /// Asks for a model's fields once.
    pub fn want_fields(&mut self, model: &str) {
        let entry = self.data.fields.entry(model.to_string()).or_default();
        if matches!(entry, Loadable::NotAsked | Loadable::Failed(_)) {
            *entry = Loadable::Loading;
            self.out.send(Tag::Fields(model.to_string()), "odoo.fields", serde_json::json!({"model": model}));
        }
    }

    pub fn want_users(&mut self) {
        if matches!(self.data.users, Loadable::NotAsked | Loadable::Failed(_)) {
            self.data.users = Loadable::Loading;
            self.out.send(Tag::Users, "odoo.users", Value::Null);
        }
    }
}

/// What a screen asks of the app after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Handled.
    None,
    /// Not a key this screen uses: the app's global keys apply.
    Unhandled,
    Go(ScreenId),
    /// A message for the status line.
    Say(String),
}

/// The whole dashboard.
pub struct App {
    pub screen: ScreenId,
    pub home: HomeScreen,
    pub settings: SettingsScreen,
    pub resources: ResourcesScreen,
    pub credentials: CredentialsScreen,
    pub audit: AuditScreen,
    pub sessions: SessionsScreen,
    pub setup: SetupScreen,
    pub data: Data,
    pub help: bool,
    pub message: Option<String>,
    pub quit: bool,
    /// Answers still awaited (the spinner turns while any is).
    pub pending: Vec<Tag>,
    pub tick: u64,
    /// The terminal's size at the last draw: where mouse clicks land.
    pub area: Rect,
    outbox: Outbox,
}

/// Ticks of 100 ms between refreshes of live data.
const REFRESH_TICKS: u64 = 20;

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    pub fn new() -> App {
        App {
            screen: ScreenId::Home,
            home: HomeScreen,
            settings: SettingsScreen::default(),
            resources: ResourcesScreen::default(),
            credentials: CredentialsScreen::default(),
            audit: AuditScreen::default(),
            sessions: SessionsScreen::default(),
            setup: SetupScreen::default(),
            data: Data::default(),
            help: false,
            message: None,
            quit: false,
            pending: Vec::new(),
            tick: 0,
            area: Rect::new(0, 0, 80, 24),
            outbox: Outbox::default(),
        }
    }

    /// The first requests: everything the screens show.
    pub fn start(&mut self) {
        for (tag, op) in [
            (Tag::Status, "status"),
            (Tag::Settings, "settings.show"),
            (Tag::Resources, "resources.list"),
            (Tag::Credentials, "credentials.list"),
        ] {
            self.outbox.send(tag, op, Value::Null);
        }
    }

    /// Requests to send now; each is then awaited.
    pub fn take_requests(&mut self) -> Vec<Request> {
        let out = std::mem::take(&mut self.outbox.0);
        self.pending.extend(out.iter().map(|r| r.tag.clone()));
        out
    }

    pub fn busy(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Every 100 ms: live data is refreshed every two seconds, unless an
    /// answer for it is still awaited.
    pub fn on_tick(&mut self) {
        self.tick += 1;
        if !self.tick.is_multiple_of(REFRESH_TICKS) {
            return;
        }
        let idle = |tag: &Tag, app: &App| !app.pending.contains(tag) && !app.outbox.0.iter().any(|r| &r.tag == tag);
        if idle(&Tag::Status, self) {
            self.outbox.send(Tag::Status, "status", Value::Null);
        }
        match self.screen {
            ScreenId::Audit if self.audit.live && idle(&Tag::Audit, self) => self.audit.refresh(&mut self.outbox),
            ScreenId::Sessions if idle(&Tag::Sessions, self) => self.sessions.refresh(&mut self.outbox),
            ScreenId::Credentials if idle(&Tag::Credentials, self) => {
                self.outbox.send(Tag::Credentials, "credentials.list", Value::Null)
            }
            _ => {}
        }
    }

    /// Switches screen, loading what it shows.
    pub fn go(&mut self, screen: ScreenId) {
        self.screen = screen;
        self.message = None;
        let mut ctx = Ctx { data: &mut self.data, out: &mut self.outbox };
        match screen {
            ScreenId::Audit => self.audit.refresh(ctx.out),
            ScreenId::Sessions => self.sessions.refresh(ctx.out),
            ScreenId::Setup => self.setup.enter(&mut ctx),
            _ => {}
        }
    }

    /// Whether the shown screen is taking typed text (global letter keys off).
    fn typing(&self) -> bool {
        match self.screen {
            ScreenId::Settings => self.settings.typing(),
            ScreenId::Resources => self.resources.typing(),
            ScreenId::Credentials => self.credentials.typing(),
            ScreenId::Audit => self.audit.typing(),
            ScreenId::Setup => self.setup.typing(),
            ScreenId::Home | ScreenId::Sessions => false,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.quit = true;
            return;
        }
        if self.help {
            self.help = false;
            return;
        }
        let typing = self.typing();
        if !typing && key.code == KeyCode::Char('?') {
            self.help = true;
            return;
        }
        let mut ctx = Ctx { data: &mut self.data, out: &mut self.outbox };
        let action = match self.screen {
            ScreenId::Home => self.home.on_key(key, &mut ctx),
            ScreenId::Settings => self.settings.on_key(key, &mut ctx),
            ScreenId::Resources => self.resources.on_key(key, &mut ctx),
            ScreenId::Credentials => self.credentials.on_key(key, &mut ctx),
            ScreenId::Audit => self.audit.on_key(key, &mut ctx),
            ScreenId::Sessions => self.sessions.on_key(key, &mut ctx),
            ScreenId::Setup => self.setup.on_key(key, &mut ctx),
        };
        match action {
            Action::None => {}
            Action::Go(screen) => {
                self.go(screen);
                // The setup wizard hands over to the Add Resources wizard and the credential form.
                let mut ctx = Ctx { data: &mut self.data, out: &mut self.outbox };
                if self.setup.waiting_for(ScreenId::Resources) && screen == ScreenId::Resources {
                    self.resources.start_wizard(&mut ctx);
                } else if self.setup.waiting_for(ScreenId::Credentials) && screen == ScreenId::Credentials {
                    self.credentials.start_form();
                }
            }
            Action::Say(text) => self.message = Some(text),
            Action::Unhandled if typing => {}
            Action::Unhandled => self.global_key(key),
        }
    }

    fn global_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Char('q') => self.quit = true,
            KeyCode::Esc if self.screen != ScreenId::Home => self.go(ScreenId::Home),
            KeyCode::Char(c @ '1'..='6') => {
                let index = c as usize - '1' as usize;
                self.go(ScreenId::TABS[index]);
            }
            KeyCode::Tab | KeyCode::BackTab => {
                let at = ScreenId::TABS.iter().position(|s| *s == self.screen).unwrap_or(0);
                let n = ScreenId::TABS.len();
                let next = if key.code == KeyCode::Tab { (at + 1) % n } else { (at + n - 1) % n };
                self.go(ScreenId::TABS[next]);
            }
            _ => {}
        }
    }

    /// The wheel moves like the arrow keys; a left click picks a tab, a
    /// quick action on Home, a row of a list, or a row of a form (a second
    /// click on it acts as Enter); any click closes the help.
    pub fn on_mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown if !self.help => {
                let up = mouse.kind == MouseEventKind::ScrollUp;
                self.on_key(KeyEvent::from(if up { KeyCode::Up } else { KeyCode::Down }));
            }
            MouseEventKind::Down(MouseButton::Left) => self.click(mouse.column, mouse.row),
            _ => {}
        }
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.help {
            self.help = false;
            return;
        }
        let [tabs, body, _] = super::view::layout(self.area);
        if row == tabs.y {
            if let Some(screen) = super::view::tab_at(column) {
                self.go(screen);
            }
            return;
        }
        let data = &self.data;
        let activate = match self.screen {
            ScreenId::Home => {
                if let Some(screen) = self.home.click(column, row, body) {
                    self.go(screen);
                }
                false
            }
            ScreenId::Settings => {
                self.settings.click(column, row, body, data);
                false
            }
            ScreenId::Resources => self.resources.click(column, row, body, data),
            ScreenId::Credentials => self.credentials.click(column, row, body, data),
            ScreenId::Audit => {
                self.audit.click(column, row, body);
                false
            }
            ScreenId::Sessions => {
                self.sessions.click(column, row, body);
                false
            }
            ScreenId::Setup => false,
        };
        // A second click on a form's focused row does what Enter does there.
        if activate {
            self.on_key(KeyEvent::from(KeyCode::Enter));
        }
    }

    /// Pasted text goes to the focused input, as if typed.
    pub fn on_paste(&mut self, text: &str) {
        for c in text.chars().filter(|c| !c.is_control()) {
            self.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    }

    pub fn on_reply(&mut self, reply: Reply) {
        if let Some(at) = self.pending.iter().position(|t| *t == reply.tag) {
            self.pending.remove(at);
        }
        let Reply { tag, result } = reply;
        match (&tag, result) {
            (Tag::Status, Ok(v)) => {
                let first = self.data.status.is_none();
                let unconfigured = v["odoo"]["configured"] == false;
                self.data.status = Some(v);
                // First run: no Odoo connection configured, so start with the wizard.
                if first && unconfigured {
                    self.go(ScreenId::Setup);
                }
            }
            (Tag::Settings, Ok(v)) => {
                self.data.settings = v["settings"].as_array().cloned().unwrap_or_default();
                self.data.warnings = strings(&v["warnings"]);
            }
            (Tag::Resources, Ok(v)) => self.data.resources = v.as_array().cloned().unwrap_or_default(),
            (Tag::Credentials, Ok(v)) => self.data.credentials = v.as_array().cloned().unwrap_or_default(),
            (Tag::Models, result) => {
                self.data.models = match result {
                    Ok(v) => Loadable::Ready(
                        v.as_array()
                            .map(|a| a.iter().map(|m| (text(&m["model"]), text(&m["name"]))).collect())
                            .unwrap_or_default(),
                    ),
                    Err(e) => Loadable::Failed(e.message),
                };
                self.resources.on_models(&self.data);
            }
            (Tag::Fields(model), result) => {
                let loaded = match result {
                    Ok(v) => Loadable::Ready(
                        v.as_array()
                            .map(|a| {
                                a.iter().map(|f| (text(&f["name"]), text(&f["string"]), text(&f["type"]))).collect()
                            })
                            .unwrap_or_default(),
                    ),
                    Err(e) => Loadable::Failed(e.message),
                };
                self.data.fields.insert(model.clone(), loaded);
                self.resources.on_fields(&self.data);
            }
            (Tag::Users, result) => {
                self.data.users = match result {
                    Ok(v) => Loadable::Ready(
                        v.as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|u| {
                                        let id = u32::try_from(u["id"].as_u64()?).ok()?;
                                        Some((id, text(&u["login"]), text(&u["name"])))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                    Err(e) => Loadable::Failed(e.message),
                };
                self.credentials.on_users(&self.data);
            }
            (Tag::Status | Tag::Settings | Tag::Resources | Tag::Credentials, Err(e)) => {
                self.message = Some(e.message);
            }
            (_, result) => self.screen_reply(tag, result),
        }
    }

    /// Answers to a screen's own requests.
    fn screen_reply(&mut self, tag: Tag, result: ApiResult<Value>) {
        let mut ctx = Ctx { data: &mut self.data, out: &mut self.outbox };
        let said = match tag {
            Tag::SaveSetting(_) if self.screen == ScreenId::Setup => self.setup.on_reply(&tag, result, &mut ctx),
            Tag::SaveSetting(_) => self.settings.on_reply(&tag, result, &mut ctx),
            Tag::SaveResource | Tag::RemoveResource => {
                let ok = result.is_ok();
                let said = self.resources.on_reply(&tag, result, &mut ctx);
                if ok && tag == Tag::SaveResource && self.setup.waiting_for(ScreenId::Resources) {
                    self.setup.advance();
                    self.screen = ScreenId::Setup;
                }
                said
            }
            Tag::CreateCredential | Tag::RevokeCredential => {
                let ok = result.is_ok();
                let said = self.credentials.on_reply(&tag, result, &mut ctx);
                if ok && tag == Tag::CreateCredential && self.setup.waiting_for(ScreenId::Credentials) {
                    self.setup.advance();
                    self.screen = ScreenId::Setup;
                }
                said
            }
            Tag::Audit => self.audit.on_reply(result),
            Tag::ExportAudit => Some(self.audit.on_export(result)),
            Tag::Sessions | Tag::EndSession => self.sessions.on_reply(&tag, result, &mut ctx),
            _ => None,
        };
        if let Some(text) = said {
            self.message = Some(text);
        }
    }
}

/// A JSON value as display text (`""` for null).
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => (if *b { "on" } else { "off" }).to_string(),
        other => other.to_string(),
    }
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(text).collect()).unwrap_or_default()
}
