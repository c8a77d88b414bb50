//! The dashboard's state and its routing: which screen is shown, the data
//! fetched from the daemon, the requests waiting to be sent, and where each
//! key and each answer goes. No drawing and no I/O here: keys and answers go
//! in, requests come out, so the logic is tested without a terminal.

use super::approvals::ApprovalsScreen;
use super::audit::AuditScreen;
use super::credentials::CredentialsScreen;
use super::home::HomeScreen;
use super::oauth::OAuthScreen;
use super::resources::ResourcesScreen;
use super::screen::{Click, Screen};
use super::sessions::SessionsScreen;
use super::settings::SettingsScreen;
use super::setup::SetupScreen;
use super::worker::{Event, Link};
use crate::admin::api::{
    self as api, ApiResult, CredentialView, GetStatus, ListCredentials, ListOdooFields, ListOdooModels, ListOdooUsers,
    ListResources, OdooField, OdooModel, OdooUserView, QueryAudit, ResourceView, SettingEntry, ShowSettings, Status,
};
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
    /// Remote connectors: not a tab (Home's `o`, Credentials' `o`).
    OAuth,
    /// Writes held for a decision: not a tab (Home's `p`).
    Approvals,
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
            ScreenId::OAuth => "Remote connectors",
            ScreenId::Approvals => "Approvals",
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
    AuditChain,
    ExportAudit,
    Sessions,
    EndSession,
    OAuthGrants,
    OAuthClients,
    OAuthSignups,
    RevokeGrant,
    DecideSignup,
    Approvals,
    Approval,
    DecideApproval,
}

/// What the worker is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// One admin API request.
    Admin(api::Request),
    /// The dashboard's own: write the audit entries `filters` match to a new
    /// file at `path` (the worker does it, so the UI thread does no I/O).
    ExportAudit { path: String, filters: QueryAudit },
}

/// One request, and what its answer is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub tag: Tag,
    pub job: Job,
}

/// One answer, as the wire carries it; the screen that asked reads it as
/// its request's typed answer.
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

/// What the screens share: the daemon's data as last fetched.
#[derive(Debug, Default)]
pub struct Data {
    pub status: Option<Status>,
    pub settings: Vec<SettingEntry>,
    pub warnings: Vec<String>,
    pub resources: Vec<ResourceView>,
    pub credentials: Vec<CredentialView>,
    /// Odoo's models.
    pub models: Loadable<Vec<OdooModel>>,
    /// Each model's fields.
    pub fields: HashMap<String, Loadable<Vec<OdooField>>>,
    /// Odoo's internal users.
    pub users: Loadable<Vec<OdooUserView>>,
}

impl Data {
    /// A setting's value as shown (`on`, `500`, a URL), or "" when unknown.
    pub fn setting(&self, key: &str) -> String {
        self.settings.iter().find(|s| s.key == key).map(|s| s.value.to_string()).unwrap_or_default()
    }
}

/// Requests the screens want sent.
#[derive(Debug, Default)]
pub struct Outbox(pub Vec<Request>);

impl Outbox {
    /// Sends an admin API request; its answer comes back under `tag`.
    pub fn send(&mut self, tag: Tag, request: impl Into<api::Request>) {
        self.0.push(Request { tag, job: Job::Admin(request.into()) });
    }

    /// Asks the worker for one of its own jobs.
    pub fn job(&mut self, tag: Tag, job: Job) {
        self.0.push(Request { tag, job });
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
            self.out.send(Tag::Models, ListOdooModels::default());
        }
    }

    /// Asks for a model's fields once.
    pub fn want_fields(&mut self, model: &str) {
        let entry = self.data.fields.entry(model.to_string()).or_default();
        if matches!(entry, Loadable::NotAsked | Loadable::Failed(_)) {
            *entry = Loadable::Loading;
            self.out.send(Tag::Fields(model.to_string()), ListOdooFields { model: model.to_string() });
        }
    }

    pub fn want_users(&mut self) {
        if matches!(self.data.users, Loadable::NotAsked | Loadable::Failed(_)) {
            self.data.users = Loadable::Loading;
            self.out.send(Tag::Users, ListOdooUsers {});
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
    pub oauth: OAuthScreen,
    pub approvals: ApprovalsScreen,
    pub data: Data,
    pub help: bool,
    /// The status line's message (it replaces the footer's keys until the next key).
    pub message: Option<String>,
    /// The message is an error: drawn in the alert style.
    pub message_is_error: bool,
    pub quit: bool,
    /// Answers still awaited (the spinner turns while any is).
    pub pending: Vec<Tag>,
    pub tick: u64,
    /// The terminal's size at the last draw: where mouse clicks land.
    pub area: Rect,
    /// Why the daemon is not answering, while it is not: the frame shows a
    /// banner and greys out what it last fetched.
    pub disconnected: Option<String>,
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
            home: HomeScreen::default(),
            settings: SettingsScreen::default(),
            resources: ResourcesScreen::default(),
            credentials: CredentialsScreen::default(),
            audit: AuditScreen::default(),
            sessions: SessionsScreen::default(),
            setup: SetupScreen::default(),
            oauth: OAuthScreen::default(),
            approvals: ApprovalsScreen::default(),
            data: Data::default(),
            help: false,
            message: None,
            message_is_error: false,
            quit: false,
            pending: Vec::new(),
            tick: 0,
            area: Rect::new(0, 0, 80, 24),
            disconnected: None,
            outbox: Outbox::default(),
        }
    }

    /// A screen by its id.
    pub fn screen(&self, id: ScreenId) -> &dyn Screen {
        match id {
            ScreenId::Home => &self.home,
            ScreenId::Settings => &self.settings,
            ScreenId::Resources => &self.resources,
            ScreenId::Credentials => &self.credentials,
            ScreenId::Audit => &self.audit,
            ScreenId::Sessions => &self.sessions,
            ScreenId::Setup => &self.setup,
            ScreenId::OAuth => &self.oauth,
            ScreenId::Approvals => &self.approvals,
        }
    }

    /// The screen shown.
    pub fn current(&self) -> &dyn Screen {
        self.screen(self.screen)
    }

    /// A screen by its id, and what it may change: the data and the outbox.
    fn parts(&mut self, id: ScreenId) -> (&mut dyn Screen, Ctx<'_>) {
        let screen: &mut dyn Screen = match id {
            ScreenId::Home => &mut self.home,
            ScreenId::Settings => &mut self.settings,
            ScreenId::Resources => &mut self.resources,
            ScreenId::Credentials => &mut self.credentials,
            ScreenId::Audit => &mut self.audit,
            ScreenId::Sessions => &mut self.sessions,
            ScreenId::Setup => &mut self.setup,
            ScreenId::OAuth => &mut self.oauth,
            ScreenId::Approvals => &mut self.approvals,
        };
        (screen, Ctx { data: &mut self.data, out: &mut self.outbox })
    }

    /// The first requests: everything the screens show.
    pub fn start(&mut self) {
        self.outbox.send(Tag::Status, GetStatus {});
        self.outbox.send(Tag::Settings, ShowSettings {});
        self.outbox.send(Tag::Resources, ListResources {});
        self.outbox.send(Tag::Credentials, ListCredentials {});
    }

    /// The link to the daemon changed. When it is back (the daemon restarted,
    /// or was down a while), everything shown is asked for again: the
    /// daemon's state may have changed meanwhile.
    pub fn on_link(&mut self, link: Link) {
        match link {
            Link::Down(why) => self.disconnected = Some(why),
            Link::Back => {
                self.disconnected = None;
                self.message = Some("reconnected to the daemon: every screen refreshed".into());
                self.message_is_error = false;
                self.refresh_all();
            }
        }
    }

    /// Asks the daemon again for everything shown (Ctrl-R, and a daemon back).
    pub fn refresh_all(&mut self) {
        self.start();
        let (screen, mut ctx) = self.parts(self.screen);
        screen.refresh(&mut ctx);
    }

    /// Shows an error on the status line.
    pub fn error(&mut self, text: String) {
        self.message = Some(text);
        self.message_is_error = true;
    }

    /// What the worker handed back.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Reply(reply) => self.on_reply(reply),
            Event::Link(link) => self.on_link(link),
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

    /// Whether no answer for `tag` is awaited or about to be asked for.
    fn idle(&self, tag: &Tag) -> bool {
        !self.pending.contains(tag) && !self.outbox.0.iter().any(|r| &r.tag == tag)
    }

    /// Every 100 ms: live data is refreshed every two seconds, unless an
    /// answer for it is still awaited.
    pub fn on_tick(&mut self) {
        self.tick += 1;
        if !self.tick.is_multiple_of(REFRESH_TICKS) {
            return;
        }
        if self.idle(&Tag::Status) {
            self.outbox.send(Tag::Status, GetStatus {});
        }
        if let Some(tag) = self.current().live()
            && self.idle(&tag)
        {
            let (screen, mut ctx) = self.parts(self.screen);
            screen.refresh(&mut ctx);
        }
    }

    /// Switches screen, loading what it shows.
    pub fn go(&mut self, screen: ScreenId) {
        self.screen = screen;
        self.message = None;
        let (shown, mut ctx) = self.parts(screen);
        shown.on_enter(&mut ctx);
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
        // A message stays until the next key; then the footer shows the keys again.
        self.message = None;
        self.message_is_error = false;
        let refresh = key.code == KeyCode::F(5)
            || (key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('r'));
        if refresh {
            self.refresh_all();
            self.message = Some("refreshing…".into());
            return;
        }
        let typing = self.current().typing();
        if !typing && key.code == KeyCode::Char('?') {
            self.help = true;
            return;
        }
        let from = self.screen;
        let (shown, mut ctx) = self.parts(self.screen);
        match shown.on_key(key, &mut ctx) {
            Action::None => {}
            Action::Go(screen) => {
                // From Credentials, the selected credential's grants; from elsewhere, everyone's.
                if screen == ScreenId::OAuth {
                    let credential =
                        if from == ScreenId::Credentials { self.credentials.selected(&self.data) } else { None };
                    self.oauth.for_credential(credential);
                }
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
        if !super::view::fits(self.area) {
            return;
        }
        let [tabs, body, _] = super::view::layout(self.area);
        if row == tabs.y {
            if let Some(screen) = super::view::tab_at(column) {
                self.go(screen);
            }
            return;
        }
        let (shown, ctx) = self.parts(self.screen);
        match shown.click(column, row, body, ctx.data) {
            Click::None => {}
            Click::Go(screen) => self.go(screen),
            // A second click on a form's focused row does what Enter does there.
            Click::Activate => self.on_key(KeyEvent::from(KeyCode::Enter)),
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
        let failed = match &tag {
            Tag::Status => api::decode::<GetStatus>(result).map(|status| {
                let first = self.data.status.is_none();
                let unconfigured = !status.odoo.configured;
                self.data.status = Some(status);
                // First run: no Odoo connection configured, so start with the wizard.
                if first && unconfigured {
                    self.go(ScreenId::Setup);
                }
            }),
            Tag::Settings => api::decode::<ShowSettings>(result).map(|shown| {
                self.data.settings = shown.settings;
                self.data.warnings = shown.warnings;
            }),
            Tag::Resources => api::decode::<ListResources>(result).map(|all| self.data.resources = all),
            Tag::Credentials => api::decode::<ListCredentials>(result).map(|all| self.data.credentials = all),
            Tag::Models => {
                self.data.models = loaded(api::decode::<ListOdooModels>(result));
                self.shared_data_arrived(&tag);
                Ok(())
            }
            Tag::Fields(model) => {
                self.data.fields.insert(model.clone(), loaded(api::decode::<ListOdooFields>(result)));
                self.shared_data_arrived(&tag);
                Ok(())
            }
            Tag::Users => {
                self.data.users = loaded(api::decode::<ListOdooUsers>(result));
                self.shared_data_arrived(&tag);
                Ok(())
            }
            _ => {
                self.screen_reply(tag, result);
                Ok(())
            }
        };
        if let Err(e) = failed {
            self.error(e.message);
        }
    }

    /// Odoo's models, fields or users arrived: the screens that wait for them fill in.
    fn shared_data_arrived(&mut self, tag: &Tag) {
        for id in [ScreenId::Resources, ScreenId::Credentials] {
            let (screen, ctx) = self.parts(id);
            screen.on_data(tag, ctx.data);
        }
    }

    /// Answers to a screen's own requests.
    fn screen_reply(&mut self, tag: Tag, result: ApiResult<Value>) {
        let owner = match tag {
            // The setup wizard saves settings of its own.
            Tag::SaveSetting(_) if self.screen == ScreenId::Setup => ScreenId::Setup,
            Tag::SaveSetting(_) => ScreenId::Settings,
            Tag::SaveResource | Tag::RemoveResource => ScreenId::Resources,
            Tag::CreateCredential | Tag::RevokeCredential => ScreenId::Credentials,
            Tag::Audit | Tag::AuditChain | Tag::ExportAudit => ScreenId::Audit,
            Tag::Sessions | Tag::EndSession => ScreenId::Sessions,
            Tag::OAuthGrants | Tag::OAuthClients | Tag::OAuthSignups | Tag::RevokeGrant | Tag::DecideSignup => {
                ScreenId::OAuth
            }
            Tag::Approvals | Tag::Approval | Tag::DecideApproval => ScreenId::Approvals,
            _ => return,
        };
        let ok = result.is_ok();
        let (screen, mut ctx) = self.parts(owner);
        let said = screen.on_reply(&tag, result, &mut ctx);
        // The setup wizard waits for the resource and credential it handed over.
        let handed_over = match tag {
            Tag::SaveResource => Some(ScreenId::Resources),
            Tag::CreateCredential => Some(ScreenId::Credentials),
            _ => None,
        };
        if let Some(screen) = handed_over
            && ok
            && self.setup.waiting_for(screen)
        {
            self.setup.advance();
            self.screen = ScreenId::Setup;
        }
        if let Some(text) = said {
            self.message = Some(text);
            self.message_is_error = !ok;
        }
    }
}

/// A list from Odoo, or why it could not be had.
fn loaded<T>(result: ApiResult<T>) -> Loadable<T> {
    match result {
        Ok(list) => Loadable::Ready(list),
        Err(e) => Loadable::Failed(e.message),
    }
}
