//! Credentials: the list with usage columns (last used, requests, last IP),
//! the new-credential form, and revoke with confirmation.

use super::app::{Action, Ctx, Data, Tag, text};
use super::credential_form::CredentialForm;
use super::list::{ListFrame, ListView};
use super::widgets::{confirm, fit};
use crate::admin_socket::ApiResult;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;

use serde_json::{Value, json};

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
}

/// Lines between the rows and the hints: the selected credential's details.
const DETAIL_LINES: u16 = 1;

impl CredentialsScreen {
    pub fn typing(&self) -> bool {
        match &self.mode {
            Mode::List => self.list.typing(),
            Mode::Form(f) => f.typing(),
            Mode::ConfirmRevoke { .. } => false,
        }
    }

    pub fn visible<'a>(&self, data: &'a Data) -> Vec<&'a Value> {
        data.credentials.iter().filter(|c| self.list.shows(&row_text(c))).collect()
    }

    pub fn start_form(&mut self) {
        self.mode = Mode::Form(Box::new(CredentialForm::new()));
    }

    pub fn on_users(&mut self, data: &Data) {
        if let Mode::Form(form) = &mut self.mode {
            form.on_users(data);
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
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
                        ctx.out.send(Tag::RevokeCredential, "credentials.revoke", json!({"id": id}));
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

    fn list_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        let visible = self.visible(ctx.data);
        if self.list.on_key(key, visible.len()) {
            return Action::None;
        }
        let current = visible.get(self.list.cursor).map(|v| (*v).clone());
        match key.code {
            KeyCode::Char('n') | KeyCode::Char('a') => self.start_form(),
            KeyCode::Char('x') | KeyCode::Char('d') | KeyCode::Delete => {
                let Some(c) = current else { return Action::None };
                if c["status"] == "revoked" {
                    return Action::Say(format!("{} is already revoked", text(&c["label"])));
                }
                self.mode = Mode::ConfirmRevoke { id: c["id"].as_u64().unwrap_or(0), label: text(&c["label"]) };
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }

    pub fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        match result {
            Ok(v) => {
                ctx.out.send(Tag::Credentials, "credentials.list", Value::Null);
                self.mode = Mode::List;
                Some(match tag {
                    Tag::RevokeCredential => format!("revoked credential {} ({})", text(&v["id"]), text(&v["label"])),
                    _ => format!(
                        "created credential {} ({}) for {}",
                        text(&v["id"]),
                        text(&v["label"]),
                        text(&v["login"])
                    ),
                })
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
    pub fn click(&mut self, column: u16, row: u16, area: Rect, data: &Data) -> bool {
        match &mut self.mode {
            Mode::List => {
                let len = self.visible(data).len();
                self.list.click(column, row, area, DETAIL_LINES, len);
                false
            }
            Mode::Form(form) => form.click(row, area),
            _ => false,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        if let Mode::Form(form) = &self.mode {
            form.draw(frame, area, data);
            return;
        }
        let visible = self.visible(data);
        let details = visible.get(self.list.cursor).map(|c| {
            format!(
                "{}: company {} · key {}… · last IP {} · created {}",
                text(&c["label"]),
                if c["company_id"].is_null() { "all".into() } else { text(&c["company_id"]) },
                text(&c["key_prefix"]),
                or(&c["last_ip"], "-"),
                text(&c["created_at"]).chars().take(10).collect::<String>()
            )
        });
        let list = ListFrame {
            title: " Credentials ",
            header: format!(
                "  {:<3} {:<18} {:<14} {:<9} {:<8} {:<10} {:<10} {}",
                "ID", "LABEL", "USER", "SCOPE", "STATUS", "EXPIRES", "LAST USED", "REQS"
            ),
            rows: visible.into_iter().map(row_text).collect(),
            empty: "  No credentials. Press n to create one.",
            details: details.into_iter().collect(),
            hints: "n new · x revoke · / search",
        };
        self.list.draw(frame, area, DETAIL_LINES, list);
        if let Mode::ConfirmRevoke { id, label } = &self.mode {
            confirm(frame, area, &format!("Revoke credential {id} ({label})? This is permanent."));
        }
    }
}

fn or(v: &Value, fallback: &str) -> String {
    let t = text(v);
    if t.is_empty() { fallback.to_string() } else { t }
}

fn row_text(c: &Value) -> String {
    format!(
        "{:<3} {:<18} {:<14} {:<9} {:<8} {:<10} {:<10} {}",
        text(&c["id"]),
        fit(&text(&c["label"]), 18),
        fit(&text(&c["login"]), 14),
        text(&c["scope"]),
        text(&c["status"]),
        or(&c["expires_on"], "never"),
        or(&c["last_used"], "never").chars().take(10).collect::<String>(),
        text(&c["request_count"])
    )
}
