//! Group commit: many writers, one fsync.
//!
//! A writer takes a ticket after its insert. To be durable it needs a flush
//! that *started* after its ticket was taken. If no flush is running, it
//! leads one covering every ticket taken so far; otherwise it waits for the
//! running one and, if that did not cover it, leads the next.

use crate::store::StoreResult;
use std::sync::{Condvar, Mutex};

#[derive(Default)]
pub(super) struct GroupCommit {
    state: Mutex<State>,
    flushed: Condvar,
}

#[derive(Default)]
struct State {
    /// Tickets handed out (inserts completed).
    taken: u64,
    /// Every ticket up to this one is on disk.
    durable: u64,
    flushing: bool,
}

impl GroupCommit {
    /// Runs `insert`, then takes a ticket: the ticket covers the insert.
    pub fn ticket_after<T>(&self, insert: impl FnOnce() -> StoreResult<T>) -> StoreResult<(T, u64)> {
        let value = insert()?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.taken += 1;
        Ok((value, state.taken))
    }

    /// Returns once `ticket` is durable, flushing as the leader if needed.
    pub fn wait_durable(&self, ticket: u64, flush: impl Fn() -> StoreResult<()>) -> StoreResult<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self.flushed.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            state.flushing = true;
            let target = state.taken;
            drop(state);
            let result = flush();
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.flushing = false;
            if result.is_ok() {
                state.durable = state.durable.max(target);
            }
            self.flushed.notify_all();
            result?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn one_flush_serves_many_waiters() {
        let commit = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let (commit, flushes) = (commit.clone(), flushes.clone());
                std::thread::spawn(move || {
                    let ((), ticket) = commit.ticket_after(|| Ok(())).unwrap();
                    commit
                        .wait_durable(ticket, || {
                            flushes.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(5));
                            Ok(())
                        })
                        .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!((1..32).contains(&n), "{n} flushes for 32 writers");
        assert_eq!(commit.state.lock().unwrap().durable, 32);
    }
}
