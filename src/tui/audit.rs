//! Audit log: entries newest first from `audit.query`, a live tail (refreshed
//! every two seconds), filters (since, credential, model, tool, outcome,
//! text), a detail pane for the selected entry, and export to a JSON-lines
//! file the admin names (every entry the filters match, written by the
//! worker). A daemon without an audit log answers "unknown operation": the
//! screen says so.

use super::app::{Action, Ctx, Data, Job, Loadable, Outbox, ScreenId, Tag};
use super::screen::{Click, Screen};
use super::widgets::{Input, Rows, bold, centered, fit, form_line, inside, move_cursor, selected, wrap_words};
use super::worker::Exported;
use crate::admin::api::{self, ApiResult, AuditRecord, QueryAudit};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use serde_json::Value;

/// The filters, in the order of the filter form: (argument, label).
pub const FILTERS: [(&str, &str); 7] = [
    ("from", "Since"),
    ("credential", "Credential id"),
    ("model", "Model"),
    ("tool", "Tool"),
    ("outcome", "Outcome"),
    ("text", "Text"),
    ("to", "Before (jump)"),
];

/// The filter form's row for the text search (`/`) and for a jump to a time (`t`).
const TEXT_ROW: usize = 5;
const JUMP_ROW: usize = 6;

/// How many entries one query asks for.
const PAGE: u64 = 200;

#[derive(Debug, Default)]
pub struct AuditScreen {
    pub entries: Loadable<Vec<AuditRecord>>,
    pub cursor: usize,
    pub live: bool,
    pub filters: [Input; 7],
    /// The page shown: the cursors that started each page before it (the
    /// newest page has none), so `[` goes back and `]` on.
    pub pages: Vec<Option<u64>>,
    /// The shown page's own cursor, and the next (older) page's, if any.
    pub page_cursor: Option<u64>,
    pub next_cursor: Option<u64>,
    /// The id of the selected entry: live refreshes keep it selected.
    pub selected_id: Option<u64>,
    /// Lines the detail pane is scrolled down.
    pub detail_scroll: u16,
    /// The detail of the selected entry fills the screen (Enter).
    pub full_detail: bool,
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
    /// The hash chain: its head, the latest checkpoint, the last verification.
    pub chain: Option<api::AuditStatus>,
    /// How many entries the filters match, and how many precede the page
    /// (none from a daemon of the release before).
    pub count: Option<api::AuditCount>,
    /// The newest entry of the first page as last shown.
    pub newest_id: Option<u64>,
}

impl AuditScreen {
    /// The `audit.query` request, or why the filters cannot make one.
    pub fn query(&self) -> Result<QueryAudit, String> {
        let mut query =
            QueryAudit { limit: Some(PAGE), cursor: self.page_cursor, count: true, ..QueryAudit::default() };
        for ((name, _), input) in FILTERS.iter().zip(&self.filters) {
            let text = input.text.trim();
            if text.is_empty() {
                continue;
            }
            let value = Some(text.to_string());
            match *name {
                "from" => query.from = value,
                "credential" => {
                    query.credential = Some(text.parse().map_err(|_| "credential must be a whole number".to_string())?)
                }
                "model" => query.model = value,
                "tool" => query.tool = value,
                "outcome" => query.outcome = value,
                "to" => query.to = value,
                _ => query.text = value,
            }
        }
        Ok(query)
    }

    /// Asks for the entries the filters match, and how many they are.
    pub fn load(&mut self, out: &mut Outbox) {
        self.load_counting(out, true);
    }

    /// [`AuditScreen::load`]; `count` asks for the whole filtered log's size.
    fn load_counting(&mut self, out: &mut Outbox, count: bool) {
        match self.query().map(|query| QueryAudit { count, ..query }) {
            Ok(query) => {
                if matches!(self.entries, Loadable::NotAsked) {
                    self.entries = Loadable::Loading;
                }
                out.send(Tag::Audit, query);
                out.send(Tag::AuditChain, api::GetAuditStatus {});
            }
            Err(e) => self.entries = Loadable::Failed(e),
        }
    }

    /// The export prompt's first suggestion: a new file in the current directory.
    pub fn default_export_name() -> String {
        let now = time::OffsetDateTime::now_utc();
        let format = time::macros::format_description!("[year][month][day]-[hour][minute][second]");
        format!("alpenglow-audit-{}.jsonl", now.format(format).unwrap_or_default())
    }

    /// The export's answer: where and how many, or why not (the prompt stays open).
    fn on_export(&mut self, result: ApiResult<Value>) -> String {
        self.exporting = false;
        let exported = result
            .and_then(|v| serde_json::from_value::<Exported>(v).map_err(|e| api::ApiError::failed(e.to_string())));
        match exported {
            Ok(done) => {
                self.export = None;
                self.export_error = None;
                let noun = if done.entries == 1 { "entry" } else { "entries" };
                format!("exported {} {noun} to {}", done.entries, done.path)
            }
            Err(e) => {
                let message = format!("not exported: {}", e.message);
                self.export_error = Some(e.message);
                message
            }
        }
    }

    /// Back to the newest page (new filters, a jump).
    pub fn first_page(&mut self) {
        self.pages.clear();
        self.page_cursor = None;
        self.cursor = 0;
        self.selected_id = None;
    }

    /// Where the selection is in the whole filtered log, and which entries
    /// the page shows: `entry 230 of 1450 · page 2 (201–400)`.
    pub fn position(&self) -> String {
        let shown = self.entries.ready().map_or(0, Vec::len);
        let page = self.pages.len() + 1;
        let mut text = match (self.count, shown) {
            (Some(count), 0) => format!("{} · page {page}", entries_total(count)),
            (None, 0) => format!("page {page}"),
            (Some(count), _) => {
                let first = count.before as usize;
                format!(
                    "entry {} of {} · page {page} ({}–{})",
                    first + self.cursor + 1,
                    total(count),
                    first + 1,
                    first + shown
                )
            }
            // A daemon that does not count: the page's own numbers.
            (None, _) => {
                let first = self.pages.len() * PAGE as usize;
                format!("entry {} of {}–{} · page {page}", first + self.cursor + 1, first + 1, first + shown)
            }
        };
        text.push_str(match (self.pages.is_empty(), self.next_cursor.is_some()) {
            (true, true) => " · ] older",
            (false, true) => " · [ newer ] older",
            (false, false) => " · [ newer · oldest page",
            (true, false) => " · all entries",
        });
        text
    }

    /// Whether the daemon counts the current filters without reading
    /// entries: none, a time range, one credential or one model.
    fn count_is_cheap(&self) -> bool {
        let set =
            |name: &str| FILTERS.iter().zip(&self.filters).any(|((n, _), i)| *n == name && !i.text.trim().is_empty());
        let reads_entries = set("tool") || set("outcome") || set("text") || (set("credential") && set("model"));
        !reads_entries
    }

    fn on_entries(&mut self, result: ApiResult<Value>) {
        self.entries = match api::decode::<QueryAudit>(result) {
            Ok(page) => {
                self.next_cursor = page.next_cursor;
                let first_page = self.pages.is_empty();
                let newest = page.entries.first().map(|e| e.fields().id);
                self.count = match (page.count, self.count) {
                    (Some(count), _) => Some(count),
                    // Not counted again (live tail): the newest page's new entries.
                    (None, Some(mut count)) if first_page => {
                        let since = self.newest_id.unwrap_or(u64::MAX);
                        count.total += page.entries.iter().filter(|e| e.fields().id > since).count() as u64;
                        Some(count)
                    }
                    (None, kept) => kept,
                };
                if first_page {
                    self.newest_id = newest;
                }
                // The selection stays on its entry as new ones arrive.
                if let Some(at) = self.selected_id.and_then(|id| page.entries.iter().position(|e| e.fields().id == id))
                {
                    self.cursor = at;
                }
                Loadable::Ready(page.entries)
            }
            Err(e) if e.message.starts_with("unknown operation") => {
                Loadable::Failed("this daemon keeps no audit log yet (it has no audit.query operation)".into())
            }
            Err(e) => Loadable::Failed(e.message),
        };
        let len = self.entries.ready().map_or(0, Vec::len);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        self.remember_selection();
    }

    fn remember_selection(&mut self) {
        let id = self.entries.ready().and_then(|e| e.get(self.cursor)).map(|e| e.fields().id);
        if id != self.selected_id {
            self.detail_scroll = 0;
        }
        self.selected_id = id;
    }

    /// `]` the next (older) page, `[` the previous one.
    fn turn_page(&mut self, older: bool, out: &mut Outbox) -> Action {
        if older {
            let Some(next) = self.next_cursor else { return Action::Say("this is the oldest page".into()) };
            self.pages.push(self.page_cursor);
            self.page_cursor = Some(next);
        } else {
            let Some(previous) = self.pages.pop() else { return Action::Say("this is the newest page".into()) };
            self.page_cursor = previous;
        }
        self.cursor = 0;
        self.selected_id = None;
        self.load(out);
        Action::None
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

    fn draw_log(&self, frame: &mut Frame, area: Rect) {
        let title = format!(" Audit log{} ", if self.live { " (live)" } else { "" });
        let mut block = Block::bordered().title(title);
        if let Some(chain) = &self.chain {
            block = block.title_bottom(fit(&chain_line(chain), area.width.saturating_sub(2) as usize));
        }
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
        frame.render_widget(Paragraph::new(fit(&self.position(), hint.width as usize)), hint);

        if let Some(row) = self.filtering {
            let lines: Vec<Line> = FILTERS
                .iter()
                .zip(&self.filters)
                .enumerate()
                .map(|(i, ((_, label), input))| form_line(label, input.shown(i == row), i == row))
                .chain([
                    Line::from(""),
                    Line::from("since / before: 15m, 2h, 7d, a date or RFC 3339 · Enter apply · Esc close"),
                ])
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
        if self.full_detail {
            self.draw_detail(frame, body, entries, " Detail (full screen: Enter/Esc back) ");
            return;
        }
        let [list, detail] = Self::panes(body);
        let width = list.width as usize;
        let Widths { who, tool, model } = Widths::at(area.width);
        let mut lines = vec![Line::styled(
            fit(
                &format!(
                    "  {:<14} {:<who$} {:<tool$} {:<model$} {}",
                    "TIME (UTC)", "CREDENTIAL", "TOOL", "MODEL", "OUTCOME"
                ),
                width,
            ),
            bold(),
        )];
        let rows = self.rows(area);
        for (i, e) in entries.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let e = e.fields();
            let by = [&e.credential, &e.login].into_iter().flatten().find(|t| !t.is_empty());
            let row = format!(
                "{} {:<14} {:<who$} {:<tool$} {:<model$} {}",
                if focused { ">" } else { " " },
                short_time(&e.time),
                fit(by.map_or("", |w| w.as_str()), who),
                fit(e.tool.trim_start_matches("alpenglow_"), tool),
                fit(e.model.as_deref().unwrap_or_default(), model),
                e.outcome
            );
            let line = Line::from(fit(&row, width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        if entries.is_empty() {
            lines.push(Line::from("  No entries match."));
        }
        frame.render_widget(Paragraph::new(lines), list);
        let title = if self.detail { " Detail (focused: ↑↓ scroll) " } else { " Detail " };
        self.draw_detail(frame, detail, entries, title);
    }

    /// The selected entry as it came, scrolled; the title says how far.
    fn draw_detail(&self, frame: &mut Frame, area: Rect, entries: &[AuditRecord], title: &str) {
        let text = entries
            .get(self.cursor)
            .map(|e| serde_json::to_string_pretty(e.json()).unwrap_or_default())
            .unwrap_or_default();
        // Long values wrap: count the lines as drawn.
        let width = area.width.saturating_sub(2) as usize;
        let lines: usize = text.lines().map(|l| wrap_words(l, width).len().max(1)).sum();
        let visible = area.height.saturating_sub(2) as usize;
        let top = (self.detail_scroll as usize).min(lines.saturating_sub(visible));
        let title = if lines > visible {
            format!("{title}lines {}–{} of {lines} ", top + 1, (top + visible).min(lines))
        } else {
            title.to_string()
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .scroll((top as u16, 0))
                .block(Block::bordered().title(title)),
            area,
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

impl Screen for AuditScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Audit
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "Enter/e  the entry's detail, full screen (↑↓ PgUp PgDn scroll)",
            "[ ]      newer / older page (200 a page) · t jump to a time",
            "f        filters · / text filter · Esc clears them",
            "l        live tail on/off (the selection stays on its entry)",
            "Tab      detail pane (scrolls) · x export the current filter to a file",
        ]
    }

    fn keys(&self) -> String {
        if self.export.is_some() {
            "type the file's path · Enter export · Esc cancel".into()
        } else if self.filtering.is_some() {
            "type · ↑↓/Tab move · Enter apply · Esc close".into()
        } else if self.full_detail {
            "↑↓ PgUp PgDn scroll · Enter/Esc back to the list".into()
        } else if self.detail {
            "↑↓ PgUp PgDn scroll · Tab/Esc back to the list".into()
        } else {
            "↵ detail · [ ] page · t time · f filter · l live · x export".into()
        }
    }

    fn typing(&self) -> bool {
        self.filtering.is_some() || self.export.is_some()
    }

    fn on_enter(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    /// With the live tail on, the entries are asked for every two seconds.
    fn live(&self) -> Option<Tag> {
        self.live.then_some(Tag::Audit)
    }

    /// With the live tail on, a count that reads entries (a tool, outcome or
    /// text filter) is not asked every two seconds: the newest page's new
    /// entries are added to the last one instead.
    fn refresh(&mut self, ctx: &mut Ctx) {
        let count = !self.live || self.count.is_none() || self.count_is_cheap();
        self.load_counting(ctx.out, count);
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
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
                    let filters = match self.query() {
                        Ok(query) => QueryAudit { limit: None, count: false, ..query },
                        Err(e) => {
                            let said = format!("not exported: {e}");
                            self.export_error = Some(e);
                            return Action::Say(said);
                        }
                    };
                    ctx.out.job(Tag::ExportAudit, Job::ExportAudit { path: path.clone(), filters });
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
                    self.first_page();
                    self.load(ctx.out);
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
        if self.detail || self.full_detail {
            // The detail scrolls: it may be longer than its pane.
            // Up to its last line (the drawing keeps the pane full).
            let lines = self
                .entries
                .ready()
                .and_then(|e| e.get(self.cursor))
                .map_or(0, |e| serde_json::to_string_pretty(e.json()).unwrap_or_default().lines().count());
            let mut line = self.detail_scroll as usize;
            if move_cursor(&mut line, lines, key) {
                self.detail_scroll = line as u16;
                return Action::None;
            }
        } else if move_cursor(&mut self.cursor, len, key) {
            self.remember_selection();
            return Action::None;
        }
        match key.code {
            KeyCode::Enter | KeyCode::Char('e') if len > 0 => {
                self.full_detail = !self.full_detail;
                self.detail = false;
            }
            KeyCode::Esc if self.full_detail => self.full_detail = false,
            KeyCode::Tab => self.detail = !self.detail,
            KeyCode::Char(']') | KeyCode::Char('[') => return self.turn_page(key.code == KeyCode::Char(']'), ctx.out),
            KeyCode::Char('t') => self.filtering = Some(JUMP_ROW),
            KeyCode::Char('f') | KeyCode::Char('/') => {
                self.filtering = Some(if key.code == KeyCode::Char('/') { TEXT_ROW } else { 0 })
            }
            KeyCode::Char('l') => {
                self.live = !self.live;
                return Action::Say(format!("live tail {}", if self.live { "on" } else { "off" }));
            }
            KeyCode::Char('x') => {
                self.export = Some(Input::new(&Self::default_export_name()));
                self.export_error = None;
            }
            KeyCode::Esc if self.detail => {
                self.detail = false;
                self.detail_scroll = 0;
            }
            // Esc clears the filters (the search) before it leaves.
            KeyCode::Esc if self.filters.iter().any(|f| !f.text.trim().is_empty()) => {
                self.filters.iter_mut().for_each(|f| f.set(""));
                self.first_page();
                self.load(ctx.out);
                return Action::Say("filters cleared".into());
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, _ctx: &mut Ctx) -> Option<String> {
        match tag {
            Tag::ExportAudit => Some(self.on_export(result)),
            // A daemon of the release before the hash chain has no audit.status.
            Tag::AuditChain => {
                self.chain = api::decode::<api::GetAuditStatus>(result).ok();
                None
            }
            _ => {
                self.on_entries(result);
                None
            }
        }
    }

    /// A click on an entry selects it and focuses the list; on the detail
    /// pane focuses it (as Tab does). Not while a form or the export is open.
    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        if self.filtering.is_some() || self.export.is_some() {
            return Click::None;
        }
        let Some(entries) = self.entries.ready() else { return Click::None };
        if let Some(i) = self.rows(area).hit(column, row, entries.len()) {
            self.cursor = i;
            self.detail = false;
        } else if inside(Self::panes(Self::areas(area)[1])[1], column, row) {
            self.detail = true;
        }
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _data: &Data) {
        self.draw_log(frame, area);
        if let Some(input) = &self.export {
            self.draw_export(frame, area, input);
        }
    }
}

/// `1450`, or `1031+` when a filtered count stopped early.
fn total(count: api::AuditCount) -> String {
    if count.exact { count.total.to_string() } else { format!("{}+", count.total) }
}

/// `no entries`, `1 entry`, `1450 entries`.
fn entries_total(count: api::AuditCount) -> String {
    match (count.total, count.exact) {
        (0, true) => "no entries".into(),
        (1, true) => "1 entry".into(),
        _ => format!("{} entries", total(count)),
    }
}

/// The credential, tool and model columns: 14, 12 and 18 at 80 columns; a
/// wider terminal gives them a third, a sixth and a third of the extra width
/// (the outcome takes the rest).
#[derive(Debug, Clone, Copy)]
struct Widths {
    who: usize,
    tool: usize,
    model: usize,
}

impl Widths {
    fn at(area_width: u16) -> Widths {
        let extra = usize::from(area_width.saturating_sub(80));
        Widths { who: 14 + extra / 3, tool: 12 + extra / 6, model: 18 + extra / 3 }
    }
}

/// The hash chain in one line: the head, the latest signed checkpoint and
/// the last verification (`broken at seq N` when it failed).
pub fn chain_line(chain: &api::AuditStatus) -> String {
    let minute = |t: &str| short_time(t).get(..11).map(str::to_string).unwrap_or_default();
    let checkpoint = match &chain.checkpoint {
        Some(c) => format!("signed {} ({} {})", c.seq, c.kind, minute(&c.time)),
        None => "no checkpoint yet".into(),
    };
    let verified = match &chain.last_verification {
        Some(v) if v.ok => format!("verified ok {}", minute(&v.checked_at)),
        Some(v) => match &v.broken {
            Some(b) => format!("BROKEN at seq {} ({})", b.seq, minute(&v.checked_at)),
            None => "verification failed".into(),
        },
        None => "not verified yet".into(),
    };
    format!(" seq {} · {checkpoint} · {verified} ", chain.seq)
}

/// `2026-11-27T10:00:05.123Z` as `11-27 10:00:05`: the year and fractions
/// make way for the outcome at 80 columns (the detail pane has it whole).
pub fn short_time(rfc3339: &str) -> String {
    rfc3339.get(5..19).map_or_else(|| rfc3339.to_string(), |t| t.replace('T', " "))
}
