//! The write operations: create, update, delete.
//!
//! Record filters on writes: update and delete first check that every id is
//! visible through the filter (an id outside it is "not found", like a
//! missing one). A create or update whose result falls outside the filter is
//! undone (the new records deleted, the old values written back) and refused:
//! a pre-check cannot evaluate a domain on a record that does not exist yet.

use super::relations::{Plan, check_values};
use super::{Run, upstream_error};
use crate::config::Resource;
use crate::policy::{self, Action};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

pub(super) async fn create(
    run: &Run<'_>,
    model: &str,
    values: &[Map<String, Value>],
    dry_run: bool,
) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Create)?;
    if values.len() > run.settings.max_records_per_request as usize {
        return Err(OpError::Invalid(format!(
            "{} records given; at most {} per request (Max Records per Request)",
            values.len(),
            run.settings.max_records_per_request
        )));
    }
    let mut plan = Plan::default();
    for record in values {
        check_values(run, resource, record, &[], &mut plan, 0).await?;
        plan.note(model, "create", &[], record.keys().cloned().collect());
    }
    if dry_run {
        return Ok(dry_run_result(plan, "create"));
    }
    let who = run.principal.identity();
    let ids = run.upstream.create(&who, model, values).await.map_err(upstream_error)?;
    if !resource.record_filter.is_empty() {
        let visible = run.visible_ids(resource, &ids).await?;
        if visible.len() != ids.len() {
            let undo = run.upstream.unlink(&who, model, &ids).await;
            let undone = if undo.is_ok() { "it was not kept" } else { "undoing it failed: tell an admin" };
            return Err(OpError::Denied(format!(
                "the new record would fall outside the record filter of {model} ({}); {undone}",
                resource.record_filter
            )));
        }
    }
    Ok(json!({"ids": ids}))
}

/// The ids that are visible, or a not-found error listing the others.
async fn require_visible(run: &Run<'_>, resource: &Resource, ids: &[i64]) -> Result<(), OpError> {
    policy::check_id_count(ids, run.settings)?;
    let visible = run.visible_ids(resource, ids).await?;
    let missing: Vec<String> = ids.iter().filter(|id| !visible.contains(id)).map(i64::to_string).collect();
    if !missing.is_empty() {
        return Err(OpError::NotFound(format!(
            "{} record(s) not found: {}; search first to find valid ids",
            resource.model,
            missing.join(", ")
        )));
    }
    Ok(())
}

pub(super) async fn update(
    run: &Run<'_>,
    model: &str,
    ids: &[i64],
    values: &Map<String, Value>,
    dry_run: bool,
) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Write)?;
    let mut plan = Plan::default();
    // The ids first: the one2many checks look at these records' lines.
    require_visible(run, resource, ids).await?;
    check_values(run, resource, values, ids, &mut plan, 0).await?;
    if dry_run {
        plan.note(model, "update", ids, values.keys().cloned().collect());
        return Ok(dry_run_result(plan, "update"));
    }
    let who = run.principal.identity();
    // Keep the old values of plain fields, to undo a write that would move a
    // record out of the record filter.
    let filtered = !resource.record_filter.is_empty();
    let schema = run.schema(model).await?;
    let restorable: Vec<String> =
        values.keys().filter(|k| schema.field(k).is_some_and(|f| !f.is_x2many())).cloned().collect();
    let before = if filtered && !restorable.is_empty() {
        run.upstream.read(&who, model, ids, Some(&restorable)).await.map_err(upstream_error)?
    } else {
        Vec::new()
    };
    run.upstream.write(&who, model, ids, values).await.map_err(upstream_error)?;
    if filtered {
        let still = run.visible_ids(resource, ids).await?;
        if still.len() != ids.len() {
            for row in before {
                let Some(id) = row.get("id").and_then(Value::as_i64) else { continue };
                let old: Map<String, Value> =
                    row.into_iter().filter(|(k, _)| k != "id").map(|(k, v)| (k, many2one_id(v))).collect();
                let _ = run.upstream.write(&who, model, &[id], &old).await;
            }
            return Err(OpError::Denied(format!(
                "this change would move records out of the record filter of {model} ({}); it was undone",
                resource.record_filter
            )));
        }
    }
    Ok(json!({"ids": ids, "updated": true}))
}

/// Odoo reads a many2one as `[id, name]` but writes it as `id`.
fn many2one_id(value: Value) -> Value {
    match value {
        Value::Array(pair) if pair.len() == 2 && pair[0].is_i64() && pair[1].is_string() => pair[0].clone(),
        other => other,
    }
}

pub(super) async fn delete(run: &Run<'_>, model: &str, ids: &[i64], dry_run: bool) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Delete)?;
    require_visible(run, resource, ids).await?;
    if dry_run {
        let mut plan = Plan::default();
        plan.note(model, "delete", ids, Vec::new());
        return Ok(dry_run_result(plan, "delete"));
    }
    run.upstream.unlink(&run.principal.identity(), model, ids).await.map_err(upstream_error)?;
    Ok(json!({"ids": ids, "deleted": true}))
}

/// What a dry run answers: every check passed, nothing was written.
fn dry_run_result(plan: Plan, operation: &str) -> Value {
    json!({
        "dry_run": true,
        "operation": operation,
        "would": plan.into_json(),
        "note": "every check passed (authentication, scope, policy, relations, field types, record filter); nothing was written. A record filter on new records is checked when the real call runs."
    })
}
