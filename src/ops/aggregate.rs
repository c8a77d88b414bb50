//! `alpenglow_aggregate`: count, sum, avg, min, max, group_by, top_n, pivot,
//! trend. Each operation takes only its own parameters; a missing one or one
//! it does not use is refused by name before anything reaches Odoo.
//!
//! Grouping uses `read_group` (every Odoo version; `lazy=false` so counts are
//! `__count`), and the result shapes are defined here once: groups with their
//! keys and measures, a pivot as rows × columns, a trend as ordered periods.

use super::params::Params;
use super::{Run, upstream_error};
use crate::config::Resource;
use crate::domain::Domain;
use crate::policy::{self, Action};
use crate::upstream::{ReadGroupQuery, Record, SearchQuery};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

const OPERATIONS: [&str; 9] = ["count", "sum", "avg", "min", "max", "group_by", "top_n", "pivot", "trend"];
const GRANULARITIES: [&str; 5] = ["day", "week", "month", "quarter", "year"];
const AGGREGATES: [&str; 5] = ["sum", "avg", "min", "max", "count"];
const DEFAULT_TOP_N: u64 = 5;

/// A measure: `field:agg`, or `count` for the number of records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub field: Option<String>,
    pub aggregate: String,
}

impl Measure {
    fn parse(spec: &str, what: &str) -> Result<Measure, OpError> {
        let spec = spec.trim();
        if spec == "count" || spec == "__count" {
            return Ok(Measure { field: None, aggregate: "count".into() });
        }
        let (field, aggregate) = spec.split_once(':').unwrap_or((spec, "sum"));
        if !AGGREGATES.contains(&aggregate) || !crate::domain::is_valid_path(field) || field.contains('.') {
            return Err(OpError::Invalid(format!(
                "alpenglow_aggregate: {what} {spec:?} must be 'field:agg' with agg one of {} (or 'count')",
                AGGREGATES.join(", ")
            )));
        }
        Ok(Measure { field: Some(field.to_string()), aggregate: aggregate.to_string() })
    }

    /// The name the caller sees it under.
    pub fn label(&self) -> String {
        match &self.field {
            None => "count".into(),
            Some(f) => format!("{f}:{}", self.aggregate),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Kind {
    Count,
    Single { aggregate: String, field: String },
    GroupBy { groupby: Vec<String>, measures: Vec<Measure>, orderby: Option<(String, bool)>, limit: Option<u64> },
    TopN { field: String, limit: u64, descending: bool },
    Pivot { row: String, col: String, measures: Vec<Measure> },
    Trend { date_field: String, granularity: String, measure: Measure },
}

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub model: String,
    pub domain: Domain,
    pub kind: Kind,
}

fn missing(name: &str, operation: &str, example: &str) -> OpError {
    OpError::Invalid(format!("alpenglow_aggregate: operation {operation} needs {name}, e.g. {example}"))
}

impl Aggregate {
    pub(super) fn parse(p: &Params<'_>, model: String) -> Result<Aggregate, OpError> {
        let operation = p.require_string("operation")?;
        if !OPERATIONS.contains(&operation.as_str()) {
            return Err(OpError::Invalid(format!(
                "alpenglow_aggregate: unknown operation {operation:?}; allowed: {}",
                OPERATIONS.join(", ")
            )));
        }
        let op = operation.as_str();
        let uses = |names: &[&str]| -> Result<(), OpError> {
            for name in [
                "field",
                "fields",
                "groupby",
                "limit",
                "orderby",
                "order",
                "row_groupby",
                "col_groupby",
                "date_field",
                "granularity",
                "measure",
            ] {
                p.refuse_unless(name, names.contains(&name), &format!("by operation {op}"))?;
            }
            Ok(())
        };
        let measures = |name: &str| -> Result<Vec<Measure>, OpError> {
            let specs = p.string_list(name)?.unwrap_or_default();
            let mut out: Vec<Measure> = Vec::new();
            for spec in specs {
                let m = Measure::parse(&spec, "measure")?;
                if m.field.is_some() && out.iter().any(|o| o.field == m.field) {
                    return Err(OpError::Invalid(format!(
                        "alpenglow_aggregate: one aggregate per field ({spec:?} repeats a field)"
                    )));
                }
                out.push(m);
            }
            if out.is_empty() {
                out.push(Measure { field: None, aggregate: "count".into() });
            }
            Ok(out)
        };
        let kind = match op {
            "count" => {
                uses(&[])?;
                Kind::Count
            }
            "sum" | "avg" | "min" | "max" => {
                uses(&["field"])?;
                let field = p.string("field")?.ok_or_else(|| missing("field", op, "\"amount_total\""))?;
                Kind::Single { aggregate: op.to_string(), field }
            }
            "group_by" => {
                uses(&["groupby", "fields", "orderby", "limit"])?;
                let groupby = p
                    .one_or_many_strings("groupby")?
                    .filter(|g| !g.is_empty())
                    .ok_or_else(|| missing("groupby", op, "\"partner_id\" or [\"state\", \"date_order:month\"]"))?;
                let measures = measures("fields")?;
                let orderby = match p.string("orderby")? {
                    None => None,
                    Some(text) => Some(parse_orderby(&text, &measures, &groupby)?),
                };
                Kind::GroupBy { groupby, measures, orderby, limit: p.count("limit")?.filter(|n| *n > 0) }
            }
            "top_n" => {
                uses(&["field", "limit", "order"])?;
                let field = p.string("field")?.ok_or_else(|| missing("field", op, "\"amount_total\""))?;
                let descending = match p.string("order")?.as_deref() {
                    None | Some("desc") => true,
                    Some("asc") => false,
                    Some(other) => {
                        return Err(OpError::Invalid(format!(
                            "alpenglow_aggregate: order must be asc or desc, got {other:?}"
                        )));
                    }
                };
                Kind::TopN { field, limit: p.count("limit")?.filter(|n| *n > 0).unwrap_or(DEFAULT_TOP_N), descending }
            }
            "pivot" => {
                uses(&["row_groupby", "col_groupby", "fields"])?;
                let row = p.string("row_groupby")?.ok_or_else(|| missing("row_groupby", op, "\"partner_id\""))?;
                let col = p.string("col_groupby")?.ok_or_else(|| missing("col_groupby", op, "\"state\""))?;
                Kind::Pivot { row, col, measures: measures("fields")? }
            }
            _ => {
                uses(&["date_field", "granularity", "measure"])?;
                let date_field = p.string("date_field")?.ok_or_else(|| missing("date_field", op, "\"date_order\""))?;
                let granularity = p.string("granularity")?.unwrap_or_else(|| "month".into());
                if !GRANULARITIES.contains(&granularity.as_str()) {
                    return Err(OpError::Invalid(format!(
                        "alpenglow_aggregate: granularity must be one of {}, got {granularity:?}",
                        GRANULARITIES.join(", ")
                    )));
                }
                let measure = match p.string("measure")? {
                    None => Measure { field: None, aggregate: "count".into() },
                    Some(m) => Measure::parse(&m, "measure")?,
                };
                Kind::Trend { date_field, granularity, measure }
            }
        };
        Ok(Aggregate { model, domain: p.domain("domain")?, kind })
    }

    pub(super) async fn run(&self, run: &Run<'_>) -> Result<Value, OpError> {
        let resource = run.resource(&self.model)?;
        policy::check_action(resource, run.caller(), Action::Read)?;
        let vetted = run.vet_domain(resource, &self.domain).await?;
        let domain = run.scoped(resource, &vetted)?;
        let who = run.principal.identity();
        let schema = run.schema(&self.model).await?;
        let numeric = |field: &str| -> Result<(), OpError> {
            let info = schema.require(field)?;
            if info.is_numeric() {
                Ok(())
            } else {
                Err(OpError::Invalid(format!(
                    "alpenglow_aggregate: {field} is a {} field; sum, avg, min and max need a number field",
                    info.kind
                )))
            }
        };
        let check_measures = |measures: &[Measure]| -> Result<(), OpError> {
            for m in measures {
                if let Some(field) = &m.field {
                    policy::check_fields(resource, [field.as_str()], "aggregate")?;
                    if m.aggregate != "count" {
                        numeric(field)?;
                    } else {
                        schema.require(field)?;
                    }
                }
            }
            Ok(())
        };
        match &self.kind {
            Kind::Count => {
                let count = run.upstream.search_count(&who, &self.model, &domain).await.map_err(upstream_error)?;
                Ok(json!({"operation": "count", "model": self.model, "count": count}))
            }
            Kind::Single { aggregate, field } => {
                policy::check_fields(resource, [field.as_str()], "aggregate")?;
                numeric(field)?;
                let measure = Measure { field: Some(field.clone()), aggregate: aggregate.clone() };
                let rows = self.read_group(run, resource, &domain, &[], std::slice::from_ref(&measure)).await?;
                let row = rows.first();
                let count = row.and_then(|r| r.get("__count")).and_then(Value::as_u64).unwrap_or(0);
                let value = row.and_then(|r| r.get(field.as_str())).cloned().unwrap_or(Value::Null);
                Ok(json!({"operation": aggregate, "model": self.model, "field": field, "value": value, "count": count}))
            }
            Kind::GroupBy { groupby, measures, orderby, limit } => {
                check_measures(measures)?;
                for g in groupby {
                    run.check_sort_path(resource, group_path(g), "group by").await?;
                }
                let mut rows = self.read_group(run, resource, &domain, groupby, measures).await?;
                run.redact_group_keys(resource, groupby, &mut rows).await?;
                let mut groups: Vec<Value> = rows.iter().map(|r| group_value(r, groupby, measures)).collect();
                if let Some((key, descending)) = orderby {
                    sort_groups(&mut groups, key, *descending);
                }
                if let Some(limit) = limit {
                    groups.truncate(*limit as usize);
                }
                let cut = cap_groups(&mut groups, run.settings);
                let mut out = json!({
                    "operation": "group_by", "model": self.model, "groupby": groupby,
                    "measures": measures.iter().map(Measure::label).collect::<Vec<_>>(), "groups": groups
                });
                if let Some(of) = cut {
                    out["capped"] = json!(true);
                    out["note"] = json!(capped_note(policy::group_cap(run.settings), of, "groups"));
                }
                Ok(out)
            }
            Kind::TopN { field, limit, descending } => {
                policy::check_fields(resource, [field.as_str()], "rank by")?;
                schema.require(field)?;
                let (limit, capped) = policy::cap_limit(*limit, run.settings);
                let mut fields = vec![field.clone()];
                if resource.allows_field("display_name") && schema.field("display_name").is_some() {
                    fields.insert(0, "display_name".into());
                }
                let query = SearchQuery {
                    domain,
                    fields: Some(fields),
                    limit: Some(limit),
                    order: Some(format!("{field} {}, id", if *descending { "desc" } else { "asc" })),
                    ..Default::default()
                };
                let records = run.upstream.search_read(&who, &self.model, &query).await.map_err(upstream_error)?;
                let mut records: Vec<Value> = records.into_iter().map(|r| super::read::redact(resource, r)).collect();
                run.redact_relations(resource, &mut records).await?;
                Ok(json!({
                    "operation": "top_n", "model": self.model, "field": field,
                    "order": if *descending { "desc" } else { "asc" }, "limit": limit, "capped": capped, "records": records
                }))
            }
            Kind::Pivot { row, col, measures } => {
                check_measures(measures)?;
                for g in [row, col] {
                    run.check_sort_path(resource, group_path(g), "group by").await?;
                }
                let keys = [row.clone(), col.clone()];
                let mut rows = self.read_group(run, resource, &domain, &keys, measures).await?;
                run.redact_group_keys(resource, &keys, &mut rows).await?;
                let cut = cap_groups(&mut rows, run.settings);
                let mut out = pivot_value(&self.model, row, col, measures, &rows);
                if let Some(of) = cut {
                    out["capped"] = json!(true);
                    out["note"] = json!(capped_note(policy::group_cap(run.settings), of, "groups (cells)"));
                }
                Ok(out)
            }
            Kind::Trend { date_field, granularity, measure } => {
                policy::check_fields(resource, [date_field.as_str()], "group by")?;
                let info = schema.require(date_field)?;
                if !info.is_date() {
                    return Err(OpError::Invalid(format!(
                        "alpenglow_aggregate: date_field {date_field} is a {} field; trend needs a date or datetime field",
                        info.kind
                    )));
                }
                check_measures(std::slice::from_ref(measure))?;
                let key = format!("{date_field}:{granularity}");
                let mut rows = self
                    .read_group(run, resource, &domain, std::slice::from_ref(&key), std::slice::from_ref(measure))
                    .await?;
                let cut = cap_groups(&mut rows, run.settings);
                let periods: Vec<Value> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "period": r.get(&key).or_else(|| r.get(date_field.as_str())).cloned().unwrap_or(Value::Null),
                            "value": measure_value(r, measure),
                            "count": r.get("__count").cloned().unwrap_or(json!(0)),
                        })
                    })
                    .collect();
                let mut out = json!({
                    "operation": "trend", "model": self.model, "date_field": date_field,
                    "granularity": granularity, "measure": measure.label(), "periods": periods
                });
                if let Some(of) = cut {
                    out["capped"] = json!(true);
                    out["note"] = json!(capped_note(policy::group_cap(run.settings), of, "periods"));
                }
                Ok(out)
            }
        }
    }

    async fn read_group(
        &self,
        run: &Run<'_>,
        _resource: &Resource,
        domain: &Value,
        groupby: &[String],
        measures: &[Measure],
    ) -> Result<Vec<Record>, OpError> {
        let fields: Vec<String> =
            measures.iter().filter_map(|m| m.field.as_ref().map(|f| format!("{f}:{}", m.aggregate))).collect();
        let query = ReadGroupQuery {
            domain: domain.clone(),
            fields,
            groupby: groupby.to_vec(),
            offset: None,
            limit: None,
            orderby: None,
            lazy: false,
        };
        run.upstream.read_group(&run.principal.identity(), &self.model, &query).await.map_err(upstream_error)
    }
}

/// A group-by's field path, without its `:granularity`.
fn group_path(spec: &str) -> &str {
    spec.split(':').next().unwrap_or(spec).trim()
}

/// Keeps at most Max Records per Request groups; returns how many there
/// were when some were cut.
fn cap_groups<T>(groups: &mut Vec<T>, settings: &crate::config::Settings) -> Option<usize> {
    let (cap, of) = (policy::group_cap(settings), groups.len());
    (of > cap).then(|| {
        groups.truncate(cap);
        of
    })
}

fn capped_note(cap: usize, of: usize, what: &str) -> String {
    format!(
        "{cap} of {of} {what} returned (Max Records per Request); narrow the domain or group by something coarser to see the rest"
    )
}

fn parse_orderby(text: &str, measures: &[Measure], groupby: &[String]) -> Result<(String, bool), OpError> {
    let mut words = text.split_whitespace();
    let key = words.next().unwrap_or_default().to_string();
    let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(OpError::Invalid(format!(
                "alpenglow_aggregate: orderby direction {other:?} must be asc or desc"
            )));
        }
    };
    let known =
        key == "count" || key == "__count" || measures.iter().any(|m| m.label() == key) || groupby.contains(&key);
    if !known || words.next().is_some() {
        let mut allowed: Vec<String> = measures.iter().map(Measure::label).collect();
        allowed.extend(groupby.iter().cloned());
        allowed.push("count".into());
        return Err(OpError::Invalid(format!(
            "alpenglow_aggregate: orderby {text:?} must name a measure or group-by field ({}) and asc/desc",
            allowed.join(", ")
        )));
    }
    Ok((if key == "__count" { "count".into() } else { key }, descending))
}

fn measure_value(row: &Record, measure: &Measure) -> Value {
    match &measure.field {
        None => row.get("__count").cloned().unwrap_or(json!(0)),
        Some(f) => row.get(f.as_str()).cloned().unwrap_or(Value::Null),
    }
}

fn group_value(row: &Record, groupby: &[String], measures: &[Measure]) -> Value {
    let mut key = Map::new();
    for g in groupby {
        key.insert(
            g.clone(),
            row.get(g.as_str()).or_else(|| row.get(policy::base_field(g))).cloned().unwrap_or(Value::Null),
        );
    }
    let mut values = Map::new();
    for m in measures {
        values.insert(m.label(), measure_value(row, m));
    }
    json!({"key": key, "count": row.get("__count").cloned().unwrap_or(json!(0)), "measures": values})
}

fn sort_key(group: &Value, key: &str) -> Value {
    if key == "count" {
        return group["count"].clone();
    }
    group["measures"].get(key).or_else(|| group["key"].get(key)).cloned().unwrap_or(Value::Null)
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

fn sort_groups(groups: &mut [Value], key: &str, descending: bool) {
    groups.sort_by(|a, b| {
        let order = compare(&sort_key(a, key), &sort_key(b, key));
        if descending { order.reverse() } else { order }
    });
}

/// A label for a group key: many2one `[id, name]` -> name (`id N` when the
/// name is withheld), false -> "None".
fn key_label(value: Option<&Value>) -> String {
    match value {
        Some(Value::Array(pair)) if pair.len() == 2 => match &pair[1] {
            Value::String(name) => name.clone(),
            Value::Null => format!("id {}", pair[0]),
            other => other.to_string(),
        },
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(false)) | Some(Value::Null) | None => "None".into(),
        Some(other) => other.to_string(),
    }
}

fn pivot_value(model: &str, row: &str, col: &str, measures: &[Measure], rows: &[Record]) -> Value {
    let mut row_labels: Vec<String> = Vec::new();
    let mut col_labels: Vec<String> = Vec::new();
    for r in rows {
        let rl = key_label(r.get(row).or_else(|| r.get(policy::base_field(row))));
        let cl = key_label(r.get(col).or_else(|| r.get(policy::base_field(col))));
        if !row_labels.contains(&rl) {
            row_labels.push(rl);
        }
        if !col_labels.contains(&cl) {
            col_labels.push(cl);
        }
    }
    let mut out_rows = Vec::new();
    for rl in &row_labels {
        let mut cells = Map::new();
        for r in rows {
            if &key_label(r.get(row).or_else(|| r.get(policy::base_field(row)))) != rl {
                continue;
            }
            let cl = key_label(r.get(col).or_else(|| r.get(policy::base_field(col))));
            let mut values = Map::new();
            for m in measures {
                values.insert(m.label(), measure_value(r, m));
            }
            cells.insert(cl, Value::Object(values));
        }
        out_rows.push(json!({"row": rl, "cells": cells}));
    }
    json!({
        "operation": "pivot", "model": model, "row_groupby": row, "col_groupby": col,
        "measures": measures.iter().map(Measure::label).collect::<Vec<_>>(),
        "columns": col_labels, "rows": out_rows
    })
}
