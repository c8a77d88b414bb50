//! Sessions: the live list of MCP sessions (client, credential, IP, last
//! activity, requests) from `sessions.list`, refreshed every two seconds, and
//! ending one with confirmation (`sessions.end`). A daemon that does not
//! track sessions answers "unknown operation": the screen says so.

use super::app::{Action, Ctx, Data, Loadable, Outbox, ScreenId, Tag};
use super::screen::{Click, Screen};
use super::widgets::{Rows, bold, confirm, fit, move_cursor, selected};
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
}

impl SessionsScreen {
    /// Asks for the sessions.
    pub fn load(&mut self, out: &mut Outbox) {
        if matches!(self.sessions, Loadable::NotAsked) {
            self.sessions = Loadable::Loading;
        }
        out.send(Tag::Sessions, ListSessions::default());
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
        &["e        end the selected session · g refresh"]
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
        let len = self.sessions.ready().map_or(0, Vec::len);
        if move_cursor(&mut self.cursor, len, key) {
            return Action::None;
        }
        match key.code {
            KeyCode::Char('e') | KeyCode::Char('x') | KeyCode::Delete => {
                self.confirming = self
                    .sessions
                    .ready()
                    .and_then(|s| s.get(self.cursor))
                    .map(|s| s.id.clone())
                    .filter(|id| !id.is_empty());
            }
            KeyCode::Char('g') | KeyCode::F(5) => self.load(ctx.out),
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
        let len = self.sessions.ready().map_or(0, Vec::len);
        self.cursor = self.cursor.min(len.saturating_sub(1));
        None
    }

    /// A click on a row selects that session (not while asking to end one).
    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        let len = self.sessions.ready().map_or(0, Vec::len);
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
            Loadable::Ready(s) => s,
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
        let mut lines = vec![Line::styled(
            fit(
                &format!(
                    "  {:<10} {:<14} {:<14} {:<15} {:<14} {}",
                    "SESSION", "CLIENT", "CREDENTIAL", "IP", "LAST ACTIVITY", "REQS"
                ),
                width,
            ),
            bold(),
        )];
        let rows = self.rows(area);
        for (i, s) in sessions.iter().enumerate().skip(rows.start).take(rows.height()) {
            let focused = i == self.cursor;
            let row = format!(
                "{} {:<10} {:<14} {:<14} {:<15} {:<14} {}",
                if focused { ">" } else { " " },
                fit(&s.id, 10),
                fit(&client(&s.client), 14),
                fit(s.credential.as_deref().unwrap_or_default(), 14),
                fit(&s.ip, 15),
                super::audit::short_time(&s.last_activity),
                s.requests
            );
            let line = Line::from(fit(&row, width));
            lines.push(if focused { line.style(selected()) } else { line });
        }
        if sessions.is_empty() {
            lines.push(Line::from("  No active sessions."));
        }
        lines.push(Line::from(""));
        lines.push(Line::from("e end session · g refresh"));
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some(id) = &self.confirming {
            confirm(frame, area, &format!("End session {id}? The client must start a new one."));
        }
    }
}

/// The client program as `name version`.
fn client(c: &ClientView) -> String {
    format!("{} {}", c.name, c.version).trim().to_string()
}
