//! JSON views of admin records, shared by `--json` output and (later) the
//! admin socket. Key hashes are never part of a view.

use super::SettingView;
use crate::config::{Credential, Resource, Usage};
use serde_json::{Value, json};
use time::Date;
use time::format_description::well_known::Rfc3339;

fn timestamp(t: time::OffsetDateTime) -> Value {
    t.format(&Rfc3339).map(Value::from).unwrap_or(Value::Null)
}

pub fn setting(view: &SettingView) -> Value {
    json!({
        "key": view.spec.key,
        "label": view.spec.label,
        "value": view.value.to_json(),
        "default": view.spec.default_value().to_json(),
        "allowed": view.spec.range_text(),
        "source": view.source.name(),
    })
}

pub fn resource(r: &Resource) -> Value {
    let effective = r.effective_operations();
    json!({
        "id": r.id,
        "model": r.model,
        "company_id": r.company_id,
        "read_only": r.read_only,
        "can_read": r.operations.read,
        "can_create": r.operations.create,
        "can_write": r.operations.write,
        "can_delete": r.operations.delete,
        "effective_operations": effective.names(),
        "field_policy": r.field_policy.name(),
        "fields": r.field_policy.fields(),
        "record_filter": r.record_filter,
        // A stored filter that does not parse: the resource refuses every request.
        "record_filter_error": r.record_filter_domain().err().map(|e| e.0),
        "execute_methods": r.execute_methods,
        "created_at": timestamp(r.created_at),
        "updated_at": timestamp(r.updated_at),
    })
}

pub fn credential(c: &Credential, usage: &Usage, today: Date) -> Value {
    json!({
        "id": c.id,
        "label": c.label,
        "user_id": c.user_id,
        "login": c.login,
        "scope": c.scope.name(),
        "expires_on": c.expires_on.map(|d| d.to_string()),
        "company_id": c.company_id,
        "status": c.status(today),
        "created_at": timestamp(c.created_at),
        "revoked_at": c.revoked_at.map(timestamp),
        "key_prefix": c.key_prefix,
        "last_used": usage.last_used.map(timestamp),
        "last_ip": usage.last_ip,
        "request_count": usage.request_count,
    })
}
