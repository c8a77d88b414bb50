//! Credentials: the list with usage columns (last used, requests, last IP),
//! the new-credential form, and revoke with confirmation.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use super::credential_form::CredentialForm;
use super::list::{ListFrame, ListView};
use super::screen::{Click, Screen};
use super::widgets::{confirm, fit};
use crate::admin::api::{self, ApiResult, CredentialView, ListCredentials, RevokeCredential};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    List,
    Form(Box<CredentialForm>),
    ConfirmRevoke {
        id: u64,
        label: String,
    },
}

#[derive(Debug, Default)]
pub struct CredentialsScreen {
    pub list: ListView,
    pub mode: Mode,
    /// Revoked credentials stay listed for the record, hidden until `r`.
    pub show_revoked: bool,
}

/// Lines between the rows and the hints: the selected credential's details.
const DETAIL_LINES: u16 = 1;

impl CredentialsScreen {
    pub fn visible<'a>(&self, data: &'a Data) -> Vec<&'a CredentialView> {
        data.credentials
            .iter()
            .filter(|c| self.show_revoked || c.status != "revoked")
            .filter(|c| self.list.shows(&row_text(c, Widths::at(80))))
            .collect()
    }

    fn hints(&self) -> &'static str {
        if self.show_revoked {
            "a add · d revoke · r hide revoked · o OAuth · / search"
        } else {
            "a add · d revoke · r show revoked · o OAuth · / search"
        }
    }

    /// The id of the credential under the cursor.
    pub fn selected(&self, data: &Data) -> Option<u64> {
        self.visible(data).get(self.list.cursor).map(|c| c.id)
    }

    pub fn start_form(&mut self) {
        self.mode = Mode::Form(Box::new(CredentialForm::new()));
    }

    fn list_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        let visible = self.visible(ctx.data);
        if self.list.on_key(key, visible.len()) {
            return Action::None;
        }
        let current = visible.get(self.list.cursor).map(|v| (*v).clone());
        match key.code {
            KeyCode::Char('a') => self.start_form(),
            // The app opens them for the selected credential.
            KeyCode::Char('o') => return Action::Go(ScreenId::OAuth),
            KeyCode::Char('r') => {
                self.show_revoked = !self.show_revoked;
                self.list.cursor = 0;
            }
            KeyCode::Char('d') | KeyCode::Delete => {
                let Some(c) = current else { return Action::None };
                if c.status == "revoked" {
                    return Action::Say(format!("{} is already revoked", c.label));
                }
                self.mode = Mode::ConfirmRevoke { id: c.id, label: c.label };
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }
}

impl Screen for CredentialsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Credentials
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "a        add a credential (user, key, scope, expiry, company)",
            "d        revoke (asks first) · o  its OAuth grants",
            "r        show or hide revoked credentials (hidden at first)",
            "Ctrl-S   create, mid-edit too · /  search · Esc clears it",
        ]
    }

    fn keys(&self) -> String {
        match &self.mode {
            Mode::List => self.list.keys(self.hints()),
            Mode::Form(f) => f.keys(),
            Mode::ConfirmRevoke { .. } => "y yes · n/Esc no".into(),
        }
    }

    fn modal(&self) -> bool {
        !matches!(self.mode, Mode::List) || self.list.typing()
    }

    fn typing(&self) -> bool {
        match &self.mode {
            Mode::List => self.list.typing(),
            Mode::Form(f) => f.typing(),
            Mode::ConfirmRevoke { .. } => false,
        }
    }

    /// Usage columns change with traffic: the list is refreshed while shown.
    fn live(&self) -> Option<Tag> {
        Some(Tag::Credentials)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        ctx.out.send(Tag::Credentials, ListCredentials {});
    }

    /// Odoo's user list arrived (or failed): fill the form's picker.
    fn on_data(&mut self, tag: &Tag, data: &Data) {
        if let (Tag::Users, Mode::Form(form)) = (tag, &mut self.mode) {
            form.on_users(data);
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        match std::mem::take(&mut self.mode) {
            Mode::Form(mut form) => {
                if !form.on_key(key, ctx) {
                    self.mode = Mode::Form(form);
                }
                Action::None
            }
            Mode::ConfirmRevoke { id, label } => {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => {
                        ctx.out.send(Tag::RevokeCredential, RevokeCredential { id });
                        return Action::Say(format!("revoking {label}…"));
                    }
                    KeyCode::Char('n') | KeyCode::Esc => {}
                    _ => self.mode = Mode::ConfirmRevoke { id, label },
                }
                Action::None
            }
            Mode::List => self.list_key(key, ctx),
        }
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        let said = match tag {
            Tag::RevokeCredential => {
                api::decode::<RevokeCredential>(result).map(|c| format!("revoked credential {} ({})", c.id, c.label))
            }
            _ => api::decode::<api::CreateCredential>(result)
                .map(|c| format!("created credential {} ({}) for {}", c.id, c.label, c.login)),
        };
        match said {
            Ok(said) => {
                ctx.out.send(Tag::Credentials, ListCredentials {});
                self.mode = Mode::List;
                Some(said)
            }
            Err(e) => {
                if let Mode::Form(form) = &mut self.mode {
                    form.error = Some(e.message.clone());
                }
                Some(format!("refused: {}", e.message))
            }
        }
    }

    /// A click on a row of the list selects it; on the form, it focuses the
    /// row hit. True when the click asks to activate the form's focused row
    /// (the caller sends Enter). Dialogs take no clicks.
    fn click(&mut self, column: u16, row: u16, area: Rect, data: &Data) -> Click {
        match &mut self.mode {
            Mode::List => {
                let len = self.visible(data).len();
                self.list.click(column, row, area, DETAIL_LINES, len);
                Click::None
            }
            Mode::Form(form) => {
                if form.click(row, area) {
                    Click::Activate
                } else {
                    Click::None
                }
            }
            _ => Click::None,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        if let Mode::Form(form) = &self.mode {
            form.draw(frame, area, data);
            return;
        }
        let visible = self.visible(data);
        let hidden =
            if self.show_revoked { 0 } else { data.credentials.iter().filter(|c| c.status == "revoked").count() };
        let empty = if hidden > 0 {
            format!("  No active credentials ({hidden} revoked, hidden: r shows them). Press a to add one.")
        } else {
            "  No credentials. Press a to add one.".to_string()
        };
        let details = visible.get(self.list.cursor).map(|c| {
            format!(
                "{}: company {} · key {}… · last IP {} · created {}",
                c.label,
                c.company_id.map_or_else(|| "all".into(), |id| id.to_string()),
                c.key_prefix,
                or(&c.last_ip, "-"),
                c.created_at.as_deref().unwrap_or_default().chars().take(10).collect::<String>()
            )
        });
        let widths = Widths::at(area.width);
        let list = ListFrame {
            title: " Credentials ",
            header: format!(
                "  {:<3} {:<label$} {:<user$} {:<9} {:<8} {:<10} {:<10} {}",
                "ID",
                "LABEL",
                "USER",
                "SCOPE",
                "STATUS",
                "EXPIRES",
                "LAST USED",
                "REQS",
                label = widths.label,
                user = widths.user
            ),
            rows: visible.into_iter().map(|c| row_text(c, widths)).collect(),
            empty: &empty,
            details: details.into_iter().collect(),
            hints: self.hints(),
        };
        self.list.draw(frame, area, DETAIL_LINES, list);
        if let Mode::ConfirmRevoke { id, label } = &self.mode {
            confirm(frame, area, &format!("Revoke credential {id} ({label})? This is permanent."));
        }
    }
}

fn or(v: &Option<String>, fallback: &str) -> String {
    match v.as_deref() {
        None | Some("") => fallback.to_string(),
        Some(t) => t.to_string(),
    }
}

/// The label and user columns: 18 and 14 at 80 columns; a wider terminal
/// gives them half and a quarter of the extra width.
#[derive(Debug, Clone, Copy)]
struct Widths {
    label: usize,
    user: usize,
}

impl Widths {
    fn at(area_width: u16) -> Widths {
        let extra = usize::from(area_width.saturating_sub(80));
        Widths { label: 18 + extra / 2, user: 14 + extra / 4 }
    }
}

fn row_text(c: &CredentialView, widths: Widths) -> String {
    format!(
        "{:<3} {:<label$} {:<user$} {:<9} {:<8} {:<10} {:<10} {}",
        c.id,
        fit(&c.label, widths.label),
        fit(&c.login, widths.user),
        c.scope,
        c.status,
        or(&c.expires_on, "never"),
        or(&c.last_used, "never").chars().take(10).collect::<String>(),
        c.request_count,
        label = widths.label,
        user = widths.user
    )
}
