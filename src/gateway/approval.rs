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
use crate::approvals::state::{StateClaims, StateKey};
use crate::approvals::{Approval, ApprovalError, Decision, NewApproval, Requester, State, operation_hash};
use crate::audit::{hex, now_micros, rfc3339};
use crate::config::{ApprovalRule, Settings};
use crate::ops::{self, Operation};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Set by the gateway when the answer is a call held for approval, so a
/// face can say so in its own terms (REST: 202 Accepted), or when it is a
/// question for the person (`input_required`, 2026-07-28).
#[derive(Debug, Clone, Default)]
pub struct HeldSlot(Arc<AtomicBool>, Arc<Mutex<Option<Value>>>);

impl HeldSlot {
    fn hold(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_held(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// The `input_required` result to answer with, if the call asks the person.
    pub fn input_required(&self) -> Option<Value> {
        self.1.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A client the person can be asked through (it declared form
/// elicitation), and what it sent back on a retry.
#[derive(Debug, Clone, Default)]
pub struct Elicitation {
    pub form: bool,
    pub request_state: Option<String>,
    pub responses: Option<Value>,
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

/// Who a request state is bound to.
fn caller_of(principal: &Principal) -> String {
    match &principal.grant {
        Some(grant) => format!("credential:{}", grant.credential_id),
        None => format!("user:{}", principal.uid),
    }
}

fn unavailable(e: impl std::fmt::Display) -> OpError {
    OpError::Unavailable(format!("the approval queue cannot be used just now: {e}"))
}

/// A call the rules hold, with what holding it needs.
pub(super) struct Held<'a> {
    pub settings: &'a Settings,
    pub operation: &'a Operation,
    pub rule: ApprovalRule,
    pub params: &'a Value,
}

fn store_pending(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    held: &Held<'_>,
) -> Result<Approval, OpError> {
    let operation = held.operation;
    gw.rooms()
        .approvals()
        .create(NewApproval {
            rule: held.rule,
            tool: operation.name().as_str().to_string(),
            params: ops::sorted_json(held.params).to_string(),
            model: operation.approval_model().unwrap_or_default().to_string(),
            operation_hash: operation_hash(&operation.canonical()),
            summary: operation.approval_summary(),
            record_count: operation.approval_record_count() as u64,
            requester: requester(principal, ctx),
            now_us: now_micros(),
            ttl_us: ttl_us(held.settings),
        })
        .map_err(unavailable)
}

fn ttl_us(settings: &Settings) -> i64 {
    i64::from(settings.approval_expiry_minutes) * 60_000_000
}

/// A held call: asked of the person when the client can be asked (a
/// `confirm` rule, a 2026-07-28 client with form elicitation) and this
/// gateway can sign the request state; otherwise stored as pending.
pub(super) async fn hold_or_ask(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    held: Held<'_>,
    run: &ops::Run<'_>,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let asking = ctx.elicitation.as_ref().filter(|e| e.form && held.rule == ApprovalRule::Confirm);
    let (Some(elicitation), Some(key)) = (asking, gw.inner.approval_key.as_deref()) else {
        return hold(gw, principal, ctx, &held, trace);
    };
    match &elicitation.request_state {
        Some(state) => confirmed(gw, principal, &held, run, key, state, elicitation.responses.as_ref(), trace).await,
        None => ask(gw, principal, ctx, &held, run.upstream.database(), key, trace),
    }
}

/// Holds the call: a pending approval stored durably, and the answer that
/// says so.
fn hold(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    held: &Held<'_>,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let approval = store_pending(gw, principal, ctx, held)?;
    trace.approval_id = Some(approval.id);
    trace.held = true;
    ctx.held.hold();
    Ok(pending_answer(&approval))
}

/// The field the person answers.
const APPROVE_FIELD: &str = "approve";
/// The key of the one input request.
const INPUT_KEY: &str = "confirm";

/// Asks the person (2026-07-28): a pending approval, and an
/// `input_required` result with one yes/no form and the sealed state.
fn ask(
    gw: &Gateway,
    principal: &Principal,
    ctx: &RequestContext,
    held: &Held<'_>,
    database: Option<&str>,
    key: &StateKey,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let approval = store_pending(gw, principal, ctx, held)?;
    let claims = StateClaims {
        approval_id: approval.id,
        operation_hash: hex(&approval.operation_hash),
        caller: caller_of(principal),
        expires_us: approval.expires_us,
    };
    let state = key.seal(&claims).map_err(unavailable)?;
    let database = match database.filter(|d| !d.is_empty()).or(ctx.database.as_deref()) {
        Some(name) => format!("the Odoo database {name:?}"),
        None => "the Odoo server's only database".to_string(),
    };
    let message = format!(
        "An AI assistant asks to {} ({} on {}, {} record{}) in {database}. Approve this change?",
        approval.summary,
        approval.tool,
        approval.model,
        approval.record_count,
        if approval.record_count == 1 { "" } else { "s" },
    );
    let question = json!({
        "resultType": "input_required",
        "inputRequests": {INPUT_KEY: {"method": "elicitation/create", "params": {
            "mode": "form",
            "message": message,
            "requestedSchema": {
                "type": "object",
                "properties": {APPROVE_FIELD: {"type": "boolean", "title": "Approve", "description": "Yes makes this change in Odoo now; no leaves everything as it is"}},
                "required": [APPROVE_FIELD]
            }
        }}},
        "requestState": state,
    });
    trace.approval_id = Some(approval.id);
    trace.held = true;
    *ctx.held.1.lock().unwrap_or_else(|e| e.into_inner()) = Some(question.clone());
    Ok(question)
}

/// The retried call with the person's answer: the state must be one this
/// gateway sealed, for this caller and this exact operation, not expired,
/// and its approval still pending (so it is used once). Yes runs the call;
/// no (decline, cancel) is a refusal that is not an error.
#[allow(clippy::too_many_arguments)]
async fn confirmed(
    gw: &Gateway,
    principal: &Principal,
    held: &Held<'_>,
    run: &ops::Run<'_>,
    key: &StateKey,
    state: &str,
    responses: Option<&Value>,
    trace: &mut Trace,
) -> Result<Value, OpError> {
    let claims = key.open(state).map_err(unavailable)?.ok_or_else(|| {
        OpError::Invalid("requestState is not one this server issued; call the tool again without it".into())
    })?;
    trace.approval_id = Some(claims.approval_id);
    let now = now_micros();
    let hash = hex(&operation_hash(&held.operation.canonical()));
    if claims.caller != caller_of(principal) || claims.operation_hash != hash {
        return Err(OpError::Denied(
            "this confirmation was given for another call (the operation or the caller changed); nothing was run. \
Call the tool again without requestState to ask for a new confirmation"
                .into(),
        ));
    }
    if now >= claims.expires_us {
        return Err(OpError::Denied(format!(
            "this confirmation expired at {}; nothing was run. Call the tool again to ask anew",
            rfc3339(claims.expires_us)
        )));
    }
    let answer = responses.and_then(|r| r.get(INPUT_KEY));
    let action = answer.and_then(|a| a.get("action")).and_then(Value::as_str).unwrap_or("cancel");
    let yes = action == "accept"
        && answer.and_then(|a| a.get("content")).and_then(|c| c.get(APPROVE_FIELD)) == Some(&Value::Bool(true));
    let said = match action {
        "accept" if yes => "accepted",
        "accept" | "decline" => "declined",
        _ => "cancelled",
    };
    let decision = Decision {
        approved: yes,
        by: format!("the person using the client ({said} in an MCP elicitation)"),
        by_admin: false,
        at_us: now,
        reason: (!yes).then(|| format!("{said} in the client")),
    };
    let decided = gw.rooms().approvals().decide(claims.approval_id, decision, ttl_us(held.settings));
    let approval = decided.map_err(|e| match e {
        ApprovalError::Refused(_) | ApprovalError::NotFound(_) => OpError::Denied(
            "this confirmation was already used (a request state works once); nothing was run. Call the tool again to ask anew"
                .into(),
        ),
        other => unavailable(other),
    })?;
    if yes {
        return run_approved(gw, &approval, held.operation, run).await;
    }
    Ok(json!({
        "status": said,
        "approval_id": approval.id,
        "summary": approval.summary,
        "message": format!(
            "The user {said} this change in the client; it was not made ({}). Do not retry it unless the user asks.",
            approval.summary
        ),
    }))
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
