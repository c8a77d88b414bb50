//! Approvals: the writes held for a person's decision (`approvals.list`),
//! those waiting first with their expiry counting down, refreshed every two
//! seconds; `h` adds the decided, expired and run ones. Enter opens the
//! exact operation (`approvals.get`); `y` approves after asking, `d` denies
//! with an optional reason typed in a small form. Who decided is recorded
//! by the daemon from the admin socket's peer, never sent from here.

use super::app::{Action, Ctx, Data, Loadable, Outbox, ScreenId, Tag};
use super::approval_detail::{DenyForm, DenyKey, draw_detail, operation_name, requester, when};
use super::list::{ListFrame, ListView};
use super::screen::{Click, Screen};
use super::widgets::{confirm, fit};
use crate::admin::api::{self, ApiResult, ApprovalView, ApproveApproval, DenyApproval, GetApproval, ListApprovals};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    List,
    /// One approval's detail, scrolled by this many lines.
    Detail { id: u64, scroll: usize },
    /// `y` asked to approve: waiting for y.
    ConfirmApprove { id: u64, summary: String, back_to_detail: bool },
    /// `d`: the reason being typed.
    Deny { form: DenyForm, back_to_detail: bool },
}

#[derive(Debug, Default)]
pub struct ApprovalsScreen {
    pub approvals: Loadable<Vec<ApprovalView>>,
    /// The approval the detail shows, as last fetched (it may have left
    /// the list: decided while the list hides decided ones).
    pub detail: Option<ApprovalView>,
    pub list: ListView,
    pub mode: Mode,
    /// Decided, expired and run approvals too (kept 7 days).
    pub show_all: bool,
    /// The clock the countdowns read, fixed by tests; else the system's.
    pub clock: Option<i64>,
}

/// Lines between the rows and the hints: the selected approval's summary.
const DETAIL_LINES: u16 = 1;

impl ApprovalsScreen {
    /// Seconds since the epoch, for the countdowns.
    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| time::OffsetDateTime::now_utc().unix_timestamp())
    }

    /// Asks for the list, and for the approval the detail shows.
    pub fn load(&mut self, out: &mut Outbox) {
        if matches!(self.approvals, Loadable::NotAsked) {
            self.approvals = Loadable::Loading;
        }
        out.send(Tag::Approvals, ListApprovals { all: self.show_all });
        if let Some(id) = self.shown_id() {
            out.send(Tag::Approval, GetApproval { id });
        }
    }

    fn shown_id(&self) -> Option<u64> {
        match &self.mode {
            Mode::Detail { id, .. } => Some(*id),
            Mode::ConfirmApprove { id, back_to_detail: true, .. } => Some(*id),
            Mode::Deny { form, back_to_detail: true } => Some(form.id),
            _ => None,
        }
    }

    /// The approvals the search lets through: pending ones first, then
    /// approved ones, soonest to expire first; then the rest as the daemon
    /// orders them (newest first).
    pub fn visible(&self) -> Vec<&ApprovalView> {
        let all = self.approvals.ready().map(Vec::as_slice).unwrap_or_default();
        let now = self.now();
        let mut shown: Vec<&ApprovalView> =
            all.iter().filter(|a| self.list.shows(&row_text(a, now, Widths::at(80)))).collect();
        // Pending (a decision is needed), then approved (waiting for the
        // caller's check), each soonest to expire first; the sort is stable.
        shown.sort_by_key(|a| match a.state.as_str() {
            "pending" => (0, a.expires_at.clone()),
            "approved" => (1, a.expires_at.clone()),
            _ => (2, String::new()),
        });
        shown
    }

    fn selected(&self) -> Option<ApprovalView> {
        self.visible().get(self.list.cursor).map(|a| (*a).clone())
    }

    /// The list's keys (the title says whether decided ones are shown).
    fn hints(&self) -> &'static str {
        "Enter/e open · y approve · d deny · h decided · / search"
    }

    fn detail_hints() -> &'static str {
        "y approve · d deny · ↑↓ scroll · Esc back to the list"
    }

    /// `y` on an approval: asks first; only a pending one can be approved.
    fn ask_approve(&mut self, a: Option<ApprovalView>, back_to_detail: bool) -> Action {
        let Some(a) = a else { return Action::None };
        if a.state != "pending" {
            return Action::Say(format!("approval {} is {}: only a pending one can be decided", a.id, a.state));
        }
        self.mode = Mode::ConfirmApprove { id: a.id, summary: a.summary, back_to_detail };
        Action::None
    }

    fn ask_deny(&mut self, a: Option<ApprovalView>, back_to_detail: bool) -> Action {
        let Some(a) = a else { return Action::None };
        if a.state != "pending" {
            return Action::Say(format!("approval {} is {}: only a pending one can be decided", a.id, a.state));
        }
        self.mode = Mode::Deny { form: DenyForm::new(&a), back_to_detail };
        Action::None
    }

    fn open(&mut self, a: Option<ApprovalView>, out: &mut Outbox) {
        let Some(a) = a else { return };
        self.mode = Mode::Detail { id: a.id, scroll: 0 };
        out.send(Tag::Approval, GetApproval { id: a.id });
        self.detail = Some(a);
    }

    fn list_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        if self.list.on_key(key, self.visible().len()) {
            return Action::None;
        }
        let current = self.selected();
        match key.code {
            KeyCode::Enter | KeyCode::Char('e') => self.open(current, ctx.out),
            KeyCode::Char('y') => return self.ask_approve(current, false),
            KeyCode::Char('d') | KeyCode::Delete => return self.ask_deny(current, false),
            KeyCode::Char('h') => {
                self.show_all = !self.show_all;
                self.list.cursor = 0;
                self.load(ctx.out);
            }
            _ => return Action::Unhandled,
        }
        Action::None
    }

    fn detail_key(&mut self, id: u64, scroll: usize, key: KeyEvent) -> Action {
        let shown = self.detail.clone().filter(|a| a.id == id);
        self.mode = Mode::Detail { id, scroll };
        match key.code {
            KeyCode::Esc => self.mode = Mode::List,
            KeyCode::Up | KeyCode::Char('k') => self.mode = Mode::Detail { id, scroll: scroll.saturating_sub(1) },
            KeyCode::Down | KeyCode::Char('j') => self.mode = Mode::Detail { id, scroll: (scroll + 1).min(40) },
            KeyCode::Char('g') | KeyCode::Home => self.mode = Mode::Detail { id, scroll: 0 },
            KeyCode::Char('y') => return self.ask_approve(shown, true),
            KeyCode::Char('d') | KeyCode::Delete => return self.ask_deny(shown, true),
            _ => return Action::Unhandled,
        }
        Action::None
    }

    /// Where a dialog goes back to.
    fn after_dialog(id: u64, back_to_detail: bool) -> Mode {
        if back_to_detail { Mode::Detail { id, scroll: 0 } } else { Mode::List }
    }
}

impl Screen for ApprovalsScreen {
    fn id(&self) -> ScreenId {
        ScreenId::Approvals
    }

    fn help(&self) -> &'static [&'static str] {
        &[
            "Enter/e  the exact operation (ids, values, hash, who, from where)",
            "y        approve a pending one (asks first; the caller's check runs it)",
            "d        deny, with an optional reason (Enter/Ctrl-S denies)",
            "h        decided, expired and run ones too (kept 7 days)",
            "/        search · Esc clears it, then goes back",
        ]
    }

    fn keys(&self) -> String {
        match &self.mode {
            Mode::List => self.list.keys(self.hints()),
            Mode::Detail { .. } => Self::detail_hints().into(),
            Mode::ConfirmApprove { .. } => "y yes · n/Esc no".into(),
            Mode::Deny { .. } => DenyForm::keys().into(),
        }
    }

    fn modal(&self) -> bool {
        matches!(self.mode, Mode::ConfirmApprove { .. } | Mode::Deny { .. }) || self.list.typing()
    }

    fn typing(&self) -> bool {
        matches!(self.mode, Mode::Deny { .. }) || (matches!(self.mode, Mode::List) && self.list.typing())
    }

    fn on_enter(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    fn live(&self) -> Option<Tag> {
        Some(Tag::Approvals)
    }

    fn refresh(&mut self, ctx: &mut Ctx) {
        self.load(ctx.out);
    }

    fn on_key(&mut self, key: KeyEvent, ctx: &mut Ctx) -> Action {
        match std::mem::take(&mut self.mode) {
            Mode::List => self.list_key(key, ctx),
            Mode::Detail { id, scroll } => self.detail_key(id, scroll, key),
            Mode::ConfirmApprove { id, summary, back_to_detail } => {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => {
                        self.mode = Self::after_dialog(id, back_to_detail);
                        let approve = ApproveApproval { id, ..ApproveApproval::default() };
                        ctx.out.send(Tag::DecideApproval, approve);
                        return Action::Say(format!("approving {id}…"));
                    }
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                        self.mode = Self::after_dialog(id, back_to_detail);
                        return Action::Say(format!("approval {id} not decided"));
                    }
                    _ => self.mode = Mode::ConfirmApprove { id, summary, back_to_detail },
                }
                Action::None
            }
            Mode::Deny { mut form, back_to_detail } => {
                match form.on_key(key) {
                    DenyKey::Typed => self.mode = Mode::Deny { form, back_to_detail },
                    DenyKey::Cancel => {
                        self.mode = Self::after_dialog(form.id, back_to_detail);
                        return Action::Say(format!("approval {} not decided", form.id));
                    }
                    DenyKey::Deny => {
                        let reason = Some(form.reason.text.trim().to_string()).filter(|r| !r.is_empty());
                        ctx.out.send(Tag::DecideApproval, DenyApproval { id: form.id, reason, ..Default::default() });
                        let id = form.id;
                        // The form stays until the daemon answers: a refusal shows in it.
                        form.error = None;
                        self.mode = Mode::Deny { form, back_to_detail };
                        return Action::Say(format!("denying {id}…"));
                    }
                }
                Action::None
            }
        }
    }

    fn on_reply(&mut self, tag: &Tag, result: ApiResult<Value>, ctx: &mut Ctx) -> Option<String> {
        match tag {
            Tag::DecideApproval => {
                let decided = api::decode::<ApproveApproval>(result);
                self.load(ctx.out);
                match decided {
                    Ok(a) => {
                        if let Mode::Deny { form, back_to_detail } = &self.mode {
                            self.mode = Self::after_dialog(form.id, *back_to_detail);
                        }
                        let said = match a.state.as_str() {
                            "denied" => format!(
                                "denied approval {}{}",
                                a.id,
                                a.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                            ),
                            _ => format!("approved {}: the caller's next status check runs it", a.id),
                        };
                        if self.detail.as_ref().is_some_and(|d| d.id == a.id) {
                            self.detail = Some(a);
                        }
                        Some(said)
                    }
                    Err(e) => {
                        if let Mode::Deny { form, .. } = &mut self.mode {
                            form.error = Some(e.message.clone());
                        }
                        Some(format!("refused: {}", e.message))
                    }
                }
            }
            Tag::Approval => {
                match api::decode::<GetApproval>(result) {
                    Ok(a) if self.shown_id() == Some(a.id) => self.detail = Some(a),
                    Ok(_) => {}
                    Err(e) => return Some(format!("cannot show the approval: {}", e.message)),
                }
                None
            }
            _ => {
                self.approvals = match api::decode::<ListApprovals>(result) {
                    Ok(list) => Loadable::Ready(list),
                    Err(e) if e.message.starts_with("unknown operation") => Loadable::Failed(
                        "this daemon keeps no approval queue (it has no approvals.list operation)".into(),
                    ),
                    Err(e) => Loadable::Failed(e.message),
                };
                let len = self.visible().len();
                self.list.cursor = self.list.cursor.min(len.saturating_sub(1));
                None
            }
        }
    }

    /// A click on a row selects that approval (only on the list itself).
    fn click(&mut self, column: u16, row: u16, area: Rect, _data: &Data) -> Click {
        if matches!(self.mode, Mode::List) {
            let len = self.visible().len();
            self.list.click(column, row, area, DETAIL_LINES, len);
        }
        Click::None
    }

    fn draw(&self, frame: &mut Frame, area: Rect, _data: &Data) {
        let now = self.now();
        let detail = self.shown_id().and(self.detail.as_ref());
        match (&self.mode, detail) {
            (Mode::Detail { scroll, .. }, Some(a)) => draw_detail(frame, area, a, now, *scroll, Self::detail_hints()),
            (_, Some(a)) => draw_detail(frame, area, a, now, 0, Self::detail_hints()),
            _ => self.draw_list(frame, area, now),
        }
        match &self.mode {
            Mode::ConfirmApprove { id, summary, .. } => confirm(
                frame,
                area,
                &format!("Approve {id}: {}? The caller's next status check runs it, once.", fit(summary, 120)),
            ),
            Mode::Deny { form, .. } => form.draw(frame, area),
            _ => {}
        }
    }
}

impl ApprovalsScreen {
    fn draw_list(&self, frame: &mut Frame, area: Rect, now: i64) {
        let title = if self.show_all { " Approvals (live) · all, 7 days " } else { " Approvals (live) · waiting " };
        let (rows, empty) = match &self.approvals {
            Loadable::Ready(_) => (self.visible(), String::new()),
            Loadable::Failed(e) => (Vec::new(), format!("  Not available: {e}")),
            _ => (Vec::new(), "  Loading…".into()),
        };
        let empty = match () {
            _ if !empty.is_empty() => empty,
            _ if !self.list.search.text.is_empty() => "  No approval matches the search.".into(),
            _ if self.show_all => "  No approvals in the last 7 days.".into(),
            _ => "  Nothing waits for a decision (h shows decided ones).".into(),
        };
        let details = rows.get(self.list.cursor).map(|a| format!("{}: {}", a.id, a.summary));
        let widths = Widths::at(area.width);
        let list = ListFrame {
            title,
            header: format!(
                "  {:<4} {:<8} {:<10} {:<who$} {:<model$} {:<op$} {:>4} {}",
                "ID",
                "STATE",
                "WHEN",
                "ASKED BY",
                "MODEL",
                "OPERATION",
                "RECS",
                "RULE",
                who = widths.who,
                model = widths.model,
                op = widths.op
            ),
            rows: rows.iter().map(|a| row_text(a, now, widths)).collect(),
            empty: &empty,
            details: details.into_iter().collect(),
            hints: self.hints(),
        };
        self.list.draw(frame, area, DETAIL_LINES, list);
    }
}

/// The requester, model and operation columns: 11, 13 and 12 at 80
/// columns; a wider terminal gives them a quarter, a quarter and a half of the rest.
#[derive(Debug, Clone, Copy)]
struct Widths {
    who: usize,
    model: usize,
    op: usize,
}

impl Widths {
    fn at(area_width: u16) -> Widths {
        let extra = usize::from(area_width.saturating_sub(80));
        Widths { who: 11 + extra / 4, model: 13 + extra / 4, op: 12 + extra / 2 }
    }
}

/// An approval's columns, as shown and searched.
fn row_text(a: &ApprovalView, now: i64, w: Widths) -> String {
    format!(
        "{:<4} {:<8} {:<10} {:<who$} {:<model$} {:<op$} {:>4} {}",
        a.id,
        a.state,
        when(a, now),
        fit(&requester(a), w.who),
        fit(&a.model, w.model),
        fit(&operation_name(a), w.op),
        a.record_count,
        a.rule,
        who = w.who,
        model = w.model,
        op = w.op
    )
}
