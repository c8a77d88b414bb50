//! Settings: every global setting with its value, range and source, edited
//! in place. Input is checked against the setting's spec as it is typed; an
//! invalid value is explained on the line below and nothing is sent.

use super::app::{Action, Ctx, Data, ScreenId, Tag};
use super::screen::{Click, Screen};
use super::widgets::{
    Input, Rows, alert, bold, clear_search, confirm, fit, is_ctrl_s, matches, move_cursor, search_key, search_keys,
    selected, wrap_words,
};
use crate::admin::api::{self, ApiResult, SetSetting, SettingEntry, ShowSettings};
use crate::config::settings::{SettingKind, spec};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct SettingsScreen {
    pub cursor: usize,
    /// The value being typed, when editing.
    pub editing: Option<Input>,
    /// Why the typed value is refused (or the daemon's refusal).
    pub error: Option<String>,
    pub search: Input,
    pub searching: bool,
    /// A switch that cuts clients off (MCP off, Require Credential either
    /// way), waiting for y: (key, value).
    pub confirming: Option<(String, String)>,
}

/// What turning a switch to `value` does, when it needs a yes first.
pub fn needs_confirming(key: &str, value: &str) -> Option<String> {
    match (key, value) {
        ("enable_mcp", "off") => {
            Some("Turn MCP access off? Every AI client is refused until it is turned on again.".into())
        }
        ("require_credential", "on") => {
            Some("Require a credential for every API key? Keys without one are refused from now on.".into())
        }
        ("require_credential", "off") => Some(
            "Stop requiring credentials? Any Odoo user's API key then works without scope limits or usage tracking."
                .into(),
        ),
        _ => None,
    }
}

impl SettingsScreen {
    /// The settings the search lets through.
    pub fn visible<'a>(&self, data: &'a Data) -> Vec<&'a SettingEntry> {
        data.settings.iter().filter(|s| matches(&self.search.text, &format!("{} {}", s.key, s.label))).collect()
    }

    fn key_at(&self, data: &Data) -> Option<String> {
        self.visible(data).get(self.cursor).map(|s| s.key.clone())
    }

    /// The refusal for `input`, checked locally with the setting's own spec.
    pub fn check(key: &str, input: &str) -> Result<(), String> {
        let spec = spec(key).map_err(|e| e.0)?;
        spec.parse(input).map(|_| ()).map_err(|e| e.0)
    }

    /// The warning lines, and the areas: warnings (require_credential off,
    /// MCP off: on top while they hold), the list, the detail.
    fn areas(area: Rect, data: &Data) -> (Vec<String>, [Rect; 3]) {
        let inner = Block::bordered().inner(area);
        let warnings: Vec<String> =
            data.warnings.iter().flat_map(|w| wrap_words(&format!("! warning: {w}"), inner.width as usize)).collect();
        let areas =
            Layout::vertical([Constraint::Length(warnings.len() as u16), Constraint::Min(3), Constraint::Length(4)])
                .areas(inner);
        (warnings, areas)
    }

    /// The list's rows: under its header.
    fn rows(&self, area: Rect, data: &Data) -> Rows {
        let (_, [_, list, _]) = Self::areas(area, data);
        Rows::new(Rect { y: list.y + 1, height: list.height.saturating_sub(1), ..list }, self.cursor)
    }
}

impl Screen for SettingsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Settings
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "Enter/e  edit the setting (switches flip; MCP off and Require Credential ask first)",
            "Enter / Ctrl-S  save the value typed · Esc cancel the edit",
            "/        search · Esc clears it",
        ]
    }

    fn modal(&self) -> bool {
        self.typing() || self.confirming.is_some()
    }

    fn typing(&self) -> bool {
        self.editing.is_some() || self.searching
    }

    /// Settings change elsewhere too (the CLI, Home's quick keys, the wizard).
    fn live(&self) -> Option<Tag> {
        Some(Tag::Settings)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        ctx.out.send(Tag::Settings, ShowSettings {});
    }

    fn keys(&self) -> String {
        if self.confirming.is_some() {
            "y yes · n/Esc no".into()
        } else if self.editing.is_some() {
            "type the value · Enter/Ctrl-S save · Esc cancel".into()
        } else {
            search_keys(self.searching, &self.search, "Enter/e edit or flip · / search")
        }
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if let Some((setting, value)) = self.confirming.take() {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                ctx.out
                    .send(Tag::SaveSetting(setting.clone()), SetSetting { key: setting.clone(), value: value.clone() });
                return Action::Say(format!("saving {setting} = {value}…"));
            }
            return Action::Say(format!("{setting} unchanged"));
        }
        if search_key(&mut self.searching, &mut self.search, &mut self.cursor, key) {
            return Action::None;
        }
        if self.editing.is_some() {
            let Some(setting) = self.key_at(ctx.data) else {
                self.editing = None;
                return Action::None;
            };
            let Some(input) = &mut self.editing else { return Action::None };
            match key.code {
                KeyCode::Esc => {
                    self.editing = None;
                    self.error = None;
                }
                _ if key.code == KeyCode::Enter || is_ctrl_s(key) => match Self::check(&setting, &input.text) {
                    Ok(()) => {
                        let value = input.text.clone();
                        ctx.out.send(Tag::SaveSetting(setting.clone()), SetSetting { key: setting.clone(), value });
                        return Action::Say(format!("saving {setting}…"));
                    }
                    Err(e) => self.error = Some(e),
                },
                _ => {
                    input.on_key(key);
                    self.error = Self::check(&setting, &input.text).err();
                }
            }
            return Action::None;
        }
        let len = self.visible(ctx.data).len();
        if move_cursor(&mut self.cursor, len, key) || clear_search(&mut self.search, &mut self.cursor, key) {
            self.error = None;
            return Action::None;
        }
        match key.code {
            KeyCode::Char('/') => self.searching = true,
            KeyCode::Enter | KeyCode::Char('e') | KeyCode::Char(' ') => {
                let Some(setting) = self.key_at(ctx.data) else { return Action::None };
                let current = self.visible(ctx.data).get(self.cursor).map(|s| s.value.to_string()).unwrap_or_default();
                // A switch flips at once; everything else opens the editor.
                if spec(&setting).is_ok_and(|s| s.kind == SettingKind::Bool) {
                    let value = if current == "on" { "off" } else { "on" };
                    if needs_confirming(&setting, value).is_some() {
                        self.confirming = Some((setting, value.into()));
                        return Action::None;
                    }
                    ctx.out.send(
                        Tag::SaveSetting(setting.clone()),
                        SetSetting { key: setting.clone(), value: value.into() },
                    );
                    return Action::Say(format!("saving {setting} = {value}…"));
                }
                self.editing = Some(Input::new(&current));
                self.error = None;
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        let Tag::SaveSetting(key) = tag else { return None };
        ctx.out.send(Tag::Settings, ShowSettings {});
        match api::decode::<SetSetting>(result) {
            Ok(saved) => {
                self.editing = None;
                self.error = None;
                Some(format!("saved {key} = {}", saved.value))
            }
            Err(e) => {
                self.error = Some(e.message.clone());
                Some(format!("not saved: {}", e.message))
            }
        }
    }

    /// A click on a row selects that setting (not while one is being edited).
    fn click(&mut self, column: u16, row: u16, area: Rect, data: &Data) -> Click {
        if self.editing.is_none()
            && let Some(i) = self.rows(area, data).hit(column, row, self.visible(data).len())
        {
            self.cursor = i;
            self.error = None;
        }
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, data: &Data) {
        let block = Block::bordered().title(" Settings ");
        frame.render_widget(block, area);
        let (warnings, [top, list, detail]) = Self::areas(area, data);
        frame.render_widget(
            Paragraph::new(warnings.into_iter().map(|l| Line::styled(l, bold())).collect::<Vec<_>>()),
            top,
        );
        let visible = self.visible(data);
        let width = list.width as usize;
        let value_width = 22.min(width.saturating_sub(40));
        let mut lines = vec![Line::styled(
            fit(&format!("  {:<26} {:<value_width$} {}", "SETTING", "VALUE", "ALLOWED"), width),
            bold(),
        )];
        let rows = self.rows(area, data);
        for (i, s) in visible.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let value = match (&self.editing, focused) {
                (Some(input), true) => input.shown(true),
                _ => s.value.to_string(),
            };
            let source = if s.source == "stored" { "" } else { " *" };
            let row = format!(
                "{} {:<26} {:<value_width$} {}{source}",
                if focused { ">" } else { " " },
                fit(&s.label, 26),
                fit(&value, value_width),
                s.allowed,
            );
            let line = Line::from(fit(&row, width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        frame.render_widget(Paragraph::new(lines), list);

        let mut detail_lines = Vec::new();
        if self.searching || !self.search.text.is_empty() {
            detail_lines.push(Line::from(format!("search: /{}", self.search.shown(self.searching))));
        }
        if let Some(s) = visible.get(self.cursor) {
            let help = spec(&s.key).map(|sp| sp.help).unwrap_or_default();
            detail_lines.push(Line::from(format!("{}: {help}", s.key)));
            detail_lines
                .push(Line::from(format!("default {} · allowed {} · source {}", s.default, s.allowed, s.source)));
        }
        match &self.error {
            Some(e) => detail_lines.push(Line::styled(format!("! {e} (nothing saved)"), alert())),
            None if self.editing.is_some() => detail_lines.push(Line::from("Enter save · Esc cancel")),
            None => detail_lines.push(Line::from("Enter edit/toggle · / search · * = not stored (default or file)")),
        }
        frame.render_widget(Paragraph::new(detail_lines).wrap(Wrap { trim: false }), detail);
        if let Some((setting, value)) = &self.confirming {
            confirm(frame, area, &needs_confirming(setting, value).unwrap_or_default());
        }
    }
}
