//! The write operations: create, update, delete.
//!
//! Record filters on writes: update and delete first check that every id is
//! visible through the filter (an id outside it is "not found", like a
//! missing one). A create or update whose result would fall outside the
//! filter is refused before it happens where the filter can be evaluated on
//! the values (`undo::precheck`); otherwise it is checked afterwards and
//! undone (the new records deleted; old values, many2many links and
//! one2many lines put back) and refused.

use super::relations::{Plan, check_values};
use super::{Run, undo, upstream_error};
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
    let mut sent = Vec::with_capacity(values.len());
    for record in values {
        sent.push(check_values(run, resource, record, &[], &mut plan, 0).await?);
        plan.note(model, "create", &[], record.keys().cloned().collect());
    }
    if dry_run {
        return Ok(dry_run_result(plan, "create"));
    }
    let filter = policy::record_filter(resource)?;
    if !filter.is_empty() {
        for record in &sent {
            if undo::precheck(run, resource, &filter, &[], record).await?.iter().any(|(_, v)| *v == Some(false)) {
                run.note_filter(resource);
                return Err(OpError::Denied(format!(
                    "the new record would fall outside the records of {model} you may see; nothing was created"
                )));
            }
        }
    }
    let who = run.principal.identity();
    let ids = run.upstream.create(&who, model, &sent).await.map_err(upstream_error)?;
    if !filter.is_empty() {
        // What the pre-check could not tell (Odoo's defaults, computed
        // fields, dotted terms): checked on the records made, undone.
        let visible = run.visible_ids(resource, &ids).await?;
        if visible.len() != ids.len() {
            let undo = run.upstream.unlink(&who, model, &ids).await;
            let undone = if undo.is_ok() { "it was not kept" } else { "undoing it failed: tell an admin" };
            run.note_filter(resource);
            return Err(OpError::Denied(format!(
                "the new record would fall outside the records of {model} you may see; {undone}"
            )));
        }
    }
    Ok(json!({"ids": ids}))
}

/// The ids that are visible, or a not-found error listing the others.
pub(super) async fn require_visible(run: &Run<'_>, resource: &Resource, ids: &[i64]) -> Result<(), OpError> {
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
    let values = &check_values(run, resource, values, ids, &mut plan, 0).await?;
    if dry_run {
        plan.note(model, "update", ids, values.keys().cloned().collect());
        return Ok(dry_run_result(plan, "update"));
    }
    let who = run.principal.identity();
    let filter = policy::record_filter(resource)?;
    if filter.is_empty() {
        run.upstream.write(&who, model, ids, values).await.map_err(upstream_error)?;
        return Ok(json!({"ids": ids, "updated": true}));
    }
    let verdicts = undo::precheck(run, resource, &filter, ids, values).await?;
    let leaving: Vec<String> =
        verdicts.iter().filter(|(_, v)| *v == Some(false)).map(|(id, _)| id.to_string()).collect();
    if !leaving.is_empty() {
        run.note_filter(resource);
        return Err(OpError::Denied(format!(
            "this change would move {model} record(s) {} out of the records you may see; nothing was written",
            leaving.join(", ")
        )));
    }
    // What the pre-check could not tell is checked after the write, and
    // undone (x2many changes included) when a record left the filter.
    let snapshot = undo::Snapshot::take(run, model, ids, values).await?;
    run.upstream.write(&who, model, ids, values).await.map_err(upstream_error)?;
    let still = run.visible_ids(resource, ids).await?;
    if still.len() != ids.len() {
        let problems = snapshot.restore(run).await;
        let undone = if problems.is_empty() {
            "it was undone".to_string()
        } else {
            format!("undoing it failed for {}: tell an admin", problems.join("; "))
        };
        run.note_filter(resource);
        return Err(OpError::Denied(format!(
            "this change would move {model} records out of the records you may see; {undone}"
        )));
    }
    Ok(json!({"ids": ids, "updated": true}))
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
