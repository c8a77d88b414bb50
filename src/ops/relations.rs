//! Values that reach into other models cannot bypass their policy.
//!
//! A values object for create or update is checked field by field: the field
//! exists, the field policy allows writing it, a many2one points to a record
//! the caller may read, and each x2many command is checked against the
//! related model's resource (its toggles, field policy and record filter):
//! `[0, 0, vals]` needs create there (and `vals` is checked in turn),
//! `[1, id, vals]` write, `[2, id]` delete, `[3, id]` / `[4, id]` / `[6, 0, ids]`
//! and plain id lists need the ids to be readable. Every check that passes is
//! noted in a [`Plan`], which a dry run returns.

use super::Run;
use crate::config::Resource;
use crate::gateway::OpError;
use crate::policy::{self, Action};
use serde_json::{Map, Value, json};

/// Nested commands deeper than this are refused: no real form needs more.
const MAX_DEPTH: usize = 4;

/// What a write would touch, model by model.
#[derive(Debug, Default, Clone)]
pub struct Plan {
    steps: Vec<Value>,
}

impl Plan {
    pub fn note(&mut self, model: &str, action: &str, ids: &[i64], fields: Vec<String>) {
        self.steps.push(json!({"model": model, "action": action, "ids": ids, "fields": fields}));
    }

    pub fn into_json(self) -> Value {
        Value::Array(self.steps)
    }
}

fn ids_of(value: &Value) -> Option<Vec<i64>> {
    match value {
        Value::Array(items) => items.iter().map(|v| v.as_i64().filter(|id| *id > 0)).collect(),
        other => other.as_i64().filter(|id| *id > 0).map(|id| vec![id]),
    }
}

/// The ids must be records of `resource` the caller may read (a record
/// outside the filter is reported exactly like a missing one).
pub async fn require_readable(run: &Run<'_>, resource: &Resource, ids: &[i64], via: &str) -> Result<(), OpError> {
    policy::check_action(resource, run.caller(), Action::Read)?;
    let visible = run.visible_ids(resource, ids).await?;
    let missing: Vec<String> = ids.iter().filter(|id| !visible.contains(id)).map(i64::to_string).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(OpError::NotFound(format!("{via}: {} record(s) not found: {}", resource.model, missing.join(", "))))
    }
}

fn related_resource<'r>(run: &'r Run<'_>, field: &str, related: &str) -> Result<&'r Resource, OpError> {
    run.resource(related)
        .map_err(|_| OpError::Denied(format!("{field} refers to {related} records, which are not available to you")))
}

/// Checks one values object for `resource` (see the module doc).
pub async fn check_values(
    run: &Run<'_>,
    resource: &Resource,
    values: &Map<String, Value>,
    plan: &mut Plan,
    depth: usize,
) -> Result<(), OpError> {
    if depth > MAX_DEPTH {
        return Err(OpError::Invalid(format!("relation commands are nested deeper than {MAX_DEPTH} levels")));
    }
    policy::check_fields(resource, values.keys().map(String::as_str), "write")?;
    let schema = run.schema(&resource.model).await?;
    for (name, value) in values {
        if name == "id" {
            return Err(OpError::Invalid("id cannot be written".into()));
        }
        let field = schema.require(name)?;
        if field.attributes.get("readonly").and_then(Value::as_bool) == Some(true) {
            return Err(OpError::Invalid(format!("{name} is read-only in Odoo and cannot be written")));
        }
        check_type(name, field, value)?;
        let Some(related) = field.relation.clone() else { continue };
        if value.is_null() || value == &Value::Bool(false) {
            continue;
        }
        if field.kind == "many2one" {
            let ids = ids_of(value).ok_or_else(|| {
                OpError::Invalid(format!("{name} is a many2one: give a record id of {related} (or false)"))
            })?;
            let target = related_resource(run, name, &related)?.clone();
            require_readable(run, &target, &ids, name).await?;
            continue;
        }
        if !field.is_x2many() {
            continue;
        }
        let Value::Array(commands) = value else {
            return Err(OpError::Invalid(format!("{name} takes a list of commands or ids")));
        };
        let target = related_resource(run, name, &related)?.clone();
        // A plain list of ids replaces the set, like [6, 0, ids].
        if let Some(ids) = ids_of(value) {
            if !ids.is_empty() {
                require_readable(run, &target, &ids, name).await?;
            }
            plan.note(&related, "link", &ids, Vec::new());
            continue;
        }
        for command in commands {
            Box::pin(check_command(run, &target, name, command, plan, depth)).await?;
        }
    }
    Ok(())
}

/// The value's JSON type must fit the field's Odoo type (as `fields_get` says),
/// so a wrong value is refused here with a clear message, not deep in Odoo.
fn check_type(name: &str, field: &super::schema::FieldInfo, value: &Value) -> Result<(), OpError> {
    let unset = value.is_null() || value == &Value::Bool(false);
    let ok = match field.kind.as_str() {
        "char" | "text" | "html" | "binary" => unset || value.is_string(),
        "integer" => unset || value.is_i64(),
        "float" | "monetary" => unset || value.is_number(),
        "boolean" => value.is_boolean(),
        "date" => {
            unset
                || value.as_str().is_some_and(|d| {
                    time::Date::parse(d, &time::macros::format_description!("[year]-[month]-[day]")).is_ok()
                })
        }
        "datetime" => {
            unset
                || value.as_str().is_some_and(|d| {
                    time::PrimitiveDateTime::parse(
                        d,
                        &time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
                    )
                    .is_ok()
                })
        }
        "selection" => {
            let options: Vec<&str> = field
                .attributes
                .get("selection")
                .and_then(Value::as_array)
                .map(|o| o.iter().filter_map(|pair| pair.get(0).and_then(Value::as_str)).collect())
                .unwrap_or_default();
            if !unset && !value.as_str().is_some_and(|v| options.is_empty() || options.contains(&v)) {
                return Err(OpError::Invalid(format!("{name} must be one of {}; got {value}", options.join(", "))));
            }
            true
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let expected = match field.kind.as_str() {
            "date" => "a date \"YYYY-MM-DD\"".to_string(),
            "datetime" => "a datetime \"YYYY-MM-DD HH:MM:SS\" (UTC)".to_string(),
            "boolean" => "true or false".to_string(),
            kind => format!("a {kind} value (or false)"),
        };
        Err(OpError::Invalid(format!("{name} is a {} field: it takes {expected}; got {value}", field.kind)))
    }
}

async fn check_command(
    run: &Run<'_>,
    target: &Resource,
    field: &str,
    command: &Value,
    plan: &mut Plan,
    depth: usize,
) -> Result<(), OpError> {
    let parts = command.as_array().filter(|p| !p.is_empty()).ok_or_else(|| {
        OpError::Invalid(format!("{field}: each command is a list such as [0, 0, {{...}}], [4, id] or [6, 0, [ids]]"))
    })?;
    let code = parts[0].as_i64().unwrap_or(-1);
    let id = parts.get(1).and_then(Value::as_i64).filter(|id| *id > 0);
    let bad = || OpError::Invalid(format!("{field}: malformed command {command}"));
    match code {
        0 => {
            let vals = parts.get(2).and_then(Value::as_object).ok_or_else(bad)?;
            policy::check_action(target, run.caller(), Action::Create)?;
            Box::pin(check_values(run, target, vals, plan, depth + 1)).await?;
            plan.note(&target.model, "create", &[], vals.keys().cloned().collect());
        }
        1 => {
            let id = id.ok_or_else(bad)?;
            let vals = parts.get(2).and_then(Value::as_object).ok_or_else(bad)?;
            policy::check_action(target, run.caller(), Action::Write)?;
            require_readable(run, target, &[id], field).await?;
            Box::pin(check_values(run, target, vals, plan, depth + 1)).await?;
            plan.note(&target.model, "update", &[id], vals.keys().cloned().collect());
        }
        2 => {
            let id = id.ok_or_else(bad)?;
            policy::check_action(target, run.caller(), Action::Delete)?;
            require_readable(run, target, &[id], field).await?;
            plan.note(&target.model, "delete", &[id], Vec::new());
        }
        3 | 4 => {
            let id = id.ok_or_else(bad)?;
            require_readable(run, target, &[id], field).await?;
            plan.note(&target.model, if code == 3 { "unlink" } else { "link" }, &[id], Vec::new());
        }
        5 => plan.note(&target.model, "clear", &[], Vec::new()),
        6 => {
            let ids = parts.get(2).and_then(ids_of).ok_or_else(bad)?;
            if !ids.is_empty() {
                require_readable(run, target, &ids, field).await?;
            }
            plan.note(&target.model, "set", &ids, Vec::new());
        }
        _ => {
            return Err(OpError::Invalid(format!(
                "{field}: unknown command {command}; use 0 (create), 1 (update), 2 (delete), 3 (unlink), 4 (link), 5 (clear) or 6 (set)"
            )));
        }
    }
    Ok(())
}
