//! The read operations: list_models, describe, search, read.

use super::params::Params;
use super::{Run, upstream_error};
use crate::config::Resource;
use crate::domain::Domain;
use crate::gateway::OpError;
use crate::policy::{self, Action};
use crate::upstream::{Record, SearchQuery};
use serde_json::{Map, Value, json};

/// The default page size when the caller names none (the original's).
pub const DEFAULT_SEARCH_LIMIT: u64 = 80;

/// Drops any field the policy does not allow from a record Odoo returned:
/// a second line of defence behind the requested-fields check.
pub(super) fn redact(resource: &Resource, mut record: Record) -> Value {
    record.retain(|name, _| resource.field_policy.allows(name));
    Value::Object(record)
}

/// The fields to read: the caller's (checked against the policy and the
/// schema), or every field the policy allows.
pub(super) async fn fields_to_read(
    run: &Run<'_>,
    resource: &Resource,
    requested: Option<&[String]>,
) -> Result<Vec<String>, OpError> {
    let schema = run.schema(&resource.model).await?;
    match requested {
        Some(fields) if !fields.is_empty() => {
            policy::check_fields(resource, fields.iter().map(String::as_str), "read")?;
            for field in fields {
                if field.contains('.') {
                    return Err(OpError::Invalid(format!(
                        "fields cannot be dotted paths ({field:?}); read the related record instead"
                    )));
                }
                if field != "id" {
                    schema.require(field)?;
                }
            }
            Ok(fields.to_vec())
        }
        _ => {
            // Binary fields (images, attachments) are large and rarely what an
            // assistant wants: they are read only when asked for by name.
            let names = schema.fields.iter().filter(|f| f.kind != "binary").map(|f| f.name.as_str());
            Ok(policy::default_fields(resource, names))
        }
    }
}

pub(super) async fn list_models(run: &Run<'_>) -> Result<Value, OpError> {
    let visible = policy::visible_resources(run.resources, run.caller());
    let names: Vec<&str> = visible.iter().map(|r| r.model.as_str()).collect();
    let labels = model_labels(run, &names).await;
    let scope_read_only = run.principal.read_only_scope();
    let models: Vec<Value> = visible
        .iter()
        .map(|r| {
            let ops = r.effective_operations();
            let mut operations = ops.names();
            if scope_read_only {
                operations.retain(|o| *o == "read");
            }
            json!({
                "model": r.model,
                "label": labels.get(&r.model).cloned().unwrap_or_else(|| Value::from(r.model.clone())),
                "operations": operations,
                "field_policy": r.field_policy.name(),
                "fields": r.field_policy.fields(),
                "has_record_filter": !r.record_filter.is_empty(),
                "execute_methods": if ops.write && !scope_read_only { r.execute_methods.clone() } else { Vec::new() },
            })
        })
        .collect();
    Ok(json!({"models": models}))
}

/// Display labels from `ir.model`; a caller without access to it gets the
/// technical names instead of an error.
async fn model_labels(run: &Run<'_>, models: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    if models.is_empty() {
        return out;
    }
    let query = SearchQuery {
        domain: json!([["model", "in", models]]),
        fields: Some(vec!["model".into(), "name".into()]),
        ..Default::default()
    };
    if let Ok(rows) = run.upstream.search_read(&run.principal.identity(), "ir.model", &query).await {
        for row in rows {
            if let (Some(model), Some(name)) = (row.get("model").and_then(Value::as_str), row.get("name")) {
                out.insert(model.to_string(), name.clone());
            }
        }
    }
    out
}

pub(super) async fn describe(run: &Run<'_>, model: &str) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Read)?;
    let schema = run.schema(model).await?;
    let mut fields = Map::new();
    for field in schema.fields.iter().filter(|f| resource.field_policy.allows(&f.name)) {
        let mut out = Map::new();
        for key in ["type", "string", "required", "readonly", "relation", "selection", "help"] {
            if let Some(v) = field.attributes.get(key) {
                out.insert(key.to_string(), v.clone());
            }
        }
        fields.insert(field.name.clone(), Value::Object(out));
    }
    let record_count =
        run.upstream.search_count(&run.principal.identity(), model, &run.scoped(resource, &Domain::empty())).await.ok();
    let labels = model_labels(run, &[model]).await;
    let mut operations = resource.effective_operations().names();
    if run.principal.read_only_scope() {
        operations.retain(|o| *o == "read");
    }
    Ok(json!({
        "model": model,
        "label": labels.get(model).cloned().unwrap_or_else(|| Value::from(model)),
        "operations": operations,
        "field_policy": resource.field_policy.name(),
        "record_count": record_count,
        "fields": fields,
        "example_domains": example_domains(&schema, resource),
    }))
}

/// Two or three domains built from the model's real, allowed fields.
fn example_domains(schema: &super::schema::Schema, resource: &Resource) -> Vec<Value> {
    let allowed = |f: &&super::schema::FieldInfo| resource.field_policy.allows(&f.name) && f.stored();
    let mut out = Vec::new();
    if let Some(f) = schema.fields.iter().filter(allowed).find(|f| f.name == "name" || f.kind == "char") {
        out.push(json!([[f.name, "ilike", "example"]]));
    }
    if let Some(f) = schema.fields.iter().filter(allowed).find(|f| f.kind == "selection") {
        let first = f.attributes.get("selection").and_then(|s| s.get(0)).and_then(|o| o.get(0)).cloned();
        if let Some(value) = first {
            out.push(json!([[f.name, "=", value]]));
        }
    } else if let Some(f) = schema.fields.iter().filter(allowed).find(|f| f.kind == "boolean") {
        out.push(json!([[f.name, "=", true]]));
    }
    if let Some(f) = schema.fields.iter().filter(allowed).find(|f| f.is_date()) {
        out.push(json!([[f.name, ">=", "2025-01-01"]]));
    } else if let Some(f) = schema.fields.iter().filter(allowed).find(|f| f.kind == "many2one") {
        out.push(json!([[f.name, "!=", false]]));
    }
    out
}

/// `alpenglow_search`.
#[derive(Debug, Clone)]
pub struct Search {
    pub model: String,
    pub domain: Domain,
    pub fields: Option<Vec<String>>,
    pub limit: u64,
    pub offset: u64,
    pub order: Option<String>,
}

impl Search {
    pub(super) fn parse(p: &Params<'_>, model: String) -> Result<Search, OpError> {
        let order = p.string("order")?;
        if let Some(order) = &order {
            policy::order_fields(order)?;
        }
        Ok(Search {
            model,
            domain: p.domain("domain")?,
            fields: p.string_list("fields")?,
            limit: p.count("limit")?.unwrap_or(DEFAULT_SEARCH_LIMIT),
            offset: p.count("offset")?.unwrap_or(0),
            order,
        })
    }

    pub(super) async fn run(&self, run: &Run<'_>) -> Result<Value, OpError> {
        let resource = run.resource(&self.model)?;
        policy::check_action(resource, run.caller(), Action::Read)?;
        let vetted = run.vet_domain(resource, &self.domain).await?;
        if let Some(order) = &self.order {
            for field in policy::order_fields(order)? {
                run.check_path(resource, &field, "order by").await?;
            }
        }
        let fields = fields_to_read(run, resource, self.fields.as_deref()).await?;
        let (limit, capped) = policy::cap_limit(self.limit, run.settings);
        let domain = run.scoped(resource, &vetted);
        let who = run.principal.identity();
        let query = SearchQuery {
            domain: domain.clone(),
            fields: Some(fields),
            offset: Some(self.offset),
            limit: Some(limit),
            order: self.order.clone(),
        };
        let records = run.upstream.search_read(&who, &self.model, &query).await.map_err(upstream_error)?;
        let total = run.upstream.search_count(&who, &self.model, &domain).await.map_err(upstream_error)?;
        let records: Vec<Value> = records.into_iter().map(|r| redact(resource, r)).collect();
        let mut out = json!({"records": records, "total": total, "limit": limit, "offset": self.offset});
        if capped {
            out["capped"] = json!(true);
            out["note"] = json!(format!(
                "limit {} was capped to {limit} by the server; page with offset to see more",
                self.limit
            ));
        }
        Ok(out)
    }
}

pub(super) async fn read(run: &Run<'_>, model: &str, ids: &[i64], fields: Option<&[String]>) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Read)?;
    policy::check_id_count(ids, run.settings)?;
    let fields = fields_to_read(run, resource, fields).await?;
    // Ids outside the record filter read exactly like missing ones.
    let visible = run.visible_ids(resource, ids).await?;
    let rows = if visible.is_empty() {
        Vec::new()
    } else {
        run.upstream.read(&run.principal.identity(), model, &visible, Some(&fields)).await.map_err(upstream_error)?
    };
    let found: Vec<i64> = rows.iter().filter_map(|r| r.get("id").and_then(Value::as_i64)).collect();
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !found.contains(id)).collect();
    let records: Vec<Value> = rows.into_iter().map(|r| redact(resource, r)).collect();
    Ok(json!({"records": records, "missing_ids": missing}))
}
