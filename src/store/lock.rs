//! The data-directory lock: one process at a time owns a store.
//!
//! sled also locks its files, but its error names neither the directory nor
//! the holder. We take an exclusive advisory lock on `alpenglow.lock` first
//! and write our pid and command into it, so a second process can say who
//! holds the directory. The OS drops the lock when the holder dies, even on
//! `kill -9`, so a stale file never blocks a restart.

use super::{StoreError, StoreResult};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const LOCK_FILE: &str = "alpenglow.lock";

/// Held for as long as the store is open.
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Locks `dir` for this process; `purpose` (e.g. "alpenglow serve") is
    /// what a second process will be told holds it.
    pub fn acquire(dir: &Path, purpose: &str) -> StoreResult<DirLock> {
        let path = dir.join(LOCK_FILE);
        let io_error = |source| StoreError::Io { dir: dir.to_path_buf(), source };
        let mut file =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() { "unknown process".to_string() } else { holder.to_string() },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
        let description = format!("pid {}, {purpose}", std::process::id());
        file.set_len(0).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        file.write_all(description.as_bytes()).map_err(io_error)?;
        file.sync_data().map_err(io_error)?;
        Ok(DirLock { _file: file })
    }
}
