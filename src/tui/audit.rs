//! Audit log: entries newest first from `audit.query`, a live tail (refreshed
//! every two seconds), filters (since, credential, model, tool, outcome,
//! text), a detail pane for the selected entry, and export to a JSON-lines
//! file the admin names (every entry the filters match, written by the
//! worker). A daemon without an audit log answers "unknown operation": the
//! screen says so.

use super::app::{Action, Loadable, Outbox, Tag, text};
use super::widgets::{Input, Rows, bold, centered, fit, form_line, inside, move_cursor, selected};
use super::worker::EXPORT_AUDIT;
use crate::admin_socket::ApiResult;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use serde_json::{Map, Value, json};

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
    /// The export prompt is open: the file to write.
    pub export: Option<Input>,
    /// Why the last export failed (shown in the prompt).
    pub export_error: Option<String>,
    /// An export was sent and is not answered yet.
    pub exporting: bool,
}

impl AuditScreen {
    pub fn typing(&self) -> bool {
        self.filtering.is_some() || self.export.is_some()
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
        if let Some(input) = &mut self.export {
            match key.code {
                KeyCode::Esc => {
                    self.export = None;
                    self.export_error = None;
                }
                KeyCode::Enter if self.exporting => {}
                KeyCode::Enter if input.text.trim().is_empty() => {
                    self.export_error = Some("type the path of the file to write".into())
                }
                KeyCode::Enter => {
                    let path = input.text.trim().to_string();
                    let mut filters = self.query();
                    if let Value::Object(map) = &mut filters {
                        map.remove("limit");
                    }
                    ctx.out.send(Tag::ExportAudit, EXPORT_AUDIT, json!({"path": path, "filters": filters}));
                    self.exporting = true;
                    self.export_error = None;
                    return Action::Say(format!("exporting to {path}…"));
                }
                _ => {
                    input.on_key(key);
                    self.export_error = None;
                }
            }
            return Action::None;
        }
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
            KeyCode::Char('x') => {
                self.export = Some(Input::new(&Self::default_export_name()));
                self.export_error = None;
            }
            KeyCode::Esc if self.detail => self.detail = false,
            _ => return Action::Unhandled,
        }
        Action::None
    }

    /// The export prompt's first suggestion: a new file in the current directory.
    pub fn default_export_name() -> String {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
        format!("alpenglow-audit-{}.jsonl", now.format(format).unwrap_or_default())
    }

    /// The export's answer: where and how many, or why not (the prompt stays open).
    pub fn on_export(&mut self, result: ApiResult<Value>) -> String {
        self.exporting = false;
        match result {
            Ok(v) => {
                self.export = None;
                self.export_error = None;
                format!("exported {} entries to {}", text(&v["entries"]), text(&v["path"]))
            }
            Err(e) => {
                let message = format!("not exported: {}", e.message);
                self.export_error = Some(e.message);
                message
            }
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

    /// The filter line, the body (list and detail, or the filter form), the hints.
    fn areas(area: Rect) -> [Rect; 3] {
        let inner = Block::bordered().inner(area);
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(inner)
    }

    /// The body's two panes: the entries and the selected one's detail.
    fn panes(body: Rect) -> [Rect; 2] {
        Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(body)
    }

    /// The entries' rows: under the list's header.
    fn rows(&self, area: Rect) -> Rows {
        let [list, _] = Self::panes(Self::areas(area)[1]);
        Rows::new(Rect { y: list.y + 1, height: list.height.saturating_sub(1), ..list }, self.cursor)
    }

    /// A click on an entry selects it and focuses the list; on the detail
    /// pane focuses it (as Tab does). Not while a form or the export is open.
    pub fn click(&mut self, column: u16, row: u16, area: Rect) {
        if self.filtering.is_some() || self.export.is_some() {
            return;
        }
        let Some(entries) = self.entries.ready() else { return };
        if let Some(i) = self.rows(area).hit(column, row, entries.len()) {
            self.cursor = i;
            self.detail = false;
        } else if inside(Self::panes(Self::areas(area)[1])[1], column, row) {
            self.detail = true;
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        self.draw_log(frame, area);
        if let Some(input) = &self.export {
            self.draw_export(frame, area, input);
        }
    }

    fn draw_log(&self, frame: &mut Frame, area: Rect) {
        let title = format!(" Audit log{} ", if self.live { " (live)" } else { "" });
        let block = Block::bordered().title(title);
        frame.render_widget(block, area);
        let [filters, body, hint] = Self::areas(area);
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
        let [list, detail] = Self::panes(body);
        let width = list.width as usize;
        let mut lines = vec![Line::styled(
            fit(
                &format!("  {:<14} {:<14} {:<12} {:<18} {}", "TIME (UTC)", "CREDENTIAL", "TOOL", "MODEL", "OUTCOME"),
                width,
            ),
            bold(),
        )];
        let rows = self.rows(area);
        for (i, e) in entries.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let row = format!(
                "{} {:<14} {:<14} {:<12} {:<18} {}",
                if focused { ">" } else { " " },
                short_time(&field(e, &["at", "time", "timestamp"])),
                fit(&field(e, &["credential", "credential_label", "login"]), 14),
                fit(field(e, &["tool", "operation"]).trim_start_matches("alpenglow_"), 12),
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

    fn draw_export(&self, frame: &mut Frame, area: Rect, input: &Input) {
        let rect = centered(area, 76, 8);
        frame.render_widget(Clear, rect);
        let mut lines = vec![
            form_line("File", input.shown(!self.exporting), true),
            Line::from("Every entry the filters match, oldest first, one JSON object a line;"),
            Line::from("a relative path is in the directory the dashboard was started in."),
        ];
        match (&self.export_error, self.exporting) {
            (_, true) => lines.push(Line::from("writing…")),
            (Some(e), _) => lines.push(Line::styled(format!("! {e}"), bold())),
            (None, _) => lines.push(Line::from("Enter write · Esc cancel · Ctrl-U clear")),
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(Block::bordered().title(" Export the audit log ")),
            rect,
        );
    }
}

/// The first of `names` the entry has, as text.
fn field(entry: &Value, names: &[&str]) -> String {
    names.iter().map(|n| text(&entry[*n])).find(|t| !t.is_empty()).unwrap_or_default()
}

/// `2026-11-27T10:00:05.123Z` as `11-27 10:00:05`: the year and fractions
/// make way for the outcome at 80 columns (the detail pane has it whole).
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(5..19).map_or_else(|| rfc3339.to_string(), |t| t.replace('T', " "))
}
