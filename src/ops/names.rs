//! Relational values in answers, treated as Odoo treats its record rules:
//! the record filter of the related model's resource is such a rule.
//!
//! - An x2many value lists only the related records the caller may read
//!   (Odoo itself drops the records its rules hide). A related model with
//!   no resource for the caller shows ids only; one whose resource cannot
//!   be used (a broken filter) shows none.
//! - A many2one keeps its id, but its name is withheld (`null`) unless the
//!   caller may read that record under its own resource: the model exposed
//!   and readable, the record inside its filter and company, and every
//!   field the name is made of allowed (`policy::names`), the records a
//!   name embeds (a contact's company, a line's order) included.
//! - The same holds for a record's own `display_name` (and `complete_name`,
//!   which embeds the same), for group labels and for pivots.

use super::{Run, upstream_error};
use crate::config::Resource;
use crate::policy::{self, Action, Refusal, names};
use crate::upstream::Record;
use crate::vocab::OpError;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// How deep names embed names (a category's parents): past this, withheld.
const MAX_NAME_DEPTH: usize = 8;

/// How a related model's records show for this caller.
pub(super) enum Related<'r> {
    /// No resource: ids only, never names.
    Unexposed,
    /// The resource cannot be used (a broken filter): nothing.
    Closed,
    Readable(&'r Resource),
    /// Exposed, but Can Read is off: ids only.
    Unreadable,
}

/// Which records' names may be shown, remembered for one answer.
#[derive(Default)]
pub(super) struct Names {
    known: HashMap<(String, i64), bool>,
}

impl Run<'_> {
    pub(super) fn related(&self, model: &str) -> Related<'_> {
        match policy::resource_for(self.resources, self.caller(), model) {
            Ok(r) if policy::check_action(r, self.caller(), Action::Read).is_ok() => Related::Readable(r),
            Ok(_) => Related::Unreadable,
            Err(Refusal::NotFound(_)) => Related::Unexposed,
            Err(_) => Related::Closed,
        }
    }

    /// The ids among `ids` of `model` whose name the caller may see.
    pub(super) async fn nameable(&self, names: &mut Names, model: &str, ids: &[i64]) -> Result<HashSet<i64>, OpError> {
        Box::pin(self.nameable_at(names, model, ids, 0)).await
    }

    async fn nameable_at(
        &self,
        names: &mut Names,
        model: &str,
        ids: &[i64],
        depth: usize,
    ) -> Result<HashSet<i64>, OpError> {
        let unknown: Vec<i64> =
            ids.iter().copied().filter(|id| !names.known.contains_key(&(model.to_string(), *id))).collect();
        if !unknown.is_empty() {
            let shown = self.decide_names(names, model, &unknown, depth).await?;
            for id in unknown {
                names.known.insert((model.to_string(), id), shown.contains(&id));
            }
        }
        Ok(ids.iter().copied().filter(|id| names.known.get(&(model.to_string(), *id)) == Some(&true)).collect())
    }

    async fn decide_names(
        &self,
        names: &mut Names,
        model: &str,
        ids: &[i64],
        depth: usize,
    ) -> Result<HashSet<i64>, OpError> {
        let Related::Readable(resource) = self.related(model) else { return Ok(HashSet::new()) };
        if depth > MAX_NAME_DEPTH {
            return Ok(HashSet::new());
        }
        let schema = self.schema(model).await?;
        let fields: Vec<&str> =
            names::name_fields(model).iter().copied().filter(|f| schema.field(f).is_some()).collect();
        if policy::check_fields(resource, fields.iter().copied().chain(["display_name"]), "read").is_err() {
            return Ok(HashSet::new());
        }
        let mut shown: HashSet<i64> = self.visible_ids(resource, ids).await?.into_iter().collect();
        // Names that embed another record's name: that record must be nameable too.
        let hops: Vec<(&str, String)> = fields
            .iter()
            .filter_map(|f| {
                schema.field(f).filter(|i| i.kind == "many2one").and_then(|i| Some((*f, i.relation.clone()?)))
            })
            .collect();
        if hops.is_empty() || shown.is_empty() {
            return Ok(shown);
        }
        let visible: Vec<i64> = shown.iter().copied().collect();
        let hop_fields: Vec<String> = hops.iter().map(|(f, _)| f.to_string()).collect();
        let rows = self
            .upstream
            .read(&self.principal.identity(), model, &visible, Some(&hop_fields))
            .await
            .map_err(upstream_error)?;
        for (field, related) in &hops {
            let refs: Vec<(i64, i64)> =
                rows.iter().filter_map(|r| Some((r.get("id")?.as_i64()?, many2one_id(r.get(*field)?)?))).collect();
            let targets: Vec<i64> = refs.iter().map(|(_, t)| *t).collect();
            let ok = Box::pin(self.nameable_at(names, related, &targets, depth + 1)).await?;
            for (id, target) in refs {
                if !ok.contains(&target) {
                    shown.remove(&id);
                }
            }
        }
        Ok(shown)
    }

    /// Rewrites the relational values of records of `resource`'s model (see
    /// the module doc): x2many lists cut to readable records, many2one and
    /// own display names withheld where the caller may not see them.
    pub(super) async fn redact_relations(&self, resource: &Resource, records: &mut [Value]) -> Result<(), OpError> {
        if records.is_empty() {
            return Ok(());
        }
        let schema = self.schema(&resource.model).await?;
        let mut names = Names::default();
        let present: Vec<String> = records[0].as_object().map(|r| r.keys().cloned().collect()).unwrap_or_default();
        for field in present {
            if names::composed_name_fields(&resource.model).contains(&field.as_str()) {
                let ids: Vec<i64> = records.iter().filter_map(|r| r["id"].as_i64()).collect();
                let ok = self.nameable(&mut names, &resource.model, &ids).await?;
                for record in records.iter_mut() {
                    if !record["id"].as_i64().is_some_and(|id| ok.contains(&id)) {
                        record[&field] = Value::Null;
                    }
                }
                continue;
            }
            let Some(info) = schema.field(&field) else { continue };
            let Some(related) = info.relation.clone() else { continue };
            if info.kind == "many2one" {
                let ids: Vec<i64> = records.iter().filter_map(|r| many2one_id(&r[&field])).collect();
                let ok = self.nameable(&mut names, &related, &ids).await?;
                for record in records.iter_mut() {
                    withhold_name(&mut record[&field], &ok);
                }
            } else if info.is_x2many() {
                let keep = match self.related(&related) {
                    Related::Unexposed | Related::Unreadable => continue,
                    Related::Closed => HashSet::new(),
                    Related::Readable(r) if r.record_filter.is_empty() => continue,
                    Related::Readable(r) => {
                        let mut all: Vec<i64> = Vec::new();
                        for record in records.iter() {
                            all.extend(record[&field].as_array().into_iter().flatten().filter_map(Value::as_i64));
                        }
                        all.sort_unstable();
                        all.dedup();
                        self.visible_ids(r, &all).await?.into_iter().collect()
                    }
                };
                for record in records.iter_mut() {
                    if let Some(list) = record[&field].as_array_mut() {
                        list.retain(|id| id.as_i64().is_some_and(|id| keep.contains(&id)));
                    }
                }
            }
        }
        Ok(())
    }

    /// Withholds the names in group keys (`[id, name]` of a relational
    /// group-by, dotted or not) that the caller may not see.
    pub(super) async fn redact_group_keys(
        &self,
        resource: &Resource,
        groupby: &[String],
        rows: &mut [Record],
    ) -> Result<(), OpError> {
        let mut names = Names::default();
        for spec in groupby {
            let path = spec.split(':').next().unwrap_or(spec);
            let Some(related) = self.path_relation(resource, path).await? else { continue };
            let ids: Vec<i64> = rows.iter().filter_map(|r| r.get(spec.as_str()).and_then(many2one_id)).collect();
            let ok = self.nameable(&mut names, &related, &ids).await?;
            for row in rows.iter_mut() {
                if let Some(key) = row.get_mut(spec.as_str()) {
                    withhold_name(key, &ok);
                }
            }
        }
        Ok(())
    }
}

/// The id of a many2one value (`[id, name]`, or a bare id).
pub(super) fn many2one_id(value: &Value) -> Option<i64> {
    match value {
        Value::Array(pair) if pair.len() == 2 => pair[0].as_i64(),
        other => other.as_i64(),
    }
}

/// `[id, name]` becomes `[id, null]` unless the id may be named.
fn withhold_name(value: &mut Value, nameable: &HashSet<i64>) {
    if let Value::Array(pair) = value
        && pair.len() == 2
        && let Some(id) = pair[0].as_i64()
        && !nameable.contains(&id)
    {
        pair[1] = json!(null);
    }
}
