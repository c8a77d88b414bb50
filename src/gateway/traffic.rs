//! The corridor's traffic steps: the login lockout, rate budgets (per IP
//! before authentication, per caller after it, aggregates and writes on
//! top), the session, and the audit entry. The rooms (`limits`, `sessions`, `audit`) count and
//! store; this file decides which budget, which session and what goes into
//! the entry.

use super::{Authorization, Gateway, Limit, OpError, Principal, RequestContext};
use crate::audit::{AuditEntry, Outcome, summary};
use crate::config::Settings;
use crate::limits::{Attempt, Budget, Decision, LockoutRules, RateStatus, Subject, Ticket, now_ms};
use crate::sessions::{Session, SessionError, SessionInfo, SessionKind};
use serde_json::Value;
use std::time::Instant;

/// What a request gathered on its way, for its audit entry.
pub(super) struct Trace {
    started: Instant,
    pub session: Option<String>,
    /// What the operation told the audit log only (the admin's record
    /// filter behind a refusal, which the caller is not shown).
    pub detail: Option<String>,
    /// The approval the request belongs to (held, checked or run).
    pub approval_id: Option<u64>,
    /// The call was held for approval: not run, not refused.
    pub held: bool,
    /// The approved operation an approval check ran (tool, parameters):
    /// what the entry records in place of the check.
    pub ran: Option<(String, Value)>,
}

impl Trace {
    pub fn new(started: Instant) -> Trace {
        Trace { started, session: None, detail: None, approval_id: None, held: false, ran: None }
    }
}

fn refusal(decision: &Decision, limit: Limit) -> Option<OpError> {
    match decision {
        Decision::Allowed { .. } => None,
        Decision::Limited { retry_after_ms, reset_at_unix, .. } => Some(OpError::RateLimited {
            limit,
            retry_after_secs: retry_after_ms.div_ceil(1000).max(1),
            reset_at: *reset_at_unix,
        }),
    }
}

fn status_of(decision: &Decision) -> RateStatus {
    match decision {
        Decision::Allowed { status, .. } | Decision::Limited { status, .. } => *status,
    }
}

/// The caller's budget key: the credential, else the Odoo user.
pub(super) fn subject(principal: &Principal) -> Subject {
    match &principal.grant {
        Some(grant) => Subject::Credential(grant.credential_id),
        None => Subject::User(principal.uid),
    }
}

fn lockout_rules(settings: &Settings) -> LockoutRules {
    LockoutRules {
        max_failures: settings.lockout_max_failures,
        window_ms: u64::from(settings.lockout_window_minutes) * 60_000,
        cooldown_ms: u64::from(settings.lockout_cooldown_seconds) * 1000,
    }
}

/// How long an attempt waits for the attempts in flight from its IP to be
/// judged, when all of them failing would lock it.
const LOCKOUT_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The login lockout's gate: refuses a locked-out client IP whatever it
/// sends; otherwise the attempt to settle once the key is judged (None when
/// no key was sent: asking without one, as MCP clients do to discover the
/// challenge, is not a failed key). A key verified recently is not held
/// against the limit while it is checked. An attempt that could pass the
/// limit only if those in flight all failed waits for their verdicts: only
/// judged failures lock. A refusal leaves the lockout's own `RateLimit-*`
/// status (its limit, nothing remaining, the seconds to wait).
pub(super) async fn admit_login<'g>(
    gw: &'g Gateway,
    settings: &Settings,
    ctx: &RequestContext,
    known_key: bool,
) -> Result<Option<Attempt<'g>>, OpError> {
    let lockouts = gw.rooms().limiter().lockouts();
    let missing = matches!(ctx.authorization, Authorization::Missing);
    let rules = lockout_rules(settings);
    let pending = !known_key && !missing;
    let ip = crate::limits::budget_ip(ctx.client_ip);
    match lockouts.admit_waiting(ip, &rules, pending, now_ms, LOCKOUT_PATIENCE).await {
        Ok(attempt) => Ok((!missing).then_some(attempt)),
        Err(locked) => {
            let retry_after_secs = locked.retry_after_ms.div_ceil(1000).max(1);
            ctx.rate.set(RateStatus { limit: rules.max_failures, remaining: 0, reset_secs: retry_after_secs });
            Err(OpError::RateLimited { limit: Limit::Lockout, retry_after_secs, reset_at: locked.reset_at_unix })
        }
    }
}

/// A key was refused: it counts towards the client IP's lockout.
pub(super) fn login_failed(settings: &Settings, attempt: Option<Attempt<'_>>) {
    if let Some(attempt) = attempt {
        attempt.failed(&lockout_rules(settings), now_ms());
    }
}

/// Charges one attempt to the client IP's budget (before authentication).
pub(super) fn charge_ip(gw: &Gateway, settings: &Settings, ctx: &RequestContext) -> Result<Option<Ticket>, OpError> {
    if !settings.rate_limiting {
        return Ok(None);
    }
    let decision = gw.rooms().limiter().acquire(
        &Subject::Ip(crate::limits::budget_ip(ctx.client_ip)),
        Budget::General,
        settings.requests_per_minute,
    );
    ctx.rate.set(status_of(&decision));
    if let Some(error) = refusal(&decision, Limit::Requests) {
        return Err(error);
    }
    match decision {
        Decision::Allowed { ticket, .. } => Ok(Some(ticket)),
        Decision::Limited { .. } => Ok(None),
    }
}

/// A login succeeded: the IP gets its hit back, and the headers show the
/// caller's own budget.
pub(super) fn refund_ip(
    gw: &Gateway,
    settings: &Settings,
    ctx: &RequestContext,
    principal: &Principal,
    ticket: Option<&Ticket>,
) {
    let limiter = gw.rooms().limiter();
    if let Some(ticket) = ticket {
        limiter.release(ticket);
    }
    if settings.rate_limiting {
        ctx.rate.set(limiter.status(&subject(principal), Budget::General, settings.requests_per_minute));
    }
}

/// Charges one call to the caller's Requests per Minute. The ticket lets a
/// call refused by a second budget give its hit back (it did not run).
pub(super) fn charge_principal(
    gw: &Gateway,
    settings: &Settings,
    ctx: &RequestContext,
    principal: &Principal,
) -> Result<Option<Ticket>, OpError> {
    if !settings.rate_limiting {
        return Ok(None);
    }
    let general = gw.rooms().limiter().acquire(&subject(principal), Budget::General, settings.requests_per_minute);
    ctx.rate.set(status_of(&general));
    if let Some(error) = refusal(&general, Limit::Requests) {
        return Err(error);
    }
    match general {
        Decision::Allowed { ticket, .. } => Ok(Some(ticket)),
        Decision::Limited { .. } => Ok(None),
    }
}

/// The second budget a call may need on top of Requests per Minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Extra {
    Aggregate,
    Write,
}

/// Charges an aggregate or a write to its own budget too. Refused, the
/// general hit is given back and the headers show the budget that refused.
pub(super) fn charge_extra(
    gw: &Gateway,
    settings: &Settings,
    ctx: &RequestContext,
    principal: &Principal,
    extra: Extra,
    general: Option<&Ticket>,
) -> Result<(), OpError> {
    if !settings.rate_limiting {
        return Ok(());
    }
    let (budget, limit, per_minute) = match extra {
        Extra::Aggregate => (Budget::Aggregate, Limit::Aggregations, settings.aggregation_per_minute),
        Extra::Write => (Budget::Write, Limit::Writes, settings.writes_per_minute),
    };
    let limiter = gw.rooms().limiter();
    let decision = limiter.acquire(&subject(principal), budget, per_minute);
    let status = status_of(&decision);
    // The tighter of the two is what the client must respect.
    if ctx.rate.get().is_none_or(|general| status.remaining < general.remaining) {
        ctx.rate.set(status);
    }
    if let Some(error) = refusal(&decision, limit) {
        if let Some(ticket) = general {
            limiter.release(ticket);
        }
        ctx.rate.set(status);
        return Err(error);
    }
    Ok(())
}

/// Who and what a session is, from the request and its caller.
fn session_info(ctx: &RequestContext, principal: &Principal) -> SessionInfo {
    let client = ctx.client.clone().unwrap_or_default();
    SessionInfo {
        face: ctx.face.name().to_string(),
        client_name: if client.name.is_empty() { ctx.face.name().to_string() } else { client.name },
        client_version: client.version,
        protocol: ctx.protocol.clone(),
        ip: ctx.client_ip.to_string(),
        credential_id: principal.grant.as_ref().map(|g| g.credential_id),
        credential_label: principal.grant.as_ref().map(|g| g.label.clone()),
        uid: Some(principal.uid),
    }
}

/// Counts a stateless request in its client's activity stream. A stream an
/// admin ended refuses the request. A request in an MCP session was counted
/// when the face resumed the session ([`resume_session`]), so it is not
/// counted twice. A store failure here is logged, not fatal.
pub(super) fn touch_session(
    gw: &Gateway,
    ctx: &RequestContext,
    principal: &Principal,
) -> Result<Option<String>, OpError> {
    if let Some(id) = &ctx.session_id {
        return Ok(Some(id.clone()));
    }
    match gw.rooms().sessions().touch_stream(&session_info(ctx, principal)) {
        Ok(session) => Ok(Some(session.id)),
        Err(SessionError::Ended(message)) => Err(OpError::Unauthenticated(message)),
        Err(e) => {
            tracing::warn!(error = %e, "session not recorded");
            Ok(None)
        }
    }
}

/// Opens an MCP session for the caller (a legacy revision's `initialize`):
/// charged to the caller's budget like a call, so a flood of `initialize`
/// cannot grow the session table faster than the caller may call.
pub(super) fn open_session(gw: &Gateway, ctx: &RequestContext, principal: &Principal) -> Result<Session, OpError> {
    charge_principal(gw, &gw.settings(), ctx, principal)?;
    let id = format!("{:032x}", rand::random::<u128>());
    let sessions = gw.rooms().sessions();
    sessions.open(&id, &session_info(ctx, principal)).and_then(|_| sessions.touch(&id)).map_err(|e| match e {
        SessionError::Store(e) => OpError::Unavailable(format!("the session could not be stored: {e}")),
        other => OpError::Unavailable(other.to_string()),
    })
}

/// Why an MCP session id was not resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionRefusal {
    /// Unknown, purged, or opened by another caller: the same answer, so an
    /// id says nothing about other callers' sessions.
    NotFound,
    /// An admin ended it or its client closed it; the message says which.
    Ended(String),
    /// The store failed.
    Unavailable(String),
}

/// One request in MCP session `id` of the caller: counted, or refused.
pub(super) fn resume_session(gw: &Gateway, principal: &Principal, id: &str) -> Result<Session, SessionRefusal> {
    let sessions = gw.rooms().sessions();
    let owned = match sessions.get(id) {
        Ok(session) => owns(principal, &session),
        Err(SessionError::NotFound(_)) => false,
        Err(e) => return Err(SessionRefusal::Unavailable(e.to_string())),
    };
    if !owned {
        return Err(SessionRefusal::NotFound);
    }
    sessions.touch(id).map_err(|e| match e {
        SessionError::Ended(message) => SessionRefusal::Ended(message),
        SessionError::NotFound(_) => SessionRefusal::NotFound,
        SessionError::Store(e) => SessionRefusal::Unavailable(e.to_string()),
    })
}

/// The client ends its own MCP session (`DELETE`); false when the caller
/// has no such live session.
pub(super) fn close_session(gw: &Gateway, principal: &Principal, id: &str) -> Result<bool, SessionRefusal> {
    let sessions = gw.rooms().sessions();
    match sessions.get(id) {
        Ok(session) if owns(principal, &session) && !session.is_over() => {}
        Ok(_) | Err(SessionError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(SessionRefusal::Unavailable(e.to_string())),
    }
    sessions.close(id).map(|_| true).map_err(|e| SessionRefusal::Unavailable(e.to_string()))
}

/// A session belongs to the Odoo user and the credential that opened it.
fn owns(principal: &Principal, session: &Session) -> bool {
    session.kind == SessionKind::Mcp
        && session.info.uid == Some(principal.uid)
        && session.info.credential_id == principal.grant.as_ref().map(|g| g.credential_id)
}

/// Writes the request's audit entry, durably, unless Audit Logging is off.
/// A failed write is logged with what the entry was about (the journal is
/// then its only trace) and returned: the caller must not acknowledge a
/// success whose entry was lost. A call refused because the store cannot
/// write is not written (it cannot be).
pub(super) async fn audit(
    gw: &Gateway,
    ctx: &RequestContext,
    principal: Option<&Principal>,
    tool: &str,
    params: &Value,
    result: Result<&Value, &OpError>,
    mut trace: Trace,
) -> Result<(), String> {
    let ran = trace.ran.take();
    let (tool, params) = match &ran {
        Some((tool, params)) => (tool.as_str(), params),
        None => (tool, params),
    };
    let outcome = match result {
        Ok(_) if trace.held => Outcome::PendingApproval,
        Ok(_) => Outcome::Ok,
        Err(error) => Outcome::parse(error.outcome()).unwrap_or(Outcome::Invalid),
    };
    let elapsed = trace.started.elapsed();
    crate::metrics::global().record_request(ctx.face.name(), tool, outcome.name(), elapsed);
    tracing::debug!(
        face = ctx.face.name(),
        tool,
        outcome = outcome.name(),
        credential = principal.and_then(|p| p.grant.as_ref()).map(|g| g.credential_id),
        uid = principal.map(|p| p.uid),
        ip = %ctx.client_ip,
        duration_us = elapsed.as_micros() as u64,
        "request"
    );
    let settings = gw.settings();
    if !settings.audit_logging || matches!(result, Err(OpError::AuditUnavailable(_))) {
        return Ok(());
    }
    let mut entry = AuditEntry::new(ctx.face.name(), ctx.client_ip.to_string(), tool);
    if let Some(p) = principal {
        entry.credential_id = p.grant.as_ref().map(|g| g.credential_id);
        entry.credential_label = p.grant.as_ref().map(|g| g.label.clone());
        entry.uid = Some(p.uid);
        entry.login = Some(p.login.clone());
        entry.company_id = p.home_company;
    }
    entry.session = trace.session.or_else(|| ctx.session_id.clone());
    entry.approval_id = trace.approval_id;
    let mut s = summary::of_params(params, result.is_ok(), settings.audit_log_values);
    match result {
        Ok(value) => {
            entry.outcome = outcome;
            summary::add_result_ids(&mut s, value);
            entry.records_returned = summary::records_returned(value);
        }
        Err(error) => {
            entry.outcome = outcome;
            let message = match &trace.detail {
                Some(detail) => format!("{error} [{detail}]"),
                None => error.to_string(),
            };
            entry.error = Some(summary::short(&message, 500));
        }
    }
    entry.model = s.model;
    entry.record_ids = s.record_ids;
    entry.record_id_count = s.record_id_count;
    entry.domain = s.domain;
    entry.fields = s.fields;
    entry.values = s.values;
    entry.duration_us = trace.started.elapsed().as_micros() as u64;
    let (model, ids) = (entry.model.clone(), entry.record_ids.clone());
    let written = gw.rooms().audit().record(entry).await;
    crate::metrics::global().record_audit(written.is_ok());
    match written {
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::error!(error = %e, tool, model, ?ids, outcome = outcome.name(), "audit entry not written");
            Err(match e {
                crate::store::StoreError::CannotWrite { reason, .. } => format!("the store cannot write: {reason}"),
                other => other.to_string(),
            })
        }
    }
}

/// What a caller is told when its call succeeded in Odoo but the audit
/// entry could not be made durable: no success, and what did happen.
pub(super) fn withheld(operation: &str, result: &Value, why: &str) -> OpError {
    let mut s = summary::of_params(&Value::Null, true, false);
    summary::add_result_ids(&mut s, result);
    let ids = if s.record_ids.is_empty() { String::new() } else { format!(" (ids {:?})", s.record_ids) };
    OpError::AuditUnavailable(format!(
        "{operation} was carried out by Odoo{ids}, but its audit entry could not be written ({why}), so the result is \
withheld; after a write, check Odoo before retrying."
    ))
}

/// The refusal of a call that would not be audited: the store cannot write.
pub(super) fn unauditable(operation: &str, why: &str) -> OpError {
    OpError::AuditUnavailable(format!(
        "{operation} was refused before reaching Odoo: Alpenglow cannot write its audit log (store cannot write: \
{why}). Nothing was changed; retry once it can write again (GET /healthz says when)."
    ))
}
