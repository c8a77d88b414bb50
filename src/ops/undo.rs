//! Writes and the record filter: decided before the write where the gateway
//! can, undone afterwards where it cannot.
//!
//! [`precheck`] evaluates the filter on each record's current values merged
//! with the new ones (`domain::evaluate`): a record that would leave the
//! filter is refused before anything is written, so no other client ever
//! sees it outside. A term it cannot decide (a dotted path, `child_of`, an
//! x2many, a computed field the write may change) leaves the answer open;
//! then the write happens, is checked, and when a record left the filter
//! the [`Snapshot`] taken before puts everything back: plain fields,
//! many2many links, one2many lines created, moved, changed or taken out.
//! That fallback is not atomic: between the write and the undo, other
//! clients may see the record as written.

use super::{Run, upstream_error};
use crate::config::Resource;
use crate::domain::Domain;
use crate::upstream::{Record, SearchQuery};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// A many2one read as `[id, name]` is written as `id`.
fn written_form(value: Value) -> Value {
    match value {
        Value::Array(pair) if pair.len() == 2 && pair[0].is_i64() => pair[0].clone(),
        other => other,
    }
}

fn ids_in(value: Option<&Value>) -> Vec<i64> {
    value.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

/// For each record (`ids`, or one new record when `ids` is empty): whether
/// it would match `filter` after `values` are written, if that can be told.
pub(super) async fn precheck(
    run: &Run<'_>,
    resource: &Resource,
    filter: &Domain,
    ids: &[i64],
    values: &Map<String, Value>,
) -> Result<Vec<(i64, Option<bool>)>, OpError> {
    let schema = run.schema(&resource.model).await?;
    let expr = filter.to_expr();
    let written: Vec<&str> = values.keys().map(String::as_str).collect();
    // The filter's plain fields whose value after the write is known: the
    // new value, or the current one when nothing written feeds it.
    let mut known: Vec<String> = Vec::new();
    for leaf in filter.leaves() {
        let name = leaf.path.as_str();
        let Some(field) = schema.field(name).filter(|f| !name.contains('.') && !f.is_x2many()) else { continue };
        let depends: Vec<&str> = field
            .attributes
            .get("depends")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).map(|p| p.split('.').next().unwrap_or(p)).collect())
            .unwrap_or_default();
        let unchanged = !depends.iter().any(|d| written.contains(d));
        if (written.contains(&name) || unchanged) && !known.iter().any(|k| k == name) {
            known.push(name.to_string());
        }
    }
    let new_value = |name: &str| values.get(name).cloned().map(written_form);
    if ids.is_empty() {
        // A new record: only the values given are known (not Odoo's defaults).
        let verdict = crate::domain::evaluate(&expr, &|f: &str| new_value(f).filter(|_| known.iter().any(|k| k == f)));
        return Ok(vec![(0, verdict)]);
    }
    let current: Vec<String> = known.iter().filter(|k| !values.contains_key(*k)).cloned().collect();
    let rows = if current.is_empty() {
        ids.iter().map(|id| Record::from_iter([("id".to_string(), json!(id))])).collect()
    } else {
        run.upstream
            .read(&run.principal.identity(), &resource.model, ids, Some(&current))
            .await
            .map_err(upstream_error)?
    };
    Ok(rows
        .iter()
        .filter_map(|row| {
            let id = row.get("id")?.as_i64()?;
            let value_of = |f: &str| {
                if !known.iter().any(|k| k == f) {
                    return None;
                }
                new_value(f).or_else(|| row.get(f).cloned().map(written_form))
            };
            Some((id, crate::domain::evaluate(&expr, &value_of)))
        })
        .collect())
}

/// One x2many field's members before the write.
struct X2Many {
    field: String,
    one2many: bool,
    target: String,
    inverse: Option<String>,
    before: HashMap<i64, Vec<i64>>,
    /// One2many lines the write links from elsewhere: their inverse before.
    moved_from: HashMap<i64, Value>,
}

/// What a write changes, as it was before (see the module doc).
pub(super) struct Snapshot {
    model: String,
    ids: Vec<i64>,
    plain: Vec<Record>,
    x2many: Vec<X2Many>,
    /// One2many lines changed by `[1, id, vals]`: model and old values.
    lines: Vec<(String, Record)>,
}

impl Snapshot {
    /// Reads, as the caller, what writing `values` on `ids` will change.
    pub(super) async fn take(
        run: &Run<'_>,
        model: &str,
        ids: &[i64],
        values: &Map<String, Value>,
    ) -> Result<Snapshot, OpError> {
        let who = run.principal.identity();
        let schema = run.schema(model).await?;
        let mut snapshot = Snapshot {
            model: model.to_string(),
            ids: ids.to_vec(),
            plain: Vec::new(),
            x2many: Vec::new(),
            lines: Vec::new(),
        };
        let (x2, plain): (Vec<&String>, Vec<&String>) =
            values.keys().partition(|k| schema.field(k).is_some_and(|f| f.is_x2many()));
        let mut fields: Vec<String> = plain.iter().map(|k| k.to_string()).collect();
        fields.extend(x2.iter().map(|k| k.to_string()));
        let rows = run.upstream.read(&who, model, ids, Some(&fields)).await.map_err(upstream_error)?;
        snapshot.plain = rows
            .iter()
            .map(|row| {
                row.iter()
                    .filter(|(k, _)| *k == "id" || plain.iter().any(|p| p == k))
                    .map(|(k, v)| (k.clone(), written_form(v.clone())))
                    .collect()
            })
            .collect();
        for name in x2 {
            let Some(info) = schema.field(name) else { continue };
            let Some(target) = info.relation.clone() else { continue };
            let inverse = info.attributes.get("relation_field").and_then(Value::as_str).map(str::to_string);
            let before: HashMap<i64, Vec<i64>> =
                rows.iter().filter_map(|r| Some((r.get("id")?.as_i64()?, ids_in(r.get(name.as_str()))))).collect();
            let mut x = X2Many {
                field: name.clone(),
                one2many: info.kind == "one2many",
                target,
                inverse,
                before,
                moved_from: HashMap::new(),
            };
            if x.one2many {
                let (linked, changed) = named_lines(&values[name]);
                if let Some(inverse) = &x.inverse
                    && !linked.is_empty()
                {
                    let rows = run
                        .upstream
                        .read(&who, &x.target, &linked, Some(std::slice::from_ref(inverse)))
                        .await
                        .map_err(upstream_error)?;
                    for row in rows {
                        if let Some(id) = row.get("id").and_then(Value::as_i64) {
                            x.moved_from.insert(id, written_form(row.get(inverse).cloned().unwrap_or(json!(false))));
                        }
                    }
                }
                for (line, keys) in changed {
                    let rows =
                        run.upstream.read(&who, &x.target, &[line], Some(&keys)).await.map_err(upstream_error)?;
                    snapshot.lines.extend(
                        rows.into_iter()
                            .map(|r| (x.target.clone(), r.into_iter().map(|(k, v)| (k, written_form(v))).collect())),
                    );
                }
            }
            snapshot.x2many.push(x);
        }
        Ok(snapshot)
    }

    /// Puts back what the write changed; returns what could not be.
    pub(super) async fn restore(self, run: &Run<'_>) -> Vec<String> {
        let who = run.principal.identity();
        let mut problems = Vec::new();
        let mut note = |what: String| problems.push(what);
        for row in &self.plain {
            let Some(id) = row.get("id").and_then(Value::as_i64) else { continue };
            let old: Record = row.iter().filter(|(k, _)| *k != "id").map(|(k, v)| (k.clone(), v.clone())).collect();
            if !old.is_empty() && run.upstream.write(&who, &self.model, &[id], &old).await.is_err() {
                note(format!("the old values of {} {id}", self.model));
            }
        }
        for (model, row) in &self.lines {
            let Some(id) = row.get("id").and_then(Value::as_i64) else { continue };
            let old: Record = row.iter().filter(|(k, _)| *k != "id").map(|(k, v)| (k.clone(), v.clone())).collect();
            if run.upstream.write(&who, model, &[id], &old).await.is_err() {
                note(format!("the old values of {model} {id}"));
            }
        }
        let names = self.x2many.iter().map(|x| x.field.clone()).collect::<Vec<_>>();
        let after = match run.upstream.read(&who, &self.model, &self.ids, Some(&names)).await {
            Ok(rows) => rows,
            Err(_) => {
                note(format!("the links of {} {:?}", self.model, self.ids));
                return problems;
            }
        };
        for x in &self.x2many {
            for row in &after {
                let Some(parent) = row.get("id").and_then(Value::as_i64) else { continue };
                let now = ids_in(row.get(&x.field));
                let before = x.before.get(&parent).cloned().unwrap_or_default();
                let added: Vec<i64> = now.iter().copied().filter(|id| !before.contains(id)).collect();
                let removed: Vec<i64> = before.iter().copied().filter(|id| !now.contains(id)).collect();
                if !x.one2many {
                    let mut commands: Vec<Value> = added.iter().map(|id| json!([3, id])).collect();
                    commands.extend(removed.iter().map(|id| json!([4, id])));
                    let vals = Record::from_iter([(x.field.clone(), Value::Array(commands))]);
                    if !(added.is_empty() && removed.is_empty())
                        && run.upstream.write(&who, &self.model, &[parent], &vals).await.is_err()
                    {
                        note(format!("the {} links of {} {parent}", x.field, self.model));
                    }
                    continue;
                }
                let Some(inverse) = &x.inverse else {
                    note(format!("the {} lines of {} {parent}", x.field, self.model));
                    continue;
                };
                for line in added {
                    let undone = match x.moved_from.get(&line) {
                        // Linked from elsewhere: back where it was.
                        Some(old) => {
                            let vals = Record::from_iter([(inverse.clone(), old.clone())]);
                            run.upstream.write(&who, &x.target, &[line], &vals).await.is_ok()
                        }
                        // Created by the write.
                        None => run.upstream.unlink(&who, &x.target, &[line]).await.is_ok(),
                    };
                    if !undone {
                        note(format!("{} {line}", x.target));
                    }
                }
                for line in removed {
                    let query = SearchQuery { domain: json!([["id", "=", line]]), ..Default::default() };
                    let exists = run.upstream.search(&who, &x.target, &query).await.is_ok_and(|f| !f.is_empty());
                    let vals = Record::from_iter([(inverse.clone(), json!(parent))]);
                    if !exists || run.upstream.write(&who, &x.target, &[line], &vals).await.is_err() {
                        note(format!(
                            "{} {line}, taken out of {} {parent} (Odoo may have deleted it)",
                            x.target, self.model
                        ));
                    }
                }
            }
        }
        problems
    }
}

/// The lines a one2many value links (`[4, id]`, `[6, 0, ids]`, a plain id
/// list) and those it changes (`[1, id, vals]`, with the fields changed).
fn named_lines(value: &Value) -> (Vec<i64>, Vec<(i64, Vec<String>)>) {
    let (mut linked, mut changed) = (Vec::new(), Vec::new());
    let Some(items) = value.as_array() else { return (linked, changed) };
    if items.iter().all(Value::is_i64) {
        linked.extend(items.iter().filter_map(Value::as_i64));
        return (linked, changed);
    }
    for command in items.iter().filter_map(Value::as_array) {
        match (command.first().and_then(Value::as_i64), command.get(1).and_then(Value::as_i64)) {
            (Some(4), Some(id)) => linked.push(id),
            (Some(6), _) => linked.extend(ids_in(command.get(2))),
            (Some(1), Some(id)) => {
                let keys = command.get(2).and_then(Value::as_object).map(|v| v.keys().cloned().collect());
                changed.push((id, keys.unwrap_or_default()));
            }
            _ => {}
        }
    }
    (linked, changed)
}
