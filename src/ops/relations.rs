//! Values that reach into other models cannot bypass their policy.
//!
//! A values object for create or update is checked field by field: the field
//! exists, the field policy allows writing it, a many2one points to a record
//! the caller may read, and each x2many command is checked against the
//! related model's resource (its toggles, field policy and record filter):
//! `[0, 0, vals]` needs create there (and `vals` is checked in turn),
//! `[1, id, vals]` write (both refused when that model has a record filter:
//! the record's place in it cannot be checked inside another write), `[2, id]` delete, `[3, id]` / `[4, id]` / `[6, 0, ids]`
//! and plain id lists need the ids to be readable. Every check that passes is
//! noted in a [`Plan`], which a dry run returns.
//!
//! A one2many is more than a set: linking a record (`[4, id]`, `[6, 0, ids]`,
//! a plain id list) writes its inverse field, so it needs write on the related
//! model and that field; removing one (`[3, id]`, `[5]`, the records `[6, 0,
//! ids]` leaves out) deletes it in Odoo when the inverse is `ondelete=
//! 'cascade'` (a sales order line taken out of its order) and clears the
//! inverse otherwise. `fields_get` does not tell which, so a removal needs
//! delete there, plus write and the inverse field when that is not required;
//! `[5]` / `[6]` are refused when the records they would remove include one
//! the caller may not see.
//!
//! A many2many only links: `[5]`, `[6, 0, ids]` and a plain id list on an
//! existing record would also drop its links to records the caller cannot
//! see. Those links are kept: the command is rewritten into `[3, id]` for
//! each visible member it removes and `[4, id]` for each id it sets, so the
//! hidden members stay, unnamed. [`check_values`] returns the values to send.

use super::Run;
use crate::config::Resource;
use crate::policy::{self, Action};
use crate::vocab::OpError;
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
///
/// `parents` are the records being written (none for a create): a one2many
/// command that removes records acts on their current ones.
pub async fn check_values(
    run: &Run<'_>,
    resource: &Resource,
    values: &Map<String, Value>,
    parents: &[i64],
    plan: &mut Plan,
    depth: usize,
) -> Result<Map<String, Value>, OpError> {
    let mut out = values.clone();
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
        let one2many = field.kind == "one2many";
        let inverse = field.attributes.get("relation_field").and_then(Value::as_str).map(str::to_string);
        let link =
            Link { field: name, resource_model: resource.model.clone(), target: &target, one2many, inverse, parents };
        let mut sent = Vec::with_capacity(commands.len());
        // A plain list of ids replaces the set, like [6, 0, ids]; an empty
        // list is no command at all in Odoo (`write_batch`), so it changes nothing.
        if !commands.is_empty()
            && let Some(ids) = ids_of(value)
        {
            check_set(run, &link, &ids, plan).await?;
            sent = match keep_hidden_links(run, &link, Some(&ids), &[]).await? {
                Some(rewritten) => rewritten,
                None => commands.clone(),
            };
        } else {
            // Ids linked by the commands before, which a later [5] / [6]
            // must unlink too when it is rewritten.
            let mut linked: Vec<i64> = Vec::new();
            for command in commands {
                let out = Box::pin(check_command(run, &link, command, plan, depth, &linked)).await?;
                for c in &out {
                    match (c.get(0).and_then(Value::as_i64), c.get(1).and_then(Value::as_i64)) {
                        (Some(4), Some(id)) if !linked.contains(&id) => linked.push(id),
                        (Some(3), Some(id)) => linked.retain(|l| *l != id),
                        _ => {}
                    }
                }
                sent.extend(out);
            }
        }
        out.insert(name.clone(), Value::Array(sent));
    }
    Ok(out)
}

/// For `[5]` (`ids` None) or `[6, 0, ids]` on a many2many of existing
/// records: when the records link to members the caller cannot see, the
/// commands that remove only the visible members (and those `earlier`
/// commands of the same list linked) and link `ids`; None when the command
/// may go as it is (a one2many, a create, no hidden member).
async fn keep_hidden_links(
    run: &Run<'_>,
    link: &Link<'_>,
    ids: Option<&[i64]>,
    earlier: &[i64],
) -> Result<Option<Vec<Value>>, OpError> {
    if link.one2many || link.parents.is_empty() {
        return Ok(None);
    }
    // The members as the caller reads them (Odoo's own rules already apply).
    let rows = run
        .upstream
        .read(&run.principal.identity(), &link.resource_model, link.parents, Some(&[link.field.to_string()]))
        .await
        .map_err(super::upstream_error)?;
    let mut members: Vec<i64> = Vec::new();
    for row in &rows {
        for id in row.get(link.field).and_then(ids_of).unwrap_or_default() {
            if !members.contains(&id) {
                members.push(id);
            }
        }
    }
    let visible = run.visible_ids(link.target, &members).await?;
    if visible.len() == members.len() {
        return Ok(None);
    }
    let keep: &[i64] = ids.unwrap_or(&[]);
    let mut gone: Vec<i64> = visible.iter().copied().filter(|id| !keep.contains(id)).collect();
    for id in earlier {
        if !keep.contains(id) && !gone.contains(id) {
            gone.push(*id);
        }
    }
    let mut commands: Vec<Value> = gone.iter().map(|id| json!([3, id])).collect();
    commands.extend(keep.iter().map(|id| json!([4, id])));
    Ok(Some(commands))
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

/// One x2many field being written.
struct Link<'a> {
    field: &'a str,
    /// The model that has the field.
    resource_model: String,
    target: &'a Resource,
    one2many: bool,
    /// A one2many's inverse many2one (Odoo always names it; if not, the
    /// checks assume the worst).
    inverse: Option<String>,
    parents: &'a [i64],
}

/// Linking `ids` to a one2many writes their inverse field.
async fn check_link(run: &Run<'_>, link: &Link<'_>, ids: &[i64], plan: &mut Plan) -> Result<(), OpError> {
    if ids.is_empty() {
        return Ok(());
    }
    require_readable(run, link.target, ids, link.field).await?;
    if link.one2many {
        policy::check_action(link.target, run.caller(), Action::Write)?;
        let inverse: Vec<String> = link.inverse.iter().cloned().collect();
        policy::check_fields(link.target, inverse.iter().map(String::as_str), "write")?;
        plan.note(&link.target.model, "update", ids, inverse);
    }
    Ok(())
}

/// Removing `ids` from a one2many: Odoo deletes them when their inverse
/// many2one is `ondelete='cascade'`, and clears the inverse otherwise (which
/// a required inverse refuses). `fields_get` does not tell `ondelete`, so a
/// removal needs delete there, and, when the inverse may be cleared (it is
/// not required), write and the inverse field too. A many2many only forgets
/// the link.
async fn check_removal(run: &Run<'_>, link: &Link<'_>, ids: &[i64], plan: &mut Plan) -> Result<(), OpError> {
    if !link.one2many {
        plan.note(&link.target.model, "unlink", ids, Vec::new());
        return Ok(());
    }
    if ids.is_empty() {
        return Ok(());
    }
    let schema = run.schema(&link.target.model).await?;
    let inverse = link.inverse.as_deref();
    let required = inverse
        .and_then(|name| schema.field(name))
        .and_then(|f| f.attributes.get("required"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let (field, model) = (link.field, &link.target.model);
    policy::check_action(link.target, run.caller(), Action::Delete).map_err(|_| {
        OpError::Denied(match (required, inverse) {
            (false, Some(inverse)) => format!(
                "{field}: removing {model} records from it may delete them in Odoo (it does when {inverse} is ondelete=cascade, which Odoo's field list does not show), and you may not delete {model} records; to detach them, update their {inverse} instead"
            ),
            _ => format!("{field}: removing {model} records from it deletes them in Odoo, and you may not delete {model} records"),
        })
    })?;
    if let (false, Some(inverse)) = (required, inverse) {
        policy::check_action(link.target, run.caller(), Action::Write)?;
        policy::check_fields(link.target, [inverse], "write")?;
        plan.note(model, "update", ids, vec![inverse.to_string()]);
    }
    plan.note(model, "delete", ids, Vec::new());
    Ok(())
}

/// The records of `link.target` now linked to the parents, each of which the
/// caller must be able to see (they are about to be removed).
async fn current_members(run: &Run<'_>, link: &Link<'_>) -> Result<Vec<i64>, OpError> {
    if !link.one2many || link.parents.is_empty() {
        return Ok(Vec::new());
    }
    let Some(inverse) = &link.inverse else {
        return Err(OpError::Invalid(format!(
            "{}: Odoo does not say which field links {} records back, so they cannot be replaced or cleared \
here; use [2, id] to delete lines one by one",
            link.field, link.target.model
        )));
    };
    // Like every record a command names, the ones it removes must be readable.
    policy::check_action(link.target, run.caller(), Action::Read)?;
    let query = crate::upstream::SearchQuery { domain: json!([[inverse, "in", link.parents]]), ..Default::default() };
    let members = run
        .upstream
        .search(&run.principal.identity(), &link.target.model, &query)
        .await
        .map_err(super::upstream_error)?;
    let visible = run.visible_ids(link.target, &members).await?;
    if visible.len() != members.len() {
        return Err(OpError::Denied(format!(
            "{}: this would remove {} records you may not see; remove the ones you mean with [3, id] or [2, id]",
            link.field, link.target.model
        )));
    }
    Ok(members)
}

/// `[6, 0, ids]` or a plain id list: the set becomes exactly `ids`.
async fn check_set(run: &Run<'_>, link: &Link<'_>, ids: &[i64], plan: &mut Plan) -> Result<(), OpError> {
    let current = current_members(run, link).await?;
    let added: Vec<i64> = ids.iter().copied().filter(|id| !current.contains(id)).collect();
    let removed: Vec<i64> = current.iter().copied().filter(|id| !ids.contains(id)).collect();
    if link.one2many {
        check_link(run, link, &added, plan).await?;
        check_removal(run, link, &removed, plan).await?;
    } else if !ids.is_empty() {
        require_readable(run, link.target, ids, link.field).await?;
    }
    plan.note(&link.target.model, "set", ids, Vec::new());
    Ok(())
}

/// A record created or changed through a relation could land outside the
/// related model's record filter, and no filter can be evaluated on a record
/// before it exists; the direct operation checks it afterwards (and undoes),
/// so nested creates and updates of a filtered model are refused in favour
/// of it.
fn refuse_when_filtered(run: &Run<'_>, target: &Resource, field: &str, verb: &str) -> Result<(), OpError> {
    if target.record_filter.is_empty() {
        return Ok(());
    }
    run.note_filter(target);
    Err(OpError::Denied(format!(
        "{field}: {model} records have a record filter, which a {verb} inside another record cannot be checked \
against; {verb} {model} records with alpenglow_{verb} instead, where the filter applies",
        model = target.model,
    )))
}

async fn check_command(
    run: &Run<'_>,
    link: &Link<'_>,
    command: &Value,
    plan: &mut Plan,
    depth: usize,
    linked: &[i64],
) -> Result<Vec<Value>, OpError> {
    let (target, field) = (link.target, link.field);
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
            refuse_when_filtered(run, target, field, "create")?;
            let sent = Box::pin(check_values(run, target, vals, &[], plan, depth + 1)).await?;
            plan.note(&target.model, "create", &[], vals.keys().cloned().collect());
            return Ok(vec![json!([0, parts.get(1).cloned().unwrap_or(json!(0)), sent])]);
        }
        1 => {
            let id = id.ok_or_else(bad)?;
            let vals = parts.get(2).and_then(Value::as_object).ok_or_else(bad)?;
            policy::check_action(target, run.caller(), Action::Write)?;
            require_readable(run, target, &[id], field).await?;
            refuse_when_filtered(run, target, field, "update")?;
            let sent = Box::pin(check_values(run, target, vals, &[id], plan, depth + 1)).await?;
            plan.note(&target.model, "update", &[id], vals.keys().cloned().collect());
            return Ok(vec![json!([1, id, sent])]);
        }
        2 => {
            let id = id.ok_or_else(bad)?;
            policy::check_action(target, run.caller(), Action::Delete)?;
            require_readable(run, target, &[id], field).await?;
            plan.note(&target.model, "delete", &[id], Vec::new());
        }
        3 => {
            let id = id.ok_or_else(bad)?;
            require_readable(run, target, &[id], field).await?;
            check_removal(run, link, &[id], plan).await?;
        }
        4 => {
            let id = id.ok_or_else(bad)?;
            require_readable(run, target, &[id], field).await?;
            check_link(run, link, &[id], plan).await?;
            plan.note(&target.model, "link", &[id], Vec::new());
        }
        5 => {
            let current = current_members(run, link).await?;
            check_removal(run, link, &current, plan).await?;
            plan.note(&target.model, "clear", &[], Vec::new());
            if let Some(rewritten) = keep_hidden_links(run, link, None, linked).await? {
                return Ok(rewritten);
            }
        }
        6 => {
            let ids = parts.get(2).and_then(ids_of).ok_or_else(bad)?;
            check_set(run, link, &ids, plan).await?;
            if let Some(rewritten) = keep_hidden_links(run, link, Some(&ids), linked).await? {
                return Ok(rewritten);
            }
        }
        _ => {
            return Err(OpError::Invalid(format!(
                "{field}: unknown command {command}; use 0 (create), 1 (update), 2 (delete), 3 (unlink), 4 (link), 5 (clear) or 6 (set)"
            )));
        }
    }
    Ok(vec![command.clone()])
}
