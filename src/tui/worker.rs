//! The dashboard's only link to the daemon: a thread that owns the admin
//! client, takes requests from the UI and hands answers back, so drawing and
//! keys never wait on the daemon or on Odoo. It also does the one local
//! write the dashboard makes (the audit export), so the UI thread does no I/O.

use super::app::{Job, Reply, Request};
use crate::admin::api::{ApiError, ApiResult, QueryAudit};
use crate::admin_socket::AdminClient;
use serde::{Deserialize, Serialize};
use std::sync::mpsc::{Receiver, Sender, channel};

/// The UI's end: send requests, collect answers without blocking.
pub struct Worker {
    requests: Sender<Request>,
    replies: Receiver<Reply>,
}

/// What an audit export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exported {
    /// The file, as an absolute path.
    pub path: String,
    /// How many entries.
    pub entries: u64,
}

impl Worker {
    /// Starts the thread over `api` (the daemon's socket in the real dashboard).
    pub fn start(api: AdminClient) -> Worker {
        let (requests, inbox) = channel::<Request>();
        let (outbox, replies) = channel::<Reply>();
        std::thread::spawn(move || {
            for request in inbox {
                let result = match request.job {
                    Job::Admin(call) => api.send(call),
                    Job::ExportAudit { path, filters } => export_audit(&api, &path, &filters)
                        .and_then(|done| serde_json::to_value(done).map_err(|e| ApiError::failed(e.to_string()))),
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
pub fn export_audit(api: &AdminClient, path: &str, filters: &QueryAudit) -> ApiResult<Exported> {
    let typed = path.trim();
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
    match api.export_audit(filters, &mut out, cannot) {
        Ok(entries) => Ok(Exported { path: shown, entries }),
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&path);
            Err(e)
        }
    }
}
