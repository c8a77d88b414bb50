//! The three timers inside the process (the original's cron jobs):
//!
//! | job | interval | does |
//! |---|---|---|
//! | `audit-cleanup` | daily | deletes audit entries older than `log_retention_days` (after a signed prune checkpoint), then verifies the chain |
//! | `session-cleanup` | hourly | marks sessions idle after `session_timeout_minutes` without activity, deletes sessions inactive for 7 days; removes expired OAuth codes and tokens and closes grants none is left for; marks approvals past their expiry expired and deletes finished ones after 7 days |
//! | `rate-limit-cleanup` | hourly | purges rate windows with nothing left in them |
//!
//! Each run happens on tokio's blocking pool (never on the request workers),
//! reads the settings at that moment, logs what it did and how long it took
//! (a `tracing` event), and a failure (or a panic) of one run is logged and the timer
//! goes on. `alpenglow jobs run NAME` runs one at once. The rate limiter's
//! write-behind runs here too, every [`RATE_PERSIST_EVERY`].

use crate::audit::{CheckpointKind, now_micros};
use crate::rooms::Rooms;
use std::time::{Duration, Instant};

/// How often the rate limiter's changed windows are written to the store.
pub const RATE_PERSIST_EVERY: Duration = Duration::from_millis(500);
/// The first run of each timer comes this long after start, so a cleanup
/// never slows startup.
const FIRST_RUN_AFTER: Duration = Duration::from_secs(60);

/// One of the three jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    AuditCleanup,
    SessionCleanup,
    RateLimitCleanup,
}

impl Job {
    pub const ALL: [Job; 3] = [Job::AuditCleanup, Job::SessionCleanup, Job::RateLimitCleanup];

    pub fn name(self) -> &'static str {
        match self {
            Job::AuditCleanup => "audit-cleanup",
            Job::SessionCleanup => "session-cleanup",
            Job::RateLimitCleanup => "rate-limit-cleanup",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Job::AuditCleanup => "Audit Log Cleanup",
            Job::SessionCleanup => "Session Cleanup",
            Job::RateLimitCleanup => "Rate Limit Cleanup",
        }
    }

    pub fn interval(self) -> Duration {
        match self {
            Job::AuditCleanup => Duration::from_secs(24 * 3600),
            Job::SessionCleanup | Job::RateLimitCleanup => Duration::from_secs(3600),
        }
    }

    pub fn parse(name: &str) -> Result<Job, String> {
        Job::ALL.into_iter().find(|j| j.name() == name.trim()).ok_or_else(|| {
            format!(
                "unknown job {name:?}; the jobs are {}",
                Job::ALL.iter().map(|j| j.name()).collect::<Vec<_>>().join(", ")
            )
        })
    }
}

/// What one run did.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    pub job: Job,
    /// How many entries it deleted or marked.
    pub affected: u64,
    /// One line for people.
    pub summary: String,
    pub elapsed: Duration,
}

impl JobReport {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "job": self.job.name(),
            "affected": self.affected,
            "summary": self.summary,
            "elapsed_ms": self.elapsed.as_secs_f64() * 1000.0,
        })
    }
}

/// Runs `job` once, now, over the store's rooms (its audit log, sessions
/// or rate limiter), and counts the run in the metrics.
pub fn run_now(job: Job, rooms: &Rooms) -> Result<JobReport, String> {
    let report = run_job(job, rooms);
    crate::metrics::global().record_job(job.name(), report.is_ok());
    report
}

fn run_job(job: Job, rooms: &Rooms) -> Result<JobReport, String> {
    let started = Instant::now();
    let settings = rooms.catalog().settings().map_err(|e| e.to_string())?;
    let (affected, summary) = match job {
        Job::AuditCleanup => {
            let days = i64::from(settings.log_retention_days);
            let cutoff = now_micros() - days * 86_400_000_000;
            let audit = rooms.audit();
            let n = audit.delete_before(cutoff)?;
            // Then the chain is checked from the new prune checkpoint: the
            // dashboard shows the result, a broken link is logged loudly.
            let verified = audit.verify(audit.verifier().as_ref(), crate::audit::Start::Default)?;
            if !verified.ok {
                tracing::error!(summary = %verified.summary, "the audit log does not verify");
            }
            (n as u64, format!("deleted {n} audit entries older than {days} days; {}", verified.summary))
        }
        Job::SessionCleanup => {
            let minutes = i64::from(settings.session_timeout_minutes);
            let now = time::OffsetDateTime::now_utc();
            let sessions = rooms.sessions();
            let idle = sessions.mark_idle(time::Duration::minutes(minutes), now).map_err(|e| e.to_string())?;
            let purged = sessions.purge(now - crate::sessions::RETENTION).map_err(|e| e.to_string())?;
            let days = crate::sessions::RETENTION.whole_days();
            // Spent OAuth codes and tokens go with the stale sessions.
            let (spent, closed) = crate::oauth::Grants::new(rooms.store().clone())
                .purge_expired(now.unix_timestamp())
                .map_err(|e| e.to_string())?;
            // Writes held for approval past their expiry, with them.
            let (expired, dropped) = rooms.approvals().cleanup(now_micros()).map_err(|e| e.to_string())?;
            (
                (idle + purged + spent + closed + expired + dropped) as u64,
                format!(
                    "marked {idle} sessions inactive after {minutes} minutes without activity; \
                     deleted {purged} inactive for over {days} days; \
                     removed {spent} expired OAuth codes and tokens, closed {closed} unused OAuth grants; \
                     expired {expired} approvals, deleted {dropped} finished over {days} days ago"
                ),
            )
        }
        Job::RateLimitCleanup => {
            let limiter = rooms.limiter();
            limiter.persist().map_err(|e| e.to_string())?;
            let report = limiter.purge_expired().map_err(|e| e.to_string())?;
            let n = report.in_memory.max(report.stored) + report.lockouts.0.max(report.lockouts.1);
            let summary = format!(
                "purged {} expired rate windows ({} in memory) and {} login lockout entries",
                report.stored,
                report.in_memory,
                report.lockouts.0.max(report.lockouts.1)
            );
            (n as u64, summary)
        }
    };
    Ok(JobReport { job, affected, summary, elapsed: started.elapsed() })
}

/// Runs a job on the blocking pool and logs the outcome; a failure or a
/// panic is reported and does not stop the caller.
pub async fn run_logged(job: Job, rooms: Rooms) -> Option<JobReport> {
    let started = Instant::now();
    match tokio::task::spawn_blocking(move || run_now(job, &rooms)).await {
        Ok(Ok(report)) => {
            tracing::info!(
                job = job.name(),
                affected = report.affected,
                elapsed_ms = report.elapsed.as_secs_f64() * 1000.0,
                "job {}: {}",
                job.name(),
                report.summary
            );
            Some(report)
        }
        Ok(Err(e)) => {
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            tracing::error!(job = job.name(), elapsed_ms, error = %e, "job {} failed", job.name());
            None
        }
        Err(e) => {
            crate::metrics::global().record_job(job.name(), false);
            tracing::error!(job = job.name(), error = %e, "job {} stopped", job.name());
            None
        }
    }
}

/// The running timers; dropping the handle stops them.
pub struct Timers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Timers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts the three timers and the rate limiter's write-behind on the
/// current tokio runtime (the `serve` and `demo` commands).
pub fn start(rooms: &Rooms) -> Timers {
    let mut tasks = Vec::new();
    for job in Job::ALL {
        let rooms = rooms.clone();
        tasks.push(tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + FIRST_RUN_AFTER, job.interval());
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                run_logged(job, rooms.clone()).await;
            }
        }));
    }
    tasks.push(tokio::spawn(checkpoints(rooms.clone())));
    let rooms = rooms.clone();
    tasks.push(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(RATE_PERSIST_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let rooms = rooms.clone();
            let persisted = tokio::task::spawn_blocking(move || rooms.limiter().persist()).await;
            if let Ok(Err(e)) = persisted {
                tracing::warn!(error = %e, "rate windows not saved");
            }
        }
    }));
    Timers { tasks }
}

/// Signs a checkpoint of the audit chain every `audit_checkpoint_minutes`
/// (read before each wait, so a change applies from the next one), when
/// entries came since the last.
async fn checkpoints(rooms: Rooms) {
    loop {
        let minutes = rooms.catalog().settings().map(|s| s.audit_checkpoint_minutes).unwrap_or(10).max(1);
        tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)).await;
        let audit = rooms.audit().clone();
        let signed = tokio::task::spawn_blocking(move || audit.checkpoint(CheckpointKind::Periodic)).await;
        match signed {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "audit checkpoint not written"),
            Err(e) => tracing::error!(error = %e, "audit checkpoint stopped"),
        }
    }
}

/// At shutdown: a signed checkpoint of the audit chain's head.
pub fn checkpoint_on_exit(rooms: &Rooms) {
    if let Err(e) = rooms.audit().checkpoint(CheckpointKind::Shutdown) {
        tracing::error!(error = %e, "audit checkpoint not written at exit");
    }
}

/// On a clean shutdown: the rate windows not yet written, then a flush.
pub fn save_on_exit(rooms: &Rooms) {
    if let Err(e) = rooms.limiter().persist().and_then(|_| rooms.store().flush()) {
        tracing::error!(error = %e, "rate windows not saved at exit");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_unknown_ones_are_listed() {
        for job in Job::ALL {
            assert_eq!(Job::parse(job.name()), Ok(job));
        }
        let e = Job::parse("vacuum").unwrap_err();
        assert!(e.contains("audit-cleanup, session-cleanup, rate-limit-cleanup"), "{e}");
    }
}
