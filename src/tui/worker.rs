//! The dashboard's only link to the daemon: a thread that owns the socket
//! connection, takes requests from the UI and hands answers back, so drawing
//! and keys never wait on the daemon or on Odoo. It also does the one local
//! write the dashboard makes (the audit export), so the UI thread does no I/O.

use super::app::{Reply, Request};
use crate::admin::traffic::export_jsonl;
use crate::admin_socket::{AdminApi, ApiError, ApiResult};
use serde_json::{Value, json};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The worker's own operation: `{path, filters}` -> `{path, entries}`.
pub const EXPORT_AUDIT: &str = "tui.export_audit";

/// The UI's end: send requests, collect answers without blocking.
pub struct Worker {
    requests: Sender<Request>,
    replies: Receiver<Reply>,
}

impl Worker {
    /// Starts the thread over `api` (the socket client in the real dashboard).
    pub fn start(api: Box<dyn AdminApi + Send>) -> Worker {
        let (requests, inbox) = channel::<Request>();
        let (outbox, replies) = channel::<Reply>();
        std::thread::spawn(move || {
            for request in inbox {
                let result = match request.op.as_str() {
                    EXPORT_AUDIT => export_audit(&*api, &request.args),
                    op => api.call(op, request.args),
                };
                if outbox.send(Reply { tag: request.tag, result }).is_err() {
                    return;
                }
            }
        });
        Worker { requests, replies }
    }

    pub fn send(&self, request: Request) -> Result<(), ApiError> {
        self.requests.send(request).map_err(|_| ApiError::failed("the connection to the daemon is gone"))
    }

    /// Answers that have arrived, oldest first.
    pub fn ready(&self) -> Vec<Reply> {
        self.replies.try_iter().collect()
    }
}

/// Writes the audit entries matching `filters` to a new file at `path`
/// (relative to the dashboard's directory), oldest first, as JSON lines. An
/// existing file is never overwritten; a failed export leaves no file.
pub fn export_audit(api: &dyn AdminApi, args: &Value) -> ApiResult<Value> {
    let typed = args["path"].as_str().unwrap_or_default().trim();
    if typed.is_empty() {
        return Err(ApiError::invalid("type the path of the file to write"));
    }
    let path = std::path::absolute(typed).unwrap_or_else(|_| typed.into());
    let shown = path.display().to_string();
    let cannot = |e: std::io::Error| ApiError::failed(format!("cannot write {shown}: {e}"));
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ApiError::invalid(format!("{shown} already exists: type another name"))
        } else {
            cannot(e)
        }
    })?;
    let mut out = std::io::BufWriter::new(file);
    match export_jsonl(&args["filters"], |query| api.call("audit.query", query), &mut out, cannot) {
        Ok(entries) => Ok(json!({"path": shown, "entries": entries})),
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}
