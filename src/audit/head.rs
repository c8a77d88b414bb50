//! The chain's head: the last id handed out and the last entry's place and
//! hash. One lock hands out all three and covers the entry's insert, so id
//! order is chain order and the store never holds entry n+1 without entry n
//! (a crash between two inserts would otherwise leave a false gap).

use super::chain::{GENESIS, Hash};
use super::checkpoint::Checkpoint;
use super::{AuditEntry, id_at};
use crate::store::{Store, StoreResult};

#[derive(Debug, Clone, Copy)]
pub(super) struct Head {
    /// The last id handed out (the entry may have failed to be stored).
    pub last_id: u64,
    /// The last stored entry's place in the chain (0: none yet).
    pub seq: u64,
    pub hash: Hash,
}

impl Head {
    /// Read from the store: the last entry that reads, or, when every
    /// chained entry went to retention, the last checkpoint (the prune
    /// checkpoint that ended them).
    pub fn load(store: &Store) -> StoreResult<Head> {
        let entries = store.table::<AuditEntry>()?;
        let last_id = entries.last_u64()?.unwrap_or(0);
        // A last entry that does not read (damaged) is passed over: `verify`
        // reports it; appending goes on.
        let last = entries.range_u64(0, u64::MAX, true).filter_map(Result::ok).map(|(_, e)| e).next();
        if let Some(entry) = last.filter(AuditEntry::chained) {
            return Ok(Head { last_id, seq: entry.seq, hash: entry.hash });
        }
        match Checkpoint::latest(store)? {
            Some(checkpoint) => Ok(Head { last_id, seq: checkpoint.seq, hash: checkpoint.hash }),
            None => Ok(Head { last_id, seq: 0, hash: GENESIS }),
        }
    }

    /// A new id: the entry's time, and strictly after every id already
    /// handed out (so a clock stepping back cannot reorder or overwrite).
    pub fn next_id(&mut self, micros: i64) -> u64 {
        self.last_id = id_at(micros).max(self.last_id + 1);
        self.last_id
    }
}
