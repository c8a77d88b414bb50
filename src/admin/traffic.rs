//! The admin service's traffic side: the rate limiter, audit log and
//! sessions of its store (one set per opened store, shared by the gateway,
//! the timers and the admin socket), and the admin calls over them: audit
//! query, sessions list / end, run a job.
//!
//! [`dispatch`] serves these calls by name with JSON arguments, for the
//! admin socket and the CLI's direct mode: `audit.query`, `sessions.list`,
//! `sessions.end`, `jobs.run`.

use super::{AdminError, AdminResult, AdminService};
use crate::audit::{AuditLog, AuditPage, AuditQuery, Order, Outcome};
use crate::jobs::{Job, JobReport};
use crate::limits::Limiter;
use crate::sessions::{Session, SessionError, Sessions};
use crate::store::Store;
use serde_json::{Value, json};

/// The traffic rooms of one store.
pub struct Traffic {
    pub limiter: Limiter,
    pub audit: AuditLog,
    pub sessions: Sessions,
}

impl Traffic {
    pub fn new(store: &Store) -> Traffic {
        Traffic {
            limiter: Limiter::new(Some(store.clone())),
            audit: AuditLog::new(store.clone()),
            sessions: Sessions::new(store.clone()),
        }
    }
}

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
        &self.traffic.limiter
    }

    pub fn audit(&self) -> &AuditLog {
        &self.traffic.audit
    }

    pub fn sessions(&self) -> &Sessions {
        &self.traffic.sessions
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
        crate::jobs::run_now(job, self).map_err(|e| {
            AdminError::Store(crate::store::StoreError::Io {
                dir: self.store().dir().to_path_buf(),
                source: std::io::Error::other(e),
            })
        })
    }
}

/// The names [`dispatch`] answers, with their arguments.
pub const OPS: &[(&str, &str)] = &[
    (
        "audit.query",
        "from?, to? (RFC 3339), credential?, model?, tool?, outcome?, text?, limit?, cursor?, order? (newest|oldest)",
    ),
    ("sessions.list", "all?"),
    ("sessions.end", "id"),
    ("jobs.run", "name"),
];

/// Serves one traffic call; None if `op` is not one of [`OPS`].
pub fn dispatch(admin: &AdminService, op: &str, args: &Value) -> Option<AdminResult<Value>> {
    let result = match op {
        "audit.query" => parse_query(args).and_then(|q| admin.audit_query(&q)).map(|page| page_json(&page)),
        "sessions.list" => {
            let all = args.get("all").and_then(Value::as_bool).unwrap_or(false);
            admin.sessions_list(all).map(|list| Value::Array(list.iter().map(Session::to_json).collect()))
        }
        "sessions.end" => match args.get("id").and_then(Value::as_str) {
            Some(id) => admin.end_session(id).map(|s| s.to_json()),
            None => Err(AdminError::Invalid("sessions.end needs the session id".into())),
        },
        "jobs.run" => match args.get("name").and_then(Value::as_str) {
            Some(name) => admin.run_job(name).map(|r| r.to_json()),
            None => Err(AdminError::Invalid("jobs.run needs the job name".into())),
        },
        _ => return None,
    };
    Some(result)
}

/// Writes every audit entry matching `filters` (`audit.query` arguments) to
/// `out` as JSON lines, oldest first, a page at a time fetched by `query`
/// (through the admin socket or on the store), and returns how many. The
/// CLI's `audit export` and the dashboard's export share it.
pub fn export_jsonl<E>(
    filters: &Value,
    mut query: impl FnMut(Value) -> Result<Value, E>,
    out: &mut dyn std::io::Write,
    write_failed: impl Fn(std::io::Error) -> E,
) -> Result<u64, E> {
    let mut cursor: Option<u64> = None;
    let mut written = 0;
    loop {
        let mut args = match filters {
            Value::Object(map) => map.clone(),
            _ => serde_json::Map::new(),
        };
        args.insert("limit".into(), 1000.into());
        args.insert("cursor".into(), json!(cursor));
        args.insert("order".into(), "oldest".into());
        let page = query(Value::Object(args))?;
        for entry in page["entries"].as_array().into_iter().flatten() {
            writeln!(out, "{entry}").map_err(&write_failed)?;
            written += 1;
        }
        match page["next_cursor"].as_u64() {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    out.flush().map_err(&write_failed)?;
    Ok(written)
}

fn page_json(page: &AuditPage) -> Value {
    json!({"entries": page.entries.iter().map(|e| e.to_json()).collect::<Vec<_>>(), "next_cursor": page.next_cursor})
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

/// An `audit.query` argument object -> a query.
pub fn parse_query(args: &Value) -> AdminResult<AuditQuery> {
    let text = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_string).filter(|s| !s.is_empty());
    let time = |key: &str| {
        text(key).map(|t| parse_time(&t).map_err(|e| AdminError::Invalid(format!("{key}: {e}")))).transpose()
    };
    let number = |key: &str| -> AdminResult<Option<u64>> {
        match args.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or_else(|| AdminError::Invalid(format!("{key} must be a whole number"))),
        }
    };
    let outcome = match text("outcome") {
        Some(o) => Some(Outcome::parse(&o).ok_or_else(|| {
            AdminError::Invalid(format!(
                "unknown outcome {o:?}; one of {}",
                Outcome::ALL.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
            ))
        })?),
        None => None,
    };
    let order = match text("order").as_deref() {
        None | Some("newest") => Order::NewestFirst,
        Some("oldest") => Order::OldestFirst,
        Some(other) => return Err(AdminError::Invalid(format!("order must be newest or oldest, got {other:?}"))),
    };
    let limit = number("limit")?.map(|n| n as usize);
    if let Some(n) = limit
        && !(1..=crate::audit::query::MAX_PAGE).contains(&n)
    {
        return Err(AdminError::Invalid(format!("limit must be from 1 to {}", crate::audit::query::MAX_PAGE)));
    }
    Ok(AuditQuery {
        from_us: time("from")?,
        to_us: time("to")?,
        credential_id: number("credential")?,
        model: text("model"),
        tool: text("tool"),
        outcome,
        text: text("text"),
        limit,
        cursor: number("cursor")?,
        order,
    })
}
