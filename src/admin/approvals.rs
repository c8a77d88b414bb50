//! The approval queue's admin side: list, show, approve and deny writes
//! held for approval (the `approvals` room), as typed views. Approving
//! only marks the approval; the caller's next status check runs it in
//! the gateway, so the admin service never calls Odoo for it.

use super::api::ApprovalView;
use super::{AdminError, AdminResult, AdminService};
use crate::approvals::{Approval, ApprovalError, Decision};
use crate::audit::{hex, now_micros, rfc3339};

impl From<ApprovalError> for AdminError {
    fn from(e: ApprovalError) -> Self {
        match e {
            ApprovalError::NotFound(id) => {
                AdminError::NotFound(format!("there is no approval {id}; alpenglow approvals list --all shows them"))
            }
            ApprovalError::Refused(why) => AdminError::Conflict(why),
            ApprovalError::Store(e) => AdminError::Store(e),
        }
    }
}

/// A reason an admin typed: trimmed, at most 500 characters, none when empty.
fn reason(text: Option<&str>) -> AdminResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    if text.chars().count() > 500 {
        return Err(AdminError::Invalid("the reason is too long: at most 500 characters".into()));
    }
    if text.chars().any(char::is_control) {
        return Err(AdminError::Invalid("the reason must be one line of text (no control characters)".into()));
    }
    Ok(Some(text.to_string()))
}

impl AdminService {
    pub fn approvals_list(&self, all: bool) -> AdminResult<Vec<Approval>> {
        Ok(self.rooms().approvals().list(all, now_micros())?)
    }

    /// How many calls wait for a decision now (Home's count).
    pub fn approvals_waiting(&self) -> AdminResult<usize> {
        let now = now_micros();
        let live = self.rooms().approvals().list(false, now)?;
        Ok(live.iter().filter(|a| a.state_at(now) == crate::approvals::State::Pending).count())
    }

    pub fn approval(&self, id: u64) -> AdminResult<Approval> {
        Ok(self.rooms().approvals().get(id)?)
    }

    /// Approves or denies a pending approval as `actor`. An approved one
    /// may then run for one more Approval Expiry.
    pub fn decide_approval(&self, id: u64, approved: bool, actor: &str, why: Option<&str>) -> AdminResult<Approval> {
        let reason = reason(why)?;
        let minutes = i64::from(self.catalog().settings()?.approval_expiry_minutes);
        let decision = Decision { approved, by: actor.to_string(), by_admin: true, at_us: now_micros(), reason };
        Ok(self.rooms().approvals().decide(id, decision, minutes * 60_000_000)?)
    }
}

pub fn view(a: &Approval) -> ApprovalView {
    let now = now_micros();
    ApprovalView {
        id: a.id,
        state: a.state_at(now).name().to_string(),
        rule: a.rule.name().to_string(),
        tool: a.tool.clone(),
        model: a.model.clone(),
        summary: a.summary.clone(),
        record_count: a.record_count,
        operation: serde_json::from_str(&a.params).unwrap_or(serde_json::Value::Null),
        operation_hash: hex(&a.operation_hash),
        credential_id: a.requester.credential_id,
        credential: a.requester.credential_label.clone(),
        uid: a.requester.uid,
        login: a.requester.login.clone(),
        face: a.requester.face.clone(),
        ip: a.requester.client_ip.clone(),
        created_at: rfc3339(a.created_us),
        expires_at: rfc3339(a.expires_us),
        decided_by: a.decision.as_ref().map(|d| d.by.clone()),
        decided_at: a.decision.as_ref().map(|d| rfc3339(d.at_us)),
        reason: a.decision.as_ref().and_then(|d| d.reason.clone()),
        started_at: a.started_us.map(rfc3339),
        finished_at: a.finished_us.map(rfc3339),
        result: a.result.clone(),
    }
}
