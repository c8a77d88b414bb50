//! The new-credential form: the Odoo user (picked from Odoo's users, or
//! typed as `ID LOGIN` without a list), label, the pasted API key (masked;
//! sent once over the admin socket, checked against Odoo there when it is
//! reachable, and kept only as a hash), scope, expiry and company.

use super::app::{Ctx, Data, Loadable, Tag};
use super::form::{FormKey, FormNav};
use super::widgets::{Input, Picked, Picker, bold, centered};
use crate::admin::api::{CreateCredential, SecretText};
use crate::config::ApiKey;
use crate::config::credential::parse_date;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::Line;

const ROWS: [&str; 7] = ["Odoo user", "Label", "API key", "Scope", "Expires on", "Company", "[ Create ]"];
const CREATE: usize = 6;

#[derive(Debug, Clone, Default)]
pub struct CredentialForm {
    pub nav: FormNav,
    /// (id, login) picked from Odoo's list.
    pub user: Option<(u32, String)>,
    /// `ID LOGIN`, typed when Odoo's user list is unavailable.
    pub user_text: Input,
    pub label: Input,
    pub key: Input,
    pub read_only: bool,
    pub expires: Input,
    pub company: Input,
    pub picker: Option<Picker>,
    pub error: Option<String>,
}

impl CredentialForm {
    pub fn new() -> CredentialForm {
        CredentialForm { key: Input::masked(), ..CredentialForm::default() }
    }

    /// The footer's keys: the open picker's, else the form's.
    pub fn keys(&self) -> String {
        match &self.picker {
            Some(picker) => picker.keys(),
            None => self.nav.keys(),
        }
    }

    pub fn typing(&self) -> bool {
        self.nav.editing || self.picker.as_ref().is_some_and(|p| p.searching)
    }

    fn user_items(data: &Data) -> Vec<(String, String)> {
        data.users
            .ready()
            .map(|u| u.iter().map(|user| (format!("{} {}", user.id, user.login), user.name.clone())).collect())
            .unwrap_or_default()
    }

    pub fn on_users(&mut self, data: &Data) {
        if let Some(picker) = &mut self.picker {
            match &data.users {
                Loadable::Ready(_) => picker.items = Self::user_items(data),
                Loadable::Failed(_) => {
                    self.picker = None;
                    self.nav.editing = true;
                }
                _ => {}
            }
        }
    }

    /// The user as (id, login), from the picker or the typed text.
    fn user(&self) -> Result<(u32, String), String> {
        if let Some(user) = &self.user {
            return Ok(user.clone());
        }
        parse_user(&self.user_text.text)
    }

    /// The `credentials.create` request, or why the form is not ready.
    pub fn request(&self) -> Result<CreateCredential, String> {
        let (user_id, login) = self.user()?;
        if self.label.text.trim().is_empty() {
            return Err("give the credential a label, e.g. \"Claude Desktop - John\"".into());
        }
        ApiKey::parse(&self.key.text).map_err(|e| format!("API key: {}", e.0))?;
        let expires = self.expires.text.trim();
        if !expires.is_empty() {
            parse_date(expires).map_err(|e| e.0)?;
        }
        let company = self.company.text.trim();
        let company_id = if company.is_empty() {
            None
        } else {
            Some(company.parse::<u32>().map_err(|_| format!("company {company:?} is not a company id"))?)
        };
        Ok(CreateCredential {
            label: self.label.text.trim().to_string(),
            user_id,
            login,
            scope: Some(if self.read_only { "read-only" } else { "full" }.to_string()),
            expires: (!expires.is_empty()).then(|| expires.to_string()),
            company_id,
            key: SecretText(self.key.text.trim().to_string()),
            check: true,
        })
    }

    /// Handles a key; true when the form wants to close.
    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> bool {
        if let Some(picker) = &mut self.picker {
            match picker.on_key(key) {
                Picked::Open => {}
                Picked::Done => {
                    self.user = picker.chosen().first().and_then(|k| parse_user(k).ok());
                    self.picker = None;
                }
                Picked::Cancelled => self.picker = None,
            }
            return false;
        }
        match self.nav.on_key(key, CREATE) {
            FormKey::Handled | FormKey::Other => {}
            FormKey::Close => return true,
            FormKey::Save => self.submit(ctx),
            FormKey::Type(row) => {
                let input = match row {
                    0 => &mut self.user_text,
                    1 => &mut self.label,
                    2 => &mut self.key,
                    4 => &mut self.expires,
                    _ => &mut self.company,
                };
                input.on_key(key);
                self.error = match row {
                    0 => parse_user(&self.user_text.text).err(),
                    4 if !self.expires.text.trim().is_empty() => parse_date(&self.expires.text).err().map(|e| e.0),
                    _ => None,
                };
            }
            FormKey::Activate(row) => match row {
                0 => {
                    ctx.want_users();
                    if matches!(ctx.data.users, Loadable::Failed(_)) {
                        self.user = None;
                        self.nav.editing = true;
                    } else {
                        self.picker = Some(Picker::new(Self::user_items(ctx.data), &[], false));
                    }
                }
                3 => self.read_only = !self.read_only,
                CREATE => self.submit(ctx),
                _ => self.nav.editing = true,
            },
        }
        false
    }

    fn submit(&mut self, ctx: &mut Ctx) {
        match self.request() {
            Ok(request) => {
                self.error = None;
                ctx.out.send(Tag::CreateCredential, request);
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// The rows as drawn: each label with its value.
    fn rows(&self) -> Vec<(&'static str, String)> {
        let typed = |input: &Input, row: usize| self.nav.shown(input, row);
        let user = match &self.user {
            Some((id, login)) => format!("{login} (id {id})"),
            None if self.user_text.text.is_empty() && !self.nav.typing_in(0) => "(Enter: pick from Odoo)".into(),
            None => typed(&self.user_text, 0),
        };
        let values = [
            user,
            typed(&self.label, 1),
            if self.key.text.is_empty() && !self.nav.typing_in(2) {
                "(paste the user's Odoo API key)".into()
            } else {
                typed(&self.key, 2)
            },
            format!("{}  (space: full / read-only)", if self.read_only { "read-only" } else { "full" }),
            if self.expires.text.is_empty() && !self.nav.typing_in(4) {
                "never (YYYY-MM-DD)".into()
            } else {
                typed(&self.expires, 4)
            },
            if self.company.text.is_empty() && !self.nav.typing_in(5) {
                "all companies".into()
            } else {
                typed(&self.company, 5)
            },
            String::new(),
        ];
        ROWS.into_iter().zip(values).collect()
    }

    /// A left click on the form drawn in `area`: focuses the row hit, and
    /// says whether to activate it (a click on the focused row, as Enter).
    /// The field or user picker, when open, takes no clicks.
    pub fn click(&mut self, row: u16, area: Rect) -> bool {
        self.picker.is_none() && matches!(self.nav.click(row, area, &self.rows()), super::form::FormKey::Activate(_))
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        let mut lines = Vec::new();
        if let Some(e) = &self.error {
            lines.push(Line::styled(format!("! {e}"), bold()));
        }
        if let Loadable::Failed(e) = &data.users {
            lines.push(Line::from(format!("No user list ({e}); type the user as ID LOGIN.")));
        }
        lines.push(Line::from("The key is checked against Odoo when it is reachable, then kept only as a hash."));
        lines.push(Line::from("Enter edit/toggle · Ctrl-S create · Esc cancel"));
        self.nav.draw(frame, area, " New credential ", self.rows(), lines);
        if let Some(picker) = &self.picker {
            let title = if matches!(data.users, Loadable::Loading) { "Odoo users (loading…)" } else { "Odoo users" };
            picker.draw(frame, centered(area, 70, 16), title);
        }
    }
}

/// `ID LOGIN`, e.g. `2 admin`.
pub fn parse_user(text: &str) -> Result<(u32, String), String> {
    let mut parts = text.split_whitespace();
    let id = parts.next().and_then(|p| p.parse::<u32>().ok()).filter(|id| *id > 0);
    match (id, parts.next()) {
        (Some(id), Some(login)) => Ok((id, login.to_string())),
        _ => Err("the Odoo user is its id and login, e.g. \"2 admin\"".into()),
    }
}
