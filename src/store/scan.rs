//! Range scans and batch changes over a [`Table`]: what the audit log, the
//! rate windows and the sessions need to read time ranges, index ranges and
//! delete in bulk, still typed (keys are ids or text, values records).

use super::{StoreResult, Table, TableKey, be_u64, decode, record};
use crate::store::Record;

impl<T: Record> Table<T> {
    /// Records whose big-endian `u64` key lies in `[start, end)`, ascending
    /// (or descending with `reverse`). Lazy: pages stop reading where they stop.
    pub fn range_u64(
        &self,
        start: u64,
        end: u64,
        reverse: bool,
    ) -> impl Iterator<Item = StoreResult<(u64, T)>> + use<T> {
        let iter = self.tree.range(start.to_be_bytes()..end.to_be_bytes());
        let step = move |item: Result<(sled::IVec, sled::IVec), sled::Error>| -> StoreResult<(u64, T)> {
            let (key, value) = item?;
            Ok((be_u64(&key), decode::<T>(&value)?))
        };
        let boxed: Box<dyn Iterator<Item = StoreResult<(u64, T)>>> =
            if reverse { Box::new(iter.rev().map(step)) } else { Box::new(iter.map(step)) };
        boxed
    }

    /// The largest `u64` key, if any.
    pub fn last_u64(&self) -> StoreResult<Option<u64>> {
        Ok(self.tree.last()?.map(|(key, _)| be_u64(&key)))
    }

    /// Index tables (`prefix ++ big-endian id`): the ids under `prefix` in
    /// `[start, end)`, ascending or descending.
    pub fn ids_in_range(
        &self,
        prefix: &[u8],
        start: u64,
        end: u64,
        reverse: bool,
    ) -> impl Iterator<Item = StoreResult<u64>> + use<T> {
        let low: Vec<u8> = prefix.iter().copied().chain(start.to_be_bytes()).collect();
        let high: Vec<u8> = prefix.iter().copied().chain(end.to_be_bytes()).collect();
        let iter = self.tree.range(low..high);
        let step = |item: Result<(sled::IVec, sled::IVec), sled::Error>| -> StoreResult<u64> {
            let (key, _) = item?;
            Ok(be_u64(&key[key.len().saturating_sub(8)..]))
        };
        let boxed: Box<dyn Iterator<Item = StoreResult<u64>>> =
            if reverse { Box::new(iter.rev().map(step)) } else { Box::new(iter.map(step)) };
        boxed
    }

    /// Every record with its text key (tables keyed by strings).
    pub fn text_entries(&self) -> StoreResult<Vec<(String, T)>> {
        let mut out = Vec::new();
        for item in self.tree.iter() {
            let (key, value) = item?;
            out.push((String::from_utf8_lossy(&key).into_owned(), decode::<T>(&value)?));
        }
        Ok(out)
    }

    /// The keys of the records `select` picks, as stored (e.g. the expired
    /// entries of a table keyed by hashes, to remove with `remove_many`).
    pub fn raw_keys_where(&self, mut select: impl FnMut(&T) -> bool) -> StoreResult<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for item in self.tree.iter() {
            let (key, value) = item?;
            if select(&decode::<T>(&value)?) {
                out.push(key.to_vec());
            }
        }
        Ok(out)
    }

    /// Writes many records in one atomic batch.
    pub fn insert_many<K: TableKey>(&self, items: impl IntoIterator<Item = (K, T)>) -> StoreResult<usize> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for (key, value) in items {
            batch.insert(key.key_bytes(), record::encode(&value));
            n += 1;
        }
        let applied = self.writes.track(self.tree.apply_batch(batch));
        self.changed();
        applied?;
        Ok(n)
    }

    /// Removes many keys in one atomic batch; returns how many keys were named.
    pub fn remove_many<K: TableKey>(&self, keys: impl IntoIterator<Item = K>) -> StoreResult<usize> {
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for key in keys {
            batch.remove(key.key_bytes());
            n += 1;
        }
        let applied = self.writes.track(self.tree.apply_batch(batch));
        self.changed();
        applied?;
        Ok(n)
    }
}

/// A key made of raw parts, for index tables (`prefix ++ id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeKey(pub Vec<u8>);

impl CompositeKey {
    /// `prefix` followed by the big-endian `id`.
    pub fn new(prefix: &[u8], id: u64) -> CompositeKey {
        CompositeKey(prefix.iter().copied().chain(id.to_be_bytes()).collect())
    }
}

impl TableKey for CompositeKey {
    fn key_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Record, Store};
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct N(u32);
    impl Record for N {
        const TREE: &'static str = "test_scan";
        const KIND: &'static str = "n";
        const VERSION: u8 = 1;
    }

    #[test]
    fn ranges_indexes_and_batches() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let t = store.table::<N>().unwrap();
        t.insert_many((1u64..=10).map(|i| (i, N(i as u32)))).unwrap();
        let up: Vec<u64> = t.range_u64(3, 6, false).map(|r| r.unwrap().0).collect();
        assert_eq!(up, vec![3, 4, 5]);
        let down: Vec<u64> = t.range_u64(0, u64::MAX, true).take(2).map(|r| r.unwrap().0).collect();
        assert_eq!(down, vec![10, 9]);
        assert_eq!(t.last_u64().unwrap(), Some(10));
        assert_eq!(t.remove_many(1u64..=4).unwrap(), 4);
        assert_eq!(t.len(), 6);
        let idx = store.table::<N>().unwrap();
        idx.insert(&super::CompositeKey::new(b"m\0", 42), &N(0)).unwrap();
        let ids: Vec<u64> = idx.ids_in_range(b"m\0", 0, u64::MAX, false).map(|r| r.unwrap()).collect();
        assert_eq!(ids, vec![42]);
    }
}
