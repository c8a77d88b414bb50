//! The backup file, written and read one line at a time so that neither
//! side ever holds more than one chunk.
//!
//! Format 2 (JSON Lines): a header `{"alpenglow_backup": 2,
//! "alpenglow_version", "created_at", "with_audit"}`; then chunks
//! `{"tree": name, "entries": [[key, value], ...]}` (base64 of the store's
//! bytes, at most a page each, a tree's chunks in key order); then a closing
//! line `{"counts": {tree: entries}}` naming every tree of the backup. A
//! file without that line, or whose chunks do not add up to it, is
//! incomplete and refused.
//!
//! Format 1 (one JSON document, `{"alpenglow_backup": 1, ..., "trees":
//! {name: [[key, value], ...]}}`) is still read, as a whole.

use super::{AUDIT_CHECKPOINTS, AUDIT_INDEXES, AUDIT_TREE, BackupError, CONFIG_TREES, FORMAT, RawPair};
use crate::store::RawEntries;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

/// What the first line says.
#[derive(Debug, Clone)]
pub struct Header {
    pub format: u64,
    pub alpenglow_version: String,
    pub created_at: String,
    pub with_audit: bool,
}

impl Header {
    /// The trees a backup with this header holds, configuration first.
    pub fn trees(&self) -> Vec<&'static str> {
        let mut trees = CONFIG_TREES.to_vec();
        if self.with_audit {
            trees.push(AUDIT_TREE);
            trees.extend_from_slice(AUDIT_INDEXES);
            trees.push(AUDIT_CHECKPOINTS);
        }
        trees
    }
}

/// Writes a format 2 file: [`Writer::header`], chunks, [`Writer::finish`].
pub struct Writer<W: Write> {
    out: W,
    counts: BTreeMap<String, u64>,
}

impl<W: Write> Writer<W> {
    /// Writes the header line. Every tree of the backup is counted from
    /// here, so an empty tree still appears (with 0) in the closing line.
    pub fn header(mut out: W, header: &Header) -> std::io::Result<Writer<W>> {
        let line = json!({
            "alpenglow_backup": FORMAT,
            "alpenglow_version": header.alpenglow_version,
            "created_at": header.created_at,
            "with_audit": header.with_audit,
        });
        writeln!(out, "{line}")?;
        let counts = header.trees().into_iter().map(|t| (t.to_string(), 0)).collect();
        Ok(Writer { out, counts })
    }

    /// One chunk of `tree`: `[key, value]` pairs already in base64, as the
    /// admin API hands them out. An empty chunk writes nothing.
    pub fn chunk(&mut self, tree: &str, entries: &[RawPair]) -> std::io::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        writeln!(self.out, "{}", json!({"tree": tree, "entries": entries}))?;
        *self.counts.entry(tree.to_string()).or_default() += entries.len() as u64;
        Ok(())
    }

    /// Entries written so far per tree.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }

    /// Writes the closing line and hands back the output (to flush and sync).
    pub fn finish(mut self) -> std::io::Result<W> {
        writeln!(self.out, "{}", json!({"counts": self.counts}))?;
        Ok(self.out)
    }
}

/// Raw pairs as the file and the admin API carry them.
pub fn encode_entries(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<RawPair> {
    entries.iter().map(|(k, v)| (STANDARD.encode(k), STANDARD.encode(v))).collect()
}

/// Reads a backup from `input`, format 1 or 2: checks the header (a newer
/// format is refused), then hands each chunk to `chunk` in file order.
/// Format 2 is read line by line; a missing or disagreeing closing line is
/// refused once the last chunk has been handed over, so a caller that must
/// not act on an incomplete file reads it through once with a `chunk` that
/// does nothing (see `restore`).
pub fn read(
    mut input: impl BufRead,
    mut chunk: impl FnMut(&str, RawEntries) -> Result<(), BackupError>,
) -> Result<Header, BackupError> {
    let mut first = String::new();
    input.read_line(&mut first).map_err(read_error)?;
    let head: Value = match serde_json::from_str(&first) {
        Ok(value) => value,
        // Not one JSON value on the first line: maybe a format 1 document
        // that was pretty-printed; read it whole.
        Err(_) => {
            let mut rest = first;
            input.read_to_string(&mut rest).map_err(read_error)?;
            serde_json::from_str(&rest)
                .map_err(|e| invalid(format!("this is not an Alpenglow backup (not JSON: {e})")))?
        }
    };
    let header = check_header(&head)?;
    if header.format == 1 {
        read_format1(&head, &header, chunk)?;
        return Ok(header);
    }
    let wanted = header.trees();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let mut line = String::new();
    let mut number = 1;
    let counts = loop {
        line.clear();
        number += 1;
        if input.read_line(&mut line).map_err(read_error)? == 0 {
            return Err(invalid(format!(
                "the backup is incomplete: it ends after line {} without its closing counts line (was the backup interrupted, or the file cut short?)",
                number - 1
            )));
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut value: Value = serde_json::from_str(&line).map_err(|e| {
            invalid(format!("the backup is damaged: line {number} is not JSON ({e}); a file cut short ends like this"))
        })?;
        if let Some(counts) = value.get_mut("counts") {
            break counts.take();
        }
        let Some(tree) = value["tree"].as_str().and_then(|t| wanted.iter().find(|w| **w == t)) else {
            return Err(invalid(format!(
                "line {number} is neither a chunk of one of the tables {} nor the closing counts line",
                wanted.join(", ")
            )));
        };
        let entries = decode_entries(tree, &value["entries"], || format!("line {number}"))?;
        *seen.entry(tree.to_string()).or_default() += entries.len() as u64;
        chunk(tree, entries)?;
    };
    // Nothing may follow the closing line.
    loop {
        line.clear();
        number += 1;
        if input.read_line(&mut line).map_err(read_error)? == 0 {
            break;
        }
        if !line.trim().is_empty() {
            return Err(invalid(format!("the backup is damaged: line {number} follows the closing counts line")));
        }
    }
    for tree in &wanted {
        let promised = match counts[*tree].as_u64() {
            Some(n) => n,
            // Written by a release before this table existed: it had none.
            None if super::LATER_TREES.contains(tree) => 0,
            None => {
                return Err(invalid(format!(
                    "the backup is damaged: its closing line has no count for the {tree:?} table"
                )));
            }
        };
        let found = seen.get(*tree).copied().unwrap_or(0);
        if found != promised {
            return Err(invalid(format!(
                "the backup is incomplete: the {tree:?} table has {found} entries where the closing line says {promised}"
            )));
        }
    }
    Ok(header)
}

fn check_header(head: &Value) -> Result<Header, BackupError> {
    let format = head["alpenglow_backup"]
        .as_u64()
        .ok_or_else(|| invalid("this is not an Alpenglow backup (no \"alpenglow_backup\" format number)"))?;
    let alpenglow_version = head["alpenglow_version"].as_str().unwrap_or("unknown").to_string();
    if format == 0 {
        return Err(invalid("this is not an Alpenglow backup (format 0 does not exist)"));
    }
    if format > FORMAT {
        return Err(invalid(format!(
            "this backup has format {format}, written by Alpenglow {alpenglow_version}; this Alpenglow ({}) reads format {FORMAT} and older: upgrade Alpenglow to restore it",
            env!("CARGO_PKG_VERSION")
        )));
    }
    let with_audit = match format {
        // Format 1 says it by carrying the audit table.
        1 => head["trees"].get(AUDIT_TREE).is_some(),
        _ => head["with_audit"]
            .as_bool()
            .ok_or_else(|| invalid("the backup's first line has no \"with_audit\" true or false"))?,
    };
    Ok(Header {
        format,
        alpenglow_version,
        created_at: head["created_at"].as_str().unwrap_or_default().to_string(),
        with_audit,
    })
}

fn read_format1(
    document: &Value,
    header: &Header,
    mut chunk: impl FnMut(&str, RawEntries) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    let trees: &Map<String, Value> =
        document["trees"].as_object().ok_or_else(|| invalid("the backup has no \"trees\" object"))?;
    for tree in header.trees() {
        if super::LATER_TREES.contains(&tree) && !trees.contains_key(tree) {
            continue;
        }
        let entries = trees.get(tree).ok_or_else(|| invalid(format!("the backup lacks the {tree:?} table")))?;
        chunk(tree, decode_entries(tree, entries, || format!("the {tree:?} table"))?)?;
    }
    Ok(())
}

/// `[[key, value], ...]` in base64 to raw pairs; `place` names where they are.
fn decode_entries(tree: &str, entries: &Value, place: impl Fn() -> String) -> Result<RawEntries, BackupError> {
    let entries = entries.as_array().ok_or_else(|| invalid(format!("{} has no \"entries\" list", place())))?;
    let mut pairs = Vec::with_capacity(entries.len());
    for (i, pair) in entries.iter().enumerate() {
        let bad =
            || invalid(format!("entry {i} of the {tree:?} table ({}) is not a [key, value] pair of base64", place()));
        let (Some(k), Some(v)) = (pair[0].as_str(), pair[1].as_str()) else { return Err(bad()) };
        pairs.push((STANDARD.decode(k).map_err(|_| bad())?, STANDARD.decode(v).map_err(|_| bad())?));
    }
    Ok(pairs)
}

fn invalid(message: impl Into<String>) -> BackupError {
    BackupError::Invalid(message.into())
}

fn read_error(e: std::io::Error) -> BackupError {
    match e.kind() {
        std::io::ErrorKind::InvalidData => invalid("this is not an Alpenglow backup (not text)"),
        _ => BackupError::Failed(format!("cannot read the backup: {e}")),
    }
}
