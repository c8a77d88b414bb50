//! Process metrics for `GET /metrics`, in the OpenMetrics text format that
//! Prometheus scrapes (`prometheus-client`).
//!
//! One process-wide set ([`global`]): the rooms that see an event record it
//! with one call (`record_*`), which is an atomic add or a histogram observe
//! behind a read lock, cheap enough for the request path. Recording never
//! influences a decision: nothing reads these values back but the encoder.
//!
//! Label values are bounded: the tool is one of the nine operations,
//! `authenticate` or `other` (a REST route that names no operation), the
//! face one of three, the outcome one of the audit outcomes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::LazyLock;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    face: &'static str,
    tool: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaceLabels {
    face: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaceToolLabels {
    face: &'static str,
    tool: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
    result: &'static str,
}

/// The metric families.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<FaceToolLabels, Histogram>,
    rate_limited: Family<FaceLabels, Counter>,
    upstream_seconds: Histogram,
    upstream_errors: Family<KindLabels, Counter>,
    audit_entries: Counter,
    audit_failures: Counter,
    job_runs: Family<JobLabels, Counter>,
    active_sessions: Gauge,
    audit_chain_seq: Gauge,
    audit_checkpoint_seq: Gauge,
}

/// Request latencies: 1 ms to ~16 s.
fn latency_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15)
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("alpenglow");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("requests", "Requests by face, tool and outcome", requests.clone());
        let request_seconds =
            Family::<FaceToolLabels, Histogram>::new_with_constructor(|| Histogram::new(latency_buckets()));
        registry.register(
            "request_duration_seconds",
            "Time from the request reaching the gateway to its audit entry being durable",
            request_seconds.clone(),
        );
        let rate_limited = Family::<FaceLabels, Counter>::default();
        registry.register("rate_limited", "Requests refused by a rate limit", rate_limited.clone());
        let upstream_seconds = Histogram::new(latency_buckets());
        registry.register(
            "upstream_request_duration_seconds",
            "HTTP exchanges with Odoo, from send to the whole answer",
            upstream_seconds.clone(),
        );
        let upstream_errors = Family::<KindLabels, Counter>::default();
        registry.register(
            "upstream_errors",
            "HTTP exchanges with Odoo that failed (timeout, unreachable, tls, bad_response) or got an HTTP error status (http_4xx, http_5xx)",
            upstream_errors.clone(),
        );
        let audit_entries = Counter::default();
        registry.register("audit_entries", "Audit entries written", audit_entries.clone());
        let audit_failures = Counter::default();
        registry.register("audit_write_failures", "Audit entries that could not be written", audit_failures.clone());
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register("job_runs", "Timer job runs by job and result", job_runs.clone());
        let active_sessions = Gauge::default();
        registry.register("active_sessions", "AI client sessions currently active", active_sessions.clone());
        let audit_chain_seq = Gauge::default();
        registry.register("audit_chain_seq", "The last audit entry's place in the hash chain", audit_chain_seq.clone());
        let audit_checkpoint_seq = Gauge::default();
        registry.register(
            "audit_checkpoint_seq",
            "The sequence the latest signed audit checkpoint covers",
            audit_checkpoint_seq.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            rate_limited,
            upstream_seconds,
            upstream_errors,
            audit_entries,
            audit_failures,
            job_runs,
            active_sessions,
            audit_chain_seq,
            audit_checkpoint_seq,
        }
    }

    /// One request's end: its face, tool, outcome and duration.
    pub fn record_request(&self, face: &'static str, tool: &str, outcome: &'static str, elapsed: Duration) {
        let tool = bounded_tool(tool);
        self.requests.get_or_create(&RequestLabels { face, tool, outcome }).inc();
        self.request_seconds.get_or_create(&FaceToolLabels { face, tool }).observe(elapsed.as_secs_f64());
        if outcome == "rate_limited" {
            self.rate_limited.get_or_create(&FaceLabels { face }).inc();
        }
    }

    /// One HTTP exchange with Odoo; `error` names what went wrong, if anything.
    pub fn record_upstream(&self, elapsed: Duration, error: Option<&'static str>) {
        self.upstream_seconds.observe(elapsed.as_secs_f64());
        if let Some(kind) = error {
            self.upstream_errors.get_or_create(&KindLabels { kind }).inc();
        }
    }

    pub fn record_audit(&self, written: bool) {
        if written {
            self.audit_entries.inc()
        } else {
            self.audit_failures.inc()
        };
    }

    pub fn record_job(&self, job: &'static str, succeeded: bool) {
        self.job_runs.get_or_create(&JobLabels { job, result: if succeeded { "ok" } else { "failed" } }).inc();
    }

    /// The audit chain's head and latest checkpoint, read at scrape time.
    pub fn set_audit_chain(&self, seq: u64, checkpoint_seq: Option<u64>) {
        self.audit_chain_seq.set(i64::try_from(seq).unwrap_or(i64::MAX));
        if let Some(checkpoint) = checkpoint_seq {
            self.audit_checkpoint_seq.set(i64::try_from(checkpoint).unwrap_or(i64::MAX));
        }
    }

    /// The exposition, with the gauges read at scrape time set first.
    pub fn encode(&self, active_sessions: Option<i64>) -> String {
        if let Some(n) = active_sessions {
            self.active_sessions.set(n);
        }
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The tool as a label value: a known name, else `other`.
fn bounded_tool(tool: &str) -> &'static str {
    if tool == "authenticate" {
        return "authenticate";
    }
    crate::vocab::OpName::parse(tool).map(|op| op.as_str()).unwrap_or("other")
}

static GLOBAL: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn global() -> &'static Metrics {
    &GLOBAL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_bounded_labels_and_encoded() {
        let m = Metrics::new();
        m.record_request("rest", "alpenglow_search", "ok", Duration::from_millis(3));
        m.record_request("rest", "GET /alpenglow/api/models/x/y", "not_found", Duration::from_millis(1));
        m.record_request("mcp", "alpenglow_read", "rate_limited", Duration::from_millis(1));
        m.record_upstream(Duration::from_millis(20), Some("timeout"));
        m.record_job("audit-cleanup", true);
        let text = m.encode(Some(4));
        for line in [
            r#"alpenglow_requests_total{face="rest",tool="alpenglow_search",outcome="ok"} 1"#,
            r#"alpenglow_requests_total{face="rest",tool="other",outcome="not_found"} 1"#,
            r#"alpenglow_rate_limited_total{face="mcp"} 1"#,
            r#"alpenglow_upstream_errors_total{kind="timeout"} 1"#,
            r#"alpenglow_upstream_request_duration_seconds_count 1"#,
            r#"alpenglow_job_runs_total{job="audit-cleanup",result="ok"} 1"#,
            "alpenglow_active_sessions 4",
            r#"alpenglow_request_duration_seconds_bucket{le="0.004",face="rest",tool="alpenglow_search"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("/alpenglow/api"), "a path leaked into a label");
        assert!(text.ends_with("# EOF\n"));
    }
}
