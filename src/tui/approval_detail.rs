//! What the Approvals screen draws beyond its list: the detail of one
//! approval (the exact operation that runs once approved, the hash it is
//! bound to, who asked, from where, when it expires, the decision and the
//! run), the small deny form (an optional reason), and the times as
//! countdowns and ages.

use super::widgets::{Input, bold, centered, fit, is_ctrl_s, wrap_words};
use crate::admin::api::ApprovalView;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds since the epoch of an RFC 3339 time, if it is one.
pub fn seconds(rfc3339: &str) -> Option<i64> {
    OffsetDateTime::parse(rfc3339, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// A span of time, short: `45s`, `14m05s`, `2h03m`, `3d04h`.
pub fn span(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

/// Whether an approval still waits for something (a decision, or its run).
pub fn waiting(a: &ApprovalView) -> bool {
    matches!(a.state.as_str(), "pending" | "approved")
}

/// The list's time column: the countdown to expiry while it waits
/// (`in 14m05s`), else how long ago it was asked (`12m ago`).
pub fn when(a: &ApprovalView, now: i64) -> String {
    if waiting(a) {
        return match seconds(&a.expires_at) {
            Some(t) if t > now => format!("in {}", span(t - now)),
            _ => "expiring".into(),
        };
    }
    seconds(&a.created_at).map_or_else(|| "-".into(), |t| format!("{} ago", span(now - t)))
}

/// The operation's name as listed: the method for an execute, else
/// `create`, `update`, `delete`.
pub fn operation_name(a: &ApprovalView) -> String {
    match a.operation.get("method").and_then(Value::as_str) {
        Some(method) if a.tool == "alpenglow_execute" => method.to_string(),
        _ => a.tool.trim_start_matches("alpenglow_").to_string(),
    }
}

/// Who asked: the credential's label, else the Odoo login.
pub fn requester(a: &ApprovalView) -> String {
    a.credential.clone().unwrap_or_else(|| a.login.clone())
}

/// `2026-12-03 20:01:02 (in 12m00s)` / `(3m05s ago)`.
fn time_and_distance(rfc3339: &str, now: i64) -> String {
    let shown = rfc3339.get(..19).map_or_else(|| rfc3339.to_string(), |t| t.replace('T', " "));
    match seconds(rfc3339) {
        Some(t) if t > now => format!("{shown} UTC (in {})", span(t - now)),
        Some(t) => format!("{shown} UTC ({} ago)", span(now - t)),
        None => shown,
    }
}

fn compact(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "-".into(),
        Some(v) => v.to_string(),
    }
}

/// The detail's rows: label and value, in the order drawn.
pub fn detail_rows(a: &ApprovalView, now: i64) -> Vec<(&'static str, String)> {
    let op = &a.operation;
    let rule = match a.rule.as_str() {
        "admin" => "admin (an admin decides, here or with `alpenglow approvals`)",
        "confirm" => "confirm (the person using the client, or an admin)",
        other => other,
    };
    // An execute's record ids are its first argument, as Odoo takes them.
    let ids = op.get("ids").or_else(|| op.get("args").and_then(|args| args.get(0)));
    let values = op.get("values").or_else(|| op.get("kwargs"));
    let dry_run = op.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
    let mut rows = vec![
        ("State", format!("{} · rule {rule}", a.state)),
        ("What", a.summary.clone()),
        ("Operation", a.tool.clone()),
        ("Model", a.model.clone()),
        ("Method", op.get("method").and_then(Value::as_str).unwrap_or(a.tool.trim_start_matches("alpenglow_")).into()),
        (
            "Record ids",
            format!(
                "{} ({} record{})",
                ids.map_or_else(|| "none: new".into(), |v| compact(Some(v))),
                a.record_count,
                if a.record_count == 1 { "" } else { "s" }
            ),
        ),
        ("Values", compact(values)),
        ("Dry run", if dry_run { "yes: Odoo checks it and rolls it back" } else { "no" }.into()),
        ("Parameters", op.to_string()),
        ("SHA-256", a.operation_hash.clone()),
        (
            "Asked by",
            match (&a.credential, a.credential_id) {
                (Some(label), Some(id)) => format!("{label} (credential {id}) · Odoo user {} (uid {})", a.login, a.uid),
                _ => format!("Odoo user {} (uid {})", a.login, a.uid),
            },
        ),
        ("From", format!("{} over {}", a.ip, a.face)),
        ("Asked at", time_and_distance(&a.created_at, now)),
        ("Expires", time_and_distance(&a.expires_at, now)),
    ];
    if let Some(by) = &a.decided_by {
        let at = a.decided_at.as_deref().map(|t| time_and_distance(t, now)).unwrap_or_default();
        rows.push(("Decided", format!("{} by {by} at {at}", if a.state == "denied" { "denied" } else { "approved" })));
    }
    if let Some(reason) = &a.reason {
        rows.push(("Reason", reason.clone()));
    }
    if let Some(started) = &a.started_at {
        let finished = a.finished_at.as_deref().map(|t| format!(" · finished {}", time_and_distance(t, now)));
        rows.push(("Run", format!("started {}{}", time_and_distance(started, now), finished.unwrap_or_default())));
    }
    if let Some(result) = &a.result {
        rows.push(("Result", result.clone()));
    }
    rows
}

/// The label column of the detail.
const LABEL: usize = 12;

/// The detail's lines at `width`, long values wrapped under their label.
pub fn detail_lines(a: &ApprovalView, now: i64, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let room = width.saturating_sub(LABEL + 1).max(10);
    for (label, value) in detail_rows(a, now) {
        // Hashes and JSON have no spaces to break at: cut them by width.
        let chunks: Vec<String> = if value.contains(' ') && !value.starts_with('{') {
            wrap_words(&value, room)
        } else {
            value.chars().collect::<Vec<_>>().chunks(room).map(|c| c.iter().collect()).collect()
        };
        for (i, chunk) in chunks.into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            lines.push(Line::from(vec![Span::styled(format!("{label:<LABEL$} "), bold()), Span::raw(chunk)]));
        }
    }
    lines
}

/// Draws the detail in `area`, from line `scroll`, with `hints` at the bottom.
pub fn draw_detail(frame: &mut Frame, area: Rect, a: &ApprovalView, now: i64, scroll: usize, hints: &str) {
    let block = Block::bordered().title(format!(" Approval {} (live) ", a.id));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let body = inner.height.saturating_sub(2) as usize;
    let all = detail_lines(a, now, width);
    let mut lines: Vec<Line> = all.into_iter().skip(scroll).take(body).collect();
    while lines.len() < body {
        lines.push(Line::from(""));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(fit(hints, width)));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The deny form: one optional reason, shown to the caller.
#[derive(Debug, Clone, Default)]
pub struct DenyForm {
    pub id: u64,
    pub summary: String,
    pub reason: Input,
    /// Why the daemon refused the denial.
    pub error: Option<String>,
}

/// What a key does to the deny form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenyKey {
    Typed,
    /// Enter or Ctrl-S: deny with the reason typed so far.
    Deny,
    /// Esc: close, nothing sent.
    Cancel,
}

impl DenyForm {
    pub fn new(a: &ApprovalView) -> DenyForm {
        DenyForm { id: a.id, summary: a.summary.clone(), ..DenyForm::default() }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> DenyKey {
        if is_ctrl_s(key) || key.code == KeyCode::Enter {
            return DenyKey::Deny;
        }
        if key.code == KeyCode::Esc {
            return DenyKey::Cancel;
        }
        self.reason.on_key(key);
        DenyKey::Typed
    }

    pub fn keys() -> &'static str {
        "type a reason (optional) · Enter/Ctrl-S deny · Esc cancel"
    }

    /// A box over the screen drawn in `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect) {
        let width = 70.min(area.width);
        let inner = width.saturating_sub(2) as usize;
        let mut lines: Vec<Line> = wrap_words(&format!("Deny approval {}: {}", self.id, self.summary), inner)
            .into_iter()
            .take(3)
            .map(Line::from)
            .collect();
        lines.push(Line::from(""));
        let reason = fit(&self.reason.shown(true), inner.saturating_sub(8));
        lines.push(Line::from(vec![Span::styled("Reason  ", bold()), Span::raw(reason)]));
        lines.push(Line::from("(optional; the caller's status check shows it)"));
        if let Some(e) = &self.error {
            lines.push(Line::styled(fit(&format!("! {e}"), inner), bold()));
        }
        lines.push(Line::from(""));
        lines.push(Line::styled("Enter/Ctrl-S deny · Esc cancel", bold()));
        let rect = centered(area, width, lines.len() as u16 + 2);
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" Deny ")), rect);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_countdowns_read_short() {
        assert_eq!(
            [span(5), span(65), span(3 * 3600 + 120), span(2 * 86_400 + 3600)],
            ["5s", "1m05s", "3h02m", "2d01h"]
        );
        let now = seconds("2026-12-03T20:00:00Z").unwrap();
        let mut a = ApprovalView {
            state: "pending".into(),
            created_at: "2026-12-03T19:58:00Z".into(),
            expires_at: "2026-12-03T20:13:00.250Z".into(),
            ..ApprovalView::default()
        };
        assert_eq!(when(&a, now), "in 13m00s");
        a.state = "denied".into();
        assert_eq!(when(&a, now), "2m00s ago");
        a.state = "approved".into();
        a.expires_at = "2026-12-03T19:59:00Z".into();
        assert_eq!(when(&a, now), "expiring", "the daemon has not marked it yet");
    }
}
