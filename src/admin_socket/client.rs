//! The client side: [`SocketClient`] carries request lines to a daemon's
//! socket (blocking, one request at a time on one connection), and
//! [`AdminClient`] is what the CLI, the dashboard (from a worker thread, so
//! the screen never waits on it) and `doctor` call: the daemon when one
//! answers, else the admin service in this process, with the same answers.

use crate::admin::api::{self, ApiError, ApiResult, Call, QueryAudit, Reply, Request};
use crate::admin::{Actor, AdminContext, dispatch};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long one answer may take: Odoo look-ups are bounded by the
/// connection's own timeouts, well under this.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether a daemon answers on `path`.
pub fn daemon_answers(path: &Path) -> bool {
    UnixStream::connect(path).is_ok()
}

/// A connection to a daemon's admin socket.
pub struct SocketClient {
    path: PathBuf,
    conn: Mutex<Conn>,
}

struct Conn {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl SocketClient {
    /// Connects; fails when no daemon answers on `path`.
    pub fn connect(path: &Path) -> std::io::Result<SocketClient> {
        let stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
        let writer = stream.try_clone()?;
        Ok(SocketClient { path: path.to_path_buf(), conn: Mutex::new(Conn { reader: BufReader::new(stream), writer }) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends one request and waits for its answer, as the wire carries it.
    pub fn request(&self, request: &Request) -> ApiResult<Value> {
        self.exchange(request).unwrap_or_else(|lost| Err(ApiError::failed(lost.message)))
    }

    /// As [`SocketClient::request`], telling a lost connection apart from
    /// an answer, and whether the request had left before it was lost.
    pub fn exchange(&self, request: &Request) -> Result<ApiResult<Value>, Lost> {
        let mut conn = self.conn.lock().map_err(|_| Lost::unsent("the admin connection is broken".into()))?;
        let line = format!("{}\n", request.to_line());
        // A daemon that has gone (restarted) closed its end: the write fails
        // with EPIPE and nothing reached anyone.
        conn.writer
            .write_all(line.as_bytes())
            .map_err(|e| Lost::unsent(format!("the admin socket {} stopped answering: {e}", self.path.display())))?;
        let mut answer = String::new();
        let lost_after = |message: String| Lost { sent: true, message };
        let n = conn
            .reader
            .read_line(&mut answer)
            .map_err(|e| lost_after(format!("the admin socket {} stopped answering: {e}", self.path.display())))?;
        if n == 0 {
            return Err(lost_after(format!("the daemon closed the admin socket {}", self.path.display())));
        }
        Ok(parse_reply(&answer))
    }

    /// A new connection to the same socket, in place of the old one (a
    /// restarted daemon listens on a new socket at the same path).
    pub fn reconnect(&self) -> std::io::Result<()> {
        let fresh = SocketClient::connect(&self.path)?;
        let conn = fresh.conn.into_inner().map_err(|_| std::io::Error::other("poisoned"))?;
        *self.conn.lock().map_err(|_| std::io::Error::other("the admin connection is broken"))? = conn;
        Ok(())
    }
}

/// The connection to the daemon was lost during a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    /// Whether the request had been written: the daemon may have done it.
    pub sent: bool,
    pub message: String,
}

impl Lost {
    fn unsent(message: String) -> Lost {
        Lost { sent: false, message }
    }
}

/// `{"ok": v}` or `{"error": {"kind", "message"}}`.
pub fn parse_reply(line: &str) -> ApiResult<Value> {
    let reply: Reply<Value> = serde_json::from_str(line).map_err(|e| {
        if serde_json::from_str::<Value>(line).is_ok() {
            ApiError::failed(format!("the daemon's answer has neither ok nor error: {e}"))
        } else {
            ApiError::failed(format!("the daemon's answer is not JSON: {e}"))
        }
    })?;
    reply.into()
}

/// The admin API for the CLI, the dashboard and `doctor`.
pub struct AdminClient {
    link: Link,
}

enum Link {
    /// A daemon answers on its socket (it holds the store).
    Daemon(SocketClient),
    /// No daemon: the admin service over a store this process opened. The
    /// handler is async because the daemon's is, and Odoo look-ups need a
    /// runtime: a small one of its own.
    InProcess(Box<InProcess>),
}

struct InProcess {
    context: AdminContext,
    /// Who the admin trail names: the CLI, as the user running it.
    actor: Actor,
    runtime: tokio::runtime::Runtime,
}

impl AdminClient {
    /// The daemon answering on `path`; fails when none does.
    pub fn connect(path: &Path) -> std::io::Result<AdminClient> {
        Ok(AdminClient { link: Link::Daemon(SocketClient::connect(path)?) })
    }

    /// The admin service in this process.
    pub fn in_process(context: AdminContext) -> std::io::Result<AdminClient> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(AdminClient {
            link: Link::InProcess(Box::new(InProcess { context, actor: Actor::cli_no_daemon(), runtime })),
        })
    }

    /// The daemon on `socket` when one answers, else `open()`'s admin
    /// service in this process (which opening the store may refuse, naming
    /// the process that holds it).
    pub fn connect_or_open<E>(
        socket: &Path,
        open: impl FnOnce() -> Result<AdminContext, E>,
        cannot_start: impl FnOnce(std::io::Error) -> E,
    ) -> Result<AdminClient, E> {
        if let Ok(client) = AdminClient::connect(socket) {
            return Ok(client);
        }
        AdminClient::in_process(open()?).map_err(cannot_start)
    }

    /// As [`AdminClient::send`], telling a lost daemon connection apart
    /// from an answer (the admin service in this process is never lost).
    pub fn exchange(&self, request: Request) -> Result<ApiResult<Value>, Lost> {
        match &self.link {
            Link::Daemon(socket) => socket.exchange(&request),
            Link::InProcess(_) => Ok(self.send(request)),
        }
    }

    /// Connects again to the daemon's socket (nothing to do in process).
    pub fn reconnect(&self) -> std::io::Result<()> {
        match &self.link {
            Link::Daemon(socket) => socket.reconnect(),
            Link::InProcess(_) => Ok(()),
        }
    }

    /// The daemon's socket, when the calls go to one.
    pub fn socket(&self) -> Option<&Path> {
        match &self.link {
            Link::Daemon(socket) => Some(socket.path()),
            Link::InProcess(_) => None,
        }
    }

    /// Whether the calls go to a running daemon.
    pub fn through_daemon(&self) -> bool {
        matches!(self.link, Link::Daemon(_))
    }

    /// One operation, with its typed answer.
    pub fn call<C: Call>(&self, call: C) -> ApiResult<C::Answer> {
        api::decode::<C>(self.send(call.into()))
    }

    /// One operation, with its answer as the wire carries it (the
    /// dashboard's worker passes answers on to the screens that asked).
    pub fn send(&self, request: Request) -> ApiResult<Value> {
        match &self.link {
            Link::Daemon(socket) => socket.request(&request),
            Link::InProcess(local) => local.runtime.block_on(dispatch(&local.context, &local.actor, request)),
        }
    }

    /// Writes every audit entry `filters` matches to `out`, oldest first,
    /// one JSON object a line (as the audit log exports it), a page of
    /// 1,000 at a time; returns how many. The CLI's `audit export` and the
    /// dashboard's export share it.
    pub fn export_audit<E: From<ApiError>>(
        &self,
        filters: &QueryAudit,
        out: &mut dyn Write,
        write_failed: impl Fn(std::io::Error) -> E,
    ) -> Result<u64, E> {
        let mut cursor: Option<u64> = None;
        let mut written = 0;
        loop {
            let query =
                QueryAudit { limit: Some(1000), cursor, order: Some(api::AuditOrder::Oldest), ..filters.clone() };
            let page = self.call(query)?;
            for entry in &page.entries {
                let line = serde_json::to_string(entry).map_err(|e| ApiError::failed(e.to_string()))?;
                writeln!(out, "{line}").map_err(&write_failed)?;
                written += 1;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        out.flush().map_err(&write_failed)?;
        Ok(written)
    }
}
