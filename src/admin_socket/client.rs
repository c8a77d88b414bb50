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
        let lost = |e: std::io::Error| {
            ApiError::failed(format!("the admin socket {} stopped answering: {e}", self.path.display()))
        };
        let mut conn = self.conn.lock().map_err(|_| ApiError::failed("the admin connection is broken"))?;
        let line = format!("{}\n", request.to_line());
        conn.writer.write_all(line.as_bytes()).map_err(lost)?;
        let mut answer = String::new();
        let n = conn.reader.read_line(&mut answer).map_err(lost)?;
        if n == 0 {
            return Err(ApiError::failed(format!("the daemon closed the admin socket {}", self.path.display())));
        }
        parse_reply(&answer)
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
