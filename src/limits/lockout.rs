//! Login lockout: failed keys per client IP. After `max_failures` failures
//! within `window_ms`, the IP is refused, whatever key it sends, until
//! `cooldown_ms` after the failure that locked it. Locking consumes the
//! failures, so after the cool-down the IP starts again from zero.
//!
//! Exact under concurrency: an attempt with a key not verified yet is
//! admitted as *pending* and counts against the limit until it settles (a
//! failure is kept, a success given back), so 50 wrong keys sent at once
//! still get only `max_failures` verified. An attempt that would pass the
//! limit only because others are still in flight waits for them to settle
//! ([`Lockouts::admit_waiting`]): only judged failures lock an IP, so a burst
//! of good keys from one address is never refused for being a burst. A key
//! verified recently is not held as pending (it is expected to succeed); if
//! its credential turns out revoked or expired, that failure is recorded
//! afterwards.
//!
//! Failures and locks are written behind to the store with the rate windows
//! and loaded at start, so a restart does not lift a lock.

use crate::store::{Record, Store, StoreResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

const SHARDS: usize = 16;

/// How long a stored entry can matter at most: the largest window and the
/// longest cool-down the settings allow (both 24 h). The cleanup drops
/// entries with nothing newer.
pub const HORIZON_MS: u64 = 24 * 60 * 60 * 1000;

/// The rules, from the settings of the moment (read per request, so a change
/// applies at once, to existing locks too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutRules {
    pub max_failures: u32,
    pub window_ms: u64,
    pub cooldown_ms: u64,
}

/// A refused IP: when it may try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedOut {
    pub retry_after_ms: u64,
    /// Unix seconds.
    pub reset_at_unix: u64,
}

/// The persisted state of one IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLockout {
    /// Failures (Unix ms) not yet consumed by a lock, oldest first.
    pub failures: Vec<u64>,
    /// When the last lock started (Unix ms).
    pub locked_at: Option<u64>,
}

impl Record for StoredLockout {
    const TREE: &'static str = "login_failures";
    const KIND: &'static str = "login lockout";
    const VERSION: u8 = 1;
}

#[derive(Debug, Default)]
struct IpState {
    failures: VecDeque<u64>,
    locked_at: Option<u64>,
    /// Attempts admitted and not settled yet (memory only).
    pending: u32,
}

impl IpState {
    fn is_clean(&self) -> bool {
        self.failures.is_empty() && self.locked_at.is_none() && self.pending == 0
    }

    fn expire(&mut self, rules: &LockoutRules, now: u64) {
        while self.failures.front().is_some_and(|t| t + rules.window_ms <= now) {
            self.failures.pop_front();
        }
        if self.locked_at.is_some_and(|t| t + rules.cooldown_ms <= now) {
            self.locked_at = None;
        }
    }

    fn stored(&self) -> StoredLockout {
        StoredLockout { failures: self.failures.iter().copied().collect(), locked_at: self.locked_at }
    }
}

fn locked_out(retry_after_ms: u64, now: u64) -> LockedOut {
    LockedOut { retry_after_ms, reset_at_unix: (now + retry_after_ms).div_ceil(1000) }
}

/// Why an attempt was not admitted just now.
enum NotYet {
    Locked(LockedOut),
    /// Attempts in flight would reach the limit if they all failed.
    Busy,
}

/// What a busy IP is told when its attempts in flight have not settled in
/// time: try again in a second (one key verification).
const BUSY_RETRY_MS: u64 = 1000;

/// Failed logins per client IP.
pub struct Lockouts {
    store: Option<Store>,
    hasher: RandomState,
    shards: Vec<Mutex<HashMap<IpAddr, IpState>>>,
    dirty: Mutex<HashSet<IpAddr>>,
    persisting: Mutex<()>,
    /// Woken whenever an attempt settles, for those waiting their turn.
    settled: Notify,
}

impl Lockouts {
    /// Loads every stored entry: there are few (IPs with failures in the last
    /// day), and then a request from a clean IP costs no store read.
    pub fn new(store: Option<Store>) -> Lockouts {
        let lockouts = Lockouts {
            store,
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            dirty: Mutex::new(HashSet::new()),
            persisting: Mutex::new(()),
            settled: Notify::new(),
        };
        let stored = lockouts.store.as_ref().map(|s| s.table::<StoredLockout>().and_then(|t| t.text_entries()));
        match stored {
            Some(Ok(entries)) => {
                for (key, entry) in entries {
                    let Ok(ip) = key.parse::<IpAddr>() else { continue };
                    let state = IpState { failures: entry.failures.into(), locked_at: entry.locked_at, pending: 0 };
                    lockouts.shard(&ip).lock().unwrap_or_else(|e| e.into_inner()).insert(ip, state);
                }
            }
            Some(Err(e)) => eprintln!("alpenglow: login lockouts not loaded: {e}"),
            None => {}
        }
        lockouts
    }

    fn shard(&self, ip: &IpAddr) -> &Mutex<HashMap<IpAddr, IpState>> {
        &self.shards[(self.hasher.hash_one(ip) as usize) % SHARDS]
    }

    fn mark_dirty(&self, ip: IpAddr) {
        self.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(ip);
    }

    /// Lets an attempt from `ip` through, or refuses it while the IP is
    /// locked (or while its pending attempts would reach the limit). With
    /// `pending`, the attempt is held against the limit until it settles.
    pub fn admit(&self, ip: IpAddr, rules: &LockoutRules, pending: bool, now: u64) -> Result<Attempt<'_>, LockedOut> {
        self.try_admit(ip, rules, pending, now).map_err(|refused| match refused {
            NotYet::Locked(locked) => locked,
            NotYet::Busy => locked_out(BUSY_RETRY_MS, now),
        })
    }

    /// [`Lockouts::admit`], but an attempt refused only because others are
    /// still in flight waits (up to `patience`) for them to settle, then is
    /// judged again: refused if they locked the IP, admitted otherwise.
    pub async fn admit_waiting(
        &self,
        ip: IpAddr,
        rules: &LockoutRules,
        pending: bool,
        now: impl Fn() -> u64,
        patience: Duration,
    ) -> Result<Attempt<'_>, LockedOut> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            // Registered before the check, so a settle in between is not missed.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.try_admit(ip, rules, pending, now()) {
                Ok(attempt) => return Ok(attempt),
                Err(NotYet::Locked(locked)) => return Err(locked),
                Err(NotYet::Busy) => {
                    if tokio::time::timeout_at(deadline, settled).await.is_err() {
                        return Err(locked_out(BUSY_RETRY_MS, now()));
                    }
                }
            }
        }
    }

    fn try_admit(&self, ip: IpAddr, rules: &LockoutRules, pending: bool, now: u64) -> Result<Attempt<'_>, NotYet> {
        let mut shard = self.shard(&ip).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(state) = shard.get_mut(&ip) {
            state.expire(rules, now);
            if let Some(at) = state.locked_at {
                return Err(NotYet::Locked(locked_out(at + rules.cooldown_ms - now, now)));
            }
            if pending && state.failures.len() as u64 + u64::from(state.pending) >= u64::from(rules.max_failures) {
                return Err(NotYet::Busy);
            }
        }
        if pending {
            shard.entry(ip).or_default().pending += 1;
        }
        Ok(Attempt { lockouts: self, ip, pending, settled: false })
    }

    fn settle(&self, ip: IpAddr, pending: bool, failure: Option<(&LockoutRules, u64)>) -> bool {
        let locked = self.settle_locked(ip, pending, failure);
        if pending {
            self.settled.notify_waiters();
        }
        locked
    }

    fn settle_locked(&self, ip: IpAddr, pending: bool, failure: Option<(&LockoutRules, u64)>) -> bool {
        let mut shard = self.shard(&ip).lock().unwrap_or_else(|e| e.into_inner());
        let Some((rules, now)) = failure else {
            if let Some(state) = shard.get_mut(&ip) {
                if pending {
                    state.pending = state.pending.saturating_sub(1);
                }
                if state.is_clean() {
                    shard.remove(&ip);
                }
            }
            return false;
        };
        let state = shard.entry(ip).or_default();
        if pending {
            state.pending = state.pending.saturating_sub(1);
        }
        state.expire(rules, now);
        state.failures.push_back(now);
        let locked = state.failures.len() as u64 >= u64::from(rules.max_failures);
        if locked {
            state.failures.clear();
            state.locked_at = Some(now);
        }
        drop(shard);
        self.mark_dirty(ip);
        locked
    }

    /// Writes the changed entries to the store.
    pub fn persist(&self) -> StoreResult<usize> {
        let Some(store) = &self.store else { return Ok(0) };
        let _one_at_a_time = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        let ips: Vec<IpAddr> =
            std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner())).into_iter().collect();
        if ips.is_empty() {
            return Ok(0);
        }
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for ip in ips {
            let snapshot = self.shard(&ip).lock().unwrap_or_else(|e| e.into_inner()).get(&ip).map(IpState::stored);
            match snapshot {
                Some(s) if !s.failures.is_empty() || s.locked_at.is_some() => upserts.push((ip.to_string(), s)),
                _ => removals.push(ip.to_string()),
            }
        }
        let n = upserts.len() + removals.len();
        let table = store.table::<StoredLockout>()?;
        table.insert_many(upserts)?;
        table.remove_many(removals)?;
        Ok(n)
    }

    /// The hourly cleanup: drops entries with nothing in the last
    /// [`HORIZON_MS`], in memory and in the store.
    pub fn purge_at(&self, now: u64) -> StoreResult<(usize, usize)> {
        let stale = |failures: &mut dyn Iterator<Item = u64>, locked_at: Option<u64>| {
            failures.chain(locked_at).all(|t| t + HORIZON_MS <= now)
        };
        let mut in_memory = 0;
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            let before = shard.len();
            shard.retain(|_, s| s.pending > 0 || !stale(&mut s.failures.iter().copied(), s.locked_at));
            in_memory += before - shard.len();
        }
        let mut stored = 0;
        if let Some(store) = &self.store {
            let table = store.table::<StoredLockout>()?;
            let expired: Vec<String> = table
                .text_entries()?
                .into_iter()
                .filter(|(_, s)| stale(&mut s.failures.iter().copied(), s.locked_at))
                .map(|(key, _)| key)
                .collect();
            stored = table.remove_many(expired)?;
        }
        Ok((in_memory, stored))
    }
}

/// One admitted login attempt. Settle it with [`Attempt::failed`] or
/// [`Attempt::succeeded`]; dropped unsettled (a refusal that says nothing
/// about the key, such as Odoo being down, or a cancelled request), it
/// counts for nothing.
pub struct Attempt<'a> {
    lockouts: &'a Lockouts,
    ip: IpAddr,
    pending: bool,
    settled: bool,
}

impl Attempt<'_> {
    /// The key was refused. True when this failure locked the IP.
    pub fn failed(mut self, rules: &LockoutRules, now: u64) -> bool {
        self.settled = true;
        self.lockouts.settle(self.ip, self.pending, Some((rules, now)))
    }

    pub fn succeeded(mut self) {
        self.settled = true;
        self.lockouts.settle(self.ip, self.pending, None);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.lockouts.settle(self.ip, self.pending, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: LockoutRules = LockoutRules { max_failures: 3, window_ms: 60_000, cooldown_ms: 30_000 };

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    fn fail(l: &Lockouts, who: IpAddr, now: u64) -> bool {
        l.admit(who, &RULES, true, now).expect("admitted").failed(&RULES, now)
    }

    #[test]
    fn locks_after_max_failures_in_the_window_until_the_cooldown_ends() {
        let l = Lockouts::new(None);
        let t = 1_000_000;
        assert!(!fail(&l, ip(1), t));
        assert!(!fail(&l, ip(1), t + 10));
        assert!(fail(&l, ip(1), t + 20), "the third failure locks");
        // Locked for any key, pending or not, with the time left.
        let refused = l.admit(ip(1), &RULES, false, t + 1_020).err().expect("locked");
        assert_eq!(refused.retry_after_ms, 29_000);
        assert_eq!(refused.reset_at_unix, (t + 20 + 30_000).div_ceil(1000));
        // Another IP is not touched.
        l.admit(ip(2), &RULES, true, t + 1_020).expect("other ip").succeeded();
        // After the cool-down: a fresh start (the lock consumed the failures).
        assert!(!fail(&l, ip(1), t + 30_020));
        assert!(l.admit(ip(1), &RULES, true, t + 30_030).is_ok());
    }

    #[test]
    fn failures_leave_the_window_and_successes_count_for_nothing() {
        let l = Lockouts::new(None);
        let t = 5_000_000;
        assert!(!fail(&l, ip(3), t));
        assert!(!fail(&l, ip(3), t + 1));
        for i in 0..10 {
            l.admit(ip(3), &RULES, true, t + 2 + i).unwrap().succeeded();
        }
        // The first two failures have left the 60 s window.
        assert!(!fail(&l, ip(3), t + 60_001));
        assert!(!fail(&l, ip(3), t + 60_002));
        assert!(fail(&l, ip(3), t + 60_003));
    }

    #[test]
    fn pending_attempts_count_so_a_burst_cannot_pass_the_limit() {
        let l = Lockouts::new(None);
        let t = 9_000_000;
        let admitted: Vec<Attempt<'_>> = (0..10).filter_map(|_| l.admit(ip(4), &RULES, true, t).ok()).collect();
        assert_eq!(admitted.len(), 3);
        // A known key (not pending) is not held up by the burst in flight.
        let known = l.admit(ip(4), &RULES, false, t).expect("known key");
        drop(known);
        // Dropped unsettled: counts for nothing.
        drop(admitted);
        assert!(l.admit(ip(4), &RULES, true, t).is_ok());
    }

    #[tokio::test]
    async fn an_attempt_over_the_limit_in_flight_waits_for_a_verdict_instead_of_being_refused() {
        let l = Lockouts::new(None);
        let t = 9_500_000;
        let now = move || t;
        let patience = Duration::from_secs(5);
        let first: Vec<Attempt<'_>> = (0..3).map(|_| l.admit(ip(8), &RULES, true, t).unwrap()).collect();
        // A fourth would pass the limit if the three failed: it waits.
        let waiting = l.admit_waiting(ip(8), &RULES, true, now, patience);
        tokio::pin!(waiting);
        assert!(futures_poll_once(waiting.as_mut()).await.is_none(), "waits while three are in flight");
        let mut first = first.into_iter();
        first.next().unwrap().succeeded();
        waiting.await.expect("admitted once one succeeded").succeeded();
        drop(first);

        // Three in flight that all fail lock the IP: the waiter is refused.
        let failing: Vec<Attempt<'_>> = (0..3).map(|_| l.admit(ip(9), &RULES, true, t).unwrap()).collect();
        let waiting = l.admit_waiting(ip(9), &RULES, true, now, patience);
        tokio::pin!(waiting);
        assert!(futures_poll_once(waiting.as_mut()).await.is_none());
        for attempt in failing {
            attempt.failed(&RULES, t);
        }
        let refused = waiting.await.err().expect("locked by the judged failures");
        assert_eq!(refused.retry_after_ms, RULES.cooldown_ms);

        // Nothing settles in time: refused with a retry of a second.
        let _held: Vec<Attempt<'_>> = (0..3).map(|_| l.admit(ip(10), &RULES, true, t).unwrap()).collect();
        let refused = l.admit_waiting(ip(10), &RULES, true, now, Duration::from_millis(20)).await.err().unwrap();
        assert_eq!(refused.retry_after_ms, BUSY_RETRY_MS);
    }

    /// Polls a future once: its output if it is ready, None if it waits.
    async fn futures_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
        use std::task::Poll;
        std::future::poll_fn(|cx| {
            Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            })
        })
        .await
    }

    #[test]
    fn a_restart_keeps_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let t = crate::limits::now_ms();
        {
            let l = Lockouts::new(Some(store.clone()));
            for i in 0..3 {
                fail(&l, ip(5), t + i);
            }
            assert_eq!(l.persist().unwrap(), 1);
        }
        let l = Lockouts::new(Some(store.clone()));
        assert!(l.admit(ip(5), &RULES, false, t + 100).is_err());
        // The cleanup keeps it within the horizon and drops it after.
        assert_eq!(l.purge_at(t + 1_000).unwrap(), (0, 0));
        assert_eq!(l.purge_at(t + 2 + HORIZON_MS).unwrap(), (1, 1));
        assert!(Lockouts::new(Some(store)).admit(ip(5), &RULES, false, t + 100).is_ok());
    }
}
