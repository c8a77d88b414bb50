//! Audit log: entries newest first from `audit.query`, a live tail (refreshed
//! every two seconds), filters (since, credential, model, tool, outcome,
//! text), a detail pane for the selected entry, and export to a JSON-lines
//! file. A daemon without an audit log answers "unknown operation": the
//! screen says so.

use super::app::{Action, Loadable, Outbox, Tag, text};
use super::widgets::{Input, bold, fit, form_line, move_cursor, selected};
use crate::admin_socket::ApiResult;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::{Map, Value};

/// The filters, in the order of the filter form: (argument, label).
pub const FILTERS: [(&str, &str); 6] = [
    ("from", "Since"),
    ("credential", "Credential id"),
    ("model", "Model"),
    ("tool", "Tool"),
    ("outcome", "Outcome"),
    ("text", "Text"),
];

/// How many entries one query asks for.
const PAGE: u64 = 200;

#[derive(Debug, Default)]
pub struct AuditScreen {
    pub entries: Loadable<Vec<Value>>,
    pub cursor: usize,
    pub live: bool,
    pub filters: [Input; 6],
    /// The filter form is open, with this row focused.
    pub filtering: Option<usize>,
    /// The detail pane has the focus (Tab).
    pub detail: bool,
}

impl AuditScreen {
    pub fn typing(&self) -> bool {
        self.filtering.is_some()
    }

    /// The `audit.query` arguments.
    pub fn query(&self) -> Value {
        let mut args = Map::new();
        args.insert("limit".into(), PAGE.into());
        for ((name, _), input) in FILTERS.iter().zip(&self.filters) {
            if !input.text.trim().is_empty() {
                args.insert((*name).into(), input.text.trim().into());
            }
        }
        Value::Object(args)
    }

    pub fn refresh(&mut self, out: &mut Outbox) {
        if matches!(self.entries, Loadable::NotAsked) {
            self.entries = Loadable::Loading;
        }
        out.send(Tag::Audit, "audit.query", self.query());
    }

    pub fn on_key(&mut self, key: KeyEvent, ctx: &mut super::app::Ctx) -> Action {
        if let Some(row) = self.filtering {
            match key.code {
                KeyCode::Esc => self.filtering = None,
                KeyCode::Enter => {
                    self.filtering = None;
                    self.cursor = 0;
                    self.refresh(ctx.out);
                }
                KeyCode::Up | KeyCode::BackTab => self.filtering = Some(row.saturating_sub(1)),
                KeyCode::Down | KeyCode::Tab => self.filtering = Some((row + 1).min(FILTERS.len() - 1)),
                _ => {
                    self.filters[row].on_key(key);
                }
            }
            return Action::None;
        }
        let len = self.entries.ready().map_or(0, Vec::len);
        if !self.detail && move_cursor(&mut self.cursor, len, key) {
            return Action::None;
        }
        match key.code {
            KeyCode::Tab => self.detail = !self.detail,
            KeyCode::Char('f') | KeyCode::Char('/') => {
                self.filtering = Some(if key.code == KeyCode::Char('/') { 5 } else { 0 })
            }
            KeyCode::Char('l') => {
                self.live = !self.live;
                return Action::Say(format!("live tail {}", if self.live { "on" } else { "off" }));
            }
            KeyCode::Char('g') | KeyCode::F(5) => self.refresh(ctx.out),
            KeyCode::Char('x') => return Action::Say(self.export()),
            KeyCode::Esc if self.detail => self.detail = false,
            _ => return Action::Unhandled,
        }
        Action::None
    }

    /// Writes the entries shown to `alpenglow-audit-<time>.jsonl` here.
    fn export(&self) -> String {
        let Some(entries) = self.entries.ready() else { return "nothing to export".into() };
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let path = format!("alpenglow-audit-{stamp}.jsonl");
        let body: String = entries.iter().map(|e| format!("{e}\n")).collect();
        match std::fs::write(&path, body) {
            Ok(()) => format!("exported {} entries to {path}", entries.len()),
            Err(e) => format!("cannot write {path}: {e}"),
        }
    }

    pub fn on_reply(&mut self, result: ApiResult<Value>) -> Option<String> {
        self.entries = match result {
            Ok(Value::Array(entries)) => Loadable::Ready(entries),
            Ok(v) => Loadable::Ready(v["entries"].as_array().cloned().unwrap_or_default()),
            Err(e) if e.message.starts_with("unknown operation") => {
                Loadable::Failed("this daemon keeps no audit log yet (it has no audit.query operation)".into())
            }
            Err(e) => Loadable::Failed(e.message),
        };
        let len = self.entries.ready().map_or(0, Vec::len);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        None
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let title = format!(" Audit log{} ", if self.live { " (live)" } else { "" });
        let block = Block::bordered().title(title);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [filters, body, hint] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(inner);
        let active: Vec<String> = FILTERS
            .iter()
            .zip(&self.filters)
            .filter(|(_, i)| !i.text.trim().is_empty())
            .map(|((name, _), i)| format!("{name}={}", i.text.trim()))
            .collect();
        let filter_text =
            if active.is_empty() { "filters: none".to_string() } else { format!("filters: {}", active.join(" ")) };
        frame.render_widget(Paragraph::new(fit(&filter_text, filters.width as usize)), filters);
        frame.render_widget(Paragraph::new("f filter · / text · l live · Tab detail · x export · g refresh"), hint);

        if let Some(row) = self.filtering {
            let lines: Vec<Line> = FILTERS
                .iter()
                .zip(&self.filters)
                .enumerate()
                .map(|(i, ((_, label), input))| form_line(label, input.shown(i == row), i == row))
                .chain([Line::from(""), Line::from("since: 15m, 2h, 7d, a date or RFC 3339 · Enter apply · Esc close")])
                .collect();
            frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Filters ")), body);
            return;
        }
        let entries = match &self.entries {
            Loadable::Ready(entries) => entries,
            Loadable::Failed(e) => {
                frame.render_widget(Paragraph::new(format!("Not available: {e}")).wrap(Wrap { trim: true }), body);
                return;
            }
            _ => {
                frame.render_widget(Paragraph::new("Loading…"), body);
                return;
            }
        };
        let [list, detail] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body);
        let width = list.width as usize;
        let mut lines = vec![Line::styled(
            fit(&format!("  {:<19} {:<14} {:<16} {:<18} {}", "TIME", "CREDENTIAL", "TOOL", "MODEL", "OUTCOME"), width),
            bold(),
        )];
        let height = (list.height as usize).saturating_sub(1);
        let start = self.cursor.saturating_sub(height.saturating_sub(1));
        for (i, e) in entries.iter().enumerate().skip(start).take(height) {
            let focused = i == self.cursor;
            let row = format!(
                "{} {:<19} {:<14} {:<16} {:<18} {}",
                if focused { ">" } else { " " },
                field(e, &["at", "time", "timestamp"]).replace('T', " ").chars().take(19).collect::<String>(),
                fit(&field(e, &["credential", "credential_label", "login"]), 14),
                fit(&field(e, &["tool", "operation"]), 16),
                fit(&field(e, &["model"]), 18),
                field(e, &["outcome", "status"])
            );
            let line = Line::from(fit(&row, width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        if entries.is_empty() {
            lines.push(Line::from("  No entries match."));
        }
        frame.render_widget(Paragraph::new(lines), list);
        let detail_text =
            entries.get(self.cursor).map(|e| serde_json::to_string_pretty(e).unwrap_or_default()).unwrap_or_default();
        let title = if self.detail { " Detail (focused) " } else { " Detail " };
        frame.render_widget(
            Paragraph::new(detail_text).wrap(Wrap { trim: false }).block(Block::bordered().title(title)),
            detail,
        );
    }
}

/// The first of `names` the entry has, as text.
fn field(entry: &Value, names: &[&str]) -> String {
    names.iter().map(|n| text(&entry[*n])).find(|t| !t.is_empty()).unwrap_or_default()
}
