//! Sessions: one AI client connection each, kept in the store.
//!
//! Two kinds: an MCP session of the 2025 revisions (its id is the
//! `Mcp-Session-Id` the MCP face handed out), and for stateless clients (the
//! 2026-07-28 revision, the direct JSON-RPC and REST faces) the activity
//! stream of one (face, credential or user, client name and version, IP).
//! Each records start, last activity, client, protocol revision, IP,
//! credential, request count and state.
//!
//! States: active; idle (the hourly cleanup found no activity for
//! `session_timeout_minutes`; the next request makes it active again); ended
//! (by an admin: the next request is refused with a clear message, and a
//! stream's following request starts a new session); closed (the client
//! ended it).
//!
//! Every call reads and writes the store (a few µs, no fsync), so an admin's
//! `end` in another process or on the admin socket applies to the very next
//! request.

use crate::store::{Record, RecordError, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// What a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// An `Mcp-Session-Id` session.
    Mcp,
    /// A stateless client's activity stream.
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionState {
    Active,
    Idle,
    Ended,
    Closed,
}

impl SessionState {
    pub fn name(self) -> &'static str {
        match self {
            SessionState::Active => "active",
            SessionState::Idle => "idle",
            SessionState::Ended => "ended",
            SessionState::Closed => "closed",
        }
    }
}

/// Who and what a session is, as the face knows it when the session starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// `mcp`, `jsonrpc`, `rest`.
    pub face: String,
    pub client_name: String,
    pub client_version: String,
    /// The MCP protocol revision, if any.
    pub protocol: Option<String>,
    pub ip: String,
    pub credential_id: Option<u64>,
    pub credential_label: Option<String>,
    pub uid: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub kind: SessionKind,
    /// Who opened it, from where, with which client.
    pub info: SessionInfo,
    pub started_at: OffsetDateTime,
    pub last_activity: OffsetDateTime,
    pub request_count: u64,
    pub state: SessionState,
    /// When it was ended or closed.
    pub ended_at: Option<OffsetDateTime>,
}

impl Record for Session {
    const TREE: &'static str = "sessions";
    const KIND: &'static str = "session";
    const VERSION: u8 = 2;

    fn upgrade(version: u8, body: &[u8]) -> Result<Self, RecordError> {
        match version {
            1 => Ok(crate::store::decode_body::<SessionV1>(body)?.into()),
            _ => Err(RecordError::UnknownVersion { found: version, current: Self::VERSION }),
        }
    }
}

/// The layout of releases before the session's who-and-what was one
/// [`SessionInfo`]: the same fields, listed flat.
#[derive(Serialize, Deserialize)]
struct SessionV1 {
    id: String,
    kind: SessionKind,
    face: String,
    started_at: OffsetDateTime,
    last_activity: OffsetDateTime,
    client_name: String,
    client_version: String,
    protocol: Option<String>,
    ip: String,
    credential_id: Option<u64>,
    credential_label: Option<String>,
    uid: Option<i64>,
    request_count: u64,
    state: SessionState,
    ended_at: Option<OffsetDateTime>,
}

impl From<SessionV1> for Session {
    fn from(old: SessionV1) -> Session {
        Session {
            id: old.id,
            kind: old.kind,
            info: SessionInfo {
                face: old.face,
                client_name: old.client_name,
                client_version: old.client_version,
                protocol: old.protocol,
                ip: old.ip,
                credential_id: old.credential_id,
                credential_label: old.credential_label,
                uid: old.uid,
            },
            started_at: old.started_at,
            last_activity: old.last_activity,
            request_count: old.request_count,
            state: old.state,
            ended_at: old.ended_at,
        }
    }
}

/// The stream index: stream key -> current session id.
#[derive(Debug, Serialize, Deserialize)]
struct StreamRef(String);

impl Record for StreamRef {
    const TREE: &'static str = "sessions_by_stream";
    const KIND: &'static str = "session index";
    const VERSION: u8 = 1;
}

impl Session {
    pub fn is_active(&self) -> bool {
        self.state == SessionState::Active
    }

    /// Ended by an admin or closed by its client: no request may use it.
    pub fn is_over(&self) -> bool {
        matches!(self.state, SessionState::Ended | SessionState::Closed)
    }

    pub fn to_json(&self) -> Value {
        let fmt = |t: &OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let info = &self.info;
        json!({
            "id": self.id,
            "kind": match self.kind { SessionKind::Mcp => "mcp", SessionKind::Stream => "stream" },
            "face": info.face,
            "started_at": fmt(&self.started_at),
            "last_activity": fmt(&self.last_activity),
            "client": {"name": info.client_name, "version": info.client_version},
            "protocol": info.protocol,
            "ip": info.ip,
            "credential_id": info.credential_id,
            "credential": info.credential_label,
            "uid": info.uid,
            "requests": self.request_count,
            "state": self.state.name(),
            "active": self.is_active(),
            "ended_at": self.ended_at.as_ref().map(fmt),
        })
    }
}

/// Why a session call did not go through.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// An admin ended it (or the client closed it): refuse the request.
    #[error("{0}")]
    Ended(String),
    #[error("no session with id {0:?}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type SessionResult<T> = Result<T, SessionError>;

fn ended_message(s: &Session) -> String {
    match s.state {
        SessionState::Closed => format!("session {} was closed; start a new session", s.id),
        _ => format!(
            "session {} was ended by an administrator; reconnect to start a new session{}",
            s.id,
            s.ended_at.map(|t| format!(" (ended at {t})")).unwrap_or_default()
        ),
    }
}

/// The session table over a store. Cheap to clone.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
}

impl Sessions {
    pub fn new(store: Store) -> Sessions {
        Sessions { store }
    }

    fn new_session(id: String, kind: SessionKind, info: &SessionInfo, now: OffsetDateTime) -> Session {
        Session {
            id,
            kind,
            info: info.clone(),
            started_at: now,
            last_activity: now,
            request_count: 0,
            state: SessionState::Active,
            ended_at: None,
        }
    }

    /// Records an MCP session the face has just created (at `initialize`).
    /// Opening an id that exists keeps it (and its state). Flushed before
    /// returning: the client is handed the id and may use it after a crash.
    pub fn open(&self, id: &str, info: &SessionInfo) -> SessionResult<Session> {
        let table = self.store.table::<Session>()?;
        if let Some(existing) = table.get(id)? {
            return Ok(existing);
        }
        let session = Self::new_session(id.to_string(), SessionKind::Mcp, info, OffsetDateTime::now_utc());
        table.insert(id, &session)?;
        self.store.flush()?;
        Ok(session)
    }

    /// One request on session `id`: counts it and refreshes its activity, or
    /// refuses if the session was ended or closed. An idle session becomes
    /// active again.
    pub fn touch(&self, id: &str) -> SessionResult<Session> {
        let now = OffsetDateTime::now_utc();
        let updated = self.store.table::<Session>()?.update(id, |s| {
            if matches!(s.state, SessionState::Active | SessionState::Idle) {
                s.state = SessionState::Active;
                s.last_activity = now;
                s.request_count += 1;
            }
        })?;
        match updated {
            Some(s) if s.is_over() => Err(SessionError::Ended(ended_message(&s))),
            Some(s) => Ok(s),
            None => Err(SessionError::NotFound(id.to_string())),
        }
    }

    /// One request of a stateless client: finds (or starts) the activity
    /// stream for `info` and touches it. If an admin ended the stream, this
    /// request is refused and the next one starts a new session.
    pub fn touch_stream(&self, info: &SessionInfo) -> SessionResult<Session> {
        let key = stream_key(info);
        let index = self.store.table::<StreamRef>()?;
        if let Some(StreamRef(id)) = index.get(&key)? {
            match self.touch(&id) {
                Err(SessionError::Ended(message)) => {
                    index.remove(&key)?;
                    return Err(SessionError::Ended(message));
                }
                Err(SessionError::NotFound(_)) => {}
                other => return other,
            }
        }
        let id = format!("s-{:016x}", rand::random::<u64>());
        let session = Self::new_session(id.clone(), SessionKind::Stream, info, OffsetDateTime::now_utc());
        self.store.table::<Session>()?.insert(&id, &session)?;
        index.insert(&key, &StreamRef(id.clone()))?;
        self.touch(&id)
    }

    /// Whether the session was ended by an admin or closed (unknown: false).
    pub fn is_ended(&self, id: &str) -> SessionResult<bool> {
        Ok(self.store.table::<Session>()?.get(id)?.is_some_and(|s| s.is_over()))
    }

    pub fn get(&self, id: &str) -> SessionResult<Session> {
        self.store.table::<Session>()?.get(id)?.ok_or_else(|| SessionError::NotFound(id.to_string()))
    }

    /// An admin ends a session: its next request is refused. Flushed before
    /// returning, as every admin change.
    pub fn end(&self, id: &str) -> SessionResult<Session> {
        self.finish(id, SessionState::Ended)
    }

    /// The client ended its session (MCP `DELETE`).
    pub fn close(&self, id: &str) -> SessionResult<Session> {
        self.finish(id, SessionState::Closed)
    }

    fn finish(&self, id: &str, state: SessionState) -> SessionResult<Session> {
        let now = OffsetDateTime::now_utc();
        let updated = self.store.table::<Session>()?.update(id, |s| {
            if !s.is_over() {
                s.state = state;
                s.ended_at = Some(now);
            }
        })?;
        let session = updated.ok_or_else(|| SessionError::NotFound(id.to_string()))?;
        self.store.flush()?;
        Ok(session)
    }

    /// Every session, most recently active first (`all`: also ended, closed
    /// and idle ones).
    pub fn list(&self, all: bool) -> SessionResult<Vec<Session>> {
        let mut sessions = self.store.table::<Session>()?.values()?;
        if !all {
            sessions.retain(Session::is_active);
        }
        sessions.sort_by_key(|s| std::cmp::Reverse(s.last_activity));
        Ok(sessions)
    }

    /// The hourly cleanup: active sessions with no activity since
    /// `now - timeout` become idle. Returns how many.
    pub fn mark_idle(&self, timeout: time::Duration, now: OffsetDateTime) -> SessionResult<usize> {
        let table = self.store.table::<Session>()?;
        let cutoff = now - timeout;
        let mut marked = 0;
        for session in table.values()? {
            if session.state == SessionState::Active && session.last_activity <= cutoff {
                // Re-checked inside the update: a request may have arrived since.
                let changed = table.update(&session.id, |s| {
                    if s.state == SessionState::Active && s.last_activity <= cutoff {
                        s.state = SessionState::Idle;
                    }
                })?;
                if changed.is_some_and(|s| s.state == SessionState::Idle) {
                    marked += 1;
                }
            }
        }
        Ok(marked)
    }
}

/// How long a session that is no longer active (idle, ended or closed) stays
/// listed after its last activity before the hourly cleanup deletes it.
pub const RETENTION: time::Duration = time::Duration::days(7);

impl Sessions {
    /// Deletes the sessions that are not active and saw no activity since
    /// `cutoff`, with the stream index entries that name them. Returns how
    /// many went. An active session is never deleted: it is first marked
    /// idle by [`Sessions::mark_idle`].
    pub fn purge(&self, cutoff: OffsetDateTime) -> SessionResult<usize> {
        let table = self.store.table::<Session>()?;
        let old: std::collections::HashSet<String> = table
            .values()?
            .into_iter()
            .filter(|s| !s.is_active() && s.ended_at.unwrap_or(s.last_activity).max(s.last_activity) < cutoff)
            .map(|s| s.id)
            .collect();
        if old.is_empty() {
            return Ok(0);
        }
        let index = self.store.table::<StreamRef>()?;
        let stale_refs =
            index.text_entries()?.into_iter().filter(|(_, StreamRef(id))| old.contains(id)).map(|(k, _)| k);
        index.remove_many(stale_refs)?;
        Ok(table.remove_many(old)?)
    }
}

/// The identity of a stateless client's stream.
fn stream_key(info: &SessionInfo) -> String {
    let who = match (info.credential_id, info.uid) {
        (Some(c), _) => format!("cred:{c}"),
        (None, Some(u)) => format!("user:{u}"),
        (None, None) => "anonymous".into(),
    };
    format!("{}|{who}|{}/{}|{}", info.face, info.client_name, info.client_version, info.ip)
}

#[cfg(test)]
mod tests;
