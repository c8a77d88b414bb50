//! One connection's life under the `[http]` limits: a client that is slow
//! to send its request head, or keeps a connection idle, loses it; a
//! connection past `max_connections` is refused with a 503 that says so;
//! and the accept loop backs off when the process runs out of descriptors
//! instead of spinning.
//!
//! hyper 1's own header timer starts when it waits for a head, so it would
//! also be the idle limit; the clock here keeps the two apart: a new
//! connection has `header_read_timeout` from accept for its first head; a
//! kept-alive one has `idle_timeout` until it starts its next request, then
//! `header_read_timeout` for the head. The body's limit is in `http::read_body`.

use crate::config::HttpLimits;
use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Accepted; its first request head must be in by the deadline.
    Fresh,
    /// Between requests: closed if nothing starts by the deadline.
    Idle,
    /// A request head has started arriving.
    Head,
    /// A request is being answered (the body has its own limit).
    Busy,
}

/// A connection's phase and since when, shared by its reader, its service
/// and its supervisor (which sleeps until the phase's deadline).
pub struct ConnClock {
    state: Mutex<(Phase, Instant)>,
    limits: HttpLimits,
    changed: Notify,
}

impl ConnClock {
    pub fn new(limits: HttpLimits) -> ConnClock {
        ConnClock { state: Mutex::new((Phase::Fresh, Instant::now())), limits, changed: Notify::new() }
    }

    fn set(&self, phase: Phase) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = (phase, Instant::now());
        self.changed.notify_one();
    }

    /// Bytes arrived: an idle connection starts a request head.
    fn on_read(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == Phase::Idle {
            *state = (Phase::Head, Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// Bytes left: an answer still going out to a slow reader is not idle.
    fn on_write(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 == Phase::Idle {
            state.1 = Instant::now();
        }
    }

    /// The service got a request (its head is complete).
    pub fn request_started(&self) {
        self.set(Phase::Busy);
    }

    /// The service answered; the connection waits for the next request.
    pub fn request_answered(&self) {
        self.set(Phase::Idle);
    }

    /// When the connection is to be closed if its phase has not changed,
    /// and what it would have been waiting for.
    fn deadline(&self) -> Option<(Instant, &'static str)> {
        let (phase, since) = *self.state.lock().unwrap_or_else(|e| e.into_inner());
        match phase {
            Phase::Fresh | Phase::Head => Some((since + self.limits.header_read_timeout(), "request head")),
            Phase::Idle => Some((since + self.limits.idle_timeout(), "idle")),
            Phase::Busy => None,
        }
    }

    /// Resolves when the connection has outlived its phase's deadline;
    /// says which limit it passed.
    pub async fn expired(&self) -> &'static str {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before the deadline is read, so no change is missed.
            changed.as_mut().enable();
            match self.deadline() {
                Some((at, what)) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {
                            if self.deadline().is_some_and(|(now_at, _)| now_at <= Instant::now()) {
                                return what;
                            }
                        }
                        _ = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// The connection's stream, telling its clock when bytes come and go.
pub struct TimedIo<S> {
    inner: S,
    clock: std::sync::Arc<ConnClock>,
}

impl<S> TimedIo<S> {
    pub fn new(inner: S, clock: std::sync::Arc<ConnClock>) -> TimedIo<S> {
        TimedIo { inner, clock }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.on_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.clock.on_write();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The answer to a connection past `max_connections`: written before the
/// client's request is read (it is never served), then the connection ends.
pub fn refusal(max_connections: u32) -> Vec<u8> {
    let body = serde_json::json!({"error": {"code": "too_many_connections", "message": format!(
        "the server is holding its maximum of {max_connections} connections (max_connections); retry in a moment"
    )}})
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes [`refusal`] and closes gently: the write side first, then what the
/// client sent is read and dropped for a moment, so closing with unread
/// data does not reset the connection before the client reads the 503.
pub async fn refuse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, max_connections: u32) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let answer = async {
        stream.write_all(&refusal(max_connections)).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        let mut drained = 0;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await? {
                0 => break,
                n => drained += n,
            }
        }
        Ok::<_, io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), answer).await;
}

/// The accept loop's answer to errors: a connection-level error (the peer
/// gave up) is skipped; running out of descriptors or memory backs off,
/// doubling from 10 ms to 1 s, and is logged once per episode (and its end).
#[derive(Default)]
pub struct AcceptBackoff {
    failures: u64,
    delay: Duration,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);

    /// How long to wait before accepting again after `error` (zero: at once).
    pub fn failed(&mut self, error: &io::Error) -> Duration {
        if !is_resource_exhaustion(error) {
            return Duration::ZERO;
        }
        self.failures += 1;
        self.delay = if self.failures == 1 { Self::FIRST } else { (self.delay * 2).min(Self::MOST) };
        if self.failures == 1 {
            tracing::warn!(
                error = %error,
                "cannot accept connections: the process is out of file descriptors (or memory); \
            backing off until connections close (raise LimitNOFILE, or lower [http] max_connections)"
            );
        }
        self.delay
    }

    /// An accept succeeded: the episode, if any, is over.
    pub fn accepted(&mut self) {
        if self.failures > 0 {
            tracing::info!(failed_accepts = self.failures, "accepting connections again");
            self.failures = 0;
            self.delay = Duration::ZERO;
        }
    }
}

fn is_resource_exhaustion(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

/// Raises this process's soft limit on open files to its hard limit (what
/// servers are expected to do; the soft 1024 is for select(2)) and returns
/// how many connections that leaves room for, besides the store, the admin
/// socket and Odoo's pool; warns when `max_connections` is more.
#[cfg(unix)]
pub fn descriptor_room(max_connections: u32) -> u32 {
    /// Descriptors kept for everything but client connections.
    const RESERVE: u64 = 64;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit / setrlimit only read and write the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return u32::MAX;
    }
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            limit.rlim_cur = limit.rlim_max;
        }
    }
    #[allow(clippy::useless_conversion)] // rlim_t is not u64 everywhere
    let open_files = u64::from(limit.rlim_cur);
    let room = u32::try_from(open_files.saturating_sub(RESERVE).max(1)).unwrap_or(u32::MAX);
    if max_connections > room {
        tracing::warn!(
            max_connections,
            open_files,
            "the open-file limit ({open_files}) leaves room for {room} connections, fewer than [http] max_connections: \
holding at most {room}; raise LimitNOFILE to allow more"
        );
    }
    room
}

#[cfg(not(unix))]
pub fn descriptor_room(_max_connections: u32) -> u32 {
    u32::MAX
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_second_and_ends_on_success() {
        let mut backoff = AcceptBackoff::default();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let delays: Vec<u128> = (0..9).map(|_| backoff.failed(&emfile).as_millis()).collect();
        assert_eq!(delays, vec![10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(backoff.failed(&io::Error::from_raw_os_error(libc::ECONNABORTED)), Duration::ZERO);
        backoff.accepted();
        assert_eq!(backoff.failed(&emfile), Duration::from_millis(10));
    }

    #[test]
    fn the_refusal_is_a_complete_response() {
        let text = String::from_utf8(refusal(8)).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 ") && head.contains("retry-after: 1"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(body.contains("maximum of 8 connections (max_connections)"), "{body}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_connection_expires_after_the_idle_limit_and_a_head_after_its_own() {
        let limits = HttpLimits { header_read_timeout_seconds: 2, idle_timeout_seconds: 5, ..HttpLimits::default() };
        let clock = ConnClock::new(limits);
        let started = tokio::time::Instant::now();
        assert_eq!(clock.expired().await, "request head");
        assert_eq!(started.elapsed().as_secs(), 2);
        clock.request_started();
        clock.request_answered();
        let idle_from = tokio::time::Instant::now();
        assert_eq!(clock.expired().await, "idle");
        assert_eq!(idle_from.elapsed().as_secs(), 5);
    }
}
