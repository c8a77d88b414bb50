//! Whether the store can write, and getting it back when it could not.
//!
//! sled keeps the first I/O error of its log (a full disk: ENOSPC) as a
//! sticky error: every later write of that `Db` fails, even once space is
//! back. So a failed write marks the store as unable to write (callers can
//! refuse work they could not record before doing it), and a recovery
//! thread waits until the data directory takes a probe file again, then
//! reopens sled, which starts with a clean slate and what was on disk.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Below this much free space on the data directory's filesystem the store
/// is treated as unable to write before sled finds out the hard way: a log
/// segment is 512 KiB, and an audit entry must not be the write that fails.
pub const LOW_SPACE_BYTES: u64 = 1024 * 1024;

/// How often the recovery thread checks whether space is back.
pub const RECOVERY_INTERVAL: Duration = Duration::from_millis(500);

/// The size of the file written to test that space is back: enough for a
/// log segment, so a reopened store does not fail again at once.
const PROBE_BYTES: usize = 1024 * 1024;

/// Why the store cannot write, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotWrite {
    pub reason: String,
    pub since: Instant,
}

#[derive(Default)]
pub(super) struct WriteHealth {
    broken: AtomicBool,
    why: Mutex<Option<CannotWrite>>,
    /// A recovery thread is running.
    pub recovering: AtomicBool,
}

impl WriteHealth {
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Acquire)
    }

    pub fn current(&self) -> Option<CannotWrite> {
        if !self.is_broken() {
            return None;
        }
        self.why.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Records a failed write; true when the store was writable until now.
    pub fn mark_broken(&self, reason: String) -> bool {
        let mut why = self.why.lock().unwrap_or_else(|e| e.into_inner());
        let first = why.is_none();
        if first {
            *why = Some(CannotWrite { reason, since: Instant::now() });
        }
        self.broken.store(true, Ordering::Release);
        first
    }

    pub fn mark_writable(&self) {
        let mut why = self.why.lock().unwrap_or_else(|e| e.into_inner());
        *why = None;
        self.broken.store(false, Ordering::Release);
    }
}

/// Free bytes for an unprivileged writer on the filesystem holding `dir`
/// (None when the OS cannot say).
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes only into the struct we pass; the path is a
    // valid NUL-terminated string that outlives the call.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    // The field types differ between platforms (u32 on some 32-bit ones).
    #[allow(clippy::useless_conversion)]
    Some(u64::from(stat.f_bavail).saturating_mul(u64::from(stat.f_frsize)))
}

#[cfg(not(unix))]
pub fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// Whether `dir` takes a write again: a probe file of [`PROBE_BYTES`]
/// written, synced and removed. The error says why not.
pub fn probe_space(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let path = dir.join(".write-probe");
    let result = (|| {
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&vec![0u8; PROBE_BYTES])?;
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result
}

/// The text of an I/O failure as a person reads it: "No space left on
/// device" rather than the debug form sled gives a copied error.
pub fn describe(error: &sled::Error) -> String {
    match error {
        sled::Error::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => "No space left on device".into(),
        sled::Error::Io(e) if e.kind() == std::io::ErrorKind::QuotaExceeded => "disk quota exceeded".into(),
        sled::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_is_kept_until_writable_again() {
        let health = WriteHealth::default();
        assert!(health.current().is_none());
        assert!(health.mark_broken("No space left on device".into()));
        assert!(!health.mark_broken("something later".into()));
        assert_eq!(health.current().unwrap().reason, "No space left on device");
        health.mark_writable();
        assert!(!health.is_broken() && health.current().is_none());
    }

    #[test]
    fn a_writable_directory_takes_the_probe_and_reports_space() {
        let dir = tempfile::tempdir().unwrap();
        probe_space(dir.path()).unwrap();
        assert!(!dir.path().join(".write-probe").exists());
        assert!(free_bytes(dir.path()).is_some_and(|b| b > 0));
    }
}
