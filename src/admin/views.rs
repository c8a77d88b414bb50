//! Admin records as the admin API's typed answers (`api::ResourceView`,
//! ...), shared by `--json` output, the admin socket and the dashboard.
//! Key hashes are never part of a view.

use super::SettingView;
use super::api::{
    ApprovalRulesView, AuditPage, AuditRecord, ClientView, CredentialView, JobReportView, ResourceView, Scalar,
    SessionView, SettingEntry,
};
use crate::config::{Credential, Resource, SettingValue, Usage};
use crate::jobs::JobReport;
use crate::sessions::{Session, SessionKind};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

fn timestamp(t: OffsetDateTime) -> Option<String> {
    t.format(&Rfc3339).ok()
}

pub fn scalar(value: &SettingValue) -> Scalar {
    match value {
        SettingValue::Bool(b) => Scalar::Bool(*b),
        SettingValue::Integer(i) => Scalar::Integer(*i),
        SettingValue::Text(t) => Scalar::Text(t.clone()),
    }
}

pub fn setting(view: &SettingView) -> SettingEntry {
    SettingEntry {
        key: view.spec.key.to_string(),
        label: view.spec.label.to_string(),
        value: scalar(&view.value),
        default: scalar(&view.spec.default_value()),
        allowed: view.spec.range_text(),
        source: view.source.name().to_string(),
    }
}

pub fn resource(r: &Resource) -> ResourceView {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
    ResourceView {
        id: r.id,
        model: r.model.clone(),
        company_id: r.company_id,
        read_only: r.read_only,
        can_read: r.operations.read,
        can_create: r.operations.create,
        can_write: r.operations.write,
        can_delete: r.operations.delete,
        effective_operations: names(&r.effective_operations().names()),
        field_policy: r.field_policy.name().to_string(),
        fields: r.field_policy.fields().to_vec(),
        record_filter: r.record_filter.clone(),
        record_filter_error: r.record_filter_domain().err().map(|e| e.0),
        execute_methods: r.execute_methods.clone(),
        approvals: ApprovalRulesView {
            create: r.approvals.create.name().into(),
            write: r.approvals.write.name().into(),
            delete: r.approvals.delete.name().into(),
            execute: r.approvals.execute.name().into(),
            write_over: r.approvals.write_over,
            execute_methods: r.approvals.execute_methods.clone(),
            summary: r.approvals.describe(),
        },
        created_at: timestamp(r.created_at),
        updated_at: timestamp(r.updated_at),
        warning: None,
    }
}

pub fn credential(c: &Credential, usage: &Usage, today: Date) -> CredentialView {
    CredentialView {
        id: c.id,
        label: c.label.clone(),
        user_id: c.user_id,
        login: c.login.clone(),
        scope: c.scope.name().to_string(),
        expires_on: c.expires_on.map(|d| d.to_string()),
        company_id: c.company_id,
        status: c.status(today).to_string(),
        created_at: timestamp(c.created_at),
        revoked_at: c.revoked_at.and_then(timestamp),
        key_prefix: c.key_prefix.clone(),
        last_used: usage.last_used.and_then(timestamp),
        last_ip: usage.last_ip.clone(),
        request_count: usage.request_count,
    }
}

pub fn session(s: &Session) -> SessionView {
    let at = |t: &OffsetDateTime| timestamp(*t).unwrap_or_default();
    let info = &s.info;
    SessionView {
        id: s.id.clone(),
        kind: match s.kind {
            SessionKind::Mcp => "mcp",
            SessionKind::Stream => "stream",
        }
        .to_string(),
        face: info.face.clone(),
        started_at: at(&s.started_at),
        last_activity: at(&s.last_activity),
        client: ClientView { name: info.client_name.clone(), version: info.client_version.clone() },
        protocol: info.protocol.clone(),
        ip: info.ip.clone(),
        credential_id: info.credential_id,
        credential: info.credential_label.clone(),
        uid: info.uid,
        requests: s.request_count,
        state: s.state.name().to_string(),
        active: s.is_active(),
        ended_at: s.ended_at.as_ref().map(at),
    }
}

pub fn job_report(r: &JobReport) -> JobReportView {
    JobReportView {
        job: r.job.name().to_string(),
        affected: r.affected,
        summary: r.summary.clone(),
        elapsed_ms: r.elapsed.as_secs_f64() * 1000.0,
    }
}

/// A page of the audit log; each entry as the audit log exports it.
pub fn audit_page(page: &crate::audit::AuditPage) -> AuditPage {
    let record = |e: &crate::audit::AuditEntry| match e.to_json() {
        serde_json::Value::Object(json) => AuditRecord::from(json),
        _ => AuditRecord::default(),
    };
    AuditPage { entries: page.entries.iter().map(record).collect(), next_cursor: page.next_cursor, count: None }
}
