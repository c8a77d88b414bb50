//! The programs the end-to-end tests drive besides the product (the
//! original's bridge, the official MCP SDKs, tmux, cargo-deb), installed by
//! `tests/setup.sh`. A test that needs them calls [`ensure`], which runs the
//! script once per test process, so plain `cargo test` sets up a fresh
//! machine, and fails with the script's own words when it cannot.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// `tests/clients/<rest>`.
pub fn path(rest: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/clients").join(rest)
}

/// Runs `tests/setup.sh` (idempotent: about a second when all is there) the
/// first time any test of this process asks; panics with its output if it
/// failed.
pub fn ensure() {
    static SETUP: OnceLock<Result<(), String>> = OnceLock::new();
    let outcome = SETUP.get_or_init(|| {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/setup.sh");
        let out = Command::new(&script).output().map_err(|e| format!("{}: {e}", script.display()))?;
        if out.status.success() {
            return Ok(());
        }
        Err(format!(
            "tests/setup.sh failed ({}); run it by hand to see why:\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    });
    if let Err(message) = outcome {
        panic!("{message}");
    }
}
