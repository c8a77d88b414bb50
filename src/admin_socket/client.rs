//! The client side of the admin socket: blocking, one request at a time on
//! one connection. The CLI calls it directly; the dashboard calls it from a
//! worker thread so the screen never waits on it.

use super::{ApiError, ApiResult, ErrorKind};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long one answer may take: Odoo look-ups are bounded by the
/// connection's own timeouts, well under this.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

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

    /// Sends one request and waits for its answer.
    pub fn request(&self, op: &str, args: Value) -> ApiResult<Value> {
        let lost = |e: std::io::Error| {
            ApiError::failed(format!("the admin socket {} stopped answering: {e}", self.path.display()))
        };
        let mut conn = self.conn.lock().map_err(|_| ApiError::failed("the admin connection is broken"))?;
        let line = format!("{}\n", json!({"op": op, "args": args}));
        conn.writer.write_all(line.as_bytes()).map_err(lost)?;
        let mut answer = String::new();
        let n = conn.reader.read_line(&mut answer).map_err(lost)?;
        if n == 0 {
            return Err(ApiError::failed(format!("the daemon closed the admin socket {}", self.path.display())));
        }
        parse_answer(&answer)
    }
}

/// `{"ok": v}` or `{"error": {"kind", "message"}}`.
pub fn parse_answer(line: &str) -> ApiResult<Value> {
    let mut value: Value =
        serde_json::from_str(line).map_err(|e| ApiError::failed(format!("the daemon's answer is not JSON: {e}")))?;
    if let Some(ok) = value.get_mut("ok") {
        return Ok(ok.take());
    }
    match value.get("error") {
        Some(error) => Err(ApiError {
            kind: ErrorKind::parse(error["kind"].as_str().unwrap_or("failed")),
            message: error["message"].as_str().unwrap_or("the daemon refused without a message").to_string(),
        }),
        None => Err(ApiError::failed("the daemon's answer has neither ok nor error")),
    }
}
