//! `alpenglow backup FILE [--with-audit]` and `alpenglow restore FILE`.
//!
//! The backup goes through the daemon's admin socket when one serves the
//! data directory (it holds the store), else reads the store directly. The
//! restore refuses while a daemon serves the directory: it replaces the
//! configuration under it, so the daemon is stopped first and started after.

use super::{BackupArgs, CliError, RestoreArgs, output};
use crate::admin_socket::{AdminApi, SocketClient};
use crate::config::boot::BootConfig;
use serde_json::{Value, json};
use std::io::Write;

fn count(document: &Value, tree: &str) -> usize {
    document["trees"][tree].as_array().map_or(0, Vec::len)
}

pub fn backup(api: &dyn AdminApi, args: &BackupArgs, json: bool) -> Result<(), CliError> {
    let document = api.call("backup.create", json!({"with_audit": args.with_audit}))?;
    write_private(&args.file, document.to_string().as_bytes())
        .map_err(|e| CliError::Failed(format!("cannot write the backup to {}: {e}", args.file.display())))?;
    let summary = json!({
        "file": args.file.display().to_string(),
        "format": document["alpenglow_backup"],
        "created_at": document["created_at"],
        "resources": count(&document, "resources"),
        "credentials": count(&document, "credentials"),
        "audit_entries": if args.with_audit { json!(count(&document, "audit")) } else { Value::Null },
    });
    if json {
        output::json(&summary);
    } else {
        println!(
            "Backup written to {}: {} resources, {} credentials{}.",
            args.file.display(),
            summary["resources"],
            summary["credentials"],
            if args.with_audit { format!(", {} audit entries", summary["audit_entries"]) } else { String::new() }
        );
    }
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600 through a temporary file and a
/// rename, so a reader never sees half a backup.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

pub fn restore(boot: &BootConfig, args: &RestoreArgs, json: bool) -> Result<(), CliError> {
    if SocketClient::connect(&boot.admin_socket).is_ok() {
        return Err(CliError::Failed(format!(
            "a daemon is serving {} (admin socket {}): stop it first (systemctl stop alpenglow), restore, then start it again",
            boot.data_dir.display(),
            boot.admin_socket.display()
        )));
    }
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", args.file.display())))?;
    let document: Value = serde_json::from_str(&text).map_err(|e| {
        CliError::Invalid(format!("{} is not an Alpenglow backup (not JSON: {e})", args.file.display()))
    })?;
    let store = crate::store::Store::open_for(&boot.data_dir, "alpenglow restore")
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let restored = crate::backup::restore(store, &document).map_err(|e| match e {
        crate::backup::BackupError::Invalid(m) => CliError::Invalid(format!("{}: {m}", args.file.display())),
        crate::backup::BackupError::Failed(m) => CliError::Failed(m),
    })?;
    if json {
        output::json(&json!({
            "data_dir": boot.data_dir.display().to_string(),
            "created_at": restored.created_at,
            "alpenglow_version": restored.alpenglow_version,
            "with_audit": restored.with_audit,
            "resources": restored.resources,
            "credentials": restored.credentials,
            "audit_entries": restored.audit_entries,
        }));
    } else {
        println!(
            "Restored the backup of {} (Alpenglow {}) into {}: {} resources, {} credentials{}.",
            restored.created_at,
            restored.alpenglow_version,
            boot.data_dir.display(),
            restored.resources,
            restored.credentials,
            if restored.with_audit {
                format!(", {} audit entries", restored.audit_entries)
            } else {
                "; the audit log was left as it was".into()
            }
        );
    }
    Ok(())
}
