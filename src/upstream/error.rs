//! Typed Odoo errors: every protocol's error shape mapped onto one enum.
//!
//! Odoo reports the same exception three ways: JSON-2 as an HTTP status plus
//! `{name, message, ...}`, JSON-RPC as `error.data.name` under HTTP 200, and
//! XML-RPC as a fault code (1 any other exception, with the traceback as
//! faultString; 2 UserError family; 3 AccessDenied; 4 AccessError) or, on the
//! legacy path, a string code. Each is reduced to an exception class name and
//! Odoo's own message, then classified once here. The traceback (`debug`) is
//! never kept, and a client redacts the caller's key from any message.

use crate::wire::jsonrpc::ErrorData;
use crate::wire::xmlrpc::{Fault, FaultCode};

/// What went wrong talking to Odoo. Messages are Odoo's own text (never its
/// traceback) or a transport description; they never contain the API key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    /// Bad, revoked or mismatched key (AccessDenied, 401, authenticate -> false).
    #[error("authentication failed: {0}")]
    AuthenticationFailed(String),
    /// Odoo 16-18 need a login next to the key to find the user.
    #[error("a login is needed to authenticate an API key over {0}")]
    LoginRequired(&'static str),
    /// ACL or record rule refusal (AccessError).
    #[error("access error: {0}")]
    AccessError(String),
    /// write/unlink of an id that does not exist (MissingError).
    #[error("missing record: {0}")]
    MissingRecord(String),
    #[error("validation error: {0}")]
    Validation(String),
    /// Any other UserError (bad order spec, RedirectWarning, ...).
    #[error("{0}")]
    UserError(String),
    #[error("unknown model: {0}")]
    UnknownModel(String),
    #[error("unknown method: {0}")]
    UnknownMethod(String),
    /// Invalid field in fields, domain or values.
    #[error("unknown field: {0}")]
    UnknownField(String),
    /// Wrong value or type (ValueError, TypeError, AssertionError, SQL data errors).
    #[error("bad value: {0}")]
    BadValue(String),
    /// Odoo refused the arguments themselves (unexpected keyword, 400/422 binding errors).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Any other server-side exception, with its class name.
    #[error("Odoo error {name}: {message}")]
    ServerError { name: String, message: String },
    #[error("Odoo did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("Odoo is unreachable: {0}")]
    Unreachable(String),
    #[error("TLS error: {0}")]
    Tls(String),
    /// Not an answer the protocol allows (HTML page, bad XML, unexpected shape).
    #[error("unexpected answer from Odoo: {0}")]
    BadResponse(String),
    /// The upstream settings cannot work (no URL, no database for RPC, bad CA file).
    #[error("upstream configuration: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, UpstreamError>;

impl UpstreamError {
    /// Whether the fault is on the transport (retry or report as unavailable)
    /// rather than an Odoo answer.
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Unreachable(_) | Self::Tls(_) | Self::BadResponse(_))
    }

    /// Replaces any occurrence of `secret` in the message: Odoo could echo an
    /// argument, and the key is one.
    pub(crate) fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let r = |s: String| if s.contains(secret) { s.replace(secret, "<redacted>") } else { s };
        match self {
            Self::AuthenticationFailed(m) => Self::AuthenticationFailed(r(m)),
            Self::AccessError(m) => Self::AccessError(r(m)),
            Self::MissingRecord(m) => Self::MissingRecord(r(m)),
            Self::Validation(m) => Self::Validation(r(m)),
            Self::UserError(m) => Self::UserError(r(m)),
            Self::UnknownModel(m) => Self::UnknownModel(r(m)),
            Self::UnknownMethod(m) => Self::UnknownMethod(r(m)),
            Self::UnknownField(m) => Self::UnknownField(r(m)),
            Self::BadValue(m) => Self::BadValue(r(m)),
            Self::BadRequest(m) => Self::BadRequest(r(m)),
            Self::ServerError { name, message } => Self::ServerError { name, message: r(message) },
            Self::Unreachable(m) => Self::Unreachable(r(m)),
            Self::Tls(m) => Self::Tls(r(m)),
            Self::BadResponse(m) => Self::BadResponse(r(m)),
            Self::Config(m) => Self::Config(r(m)),
            other @ (Self::LoginRequired(_) | Self::Timeout(_)) => other,
        }
    }
}

/// Classifies an exception by class name (qualified or not) and message.
pub fn classify(name: &str, message: &str) -> UpstreamError {
    let short = name.rsplit('.').next().unwrap_or(name);
    let msg = message.trim_end().to_owned();
    match short {
        "AccessDenied" | "Unauthorized" | "SessionExpiredException" => UpstreamError::AuthenticationFailed(msg),
        "AccessError" => UpstreamError::AccessError(msg),
        "MissingError" => UpstreamError::MissingRecord(msg),
        "ValidationError" => UpstreamError::Validation(msg),
        // JSON-RPC / XML-RPC say "Object x doesn't exist" as a UserError.
        "UserError" if msg.starts_with("Object ") && msg.ends_with(" doesn't exist") => {
            UpstreamError::UnknownModel(msg)
        }
        "UserError" | "RedirectWarning" | "Warning" | "except_orm" => UpstreamError::UserError(msg),
        // JSON-2's 404s: "the model 'x' does not exist", "The method 'm.x' does not exist".
        "NotFound" if msg.starts_with("the model ") => UpstreamError::UnknownModel(msg),
        "NotFound" if msg.starts_with("The method ") => UpstreamError::UnknownMethod(msg),
        "NotFound" | "UnprocessableEntity" | "BadRequest" => UpstreamError::BadRequest(msg),
        "AttributeError" if msg.contains("does not exist") => UpstreamError::UnknownMethod(msg),
        // 19 raises KeyError for an unknown field in write vals; ValueError "Invalid field" elsewhere.
        "KeyError" => UpstreamError::UnknownField(msg),
        "ValueError" if msg.starts_with("Invalid field") => UpstreamError::UnknownField(msg),
        "ValueError"
        | "TypeError"
        | "AssertionError"
        | "InvalidTextRepresentation"
        | "DataError"
        | "NumericValueOutOfRange"
        | "InvalidDatetimeFormat" => UpstreamError::BadValue(msg),
        _ => UpstreamError::ServerError { name: name.to_owned(), message: msg },
    }
}

/// A JSON-RPC `error` object (its `data` when present).
pub fn from_jsonrpc(code: i64, message: &str, data: Option<&ErrorData>) -> UpstreamError {
    match data {
        Some(d) if !d.name.is_empty() => {
            let msg = if d.message.is_empty() { message } else { &d.message };
            classify(&d.name, msg)
        }
        _ => UpstreamError::ServerError { name: format!("JSON-RPC error {code}"), message: message.to_owned() },
    }
}

/// A JSON-2 error: the body when it is Odoo's JSON error, else the status.
pub fn from_json2(status: u16, body: Option<&ErrorData>) -> UpstreamError {
    if let Some(d) = body.filter(|d| !d.name.is_empty()) {
        return classify(&d.name, &d.message);
    }
    match status {
        401 => UpstreamError::AuthenticationFailed(format!("HTTP {status}")),
        403 => UpstreamError::AccessError(format!("HTTP {status}")),
        // Odoo's 404 page without JSON: no/unknown database, or no JSON-2 (Odoo < 19).
        404 => UpstreamError::BadResponse(
            "HTTP 404 page: unknown database, or this Odoo has no JSON-2 API (before 19)".into(),
        ),
        _ => UpstreamError::BadResponse(format!("HTTP {status} without an Odoo error body")),
    }
}

/// An XML-RPC fault, from `/xmlrpc/2` (int codes) or legacy `/xmlrpc` (string codes).
pub fn from_fault(fault: &Fault) -> UpstreamError {
    // Trimmed as `classify` trims, so a message reads the same on every protocol.
    let text = fault.string.trim_end();
    match &fault.code {
        FaultCode::Int(3) => UpstreamError::AuthenticationFailed(text.to_owned()),
        FaultCode::Int(4) => UpstreamError::AccessError(text.to_owned()),
        // UserError family: the class is not on the wire, Odoo's wording tells.
        FaultCode::Int(2) => classify_warning(text),
        FaultCode::Int(_) => match last_exception(text) {
            Some((name, message)) => classify(&name, &message),
            None => UpstreamError::ServerError { name: "XML-RPC fault".into(), message: String::new() },
        },
        FaultCode::Str(code) => {
            if let Some(rest) = code.strip_prefix("warning -- ") {
                let (name, message) = rest.split_once("\n\n").unwrap_or((rest, ""));
                return match name {
                    "Warning" => UpstreamError::UserError(message.trim_end().to_owned()),
                    "UserError" => classify_warning(message),
                    _ => classify(name, message),
                };
            }
            if code == "AccessDenied" {
                return UpstreamError::AuthenticationFailed(text.to_owned());
            }
            // Other exceptions: the code is the message, faultString the traceback.
            match last_exception(text) {
                Some((name, _)) => classify(&name, code),
                None => UpstreamError::ServerError { name: "XML-RPC fault".into(), message: code.clone() },
            }
        }
    }
}

fn classify_warning(text: &str) -> UpstreamError {
    let text = text.trim_end();
    if text.starts_with("Record does not exist or has been deleted") {
        UpstreamError::MissingRecord(text.to_owned())
    } else if text.starts_with("The operation cannot be completed") {
        UpstreamError::Validation(text.to_owned())
    } else {
        classify("UserError", text)
    }
}

/// The final exception of a Python traceback: `(class, message)`. The message
/// is the text after `Class: ` up to the end (it may span lines); frames and
/// source lines (indented) are skipped, so no code or locals leak.
pub fn last_exception(traceback: &str) -> Option<(String, String)> {
    let tail = traceback.rsplit("Traceback (most recent call last):").next()?;
    let mut lines = tail.lines().skip_while(|l| l.is_empty() || l.starts_with(' ') || l.starts_with('\t'));
    let first = lines.next()?;
    let (name, head) = match first.split_once(": ") {
        Some((n, m)) => (n, m.to_owned()),
        None => (first.trim_end_matches(':'), String::new()),
    };
    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return None;
    }
    let mut message = head;
    for l in lines {
        message.push('\n');
        message.push_str(l);
    }
    Some((name.to_owned(), message.trim_end().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceback_last_exception() {
        let tb = "Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    secret_call(key)\n\
                  ValueError: Invalid field 'x' on 'res.partner'\nmore\n";
        assert_eq!(last_exception(tb), Some(("ValueError".into(), "Invalid field 'x' on 'res.partner'\nmore".into())));
        assert_eq!(
            classify("builtins.ValueError", "Invalid field 'x'"),
            UpstreamError::UnknownField("Invalid field 'x'".into())
        );
    }

    #[test]
    fn redaction() {
        let e = UpstreamError::BadValue("key abc123 leaked".into()).redact("abc123");
        assert_eq!(e, UpstreamError::BadValue("key <redacted> leaked".into()));
    }
}
