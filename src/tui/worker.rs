//! The dashboard's only link to the daemon: a thread that owns the admin
//! client, takes requests from the UI and hands answers back, so drawing and
//! keys never wait on the daemon or on Odoo. It also does the one local
//! write the dashboard makes (the audit export), so the UI thread does no I/O.

use super::app::{Job, Reply, Request};
use crate::admin::api::{ApiError, ApiResult, QueryAudit};
use crate::admin_socket::AdminClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// The UI's end: send requests, collect answers without blocking.
pub struct Worker {
    requests: Sender<Request>,
    events: Receiver<Event>,
}

/// What the worker hands back.
#[derive(Debug)]
pub enum Event {
    /// The answer to a request.
    Reply(Reply),
    /// The link to the daemon changed.
    Link(Link),
}

/// The link to the daemon, as the worker last found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Lost: the daemon stopped or restarted; the worker tries again every
    /// [`RETRY`].
    Down(String),
    /// Connected again (to the same daemon or a restarted one): what the
    /// screens show may have changed meanwhile.
    Back,
}

/// How often a lost daemon is tried again.
pub const RETRY: Duration = Duration::from_secs(1);

/// What an audit export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exported {
    /// The file, as an absolute path.
    pub path: String,
    /// How many entries.
    pub entries: u64,
}

impl Worker {
    /// Starts the thread over `api` (the daemon's socket in the real
    /// dashboard). When the daemon goes away, the thread says so, answers
    /// every request with an error saying nothing was sent, and connects
    /// again as soon as a daemon answers on the same socket.
    pub fn start(api: AdminClient) -> Worker {
        let (requests, inbox) = channel::<Request>();
        let (outbox, events) = channel::<Event>();
        std::thread::spawn(move || Link::serve(&api, &inbox, &outbox));
        Worker { requests, events }
    }

    pub fn send(&self, request: Request) -> Result<(), ApiError> {
        self.requests.send(request).map_err(|_| ApiError::failed("the dashboard's worker has stopped"))
    }

    /// Answers and link changes that have arrived, oldest first.
    pub fn ready(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

impl Link {
    /// The worker's loop: one request at a time, and the link kept up.
    fn serve(api: &AdminClient, inbox: &Receiver<Request>, outbox: &Sender<Event>) {
        let mut down: Option<String> = None;
        loop {
            let request = if down.is_some() {
                match inbox.recv_timeout(RETRY) {
                    Ok(request) => Some(request),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            } else {
                match inbox.recv() {
                    Ok(request) => Some(request),
                    Err(_) => return,
                }
            };
            if down.is_some() && api.reconnect().is_ok() {
                down = None;
                if outbox.send(Event::Link(Link::Back)).is_err() {
                    return;
                }
            }
            let Some(request) = request else { continue };
            let (result, link) = match (&down, request.job) {
                (Some(why), _) => (Err(not_sent(why)), None),
                (None, Job::Admin(call)) => Link::exchange(api, call),
                (None, Job::ExportAudit { path, filters }) => (
                    export_audit(api, &path, &filters)
                        .and_then(|done| serde_json::to_value(done).map_err(|e| ApiError::failed(e.to_string()))),
                    None,
                ),
            };
            for event in
                [Some(Event::Reply(Reply { tag: request.tag, result })), link.map(Event::Link)].into_iter().flatten()
            {
                if let Event::Link(Link::Down(why)) = &event {
                    down = Some(why.clone());
                }
                if outbox.send(event).is_err() {
                    return;
                }
            }
        }
    }

    /// One admin request. A connection found closed before the request left
    /// (the daemon restarted since the last one) is made again and the
    /// request sent on it: nothing had reached the old daemon.
    fn exchange(api: &AdminClient, call: crate::admin::api::Request) -> (ApiResult<Value>, Option<Link>) {
        match api.exchange(call.clone()) {
            Ok(answer) => (answer, None),
            Err(lost) if !lost.sent && api.reconnect().is_ok() => match api.exchange(call) {
                Ok(answer) => (answer, Some(Link::Back)),
                Err(lost) => (Err(not_sent(&lost.message)), Some(Link::Down(lost.message))),
            },
            Err(lost) if !lost.sent => (Err(not_sent(&lost.message)), Some(Link::Down(lost.message))),
            Err(lost) => (
                Err(ApiError::failed(format!(
                    "{}; the request had been sent, so it may or may not have been done: check once the dashboard reconnects",
                    lost.message
                ))),
                Some(Link::Down(lost.message)),
            ),
        }
    }
}

/// The error of a request that never reached a daemon.
fn not_sent(why: &str) -> ApiError {
    ApiError::failed(format!("nothing was sent or saved: not connected to the daemon ({why}); retrying"))
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
