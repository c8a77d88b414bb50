//! The corridor's traffic steps: rate budgets (per IP before
//! authentication, per caller after it, aggregate on top), the session, and
//! the audit entry. The rooms (`limits`, `sessions`, `audit`) count and
//! store; this file decides which budget, which session and what goes into
//! the entry.

use super::{Gateway, OpError, Principal, RequestContext};
use crate::audit::{AuditEntry, Outcome, summary};
use crate::config::Settings;
use crate::limits::{Budget, Decision, RateStatus, Subject, Ticket};
use crate::sessions::{SessionError, SessionInfo};
use serde_json::Value;
use std::time::Instant;

/// What a request gathered on its way, for its audit entry.
pub(super) struct Trace {
    started: Instant,
    pub session: Option<String>,
}

impl Trace {
    pub fn new(started: Instant) -> Trace {
        Trace { started, session: None }
    }
}

fn refusal(decision: &Decision) -> Option<OpError> {
    match decision {
        Decision::Allowed { .. } => None,
        Decision::Limited { retry_after_ms, reset_at_unix, .. } => Some(OpError::RateLimited {
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

/// Charges one attempt to the client IP's budget (before authentication).
pub(super) fn charge_ip(gw: &Gateway, settings: &Settings, ctx: &RequestContext) -> Result<Option<Ticket>, OpError> {
    if !settings.rate_limiting {
        return Ok(None);
    }
    let decision =
        gw.admin().limiter().acquire(&Subject::Ip(ctx.client_ip), Budget::General, settings.requests_per_minute);
    ctx.rate.set(status_of(&decision));
    if let Some(error) = refusal(&decision) {
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
    let limiter = gw.admin().limiter();
    if let Some(ticket) = ticket {
        limiter.release(ticket);
    }
    if settings.rate_limiting {
        ctx.rate.set(limiter.status(&subject(principal), Budget::General, settings.requests_per_minute));
    }
}

/// Charges one call to the caller's budget, and an aggregate also to the
/// aggregation budget. A call refused by the second is given back to the
/// first (it did not run).
pub(super) fn charge_principal(
    gw: &Gateway,
    settings: &Settings,
    ctx: &RequestContext,
    principal: &Principal,
    aggregate: bool,
) -> Result<(), OpError> {
    if !settings.rate_limiting {
        return Ok(());
    }
    let limiter = gw.admin().limiter();
    let who = subject(principal);
    let general = limiter.acquire(&who, Budget::General, settings.requests_per_minute);
    ctx.rate.set(status_of(&general));
    if let Some(error) = refusal(&general) {
        return Err(error);
    }
    if aggregate {
        let extra = limiter.acquire(&who, Budget::Aggregate, settings.aggregation_per_minute);
        // The tighter of the two is what the client must respect.
        let (a, b) = (status_of(&general), status_of(&extra));
        ctx.rate.set(if b.remaining < a.remaining { b } else { a });
        if let Some(error) = refusal(&extra) {
            if let Decision::Allowed { ticket, .. } = &general {
                limiter.release(ticket);
            }
            ctx.rate.set(b);
            return Err(error);
        }
    }
    Ok(())
}

/// Counts the request in its session: the MCP session the face named, else
/// the stateless client's activity stream. A session an admin ended refuses
/// the request; a store failure here is logged, not fatal.
pub(super) fn touch_session(
    gw: &Gateway,
    ctx: &RequestContext,
    principal: &Principal,
) -> Result<Option<String>, OpError> {
    let client = ctx.client.clone().unwrap_or_default();
    let info = SessionInfo {
        face: ctx.face.name().to_string(),
        client_name: if client.name.is_empty() { ctx.face.name().to_string() } else { client.name },
        client_version: client.version,
        protocol: ctx.protocol.clone(),
        ip: ctx.client_ip.to_string(),
        credential_id: principal.grant.as_ref().map(|g| g.credential_id),
        credential_label: principal.grant.as_ref().map(|g| g.label.clone()),
        uid: Some(principal.uid),
    };
    let sessions = gw.admin().sessions();
    let touched = match &ctx.session_id {
        Some(id) => sessions.touch_or_open(id, &info),
        None => sessions.touch_stream(&info),
    };
    match touched {
        Ok(session) => Ok(Some(session.id)),
        Err(SessionError::Ended(message)) => Err(OpError::Unauthenticated(message)),
        Err(e) => {
            tracing::warn!(error = %e, "session not recorded");
            Ok(ctx.session_id.clone())
        }
    }
}

/// Writes the request's audit entry, durably, unless Audit Logging is off.
/// A failed write is logged and does not change the answer (the
/// operation has already happened in Odoo).
pub(super) async fn audit(
    gw: &Gateway,
    ctx: &RequestContext,
    principal: Option<&Principal>,
    tool: &str,
    params: &Value,
    result: Result<&Value, &OpError>,
    trace: Trace,
) {
    let outcome = match result {
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
    if !settings.audit_logging {
        return;
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
    let mut s = summary::of_params(params, result.is_ok(), settings.audit_log_values);
    match result {
        Ok(value) => {
            summary::add_result_ids(&mut s, value);
            entry.records_returned = summary::records_returned(value);
        }
        Err(error) => {
            entry.outcome = outcome;
            entry.error = Some(summary::short(&error.to_string(), 500));
        }
    }
    entry.model = s.model;
    entry.record_ids = s.record_ids;
    entry.record_id_count = s.record_id_count;
    entry.domain = s.domain;
    entry.fields = s.fields;
    entry.values = s.values;
    entry.duration_us = trace.started.elapsed().as_micros() as u64;
    let written = gw.admin().audit().record(entry).await;
    crate::metrics::global().record_audit(written.is_ok());
    if let Err(e) = written {
        tracing::error!(error = %e, tool, "audit entry not written");
    }
}
