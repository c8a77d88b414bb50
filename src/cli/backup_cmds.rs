//! `alpenglow backup FILE [--with-audit]` and `alpenglow restore FILE`.
//!
//! The backup goes through the daemon's admin socket when one serves the
//! data directory (it holds the store), else reads the store directly. The
//! restore refuses while a daemon serves the directory: it replaces the
//! configuration under it, so the daemon is stopped first and started after.

use super::{BackupArgs, CliError, RestoreArgs, output};
use crate::admin::api::{BackupAuditPage, BackupConfig, BackupSnapshot};
use crate::admin_socket::{AdminClient, daemon_answers};
use crate::backup::file::{Header, Writer};
use crate::backup::{AUDIT_CHECKPOINTS, AUDIT_INDEXES, AUDIT_TREE, CONFIG_TREES, PAGE};
use crate::config::boot::BootConfig;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::Path;

/// Writes the backup a page at a time to `FILE.partial` (mode 0600), then
/// renames it, so a reader never sees half a backup; memory holds one page.
pub fn backup(api: &AdminClient, args: &BackupArgs, json: bool) -> Result<(), CliError> {
    let config = api.call(BackupConfig { with_audit: args.with_audit })?;
    let version = if config.alpenglow_version.is_empty() { "unknown" } else { &config.alpenglow_version };
    let header = Header {
        format: crate::backup::FORMAT,
        alpenglow_version: version.to_string(),
        created_at: config.created_at.clone(),
        with_audit: args.with_audit,
    };
    let tmp = args.file.with_extension("partial");
    let written = write_pages(api, config, &header, &tmp).and_then(|counts| {
        std::fs::rename(&tmp, &args.file).map_err(|e| io_failed(&args.file, e))?;
        Ok(counts)
    });
    let counts = written.inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    let count = |tree: &str| counts.get(tree).copied().unwrap_or(0);
    let summary = json!({
        "file": args.file.display().to_string(),
        "format": header.format,
        "created_at": header.created_at,
        "resources": count("resources"),
        "credentials": count("credentials"),
        "audit_entries": if args.with_audit { json!(count(AUDIT_TREE)) } else { Value::Null },
    });
    if json {
        output::json(&summary);
    } else {
        println!(
            "Backup written to {}: {} resources, {} credentials{}.",
            args.file.display(),
            count("resources"),
            count("credentials"),
            if args.with_audit { format!(", {} audit entries", count(AUDIT_TREE)) } else { String::new() }
        );
    }
    Ok(())
}

/// The configuration from `config` (the `backup.config` answer), then the
/// audit log page by page up to the id `config` fixed, entries before index
/// keys. Returns the entries written per tree.
fn write_pages(
    api: &AdminClient,
    config: BackupSnapshot,
    header: &Header,
    tmp: &Path,
) -> Result<BTreeMap<String, u64>, CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e| io_failed(tmp, e);
    let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(tmp).map_err(io)?;
    let mut writer = Writer::header(BufWriter::with_capacity(1 << 16, file), header).map_err(io)?;
    for tree in CONFIG_TREES {
        let entries = config
            .trees
            .get(*tree)
            .ok_or_else(|| CliError::Failed(format!("the backup answer lacks the {tree:?} table")))?;
        for chunk in entries.chunks(PAGE) {
            writer.chunk(tree, chunk).map_err(io)?;
        }
    }
    if header.with_audit
        && let Some(checkpoints) = config.trees.get(AUDIT_CHECKPOINTS)
    {
        for chunk in checkpoints.chunks(PAGE) {
            writer.chunk(AUDIT_CHECKPOINTS, chunk).map_err(io)?;
        }
    }
    let audit_until = config.audit_until;
    drop(config);
    if let Some(until) = audit_until.filter(|_| header.with_audit) {
        for tree in std::iter::once(&AUDIT_TREE).chain(AUDIT_INDEXES) {
            let mut after = None;
            loop {
                let request = BackupAuditPage { tree: tree.to_string(), until, after, limit: Some(PAGE as u64) };
                let page = api.call(request)?;
                writer.chunk(tree, &page.entries).map_err(io)?;
                after = page.after;
                if after.is_none() {
                    break;
                }
            }
        }
    }
    let counts = writer.counts().clone();
    let file = writer.finish().map_err(io)?.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(counts)
}

fn io_failed(path: &Path, e: std::io::Error) -> CliError {
    CliError::Failed(format!("cannot write the backup to {}: {e}", path.display()))
}

pub fn restore(boot: &BootConfig, args: &RestoreArgs, json: bool) -> Result<(), CliError> {
    if daemon_answers(&boot.admin_socket) {
        return Err(CliError::Failed(format!(
            "a daemon is serving {} (admin socket {}): stop it first (systemctl stop alpenglow), restore, then start it again",
            boot.data_dir.display(),
            boot.admin_socket.display()
        )));
    }
    // Before the store is opened, so a wrong path creates nothing.
    std::fs::File::open(&args.file)
        .map_err(|e| CliError::Failed(format!("cannot read {}: {e}", args.file.display())))?;
    let store = crate::store::Store::open_for(&boot.data_dir, "alpenglow restore")
        .map_err(|e| CliError::Failed(e.to_string()))?;
    let restored = crate::backup::restore(store.clone(), &args.file).map_err(|e| match e {
        crate::backup::BackupError::Invalid(m) => CliError::Invalid(format!("{}: {m}", args.file.display())),
        crate::backup::BackupError::Failed(m) => CliError::Failed(m),
    })?;
    // The restore itself goes in the (restored) audit log, as its next link.
    let mut entry = crate::audit::AuditEntry::new("admin", "local".into(), "restore");
    entry.actor = Some(crate::admin::Actor::cli_no_daemon().as_str().to_string());
    let restored_what = json!({
        "created_at": restored.created_at,
        "alpenglow_version": restored.alpenglow_version,
        "with_audit": restored.with_audit,
        "resources": restored.resources,
        "credentials": restored.credentials,
    });
    let target = args.file.display().to_string();
    entry.changes = Some(json!({"target": target, "old": null, "new": restored_what}).to_string());
    crate::audit::AuditLog::new(store)
        .append_durable(entry)
        .map_err(|e| CliError::Failed(format!("restored, but the restore's audit entry was not written: {e}")))?;
    if json {
        output::json(&json!({
            "data_dir": boot.data_dir.display().to_string(),
            "format": restored.format,
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
