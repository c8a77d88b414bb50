//! Remote connectors (OAuth): whether OAuth is on (`t` turns it on or
//! off; the host allowlist and sign-up defaults are settings), and three
//! lists: grants (a client acting as a person through a credential: client,
//! scopes, created, last used) with revoke, the clients registered by DCR,
//! and sign-up requests with approve and refuse. Opened from Home (`o`) or
//! from Credentials (`o`: the selected credential's grants only). Every
//! change asks first; nothing here ever sees a token or a key.

use super::app::{Action, Ctx, Data, Loadable, Outbox, ScreenId, Tag};
use super::list::{ListFrame, ListView};
use super::screen::{Click, Screen};
use super::widgets::{confirm, fit};
use crate::admin::api::{
    self, ApiResult, ApproveSignup, GrantView, ListGrants, ListOAuthClients, ListSignups, OAuthClientView,
    RefuseSignup, RevokeGrant, SetSetting, SignupView,
};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use serde_json::Value;

/// Which list is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Grants,
    Clients,
    Signups,
}

impl View {
    fn next(self) -> View {
        match self {
            View::Grants => View::Clients,
            View::Clients => View::Signups,
            View::Signups => View::Grants,
        }
    }

    fn tag(self) -> Tag {
        match self {
            View::Grants => Tag::OAuthGrants,
            View::Clients => Tag::OAuthClients,
            View::Signups => Tag::OAuthSignups,
        }
    }
}

/// A change waiting for y.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Revoke { id: u64, what: String },
    Approve { id: u64, who: String },
    Refuse { id: u64, who: String },
}

#[derive(Debug, Default)]
pub struct OAuthScreen {
    pub view: View,
    pub list: ListView,
    pub grants: Loadable<Vec<GrantView>>,
    pub clients: Loadable<Vec<OAuthClientView>>,
    pub signups: Loadable<Vec<SignupView>>,
    /// Only this credential's grants (opened from Credentials).
    pub credential: Option<u64>,
    /// Revoked grants too.
    pub all: bool,
    pub pending: Option<Pending>,
}

/// The selected row's details and the OAuth settings line, under the rows.
const DETAIL_LINES: u16 = 2;

impl OAuthScreen {
    /// Shows the live grants of `credential` only (None: every credential's).
    pub fn for_credential(&mut self, credential: Option<u64>) {
        self.credential = credential;
        self.all = false;
        self.view = View::Grants;
        self.list.cursor = 0;
    }

    /// Asks for the list shown.
    pub fn load(&mut self, out: &mut Outbox) {
        let tag = self.view.tag();
        match self.view {
            View::Grants => {
                asking(&mut self.grants);
                out.send(tag, ListGrants { credential: self.credential, all: self.all });
            }
            View::Clients => {
                asking(&mut self.clients);
                out.send(tag, ListOAuthClients {});
            }
            View::Signups => {
                asking(&mut self.signups);
                out.send(tag, ListSignups {});
            }
        }
    }

    /// The rows of the list shown, as text, in the order the daemon gave them.
    fn rows(&self) -> Vec<String> {
        match self.view {
            View::Grants => self.grants.ready().map(|g| g.iter().map(grant_row).collect()),
            View::Clients => self.clients.ready().map(|c| c.iter().map(client_row).collect()),
            View::Signups => self.signups.ready().map(|s| s.iter().map(signup_row).collect()),
        }
        .unwrap_or_default()
    }

    /// Indexes (into the loaded list) of the rows the search lets through.
    fn visible(&self) -> Vec<usize> {
        self.rows().iter().enumerate().filter(|(_, r)| self.list.shows(r)).map(|(i, _)| i).collect()
    }

    fn selected(&self) -> Option<usize> {
        self.visible().get(self.list.cursor).copied()
    }

    fn header(&self) -> String {
        match self.view {
            View::Grants => format!(
                "  {:<3} {:<22} {:<4} {:<10} {:<5} {:<5} {:<11} {}",
                "ID", "CLIENT", "CRED", "USER", "SCOPE", "SINCE", "LAST USED", "STATUS"
            ),
            View::Clients => format!("  {:<26} {:<20} {:<11} {}", "CLIENT ID", "NAME", "REGISTERED", "FROM"),
            View::Signups => {
                format!(
                    "  {:<3} {:<24} {:<18} {:<11} {:<8} {}",
                    "ID", "PERSON", "CLIENT", "REQUESTED", "STATUS", "CRED"
                )
            }
        }
    }

    fn failure(&self) -> Option<&str> {
        match (self.view, &self.grants, &self.clients, &self.signups) {
            (View::Grants, Loadable::Failed(e), _, _)
            | (View::Clients, _, Loadable::Failed(e), _)
            | (View::Signups, _, _, Loadable::Failed(e)) => Some(e),
            _ => None,
        }
    }

    fn details(&self, data: &Data) -> Vec<String> {
        let row = self.selected();
        let first = match self.view {
            View::Grants => row.and_then(|i| self.grants.ready()?.get(i)).map(|g| {
                let ended = match (&g.revoked_at, &g.revoked_why) {
                    (Some(at), why) => {
                        format!(" · revoked {} ({})", day(&Some(at.clone())), why.as_deref().unwrap_or("-"))
                    }
                    _ => String::new(),
                };
                format!("{} · {} (uid {}) · {}{ended}", g.client_id, g.login, g.uid, g.scopes)
            }),
            View::Clients => row
                .and_then(|i| self.clients.ready()?.get(i))
                .map(|c| format!("{} · redirect {}", c.client_id, c.redirect_uris.join(" "))),
            View::Signups => row
                .and_then(|i| self.signups.ready()?.get(i))
                .map(|s| format!("{} wants to connect {} (asked {})", s.login, s.client, day(&s.requested_at))),
        };
        let on = data.setting("oauth_enabled");
        let hosts = data.setting("oauth_client_hosts");
        let settings = format!(
            "OAuth {} (t: turn {}) · metadata documents from: {}",
            if on == "on" { "ON" } else { "OFF" },
            if on == "on" { "off" } else { "on" },
            if hosts.is_empty() { "-".into() } else { hosts }
        );
        vec![first.unwrap_or_default(), settings]
    }

    fn hints(&self) -> &'static str {
        match self.view {
            View::Grants => "v next list · d revoke · h revoked too · t on/off · / search",
            View::Clients => "v next list · t on/off · / search",
            View::Signups => "v next list · a approve · d refuse · / search",
        }
    }

    fn list_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if self.list.on_key(key, self.visible().len()) {
            return Action::None;
        }
        let row = self.selected();
        match (self.view, key.code) {
            (_, KeyCode::Char('v')) => {
                self.view = self.view.next();
                self.list.cursor = 0;
                self.load(ctx.out);
            }
            (_, KeyCode::F(5)) => self.load(ctx.out),
            (_, KeyCode::Char('t')) => {
                let value = if ctx.data.setting("oauth_enabled") == "on" { "off" } else { "on" };
                let key = "oauth_enabled".to_string();
                ctx.out.send(Tag::SaveSetting(key.clone()), SetSetting { key, value: value.into() });
                return Action::Say(format!("turning OAuth {value}…"));
            }
            (View::Grants, KeyCode::Char('h')) => {
                self.all = !self.all;
                self.load(ctx.out);
                return Action::Say(if self.all { "showing revoked grants too" } else { "live grants only" }.into());
            }
            (View::Grants, KeyCode::Char('c')) if self.credential.is_some() => {
                self.for_credential(None);
                self.load(ctx.out);
            }
            (View::Grants, KeyCode::Char('d') | KeyCode::Delete) => {
                let Some(g) = row.and_then(|i| self.grants.ready()?.get(i)) else { return Action::None };
                if g.status != "active" {
                    return Action::Say(format!("grant {} is already revoked", g.id));
                }
                let what = format!("{} as {}", g.client, g.login);
                self.pending = Some(Pending::Revoke { id: g.id, what });
            }
            (View::Signups, KeyCode::Char('a') | KeyCode::Char('d') | KeyCode::Delete) => {
                let Some(s) = row.and_then(|i| self.signups.ready()?.get(i)) else { return Action::None };
                if s.status != "pending" {
                    return Action::Say(format!("sign-up {} is {}, not pending", s.id, s.status));
                }
                let who = format!("{} ({})", s.name, s.login);
                self.pending = Some(if key.code == KeyCode::Char('a') {
                    Pending::Approve { id: s.id, who }
                } else {
                    Pending::Refuse { id: s.id, who }
                });
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }
}

impl Screen for OAuthScreen {
    fn id(&self) -> ScreenId {
        ScreenId::OAuth
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "v        next list: grants, registered clients, sign-ups",
            "d        grants: revoke (asks first) · h  show revoked too",
            "a / d    sign-ups: approve / refuse (asks first)",
            "c        every credential's grants (after o on Credentials)",
            "t        turn OAuth on or off (hosts and defaults: Settings)",
            "F5       refresh · /  search · scope rwx: read, write, execute",
        ]
    }

    fn keys(&self) -> String {
        if self.pending.is_some() {
            return "y yes · n/Esc no".into();
        }
        self.list.keys(self.hints())
    }

    fn modal(&self) -> bool {
        self.pending.is_some() || self.list.typing()
    }

    fn typing(&self) -> bool {
        self.list.typing()
    }

    fn on_enter(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    /// Last used and new sign-ups change while shown.
    fn live(&self) -> Option<Tag> {
        Some(self.view.tag())
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        let Some(pending) = self.pending.take() else { return self.list_key(key, ctx) };
        if !matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
            if !matches!(key.code, KeyCode::Char('n') | KeyCode::Esc) {
                self.pending = Some(pending);
            }
            return Action::None;
        }
        let said = match pending {
            Pending::Revoke { id, what } => {
                ctx.out.send(Tag::RevokeGrant, RevokeGrant { id });
                format!("revoking grant {id} ({what})…")
            }
            Pending::Approve { id, who } => {
                ctx.out.send(Tag::DecideSignup, ApproveSignup { id });
                format!("approving {who}…")
            }
            Pending::Refuse { id, who } => {
                ctx.out.send(Tag::DecideSignup, RefuseSignup { id });
                format!("refusing {who}…")
            }
        };
        Action::Say(said)
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        let said = match tag {
            Tag::OAuthGrants => {
                self.grants = loaded(api::decode::<ListGrants>(result));
                None
            }
            Tag::OAuthClients => {
                self.clients = loaded(api::decode::<ListOAuthClients>(result));
                None
            }
            Tag::OAuthSignups => {
                self.signups = loaded(api::decode::<ListSignups>(result));
                None
            }
            Tag::RevokeGrant => {
                self.load(ctx.out);
                Some(match api::decode::<RevokeGrant>(result) {
                    Ok(g) => format!("revoked grant {} ({} as {}); its Odoo key is erased", g.id, g.client, g.login),
                    Err(e) => format!("not revoked: {}", e.message),
                })
            }
            Tag::DecideSignup => {
                self.load(ctx.out);
                Some(match api::decode::<ApproveSignup>(result) {
                    Ok(s) => format!("sign-up {} of {} is {}", s.id, s.login, s.status),
                    Err(e) => format!("not decided: {}", e.message),
                })
            }
            _ => None,
        };
        let len = self.visible().len();
        self.list.cursor = self.list.cursor.min(len.saturating_sub(1));
        said
    }

    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        if self.pending.is_none() {
            let len = self.visible().len();
            self.list.click(column, row, area, DETAIL_LINES, len);
        }
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        let title = match (self.view, self.credential) {
            (View::Grants, Some(id)) => format!(" Remote connectors: grants of credential {id} "),
            (View::Grants, None) if self.all => " Remote connectors: all grants ".to_string(),
            (View::Grants, None) => " Remote connectors: live grants ".to_string(),
            (View::Clients, _) => " Remote connectors: registered clients ".to_string(),
            (View::Signups, _) => " Remote connectors: sign-up requests ".to_string(),
        };
        let rows = self.rows();
        let visible: Vec<String> = self.visible().into_iter().map(|i| rows[i].clone()).collect();
        let empty = match (self.failure(), self.view) {
            (Some(_), _) => "  Not available (see below).",
            (None, View::Grants) => {
                "  No grants. A person makes one by connecting an assistant (README: Remote connectors)."
            }
            (None, View::Clients) => "  No client registered itself (clients with a metadata document need none).",
            (None, View::Signups) => "  No sign-up requests.",
        };
        let mut details = self.details(data);
        if let Some(e) = self.failure() {
            details[0] = format!("Not available: {e}");
        }
        let hints = self.hints();
        let list = ListFrame { title: &title, header: self.header(), rows: visible, empty, details, hints };
        self.list.draw(frame, area, DETAIL_LINES, list);
        let question = match &self.pending {
            Some(Pending::Revoke { id, what }) => {
                format!("Revoke grant {id} ({what})? Its tokens stop working and its Odoo key is erased.")
            }
            Some(Pending::Approve { id, who }) => {
                format!("Approve sign-up {id} of {who}? Their next sign-in makes their credential.")
            }
            Some(Pending::Refuse { id, who }) => format!("Refuse sign-up {id} of {who}?"),
            None => return,
        };
        confirm(frame, area, &question);
    }
}

/// Loading again keeps the rows shown until the answer comes.
fn asking<T>(list: &mut Loadable<T>) {
    if matches!(list, Loadable::NotAsked | Loadable::Failed(_)) {
        *list = Loadable::Loading;
    }
}

fn loaded<T>(result: ApiResult<T>) -> Loadable<T> {
    match result {
        Ok(list) => Loadable::Ready(list),
        Err(e) if e.message.starts_with("unknown operation") => {
            Loadable::Failed("this daemon has no OAuth operations (an older release)".into())
        }
        Err(e) => Loadable::Failed(e.message),
    }
}

/// `2026-11-27T10:00:05Z` as `11-27 10:00`; `never` when unset.
fn day(value: &Option<String>) -> String {
    match value.as_deref() {
        Some(t) => t.get(5..16).map_or_else(|| t.to_string(), |short| short.replace('T', " ")),
        None => "never".into(),
    }
}

/// Scopes as `rwx` letters (read, write, execute), `-` for one not granted;
/// the details line has them whole.
fn scope_letters(scopes: &str) -> String {
    [("odoo.read", 'r'), ("odoo.write", 'w'), ("odoo.execute", 'x')]
        .iter()
        .map(|(name, letter)| if scopes.split_whitespace().any(|s| s == *name) { *letter } else { '-' })
        .collect()
}

fn grant_row(g: &GrantView) -> String {
    let since = day(&g.created_at).chars().take(5).collect::<String>();
    format!(
        "{:<3} {:<22} {:<4} {:<10} {:<5} {:<5} {:<11} {}",
        g.id,
        fit(&format!("{} ({})", g.client, g.client_host), 22),
        g.credential_id,
        fit(&g.login, 10),
        scope_letters(&g.scopes),
        since,
        day(&g.last_used),
        g.status
    )
}

fn client_row(c: &OAuthClientView) -> String {
    format!("{:<26} {:<20} {:<11} {}", fit(&c.client_id, 26), fit(&c.name, 20), day(&c.registered_at), c.registered_ip)
}

fn signup_row(s: &SignupView) -> String {
    format!(
        "{:<3} {:<24} {:<18} {:<11} {:<8} {}",
        s.id,
        fit(&format!("{} ({})", s.name, s.login), 24),
        fit(&s.client, 18),
        day(&s.requested_at),
        s.status,
        s.credential_id.map_or_else(|| "-".into(), |c| c.to_string())
    )
}
