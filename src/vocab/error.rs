//! The one error type of the corridor. Faces map it to their own shapes
//! (HTTP status, JSON-RPC code, MCP tool result), each in its own table;
//! nothing else decides them.

/// Why an operation was not carried out. Every message says what was wrong
/// and, where there is one, what to do next; none reveals data the caller may
/// not see (a record outside the filter is `NotFound`, like a missing one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// The master switch is off.
    #[error("MCP access is not enabled.")]
    Disabled,
    /// No key, a bad key, an expired or revoked credential.
    #[error("{0}")]
    Unauthenticated(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    Denied(String),
    /// An OAuth access token whose grant lacks the scope this needs: the
    /// client may ask the person for it (step-up).
    #[error(
        "insufficient scope: this connection was not granted {scope}; connect again and approve {scope} to do this"
    )]
    InsufficientScope { scope: &'static str },
    /// The model, record or method does not exist for this caller.
    #[error("{0}")]
    NotFound(String),
    /// The parameters are wrong; the message says which and what is allowed.
    #[error("{0}")]
    Invalid(String),
    /// Not one of the nine operations.
    #[error(
        "method not found: {0:?} is not one of the nine methods: alpenglow_list_models, alpenglow_describe, alpenglow_search, alpenglow_read, alpenglow_create, alpenglow_update, alpenglow_delete, alpenglow_aggregate, alpenglow_execute"
    )]
    UnknownOperation(String),
    /// Over a rate budget, or the client IP is locked out.
    #[error("{}", rate_message(*.limit, *.retry_after_secs))]
    RateLimited {
        limit: Limit,
        retry_after_secs: u64,
        /// Unix time (seconds) when the window has room again.
        reset_at: u64,
    },
    /// Odoo refused the request by its own rules (a ValidationError, a
    /// UserError, a field or value it does not take): Odoo's message. Not
    /// `Invalid`, which is what the gateway checks itself, so a client can
    /// tell its own bad parameter from an Odoo business rule.
    #[error("Odoo refused the request: {0}")]
    OdooRefused(String),
    /// Odoo failed; Odoo's own message.
    #[error("Odoo error: {0}")]
    Upstream(String),
    /// Odoo is not configured or cannot be reached.
    #[error("{0}")]
    Unavailable(String),
    /// The audit log cannot be written (the store cannot write): refused
    /// before Odoo was called, or a result withheld because its entry was lost.
    #[error("{0}")]
    AuditUnavailable(String),
}

/// Which limit refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Requests per Minute (per caller, or per IP before authentication).
    Requests,
    /// Aggregation per Minute.
    Aggregations,
    /// Writes per Minute.
    Writes,
    /// Too many failed keys from the client IP.
    Lockout,
}

fn rate_message(limit: Limit, retry_after_secs: u64) -> String {
    match limit {
        Limit::Requests => format!("Rate limit exceeded: retry in {retry_after_secs} s."),
        Limit::Aggregations => {
            format!("Rate limit exceeded (Aggregation per Minute): retry aggregates in {retry_after_secs} s.")
        }
        Limit::Writes => format!(
            "Rate limit exceeded (Writes per Minute): retry writes in {retry_after_secs} s; reads are still allowed."
        ),
        Limit::Lockout => format!(
            "Too many failed API keys from this address: it is locked out, whatever key it sends; retry in {retry_after_secs} s."
        ),
    }
}

impl OpError {
    /// A short outcome name for the audit log and metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            OpError::Disabled | OpError::Denied(_) | OpError::InsufficientScope { .. } => "denied",
            OpError::Unauthenticated(_) => "unauthenticated",
            OpError::NotFound(_) => "not_found",
            OpError::Invalid(_) | OpError::UnknownOperation(_) | OpError::OdooRefused(_) => "invalid",
            OpError::RateLimited { .. } => "rate_limited",
            OpError::Upstream(_) | OpError::Unavailable(_) => "upstream_error",
            // Never in an entry that was written (it could not be); a metrics label.
            OpError::AuditUnavailable(_) => "store_error",
        }
    }
}
