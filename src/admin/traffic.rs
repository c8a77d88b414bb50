//! The admin service's traffic side: the admin calls over the rate limiter,
//! the audit log and the sessions of its store (the [`crate::rooms::Rooms`]
//! it shares with the gateway and the timers): audit query, sessions list /
//! end, run a job.

use super::api::{AuditOrder, QueryAudit};
use super::{AdminError, AdminResult, AdminService};
use crate::audit::{AuditLog, AuditPage, AuditQuery, Order, Outcome};
use crate::jobs::{Job, JobReport};
use crate::limits::Limiter;
use crate::sessions::{Session, SessionError, Sessions};

impl From<SessionError> for AdminError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotFound(_) => AdminError::NotFound(e.to_string()),
            SessionError::Ended(m) => AdminError::Invalid(m),
            SessionError::Store(e) => AdminError::Store(e),
        }
    }
}

impl AdminService {
    pub fn limiter(&self) -> &Limiter {
        self.rooms.limiter()
    }

    pub fn audit(&self) -> &AuditLog {
        self.rooms.audit()
    }

    pub fn sessions(&self) -> &Sessions {
        self.rooms.sessions()
    }

    pub fn audit_query(&self, query: &AuditQuery) -> AdminResult<AuditPage> {
        Ok(self.audit().query(query)?)
    }

    /// Sessions, most recently active first; `all` includes inactive ones.
    pub fn sessions_list(&self, all: bool) -> AdminResult<Vec<Session>> {
        Ok(self.sessions().list(all)?)
    }

    /// Ends a session: its next request is refused.
    pub fn end_session(&self, id: &str) -> AdminResult<Session> {
        Ok(self.sessions().end(id)?)
    }

    /// Runs one of the three jobs now (blocking).
    pub fn run_job(&self, name: &str) -> AdminResult<JobReport> {
        let job = Job::parse(name).map_err(AdminError::Invalid)?;
        crate::jobs::run_now(job, &self.rooms).map_err(|e| {
            AdminError::Store(crate::store::StoreError::Io {
                dir: self.store().dir().to_path_buf(),
                source: std::io::Error::other(e),
            })
        })
    }
}

/// A time argument: RFC 3339, a date (`2026-05-01`, midnight UTC), or an age
/// (`15m`, `2h`, `7d`: that long ago).
pub fn parse_time(text: &str) -> Result<i64, String> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    if let Ok(t) = time::OffsetDateTime::parse(text, &Rfc3339) {
        return Ok((t.unix_timestamp_nanos() / 1_000) as i64);
    }
    if let Ok(d) = crate::config::credential::parse_date(text) {
        return Ok(d.midnight().assume_utc().unix_timestamp() * 1_000_000);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if seconds > 0 && n >= 0 => Ok(crate::audit::now_micros() - n * seconds * 1_000_000),
        _ => Err(format!(
            "{text:?} is not a time: use RFC 3339 (2026-05-01T12:00:00Z), a date (2026-05-01) or an age (15m, 2h, 7d)"
        )),
    }
}

/// The `audit.query` arguments as a query: times, outcome, order and page
/// size checked, empty filters dropped.
pub fn audit_query(args: &QueryAudit) -> AdminResult<AuditQuery> {
    let text = |value: &Option<String>| value.clone().filter(|s| !s.is_empty());
    let time = |key: &str, value: &Option<String>| {
        text(value).map(|t| parse_time(&t).map_err(|e| AdminError::Invalid(format!("{key}: {e}")))).transpose()
    };
    let outcome = match text(&args.outcome) {
        Some(o) => Some(Outcome::parse(&o).ok_or_else(|| {
            AdminError::Invalid(format!(
                "unknown outcome {o:?}; one of {}",
                Outcome::ALL.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
            ))
        })?),
        None => None,
    };
    let order = match args.order.unwrap_or_default() {
        AuditOrder::Newest => Order::NewestFirst,
        AuditOrder::Oldest => Order::OldestFirst,
    };
    let limit = args.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if let Some(n) = limit
        && !(1..=crate::audit::query::MAX_PAGE).contains(&n)
    {
        return Err(AdminError::Invalid(format!("limit must be from 1 to {}", crate::audit::query::MAX_PAGE)));
    }
    Ok(AuditQuery {
        from_us: time("from", &args.from)?,
        to_us: time("to", &args.to)?,
        credential_id: args.credential,
        model: text(&args.model),
        tool: text(&args.tool),
        outcome,
        text: text(&args.text),
        limit,
        cursor: args.cursor,
        order,
    })
}
