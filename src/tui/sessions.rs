//! Sessions: the live list of MCP sessions (client, credential, IP, last
//! activity, requests) from `sessions.list`, refreshed every two seconds, and
//! ending one with confirmation (`sessions.end`). A daemon that does not
//! track sessions answers "unknown operation": the screen says so.

use super::app::{Action, Ctx, Data, Loadable, Outbox, ScreenId, Tag};
use super::screen::{Click, Screen};
use super::widgets::{
    Input, Rows, bold, clear_search, confirm, fit, matches, move_cursor, search_key, search_keys, selected,
};
use crate::admin::api::{self, ApiResult, ClientView, EndSession, ListSessions, SessionView};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};
use serde_json::Value;

#[derive(Debug, Default)]
pub struct SessionsScreen {
    pub sessions: Loadable<Vec<SessionView>>,
    pub cursor: usize,
    /// Asking whether to end this session.
    pub confirming: Option<String>,
    pub search: Input,
    pub searching: bool,
}

impl SessionsScreen {
    /// Asks for the sessions.
    pub fn load(&mut self, out: &mut Outbox) {
        if matches!(self.sessions, Loadable::NotAsked) {
            self.sessions = Loadable::Loading;
        }
        out.send(Tag::Sessions, ListSessions::default());
    }

    /// The sessions the search lets through (it looks at whole values, not
    /// at what a narrow terminal shows of them).
    pub fn visible(&self) -> Vec<&SessionView> {
        let all = self.sessions.ready().map(Vec::as_slice).unwrap_or_default();
        all.iter().filter(|s| matches(&self.search.text, &row_text(s, Widths::WHOLE))).collect()
    }

    /// The list's rows: under the header, above the blank line and the hints.
    fn rows(&self, area: Rect) -> Rows {
        let inner = Block::bordered().inner(area);
        Rows::new(Rect { y: inner.y + 1, height: inner.height.saturating_sub(3), ..inner }, self.cursor)
    }
}

impl Screen for SessionsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Sessions
    }

    fn help(&self) -> &'static [&'static str] {
        &["d        end the selected session (asks first)", "/        search · Esc clears it"]
    }

    fn keys(&self) -> String {
        if self.confirming.is_some() {
            "y yes · n/Esc no".into()
        } else {
            search_keys(self.searching, &self.search, "d end session · / search")
        }
    }

    fn modal(&self) -> bool {
        self.searching || self.confirming.is_some()
    }

    fn typing(&self) -> bool {
        self.searching
    }

    fn on_enter(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    fn live(&self) -> Option<Tag> {
        Some(Tag::Sessions)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if let Some(id) = self.confirming.take() {
            if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                ctx.out.send(Tag::EndSession, EndSession { id: id.clone() });
                return Action::Say(format!("ending session {id}…"));
            }
            return Action::None;
        }
        if search_key(&mut self.searching, &mut self.search, &mut self.cursor, key) {
            return Action::None;
        }
        let len = self.visible().len();
        if move_cursor(&mut self.cursor, len, key) || clear_search(&mut self.search, &mut self.cursor, key) {
            return Action::None;
        }
        match key.code {
            KeyCode::Char('/') => self.searching = true,
            KeyCode::Char('d') | KeyCode::Delete => {
                self.confirming = self.visible().get(self.cursor).map(|s| s.id.clone()).filter(|id| !id.is_empty());
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        if *tag == Tag::EndSession {
            self.load(ctx.out);
            return Some(match result {
                Ok(_) => "session ended".into(),
                Err(e) => format!("not ended: {}", e.message),
            });
        }
        self.sessions = match api::decode::<ListSessions>(result) {
            Ok(list) => Loadable::Ready(list),
            Err(e) if e.message.starts_with("unknown operation") => {
                Loadable::Failed("this daemon does not track sessions yet (it has no sessions.list operation)".into())
            }
            Err(e) => Loadable::Failed(e.message),
        };
        let len = self.visible().len();
        self.cursor = self.cursor.min(len.saturating_sub(1));
        None
    }

    /// A click on a row selects that session (not while asking to end one).
    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        let len = self.visible().len();
        if self.confirming.is_none()
            && let Some(i) = self.rows(area).hit(column, row, len)
        {
            self.cursor = i;
        }
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _data: &Data) {
        let block = Block::bordered().title(" Sessions (live) ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let sessions = match &self.sessions {
            Loadable::Ready(_) => self.visible(),
            Loadable::Failed(e) => {
                frame.render_widget(Paragraph::new(format!("Not available: {e}")).wrap(Wrap { trim: true }), inner);
                return;
            }
            _ => {
                frame.render_widget(Paragraph::new("Loading…"), inner);
                return;
            }
        };
        let width = inner.width as usize;
        let w = Widths::at(area.width);
        let mut lines = vec![Line::styled(
            fit(
                &format!(
                    "  {:<id$} {:<client$} {:<credential$} {:<ip$} {:<14} {}",
                    "SESSION",
                    "CLIENT",
                    "CREDENTIAL",
                    "IP",
                    "LAST ACTIVITY",
                    "REQS",
                    id = w.id,
                    client = w.client,
                    credential = w.credential,
                    ip = w.ip
                ),
                width,
            ),
            bold(),
        )];
        let rows = self.rows(area);
        for (i, s) in sessions.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let row = format!("{} {}", if focused { ">" } else { " " }, row_text(s, w));
            let line = Line::from(fit(&row, width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        if sessions.is_empty() {
            lines.push(Line::from(if self.search.text.is_empty() {
                "  No active sessions."
            } else {
                "  No session matches the search."
            }));
        }
        lines.push(Line::from(""));
        let search = if self.searching || !self.search.text.is_empty() {
            format!("/{}  ", self.search.shown(self.searching))
        } else {
            String::new()
        };
        lines.push(Line::from(format!("{search}d end session · / search")));
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some(id) = &self.confirming {
            confirm(frame, area, &format!("End session {id}? The client must start a new one."));
        }
    }
}

/// The session, client, credential and IP columns: 10, 14, 14 and 15 at
/// 80 columns; a wider terminal shares the extra width out among them (an
/// IP needs at most 39, an IPv6 address).
#[derive(Debug, Clone, Copy)]
struct Widths {
    id: usize,
    client: usize,
    credential: usize,
    ip: usize,
}

impl Widths {
    /// Every value whole (what the search looks at).
    const WHOLE: Widths = Widths { id: usize::MAX, client: usize::MAX, credential: usize::MAX, ip: usize::MAX };

    fn at(area_width: u16) -> Widths {
        let extra = usize::from(area_width.saturating_sub(80));
        let ip = 15 + (extra / 6).min(24);
        let rest = extra - (ip - 15);
        Widths { id: 10 + rest / 4, client: 14 + rest * 3 / 8, credential: 14 + rest * 3 / 8, ip }
    }
}

/// A session's columns, each cut to its width.
fn row_text(s: &SessionView, w: Widths) -> String {
    let column = |text: &str, width: usize| {
        if width == usize::MAX { text.to_string() } else { format!("{:<width$}", fit(text, width)) }
    };
    format!(
        "{} {} {} {} {:<14} {}",
        column(&s.id, w.id),
        column(&client(&s.client), w.client),
        column(s.credential.as_deref().unwrap_or_default(), w.credential),
        column(&s.ip, w.ip),
        super::audit::short_time(&s.last_activity),
        s.requests
    )
}

/// The client program as `name version`.
fn client(c: &ClientView) -> String {
    format!("{} {}", c.name, c.version).trim().to_string()
}
