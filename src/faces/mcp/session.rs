//! Legacy-revision sessions (2025-03-26 … 2025-11-25): minted on
//! `initialize`, named by `Mcp-Session-Id` on every later request, ended by
//! DELETE. 2026-07-28 has none.
//!
//! Kept in memory for now (a later issue persists them in the store). A
//! session belongs to the Odoo user that opened it: another user presenting
//! its id is told it does not exist. Idle sessions expire, and the table is
//! bounded so a flood of `initialize` calls cannot grow it without limit.

use super::revision::Revision;
use crate::gateway::ClientInfo;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// A session unused this long is forgotten (its client must initialize again).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

/// At most this many live sessions; past it the least recently used goes.
pub const MAX_SESSIONS: usize = 10_000;

/// One legacy session, as the admin screens list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: String,
    pub created: SystemTime,
    pub last_activity: SystemTime,
    pub client: Option<ClientInfo>,
    pub revision: Revision,
    /// The address of the latest request.
    pub client_ip: IpAddr,
    /// HTTP requests received in this session, `initialize` included (a
    /// batch counts once).
    pub request_count: u64,
    /// Whether `notifications/initialized` arrived.
    pub initialized: bool,
    /// The Odoo user that opened it.
    pub uid: i64,
}

/// Why a session id was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Unknown, ended, expired, or opened by another user.
    NotFound,
}

#[derive(Default)]
pub struct Sessions {
    table: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Opens a session and returns its id: 128 random bits as 32 lowercase
    /// hex digits (visible ASCII, as the spec requires).
    pub fn open(&self, revision: Revision, client: Option<ClientInfo>, client_ip: IpAddr, uid: i64) -> String {
        let id = format!("{:032x}", rand::random::<u128>());
        let now = SystemTime::now();
        let mut table = self.lock();
        table.retain(|_, s| now.duration_since(s.last_activity).unwrap_or_default() < IDLE_TIMEOUT);
        if table.len() >= MAX_SESSIONS
            && let Some(oldest) = table.values().min_by_key(|s| s.last_activity).map(|s| s.id.clone())
        {
            table.remove(&oldest);
        }
        table.insert(
            id.clone(),
            Session {
                id: id.clone(),
                created: now,
                last_activity: now,
                client,
                revision,
                client_ip,
                request_count: 1,
                initialized: false,
                uid,
            },
        );
        id
    }

    /// Finds a live session of user `uid` and records one more request.
    pub fn touch(&self, id: &str, uid: i64, client_ip: IpAddr) -> Result<Session, Lookup> {
        let now = SystemTime::now();
        let mut table = self.lock();
        let Some(session) = table.get_mut(id) else { return Err(Lookup::NotFound) };
        if session.uid != uid {
            return Err(Lookup::NotFound);
        }
        if now.duration_since(session.last_activity).unwrap_or_default() >= IDLE_TIMEOUT {
            table.remove(id);
            return Err(Lookup::NotFound);
        }
        session.last_activity = now;
        session.request_count += 1;
        session.client_ip = client_ip;
        Ok(session.clone())
    }

    pub fn mark_initialized(&self, id: &str) {
        if let Some(session) = self.lock().get_mut(id) {
            session.initialized = true;
        }
    }

    /// Ends a session of user `uid` (DELETE); false when there was none.
    pub fn end_for(&self, id: &str, uid: i64) -> bool {
        let mut table = self.lock();
        if table.get(id).is_some_and(|s| s.uid == uid) {
            table.remove(id);
            return true;
        }
        false
    }

    /// Ends a session whoever owns it (an admin action).
    pub fn end(&self, id: &str) -> bool {
        self.lock().remove(id).is_some()
    }

    /// Every live session, oldest first.
    pub fn list(&self) -> Vec<Session> {
        let mut sessions: Vec<Session> = self.lock().values().cloned().collect();
        sessions.sort_by_key(|s| s.created);
        sessions
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves the table usable.
        self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn ids_are_random_visible_ascii() {
        let sessions = Sessions::default();
        let a = sessions.open(Revision::V2025_06_18, None, IP, 2);
        let b = sessions.open(Revision::V2025_06_18, None, IP, 2);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| (0x21..=0x7e).contains(&c)));
    }

    #[test]
    fn a_session_belongs_to_its_user_and_ends_once() {
        let sessions = Sessions::default();
        let id =
            sessions.open(Revision::V2025_11_25, Some(ClientInfo { name: "c".into(), version: "1".into() }), IP, 2);
        assert_eq!(sessions.touch(&id, 3, IP), Err(Lookup::NotFound));
        let s = sessions.touch(&id, 2, IP).expect("live");
        assert_eq!((s.request_count, s.revision), (2, Revision::V2025_11_25));
        sessions.mark_initialized(&id);
        assert!(sessions.list()[0].initialized);
        assert!(!sessions.end_for(&id, 3));
        assert!(sessions.end_for(&id, 2));
        assert_eq!(sessions.touch(&id, 2, IP), Err(Lookup::NotFound));
        assert!(!sessions.end(&id));
    }
}
