//! The audit entry's older layouts, read by `AuditEntry::upgrade`.

use super::{AuditEntry, GENESIS, Hash, Outcome};
use serde::{Deserialize, Serialize};

/// Layout 1, before the hash chain: the same fields up to `duration_us`.
#[derive(Serialize, Deserialize)]
pub(crate) struct EntryV1 {
    id: u64,
    time_us: i64,
    face: String,
    credential_id: Option<u64>,
    credential_label: Option<String>,
    uid: Option<i64>,
    login: Option<String>,
    company_id: Option<i64>,
    client_ip: String,
    session: Option<String>,
    tool: String,
    model: Option<String>,
    record_ids: Vec<i64>,
    record_id_count: Option<u64>,
    domain: Option<String>,
    fields: Option<String>,
    values: Option<String>,
    outcome: Outcome,
    error: Option<String>,
    records_returned: Option<u64>,
    duration_us: u64,
}

/// Layout 2, before approvals: the same fields up to `hash`.
#[derive(Serialize, Deserialize)]
pub(crate) struct EntryV2 {
    id: u64,
    time_us: i64,
    face: String,
    credential_id: Option<u64>,
    credential_label: Option<String>,
    uid: Option<i64>,
    login: Option<String>,
    company_id: Option<i64>,
    client_ip: String,
    session: Option<String>,
    tool: String,
    model: Option<String>,
    record_ids: Vec<i64>,
    record_id_count: Option<u64>,
    domain: Option<String>,
    fields: Option<String>,
    values: Option<String>,
    outcome: Outcome,
    error: Option<String>,
    records_returned: Option<u64>,
    duration_us: u64,
    actor: Option<String>,
    changes: Option<String>,
    seq: u64,
    prev_hash: Hash,
    hash: Hash,
}

impl From<EntryV2> for AuditEntry {
    fn from(old: EntryV2) -> AuditEntry {
        AuditEntry {
            id: old.id,
            time_us: old.time_us,
            face: old.face,
            credential_id: old.credential_id,
            credential_label: old.credential_label,
            uid: old.uid,
            login: old.login,
            company_id: old.company_id,
            client_ip: old.client_ip,
            session: old.session,
            tool: old.tool,
            model: old.model,
            record_ids: old.record_ids,
            record_id_count: old.record_id_count,
            domain: old.domain,
            fields: old.fields,
            values: old.values,
            outcome: old.outcome,
            error: old.error,
            records_returned: old.records_returned,
            duration_us: old.duration_us,
            actor: old.actor,
            changes: old.changes,
            seq: old.seq,
            prev_hash: old.prev_hash,
            hash: old.hash,
            approval_id: None,
        }
    }
}

/// An entry of layout 1 has no place in the chain (`seq` 0).
impl From<EntryV1> for AuditEntry {
    fn from(old: EntryV1) -> AuditEntry {
        AuditEntry {
            id: old.id,
            time_us: old.time_us,
            face: old.face,
            credential_id: old.credential_id,
            credential_label: old.credential_label,
            uid: old.uid,
            login: old.login,
            company_id: old.company_id,
            client_ip: old.client_ip,
            session: old.session,
            tool: old.tool,
            model: old.model,
            record_ids: old.record_ids,
            record_id_count: old.record_id_count,
            domain: old.domain,
            fields: old.fields,
            values: old.values,
            outcome: old.outcome,
            error: old.error,
            records_returned: old.records_returned,
            duration_us: old.duration_us,
            actor: None,
            changes: None,
            seq: 0,
            prev_hash: GENESIS,
            hash: GENESIS,
            approval_id: None,
        }
    }
}
