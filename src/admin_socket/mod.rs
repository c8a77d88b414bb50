//! The admin API: the admin service as newline-delimited JSON over a Unix
//! domain socket served by the daemon, and one interface, [`AdminApi`], that
//! the admin CLI and the dashboard call whether a daemon runs or not.
//!
//! Protocol (one request per line, one answer per line, in order):
//! `{"op": "resources.add", "args": {...}}` is answered by `{"ok": <value>}`
//! or `{"error": {"kind": "invalid|conflict|not_found|failed", "message": "..."}}`.
//! The operations are listed in [`handler::OPS`]; their answers are the JSON
//! views of `admin::views`, so the CLI prints the same thing either way.
//!
//! The socket is the only way to reach admin operations of a running daemon:
//! the network listener (`faces`) has no admin route. Access is the file mode
//! (0600, or 0660 with a configured group).

mod args;
pub mod client;
mod handler;
mod odoo;
pub mod server;

pub use client::SocketClient;
pub use handler::{AdminContext, OPS};

use crate::admin::AdminError;
use serde_json::{Value, json};

/// Why a request was refused or failed, as carried on the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input was wrong; the message says what is allowed.
    Invalid,
    /// It would break a uniqueness rule.
    Conflict,
    NotFound,
    /// Anything else: store, Odoo, I/O.
    Failed,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> ErrorKind {
        match text {
            "invalid" => ErrorKind::Invalid,
            "conflict" => ErrorKind::Conflict,
            "not_found" => ErrorKind::NotFound,
            _ => ErrorKind::Failed,
        }
    }
}

/// An admin request that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
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

    pub fn to_json(&self) -> Value {
        json!({"error": {"kind": self.kind.name(), "message": self.message}})
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        let kind = match &e {
            AdminError::Invalid(_) => ErrorKind::Invalid,
            AdminError::Conflict(_) => ErrorKind::Conflict,
            AdminError::NotFound(_) => ErrorKind::NotFound,
            #[allow(unreachable_patterns)]
            _ => ErrorKind::Failed,
        };
        ApiError { kind, message: e.to_string() }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The admin API as the CLI and the dashboard see it: one call per
/// operation, answered with the operation's JSON value. Implemented by the
/// socket client (a daemon runs) and by [`Direct`] (none does); both run the
/// same handler, so behaviour and messages are the same.
pub trait AdminApi {
    fn call(&self, op: &str, args: Value) -> ApiResult<Value>;
}

/// The admin API in this process, over a store this process opened.
pub struct Direct {
    context: AdminContext,
    runtime: tokio::runtime::Runtime,
}

impl Direct {
    pub fn new(context: AdminContext) -> std::io::Result<Direct> {
        // A small runtime: the handler is async because the daemon's is, and
        // Odoo look-ups need one.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(Direct { context, runtime })
    }
}

impl AdminApi for Direct {
    fn call(&self, op: &str, args: Value) -> ApiResult<Value> {
        self.runtime.block_on(handler::dispatch(&self.context, op, args))
    }
}

impl AdminApi for SocketClient {
    fn call(&self, op: &str, args: Value) -> ApiResult<Value> {
        self.request(op, args)
    }
}

impl<T: AdminApi + ?Sized> AdminApi for Box<T> {
    fn call(&self, op: &str, args: Value) -> ApiResult<Value> {
        (**self).call(op, args)
    }
}
