//! The admin API as types: one [`Request`] enum (every operation, with its
//! arguments), a typed answer per operation ([`Call::Answer`]), and the
//! error every operation may end in ([`ApiError`]). The daemon's socket, the
//! in-process client, the CLI, the dashboard and `doctor` all speak these
//! types; nothing names an operation by a string or reads an answer by key.
//!
//! On the wire (the admin socket: one JSON line per request, one per
//! answer, in order) a request is what serde derives from [`Request`]:
//! `{"op": "resources.add", "args": {...}}`; an answer is [`Reply`]:
//! `{"ok": <answer>}` or `{"error": {"kind": "invalid|conflict|not_found|failed",
//! "message": "..."}}`. Missing or `null` args read as `{}`, so an operation
//! whose arguments are all optional can be sent as `{"op": "sessions.list"}`.
//!
//! Answers decode leniently (a missing field takes its default), so a CLI of
//! one release can read a daemon of the release before, as after an upgrade
//! whose restart is still to come.

mod answers;
mod approvals;
mod requests;

pub use answers::*;
pub use approvals::*;
pub use requests::*;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One admin operation: its arguments (the implementing struct) and what it
/// answers. `Into<Request>` puts it in the enum the wire carries.
pub trait Call: Into<Request> {
    type Answer: Serialize + DeserializeOwned;
}

/// Why a request was refused or failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input was wrong; the message says what is allowed.
    Invalid,
    /// It would break a uniqueness rule.
    Conflict,
    NotFound,
    /// Anything else: store, Odoo, I/O (also any kind this release does not know).
    #[serde(other)]
    Failed,
}

/// An admin request that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    #[serde(default = "no_message")]
    pub message: String,
}

fn no_message() -> String {
    "the daemon refused without a message".into()
}

impl ApiError {
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError { kind: ErrorKind::Invalid, message: message.into() }
    }

    pub fn failed(message: impl Into<String>) -> ApiError {
        ApiError { kind: ErrorKind::Failed, message: message.into() }
    }

    /// Whether the caller's input was refused (as opposed to a failure).
    pub fn is_refusal(&self) -> bool {
        self.kind != ErrorKind::Failed
    }
}

impl From<super::AdminError> for ApiError {
    fn from(e: super::AdminError) -> Self {
        use super::AdminError;
        let kind = match &e {
            AdminError::Invalid(_) => ErrorKind::Invalid,
            AdminError::Conflict(_) => ErrorKind::Conflict,
            AdminError::NotFound(_) => ErrorKind::NotFound,
            AdminError::Store(_) => ErrorKind::Failed,
        };
        ApiError { kind, message: e.to_string() }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// One answer line: `{"ok": answer}` or `{"error": {"kind", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reply<T> {
    Ok(T),
    Error(ApiError),
}

impl<T> From<ApiResult<T>> for Reply<T> {
    fn from(result: ApiResult<T>) -> Self {
        match result {
            Ok(answer) => Reply::Ok(answer),
            Err(e) => Reply::Error(e),
        }
    }
}

impl<T> From<Reply<T>> for ApiResult<T> {
    fn from(reply: Reply<T>) -> Self {
        match reply {
            Reply::Ok(answer) => Ok(answer),
            Reply::Error(e) => Err(e),
        }
    }
}

/// An answer as the wire carries it, read as `C`'s typed answer.
pub fn decode<C: Call>(answer: ApiResult<Value>) -> ApiResult<C::Answer> {
    serde_json::from_value(answer?)
        .map_err(|e| ApiError::failed(format!("the daemon's answer does not read as expected: {e}")))
}

/// A typed answer as the wire carries it.
pub fn encode<C: Call>(answer: ApiResult<C::Answer>) -> ApiResult<Value> {
    serde_json::to_value(answer?).map_err(|e| ApiError::failed(format!("the answer cannot be written: {e}")))
}

impl Request {
    /// Reads one request line. Refusals say what was wrong: not JSON, no
    /// `op`, an unknown operation (naming the known ones), or arguments that
    /// do not fit the operation (naming the operation and the argument).
    pub fn from_line(line: &str) -> ApiResult<Request> {
        let mut request: Value = serde_json::from_str(line)
            .map_err(|e| ApiError::invalid(format!("a request must be one JSON object per line: {e}")))?;
        let Some(op) = request.get("op").and_then(Value::as_str).map(str::to_string) else {
            return Err(ApiError::invalid(r#"a request needs "op", e.g. {"op": "status", "args": {}}"#));
        };
        if !Request::names().contains(&op.as_str()) {
            return Err(ApiError::invalid(format!("unknown operation {op:?}; known: {}", Request::names().join(", "))));
        }
        match request.get("args") {
            None | Some(Value::Null) => {
                request["args"] = Value::Object(Default::default());
            }
            Some(Value::Object(_)) => {}
            Some(_) => return Err(ApiError::invalid("args must be a JSON object")),
        }
        Request::deserialize(request).map_err(|e| ApiError::invalid(format!("{op}: {e}")))
    }

    /// The request as one line for the wire (without the newline).
    pub fn to_line(&self) -> String {
        // A derived Serialize of strings, numbers and maps cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Every operation's name, as the wire spells it (`settings.set`), in
    /// the order of the enum: read from serde's own variant list, so it
    /// cannot drift from [`Request`].
    pub fn names() -> &'static [&'static str] {
        use serde::de::value::MapDeserializer;
        let asking = MapDeserializer::<_, VariantNames>::new(std::iter::once(("op", "")));
        match Request::deserialize(asking) {
            Err(VariantNames(names)) => names,
            Ok(_) => &[],
        }
    }
}

/// An error that keeps the variant list serde reports for an unknown tag.
#[derive(Debug)]
struct VariantNames(&'static [&'static str]);

impl std::fmt::Display for VariantNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.join(", "))
    }
}

impl std::error::Error for VariantNames {}

impl serde::de::Error for VariantNames {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        VariantNames(&[])
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
        VariantNames(expected)
    }
}

#[cfg(test)]
mod tests;
