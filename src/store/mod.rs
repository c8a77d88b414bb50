//! The store: the only code that touches sled.
//!
//! One sled database per data directory, one tree per kind of record. Values
//! are bincode behind a one-byte version tag ([`Record`]), so a later release
//! reads what an older one wrote. Everything outside this module sees typed
//! records only.
//!
//! Durability rule: sled writes are buffered and flushed in the background
//! every [`BACKGROUND_FLUSH_MS`]. Writes that a caller acknowledges to a person
//! (configuration changes, credentials, audit entries) call [`Store::flush`]
//! before they return, so they survive `kill -9`; counters that may lag a
//! fraction of a second (usage, rate windows, sessions) rely on the
//! background flush.
//!
//! A failed write (a full disk) marks the store as unable to write until a
//! recovery thread has reopened sled, which keeps its first I/O error for
//! good otherwise (`health.rs`).

pub mod health;
mod lock;
pub(crate) mod record;
mod scan;

pub use lock::DirLock;
pub use record::{Record, RecordError, decode_body};
pub use scan::CompositeKey;

use health::WriteHealth;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

const META_TREE: &str = "meta";
const NEXT_ID_KEY: &[u8] = b"next_id";
/// Where a write probe lands (`doctor`, recovery): the time of the probe.
const PROBE_KEY: &[u8] = b"write_probe";

/// How often sled flushes in the background, in milliseconds.
pub const BACKGROUND_FLUSH_MS: u64 = 200;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {dir} is in use by another process ({holder}); stop it, or manage it through its admin socket"
    )]
    Locked { dir: PathBuf, holder: String },
    /// Only `serve`, `demo`, `restore` and `init` make a data directory.
    #[error("there is no data directory {dir}")]
    Missing { dir: PathBuf },
    #[error("cannot use the data directory {dir}: {source}")]
    Io { dir: PathBuf, source: std::io::Error },
    #[error("the database in {dir} cannot be opened: {message}")]
    Open { dir: PathBuf, message: String },
    /// A write failed (a full disk, an I/O error) or the filesystem is
    /// nearly full: the store refuses writes until it recovers by itself.
    #[error(
        "the store cannot write ({reason}) in {dir}; free space there: Alpenglow recovers by itself once it can write"
    )]
    CannotWrite { dir: PathBuf, reason: String },
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    #[error("a stored {kind} record cannot be read: {source}")]
    Corrupt { kind: &'static str, source: RecordError },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A tree's raw keys and values, for backups.
pub type RawEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// An open data directory. Cheap to clone (clones share one sled handle);
/// the directory lock is held until the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// The open sled database; None only while [`Store::reopen`] swaps it.
    db: RwLock<Option<sled::Db>>,
    health: Arc<WriteHealth>,
    /// A counter per tree, bumped after every write to it through this
    /// store: what a reader's snapshot (the settings, the resources) is
    /// checked against. One process owns the directory, so nothing else
    /// writes behind it.
    generations: RwLock<HashMap<String, Arc<AtomicU64>>>,
    _lock: DirLock,
}

/// How long a caller waits for a reopen in progress before giving up.
const REOPEN_WAIT: Duration = Duration::from_secs(5);

impl Store {
    /// Opens (creating if needed) the store in `dir`. Fails with
    /// [`StoreError::Locked`] naming the holder if another process has it open.
    pub fn open(dir: &Path) -> StoreResult<Store> {
        Store::open_for(dir, "alpenglow")
    }

    /// As [`Store::open_for`], but only a data directory that exists: a
    /// command that was not asked to make one must not leave one behind
    /// (an admin in the wrong directory would change a store the service
    /// never reads).
    pub fn open_existing(dir: &Path, purpose: &str) -> StoreResult<Store> {
        match std::fs::metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Missing { dir: dir.to_path_buf() }),
            _ => Store::open_for(dir, purpose),
        }
    }

    /// As [`Store::open`], naming what the process does (e.g. `alpenglow
    /// serve`) for the error a second process gets.
    pub fn open_for(dir: &Path, purpose: &str) -> StoreResult<Store> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { dir: dir.to_path_buf(), source })?;
        restrict_permissions(dir);
        let lock = DirLock::acquire(dir, purpose)?;
        let db = open_sled(dir)?;
        Ok(Store {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                db: RwLock::new(Some(db)),
                health: Arc::new(WriteHealth::default()),
                generations: Default::default(),
                _lock: lock,
            }),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The current sled handle. While a reopen swaps it, waits for the new
    /// one (at most [`REOPEN_WAIT`]).
    fn db(&self) -> StoreResult<sled::Db> {
        let deadline = Instant::now() + REOPEN_WAIT;
        loop {
            if let Some(db) = self.inner.db.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
                return Ok(db.clone());
            }
            if Instant::now() >= deadline {
                return Err(self.cannot_write("the store is being reopened".into()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn cannot_write(&self, reason: String) -> StoreError {
        StoreError::CannotWrite { dir: self.inner.dir.clone(), reason }
    }

    /// The typed table for records of type `T`.
    pub fn table<T: Record>(&self) -> StoreResult<Table<T>> {
        Ok(Table {
            tree: self.db()?.open_tree(T::TREE)?,
            writes: self.writes(),
            generation: self.generation_cell(T::TREE),
            _marker: PhantomData,
        })
    }

    fn generation_cell(&self, tree: &str) -> Arc<AtomicU64> {
        if let Some(cell) = self.inner.generations.read().unwrap_or_else(|e| e.into_inner()).get(tree) {
            return cell.clone();
        }
        let mut generations = self.inner.generations.write().unwrap_or_else(|e| e.into_inner());
        generations.entry(tree.to_string()).or_default().clone()
    }

    /// How many writes tree `tree` has had through this store: a value read
    /// before the tree's data and still the same later means the data has
    /// not changed since.
    pub fn generation(&self, tree: &str) -> u64 {
        self.generation_cell(tree).load(Ordering::Acquire)
    }

    /// A unique index: a key claims at most one record id.
    pub fn unique_index(&self, name: &'static str) -> StoreResult<UniqueIndex> {
        Ok(UniqueIndex { tree: self.db()?.open_tree(name)?, writes: self.writes() })
    }

    fn writes(&self) -> Writes {
        Writes { store: Arc::downgrade(&self.inner) }
    }

    /// A new id: 1, 2, 3, ... for the life of the database, never reused.
    /// (sled's own `generate_id` skips a million on every restart, which
    /// makes ids that people must type needlessly long.)
    pub fn next_id(&self) -> StoreResult<u64> {
        let meta = self.db()?.open_tree(META_TREE)?;
        let next = self.writes().track(meta.update_and_fetch(NEXT_ID_KEY, |old| {
            let current = old.map(be_u64).unwrap_or(0);
            Some((current + 1).to_be_bytes().to_vec())
        }))?;
        Ok(next.map(|v| be_u64(&v)).unwrap_or(1))
    }

    /// The names of the trees in the database (sled's default tree left out).
    pub fn tree_names(&self) -> Vec<String> {
        let Ok(db) = self.db() else { return Vec::new() };
        db.tree_names()
            .into_iter()
            .map(|n| String::from_utf8_lossy(&n).into_owned())
            .filter(|n| n != "__sled__default")
            .collect()
    }

    /// Every raw key and value of a tree, in key order (for backups of the
    /// small configuration trees: the bytes carry each record's version tag,
    /// so a later release upgrades them as it reads them).
    pub fn dump_tree(&self, name: &str) -> StoreResult<RawEntries> {
        let tree = self.db()?.open_tree(name)?;
        tree.iter().map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(StoreError::from)).collect()
    }

    /// At most `limit` raw keys and values of a tree in key order, starting
    /// after `after` (from the first key when None): a backup's page.
    pub fn tree_page(&self, name: &str, after: Option<&[u8]>, limit: usize) -> StoreResult<RawEntries> {
        use std::ops::Bound;
        let tree = self.db()?.open_tree(name)?;
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        tree.range::<&[u8], _>((start, Bound::Unbounded))
            .take(limit)
            .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(StoreError::from))
            .collect()
    }

    /// The largest key of a tree, if any (where a backup's audit pages stop).
    pub fn tree_last_key(&self, name: &str) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db()?.open_tree(name)?.last()?.map(|(k, _)| k.to_vec()))
    }

    /// Empties the named trees: the first step of a streamed restore, which
    /// then adds the entries with [`Store::insert_raw`] and ends with [`Store::flush`].
    pub fn clear_trees(&self, names: &[&str]) -> StoreResult<()> {
        for name in names {
            let tree = self.db()?.open_tree(name)?;
            self.writes().track(tree.clear())?;
            self.generation_cell(name).fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Inserts raw keys and values into a tree as one batch (a restore's chunk).
    pub fn insert_raw(&self, name: &str, entries: &[(Vec<u8>, Vec<u8>)]) -> StoreResult<()> {
        let mut batch = sled::Batch::default();
        for (key, value) in entries {
            batch.insert(key.as_slice(), value.as_slice());
        }
        let tree = self.db()?.open_tree(name)?;
        let applied = self.writes().track(tree.apply_batch(batch));
        self.generation_cell(name).fetch_add(1, Ordering::AcqRel);
        applied
    }

    /// Writes everything buffered to disk and waits for it. A failure marks
    /// the store as unable to write (see [`Store::cannot_write_reason`]).
    pub fn flush(&self) -> StoreResult<()> {
        let db = self.db()?;
        self.writes().track(db.flush()).map(|_| ())
    }

    /// Why the store cannot write now, if it cannot: a write failed (until
    /// the recovery thread has reopened it), or the data directory's
    /// filesystem has less than [`health::LOW_SPACE_BYTES`] free. Cheap
    /// (a flag and a `statvfs`): callers ask before work they must record.
    pub fn cannot_write_reason(&self) -> Option<String> {
        if let Some(broken) = self.inner.health.current() {
            return Some(broken.reason);
        }
        match health::free_bytes(&self.inner.dir) {
            Some(free) if free < health::LOW_SPACE_BYTES => Some(format!(
                "the data directory's filesystem has {} KiB free, less than the {} KiB the store keeps in reserve",
                free / 1024,
                health::LOW_SPACE_BYTES / 1024
            )),
            _ => None,
        }
    }

    /// Writes a probe record and flushes it: whether the store can write
    /// right now (for `doctor` on a store opened directly). A failure marks
    /// the store like any failed write.
    pub fn probe_write(&self) -> StoreResult<()> {
        let meta = self.db()?.open_tree(META_TREE)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp().to_be_bytes();
        self.writes().track(meta.insert(PROBE_KEY, &now[..]))?;
        self.flush()
    }

    /// Drops the sled handle and opens it again: what clears sled's sticky
    /// I/O error once the cause is gone. Writes not yet on disk are lost
    /// (they were never acknowledged: an acknowledged write was flushed).
    fn reopen(&self) -> StoreResult<()> {
        // Taken out, then the lock let go: callers wait in `db()` instead of
        // on the lock, and one still holding an old tree finishes with it.
        let old = self.inner.db.write().unwrap_or_else(|e| e.into_inner()).take();
        drop(old);
        let db = open_sled(&self.inner.dir)?;
        *self.inner.db.write().unwrap_or_else(|e| e.into_inner()) = Some(db);
        Ok(())
    }
}

/// Reports write failures of a table or the store to their store's health.
#[derive(Clone)]
struct Writes {
    store: Weak<Inner>,
}

impl Writes {
    /// Passes `result` on; an I/O failure marks the store as unable to
    /// write (and starts its recovery) and reads as [`StoreError::CannotWrite`].
    fn track<T>(&self, result: Result<T, sled::Error>) -> StoreResult<T> {
        match result {
            Ok(value) => Ok(value),
            Err(error @ (sled::Error::Io(_) | sled::Error::ReportableBug(_))) => {
                let Some(inner) = self.store.upgrade() else { return Err(error.into()) };
                let store = Store { inner };
                let reason = health::describe(&error);
                store.mark_cannot_write(reason.clone());
                Err(store.cannot_write(reason))
            }
            Err(other) => Err(other.into()),
        }
    }
}

impl Store {
    /// Marks the store as unable to write and starts the recovery thread
    /// (one at a time). Logged once per episode.
    fn mark_cannot_write(&self, reason: String) {
        let health = &self.inner.health;
        if health.mark_broken(reason.clone()) {
            tracing::error!(
                dir = %self.inner.dir.display(),
                %reason,
                "the store cannot write; requests that must be audited are refused until it can (it recovers by itself once space is back)"
            );
        }
        if health.recovering.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new().name("store-recovery".into()).spawn(move || recover(weak));
        if spawned.is_err() {
            health.recovering.store(false, Ordering::Release);
        }
    }
}

/// The recovery thread: waits until the data directory takes a probe file,
/// reopens sled, checks a write, and clears the mark. Ends when the store
/// is dropped.
fn recover(weak: Weak<Inner>) {
    loop {
        std::thread::sleep(health::RECOVERY_INTERVAL);
        let Some(inner) = weak.upgrade() else { return };
        let store = Store { inner };
        if health::probe_space(store.dir()).is_err() {
            continue;
        }
        let recovered = store.reopen().and_then(|()| {
            let meta = store.db()?.open_tree(META_TREE)?;
            let now = time::OffsetDateTime::now_utc().unix_timestamp().to_be_bytes();
            meta.insert(PROBE_KEY, &now[..])?;
            store.db()?.flush()?;
            Ok(())
        });
        match recovered {
            Ok(()) => {
                let health = &store.inner.health;
                let down_for = health.current().map(|c| c.since.elapsed().as_secs()).unwrap_or(0);
                health.mark_writable();
                health.recovering.store(false, Ordering::Release);
                tracing::info!(dir = %store.dir().display(), down_for_s = down_for, "the store can write again");
                return;
            }
            Err(e) => tracing::debug!(error = %e, "the store cannot write yet"),
        }
    }
}

/// Opens sled in `dir/db`. With the directory lock held, sled's own file
/// lock can only be held by a handle this process just dropped: its
/// flusher thread lets go within one flush interval. Wait for that rather
/// than fail.
fn open_sled(dir: &Path) -> StoreResult<sled::Db> {
    let config = sled::Config::new().path(dir.join("db")).flush_every_ms(Some(BACKGROUND_FLUSH_MS));
    let mut waited = 0;
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if e.to_string().starts_with("could not acquire lock") && waited < 5_000 => {
                std::thread::sleep(Duration::from_millis(20));
                waited += 20;
            }
            other => return other.map_err(|e| StoreError::Open { dir: dir.to_path_buf(), message: e.to_string() }),
        }
    }
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // The directory holds key hashes and the audit log: owner only. Best
    // effort: a directory owned by someone else keeps its mode.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) {}

/// Keys of a table: ids as big-endian bytes (so they sort numerically), or text.
pub trait TableKey {
    fn key_bytes(&self) -> Vec<u8>;
}

impl TableKey for u64 {
    fn key_bytes(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
}

impl TableKey for str {
    fn key_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

impl TableKey for String {
    fn key_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

/// A tree of records of one type.
pub struct Table<T: Record> {
    tree: sled::Tree,
    writes: Writes,
    /// Bumped after each write (see [`Store::generation`]).
    generation: Arc<AtomicU64>,
    _marker: PhantomData<fn() -> T>,
}

impl<T: Record> Table<T> {
    pub fn get<K: TableKey + ?Sized>(&self, key: &K) -> StoreResult<Option<T>> {
        match self.tree.get(key.key_bytes())? {
            Some(bytes) => decode::<T>(&bytes).map(Some),
            None => Ok(None),
        }
    }

    pub fn insert<K: TableKey + ?Sized>(&self, key: &K, value: &T) -> StoreResult<()> {
        let written = self.writes.track(self.tree.insert(key.key_bytes(), record::encode(value)));
        self.changed();
        written?;
        Ok(())
    }

    /// Removes a record; returns whether it existed.
    pub fn remove<K: TableKey + ?Sized>(&self, key: &K) -> StoreResult<bool> {
        let removed = self.writes.track(self.tree.remove(key.key_bytes()));
        self.changed();
        Ok(removed?.is_some())
    }

    /// After a write (even a failed one: a reader re-reads, no harm done).
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// All records in key order.
    pub fn values(&self) -> StoreResult<Vec<T>> {
        self.tree.iter().values().map(|bytes| decode::<T>(&bytes?)).collect()
    }

    /// Reads, changes and writes back one record atomically (sled retries
    /// `change` if another writer got there first). Returns the new value, or
    /// None if there was no record.
    pub fn update<K: TableKey + ?Sized>(&self, key: &K, mut change: impl FnMut(&mut T)) -> StoreResult<Option<T>> {
        let mut decode_error = None;
        let mut result = None;
        let updated = self.tree.update_and_fetch(key.key_bytes(), |old| {
            let old = old?;
            match decode::<T>(old) {
                Ok(mut value) => {
                    change(&mut value);
                    let bytes = record::encode(&value);
                    result = Some(value);
                    Some(bytes)
                }
                Err(e) => {
                    decode_error = Some(e);
                    Some(old.to_vec())
                }
            }
        });
        self.changed();
        self.writes.track(updated)?;
        match decode_error {
            Some(e) => Err(e),
            None => Ok(result),
        }
    }

    /// Ids of the records whose key is `prefix` followed by a big-endian id
    /// (the layout of index tables).
    pub fn ids_under_prefix(&self, prefix: &[u8]) -> StoreResult<Vec<u64>> {
        let mut ids = Vec::new();
        for key in self.tree.scan_prefix(prefix).keys() {
            let key = key?;
            if key.len() >= prefix.len() + 8 {
                ids.push(be_u64(&key[key.len() - 8..]));
            }
        }
        Ok(ids)
    }

    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

fn decode<T: Record>(bytes: &[u8]) -> StoreResult<T> {
    record::decode(bytes).map_err(|source| StoreError::Corrupt { kind: T::KIND, source })
}

/// A tree mapping a unique key to the id of the record that claimed it.
pub struct UniqueIndex {
    tree: sled::Tree,
    writes: Writes,
}

impl UniqueIndex {
    /// Claims `key` for `id`. Returns the id of the current holder if the key
    /// is taken (by another id); claiming again for the same id succeeds.
    pub fn claim(&self, key: &str, id: u64) -> StoreResult<Result<(), u64>> {
        let swap = self.writes.track(self.tree.compare_and_swap(
            key.as_bytes(),
            None as Option<&[u8]>,
            Some(&id.to_be_bytes()[..]),
        ))?;
        match swap {
            Ok(()) => Ok(Ok(())),
            Err(current) => {
                let holder = current.current.map(|v| be_u64(&v)).unwrap_or(0);
                Ok(if holder == id { Ok(()) } else { Err(holder) })
            }
        }
    }

    /// Releases `key` if `id` holds it.
    pub fn release(&self, key: &str, id: u64) -> StoreResult<()> {
        let _ = self.writes.track(self.tree.compare_and_swap(
            key.as_bytes(),
            Some(&id.to_be_bytes()[..]),
            None as Option<&[u8]>,
        ))?;
        Ok(())
    }

    pub fn get(&self, key: &str) -> StoreResult<Option<u64>> {
        Ok(self.tree.get(key.as_bytes())?.map(|v| be_u64(&v)))
    }
}

fn be_u64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[8 - n..].copy_from_slice(&bytes[bytes.len() - n..]);
    u64::from_be_bytes(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Note {
        text: String,
        count: u32,
    }

    impl Record for Note {
        const TREE: &'static str = "test_notes";
        const KIND: &'static str = "note";
        const VERSION: u8 = 1;
    }

    #[test]
    fn typed_table_round_trip_and_update() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let notes = store.table::<Note>().unwrap();
        let id = store.next_id().unwrap();
        assert!(id >= 1);
        notes.insert(&id, &Note { text: "a".into(), count: 1 }).unwrap();
        let updated = notes.update(&id, |n| n.count += 1).unwrap().unwrap();
        assert_eq!(updated.count, 2);
        assert_eq!(notes.get(&id).unwrap(), Some(updated));
        assert!(notes.update(&999u64, |n| n.count += 1).unwrap().is_none());
        assert!(notes.remove(&id).unwrap());
        assert!(notes.is_empty());
    }

    #[test]
    fn unique_index_claims_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let index = store.unique_index("test_unique").unwrap();
        assert_eq!(index.claim("k", 1).unwrap(), Ok(()));
        assert_eq!(index.claim("k", 1).unwrap(), Ok(()));
        assert_eq!(index.claim("k", 2).unwrap(), Err(1));
        index.release("k", 2).unwrap();
        assert_eq!(index.get("k").unwrap(), Some(1));
        index.release("k", 1).unwrap();
        assert_eq!(index.claim("k", 2).unwrap(), Ok(()));
    }

    #[test]
    fn second_open_in_same_process_is_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path()).unwrap();
        let second = Store::open(dir.path()).err().expect("must be locked");
        let message = second.to_string();
        assert!(message.contains(&dir.path().display().to_string()), "{message}");
        assert!(message.contains(&format!("pid {}, alpenglow", std::process::id())), "{message}");
    }

    #[test]
    fn opening_waits_for_a_store_this_process_is_still_letting_go_of() {
        // What a dropped store's background I/O looks like to the next open:
        // sled's file lock still held in this process for a moment.
        let dir = tempfile::tempdir().unwrap();
        let lingering = sled::Config::new().path(dir.path().join("db")).open().unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(lingering);
        });
        let opened = Store::open(dir.path());
        release.join().unwrap();
        assert!(opened.is_ok(), "{:?}", opened.err());
    }

    #[test]
    fn reopen_after_drop_keeps_records() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.table::<Note>().unwrap().insert("x", &Note { text: "kept".into(), count: 7 }).unwrap();
            store.flush().unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.table::<Note>().unwrap().get("x").unwrap().unwrap().text, "kept");
    }
}
