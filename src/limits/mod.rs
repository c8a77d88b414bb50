//! Rate limiting: exact sliding windows per caller, in memory, written
//! behind to the store so a restart does not hand an attacker a fresh budget.
//!
//! "Exact" is the spec's word: within any 60 s, never more than the limit.
//! Each window keeps its accepted hits in 100 ms buckets, stamped with the
//! bucket's *end*; a hit stays counted until that end plus 60 s. Stamping late
//! can only over-count (by at most 100 ms), never let an extra call through,
//! and a window needs at most 600 buckets whatever the limit. The check and
//! the count happen under one lock, so 64 concurrent callers cannot race past
//! the limit.
//!
//! Budgets are keyed by subject: the credential, else the Odoo user, else
//! (before authentication) the client IP. The gateway decides which subject
//! and limit apply; this room only counts. Beside the budgets, the login
//! lockout (`lockout.rs`) counts failed keys per client IP.

pub mod lockout;
mod window;

pub use lockout::{Attempt, LockedOut, LockoutRules, Lockouts, StoredLockout};
pub use window::Window;

use crate::store::{Record, Store, StoreResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The sliding window's length.
pub const WINDOW_MS: u64 = 60_000;
const SHARDS: usize = 16;
/// A shard sweeps out empty windows when it holds this many, or twice what
/// it held after its last sweep.
const MIN_SWEEP: usize = 1024;

/// The address whose per-IP budget and lockout a client spends: IPv4 as it
/// is, IPv6 by its /64 network (one host is usually given a whole /64, so
/// counting single addresses would let it rotate through them to escape the
/// limits and grow the tables), an IPv4-mapped IPv6 as its IPv4.
pub fn budget_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// Whose budget a call spends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Before authentication (failed logins count here).
    Ip(IpAddr),
    Credential(u64),
    /// A key without credential: its Odoo user.
    User(i64),
}

/// Which of the three per-minute limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Requests per Minute: every call.
    General,
    /// Aggregation per Minute: aggregate calls, in addition to the general one.
    Aggregate,
    /// Writes per Minute: create, update, delete and execute (not dry runs),
    /// in addition to the general one.
    Write,
}

impl Budget {
    fn tag(self) -> &'static str {
        match self {
            Budget::General => "all",
            Budget::Aggregate => "agg",
            Budget::Write => "wr",
        }
    }
}

/// The persisted key of one window: `all:cred:5`, `agg:user:7`, `all:ip:10.0.0.1`.
pub fn window_key(subject: &Subject, budget: Budget) -> String {
    let tag = budget.tag();
    match subject {
        Subject::Ip(ip) => format!("{tag}:ip:{ip}"),
        Subject::Credential(id) => format!("{tag}:cred:{id}"),
        Subject::User(uid) => format!("{tag}:user:{uid}"),
    }
}

/// What the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window next has more room.
    pub reset_secs: u64,
}

/// A place for the gateway to leave the rate status of a request for the
/// face that answers it. Cloning copies the current value.
#[derive(Debug, Default)]
pub struct RateSlot(Mutex<Option<RateStatus>>);

impl RateSlot {
    pub fn set(&self, status: RateStatus) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(status);
    }

    pub fn get(&self) -> Option<RateStatus> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clone for RateSlot {
    fn clone(&self) -> Self {
        RateSlot(Mutex::new(self.get()))
    }
}

/// The answer of [`Limiter::acquire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Counted; the ticket gives the hit back with [`Limiter::release`].
    Allowed { status: RateStatus, ticket: Ticket },
    /// Over the limit: nothing was counted.
    Limited { status: RateStatus, retry_after_ms: u64, reset_at_unix: u64 },
}

/// One counted hit, so it can be given back (a login that succeeded is not
/// charged to its IP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    key: String,
    bucket_end: u64,
}

/// A stored window: the buckets as (end in Unix ms, hits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredWindow {
    pub buckets: Vec<(u64, u32)>,
}

impl Record for StoredWindow {
    const TREE: &'static str = "rate_windows";
    const KIND: &'static str = "rate window";
    const VERSION: u8 = 1;
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub in_memory: usize,
    pub stored: usize,
    /// Login lockout entries dropped (memory, store).
    pub lockouts: (usize, usize),
}

/// One shard of the windows held in memory.
#[derive(Default)]
struct Shard {
    windows: HashMap<String, Window>,
    /// The size at which a new window first sweeps out the empty ones.
    sweep_at: usize,
}

impl Shard {
    /// Drops windows with no hit left in the last 60 s; returns how many.
    fn sweep(&mut self, now: u64) -> usize {
        let before = self.windows.len();
        self.windows.retain(|_, w| {
            w.expire(now);
            !w.is_empty()
        });
        self.sweep_at = (self.windows.len() * 2).max(MIN_SWEEP);
        before - self.windows.len()
    }

    /// Makes room for a new window. Sweeping when the map has doubled keeps
    /// the cost amortised O(1) per new caller, and memory within about twice
    /// the callers of the last minute, however many distinct addresses send
    /// requests between two hourly cleanups.
    fn make_room(&mut self, now: u64) {
        if self.windows.len() >= self.sweep_at.max(MIN_SWEEP) {
            self.sweep(now);
        }
    }
}

/// The rate limiter. One per store; shared by every face through the gateway.
pub struct Limiter {
    store: Option<Store>,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
    /// Windows changed since the last [`Limiter::persist`].
    dirty: Mutex<HashSet<String>>,
    /// One persist at a time, so an older snapshot never overwrites a newer one.
    persisting: Mutex<()>,
    lockouts: Lockouts,
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Limiter {
    /// A limiter that loads and persists its windows in `store` (None: memory only).
    pub fn new(store: Option<Store>) -> Limiter {
        Limiter {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            dirty: Mutex::new(HashSet::new()),
            persisting: Mutex::new(()),
            lockouts: Lockouts::new(store.clone()),
            store,
        }
    }

    /// Failed logins per client IP, written behind and purged with the windows.
    pub fn lockouts(&self) -> &Lockouts {
        &self.lockouts
    }

    fn shard(&self, key: &str) -> &Mutex<Shard> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }

    /// Counts one call against `subject`'s `budget` if it is under `limit`.
    pub fn acquire(&self, subject: &Subject, budget: Budget, limit: u32) -> Decision {
        self.acquire_at(subject, budget, limit, now_ms())
    }

    pub fn acquire_at(&self, subject: &Subject, budget: Budget, limit: u32, now: u64) -> Decision {
        let key = window_key(subject, budget);
        let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        if !shard.windows.contains_key(&key) {
            // First sight in this process: resume the stored window, so a
            // restart does not reset the budget.
            shard.make_room(now);
            let loaded = self.load(&key);
            shard.windows.insert(key.clone(), loaded);
        }
        let window = shard.windows.get_mut(&key).expect("inserted above");
        let decision = match window.try_hit(limit, now) {
            Ok(bucket_end) => {
                Decision::Allowed { status: window.status(limit, now), ticket: Ticket { key: key.clone(), bucket_end } }
            }
            Err(retry_after_ms) => Decision::Limited {
                status: window.status(limit, now),
                retry_after_ms,
                reset_at_unix: (now + retry_after_ms).div_ceil(1000),
            },
        };
        drop(shard);
        if matches!(decision, Decision::Allowed { .. }) {
            self.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
        }
        decision
    }

    /// Gives back a hit counted by [`Limiter::acquire`].
    pub fn release(&self, ticket: &Ticket) {
        let mut shard = self.shard(&ticket.key).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(window) = shard.windows.get_mut(&ticket.key) {
            window.unhit(ticket.bucket_end);
        }
        drop(shard);
        self.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(ticket.key.clone());
    }

    /// The status of a budget without counting.
    pub fn status(&self, subject: &Subject, budget: Budget, limit: u32) -> RateStatus {
        let key = window_key(subject, budget);
        let now = now_ms();
        let shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
        match shard.windows.get(&key) {
            Some(window) => window.status(limit, now),
            None => {
                drop(shard);
                self.load(&key).status(limit, now)
            }
        }
    }

    fn load(&self, key: &str) -> Window {
        let stored = self.store.as_ref().and_then(|s| s.table::<StoredWindow>().ok()?.get(key).ok().flatten());
        stored.map(|w| Window::from_buckets(w.buckets)).unwrap_or_default()
    }

    /// Writes the changed windows to the store (the write-behind). sled's
    /// background flush makes them durable within its interval.
    pub fn persist(&self) -> StoreResult<usize> {
        let lockouts = self.lockouts.persist()?;
        Ok(lockouts + self.persist_windows()?)
    }

    fn persist_windows(&self) -> StoreResult<usize> {
        let Some(store) = &self.store else { return Ok(0) };
        let _one_at_a_time = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        let keys: Vec<String> =
            std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        if keys.is_empty() {
            return Ok(0);
        }
        let table = store.table::<StoredWindow>()?;
        let now = now_ms();
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for key in keys {
            let snapshot = {
                let mut shard = self.shard(&key).lock().unwrap_or_else(|e| e.into_inner());
                shard.windows.get_mut(&key).map(|w| {
                    w.expire(now);
                    w.buckets()
                })
            };
            match snapshot {
                Some(buckets) if !buckets.is_empty() => upserts.push((key, StoredWindow { buckets })),
                _ => removals.push(key),
            }
        }
        let n = upserts.len() + removals.len();
        table.insert_many(upserts)?;
        table.remove_many(removals)?;
        Ok(n)
    }

    /// The hourly cleanup: drops windows with nothing left in them, in
    /// memory and in the store.
    pub fn purge_expired(&self) -> StoreResult<PurgeReport> {
        self.purge_expired_at(now_ms())
    }

    pub fn purge_expired_at(&self, now: u64) -> StoreResult<PurgeReport> {
        let mut report = PurgeReport::default();
        for shard in &self.shards {
            report.in_memory += shard.lock().unwrap_or_else(|e| e.into_inner()).sweep(now);
        }
        if let Some(store) = &self.store {
            let table = store.table::<StoredWindow>()?;
            let expired: Vec<String> = table
                .text_entries()?
                .into_iter()
                .filter(|(_, w)| w.buckets.iter().all(|(end, _)| end + WINDOW_MS <= now))
                .map(|(key, _)| key)
                .collect();
            report.stored = table.remove_many(expired)?;
        }
        report.lockouts = self.lockouts.purge_at(now)?;
        Ok(report)
    }

    /// Windows held in memory (for the benches and the dashboard).
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).windows.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
