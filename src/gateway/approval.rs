//! Writes held for approval, on the gateway's side: holding a call the
//! policy says must wait (`hold`), the caller's `alpenglow_approval_status`
//! (`status`), and the one run of an approved call (`run_approved`). The
//! queue itself is the `approvals` room; the rule is `policy::approval`.
//!
//! A held call is not an error: the answer says `status: pending_approval`
//! with the approval's id, what will happen and when the approval expires.
//! Its audit entry's outcome is `pending_approval`; the admin's decision and
//! the run carry the same `approval_id`.

use super::traffic::{self, Trace};
use super::{Gateway, OpError, Principal, RequestContext};
use crate::approvals::{Approval, ApprovalError, NewApproval, Requester, State, operation_hash};
use crate::audit::{now_micros, rfc3339};
use crate::config::{ApprovalRule, Settings};
use crate::ops::{self, Operation};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the gateway when the answer is a call held for approval, so a
/// face can say so in its own terms (REST: 202 Accepted).
#[derive(Debug, Clone, Default)]
pub struct HeldSlot(Arc<AtomicBool>);

impl HeldSlot {
    fn hold(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_held(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

fn requester(principal: &Principal, ctx: &RequestContext) -> Requester {
    Requester {
        credential_id: principal.grant.as_ref().map(|g| g.credential_id),
        credential_label: principal.grant.as_ref().map(|g| g.label.clone()),
        uid: principal.uid,
        login: principal.login.clone(),
        face: ctx.face.name().to_string(),
        client_ip: ctx.client_ip.to_string(),
    }
}

fn unavailable(e: impl std::fmt::Display) -> OpError {
    OpError::Unavailable(format!("the approval queue cannot be used just now: {e}"))
}

/// Holds `operation` for approval under `rule`: a pending approval stored
/// durably, and the answer that says so.
#[allow(clippy::too_many_arguments)]
pub(super) fn hold(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    settings: &Settings,
    operation: &Operation,
    rule: ApprovalRule,
    params: &Value,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let approval = gw
        .rooms()
        .approvals()
        .create(NewApproval {
            rule,
            tool: operation.name().as_str().to_string(),
            params: ops::sorted_json(params).to_string(),
            model: operation.approval_model().unwrap_or_default().to_string(),
            operation_hash: operation_hash(&operation.canonical()),
            summary: operation.approval_summary(),
            record_count: operation.approval_record_count() as u64,
            requester: requester(principal, ctx),
            now_us: now_micros(),
            ttl_us: i64::from(settings.approval_expiry_minutes) * 60_000_000,
        })
        .map_err(unavailable)?;
    trace.approval_id = Some(approval.id);
    trace.held = true;
    ctx.held.hold();
    Ok(pending_answer(&approval))
}

/// The answer for a call waiting for approval.
fn pending_answer(approval: &Approval) -> Value {
    let who = match approval.rule {
        ApprovalRule::Admin => "an administrator's approval",
        _ => "a person's confirmation",
    };
    json!({
        "status": "pending_approval",
        "approval_id": approval.id,
        "approval": approval.rule.name(),
        "operation": approval.tool,
        "model": approval.model,
        "summary": approval.summary,
        "expires_at": rfc3339(approval.expires_us),
        "message": format!(
            "Not done yet: this change waits for {who} and has not been made. Tell the user what will happen ({}). \
    Then call {} with approval_id {} to check; once it is approved, that call makes the change and returns its result. \
    The approval expires at {}.",
            approval.summary,
            crate::vocab::APPROVAL_STATUS_TOOL,
            approval.id,
            rfc3339(approval.expires_us)
        ),
    })
}

fn approval_id(params: &Value) -> Result<u64, OpError> {
    let tool = crate::vocab::APPROVAL_STATUS_TOOL;
    let object =
        params.as_object().ok_or_else(|| OpError::Invalid(format!("{tool}: the arguments must be an object")))?;
    if let Some(extra) = object.keys().find(|k| *k != "approval_id") {
        return Err(OpError::Invalid(format!("{tool}: unknown parameter {extra:?}; allowed: approval_id")));
    }
    match object.get("approval_id") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
    .ok_or_else(|| OpError::Invalid(format!("{tool}: approval_id is required: the number a pending answer gave")))
}

/// `alpenglow_approval_status`: the caller's own approval, checked; an
/// approved one is run (once) and answers with the operation's result.
pub(super) async fn status(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    params: &Value,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let id = approval_id(params)?;
    trace.approval_id = Some(id);
    let credential = principal.grant.as_ref().map(|g| g.credential_id);
    // Another caller's approval reads exactly as a missing one.
    let approval = match gw.rooms().approvals().get(id) {
        Ok(a) if a.requester.is(credential, principal.uid) => a,
        Ok(_) | Err(ApprovalError::NotFound(_)) => {
            return Err(OpError::NotFound(format!("there is no approval {id} for your credential")));
        }
        Err(e) => return Err(unavailable(e)),
    };
    let state = approval.state_at(now_micros());
    if state == State::Approved {
        let params: Value = serde_json::from_str(&approval.params).map_err(unavailable)?;
        trace.ran = Some((approval.tool.clone(), params.clone()));
        return gw.run_limited(principal, ctx, &approval.tool, &params, trace, Some(&approval)).await;
    }
    // Checking is a request like any other: counted and in the session.
    let settings = gw.settings();
    traffic::charge_principal(gw, &settings, ctx, principal)?;
    trace.session = traffic::touch_session(gw, ctx, principal)?;
    let decided = |a: &Approval| a.decision.as_ref().map(|d| (rfc3339(d.at_us), d.reason.clone()));
    match state {
        State::Pending => {
            trace.held = true;
            ctx.held.hold();
            Ok(pending_answer(&approval))
        }
        State::Denied => {
            let (at, reason) = decided(&approval).unwrap_or_default();
            let why = reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default();
            Ok(json!({
                "status": "denied",
                "approval_id": id,
                "summary": approval.summary,
                "decided_at": at,
                "reason": reason,
                "message": format!("Denied{why}. The change ({}) was not made; do not retry it unless the user asks.", approval.summary),
            }))
        }
        State::Expired => Ok(json!({
            "status": "expired",
            "approval_id": id,
            "summary": approval.summary,
            "expired_at": rfc3339(approval.expires_us),
            "reason": "nobody approved it in time, or it was approved and not run before it expired",
            "message": format!(
                "Expired at {}: the change ({}) was not made. Make the call again to ask for a new approval.",
                rfc3339(approval.expires_us), approval.summary
            ),
        })),
        State::Running | State::Done | State::Failed => Err(OpError::Denied(format!(
            "approval {id} was already used{}: an approval runs its operation once. Make the call again to ask for a new approval",
            approval.started_us.map(|t| format!(" at {}", rfc3339(t))).unwrap_or_default()
        ))),
        State::Approved => unreachable!("handled above"),
    }
}

/// Runs an approved operation once: bound to the exact operation it was
/// given for, re-checked against the current policy, claimed (stored as
/// running) before it is sent to Odoo, and finished with its outcome.
pub(super) async fn run_approved(
    gw: &Gateway,
    approval: &Approval,
    operation: &Operation,
    run: &ops::Run<'_>,
) -> Result<Value, OpError> {
    let id = approval.id;
    if operation_hash(&operation.canonical()) != approval.operation_hash {
        return Err(OpError::Denied(format!(
            "approval {id} does not match its operation any more (it was approved for another one); nothing was run. \
Make the call again to ask for a new approval"
        )));
    }
    let by_admin = approval.decision.as_ref().is_some_and(|d| d.by_admin);
    operation.approval_still_covered(run, by_admin)?;
    gw.rooms().approvals().claim(id, now_micros()).map_err(|e| match e {
        ApprovalError::Refused(why) => OpError::Denied(format!("{why}; nothing was run")),
        other => unavailable(other),
    })?;
    let result = operation.run(run).await;
    let outcome = result.as_ref().map(|_| ()).map_err(|e| e.to_string());
    if let Err(e) = gw.rooms().approvals().finish(id, outcome, now_micros()) {
        tracing::error!(approval = id, error = %e, "the approval's run was not recorded as finished");
    }
    result
}
