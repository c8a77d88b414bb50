//! The read operations: list_models, describe, search, read.

use super::params::Params;
use super::{Run, upstream_error};
use crate::config::Resource;
use crate::domain::Domain;
use crate::policy::{self, Action};
use crate::upstream::{Record, SearchQuery, UpstreamError};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

/// The default page size when the caller names none (the original's).
pub const DEFAULT_SEARCH_LIMIT: u64 = 80;

/// Drops any field the policy does not allow from a record Odoo returned:
/// a second line of defence behind the requested-fields check.
pub(super) fn redact(resource: &Resource, mut record: Record) -> Value {
    record.retain(|name, _| resource.allows_field(name));
    Value::Object(record)
}

/// The fields a read returns, and the allowed ones a default left out.
pub(super) struct FieldChoice {
    pub fields: Vec<String>,
    /// Allowed fields not returned because the caller named none and they
    /// are large (see [`left_out_by_default`]).
    pub omitted: Vec<String>,
}

/// Whether a field is left out when the caller names no fields: binary
/// (images, files), html (formatted bodies) and text (unbounded plain text)
/// fields, which can make one record thousands of characters. A text field
/// called `name` or `display_name` is a record's own title (a sales order
/// line's description is one) and stays. Asked for by name, any is returned.
pub fn left_out_by_default(field: &super::schema::FieldInfo) -> bool {
    match field.kind.as_str() {
        "binary" | "html" => true,
        "text" => !matches!(field.name.as_str(), "name" | "display_name"),
        _ => false,
    }
}

/// The fields to read: the caller's (checked against the policy and the
/// schema), or every field the policy allows but the large ones.
pub(super) async fn fields_to_read(
    run: &Run<'_>,
    resource: &Resource,
    requested: Option<&[String]>,
) -> Result<FieldChoice, OpError> {
    if let Some(fields) = requested {
        // The policy first: a denied field is refused before Odoo is asked anything.
        policy::check_fields(resource, fields.iter().map(String::as_str), "read")?;
    }
    let schema = run.schema(&resource.model).await?;
    match requested {
        Some(fields) if !fields.is_empty() => {
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
            Ok(FieldChoice { fields: fields.to_vec(), omitted: Vec::new() })
        }
        _ => {
            let (large, small): (Vec<_>, Vec<_>) = schema.fields.iter().partition(|f| left_out_by_default(f));
            Ok(FieldChoice {
                fields: policy::default_fields(resource, small.iter().map(|f| f.name.as_str())),
                omitted: policy::default_fields(resource, large.iter().map(|f| f.name.as_str())),
            })
        }
    }
}

/// Room kept in the bound for the keys around the records (`total`,
/// `truncated`, `next_offset`, the note): the records get the rest.
const ENVELOPE_RESERVE: usize = 400;

fn json_chars(value: &Value) -> usize {
    serde_json::to_string(value).map(|s| s.chars().count()).unwrap_or(0)
}

/// Keeps the leading records whose JSON fits in `max_chars` next to the rest
/// of `envelope` (the result without its records): a result is cut at a
/// record boundary, never inside one. Returns the records kept and whether
/// any were cut.
pub(super) fn bound_records(records: Vec<Value>, envelope: &Value, max_chars: usize) -> (Vec<Value>, bool) {
    let budget = max_chars.saturating_sub(json_chars(envelope) + ENVELOPE_RESERVE);
    let mut used = 0;
    let total = records.len();
    let mut kept = Vec::with_capacity(total);
    for record in records {
        // One comma between records.
        let size = json_chars(&record) + usize::from(!kept.is_empty());
        if used + size > budget {
            break;
        }
        used += size;
        kept.push(record);
    }
    let cut = kept.len() < total;
    (kept, cut)
}

/// Keeps an aggregate or execute result within `max_chars`: its largest
/// field (the groups, rows, periods or records of an aggregate; the
/// `result` of execute) is cut between list items, or a long text is cut;
/// `truncated` and a `note` say so. Anything else that large is left out
/// with a note. A result within the bound is returned as it is.
pub(super) fn bound_result(value: Value, max_chars: usize) -> Value {
    if json_chars(&value) <= max_chars {
        return value;
    }
    let Value::Object(mut map) = value else {
        return json!({"truncated": true, "note": too_large_note(max_chars)});
    };
    let Some(key) = map.iter().max_by_key(|(_, v)| json_chars(v)).map(|(k, _)| k.clone()) else {
        return Value::Object(map);
    };
    let field = map.remove(&key).unwrap_or(Value::Null);
    let envelope = Value::Object(map.clone());
    let budget = max_chars.saturating_sub(json_chars(&envelope) + ENVELOPE_RESERVE);
    let (kept, note) = match field {
        Value::Array(items) => {
            let of = items.len();
            let (kept, _) = bound_records(items, &envelope, max_chars);
            let note = format!(
                "Output cut at {max_chars} characters (max_output_chars): {} of {of} items of {key} returned. \
Narrow the request (a smaller limit, a tighter domain, fewer groups) to see the rest.",
                kept.len()
            );
            (Value::Array(kept), note)
        }
        Value::String(text) => {
            let mut cut: String = text.chars().take(budget).collect();
            // Escapes make JSON longer than the text: shorten until it fits.
            while json_chars(&Value::String(cut.clone())) > budget && !cut.is_empty() {
                let keep = cut.chars().count() * 9 / 10;
                cut = cut.chars().take(keep).collect();
            }
            let note = format!("Output cut at {max_chars} characters (max_output_chars): {key} is shortened.");
            (Value::String(cut), note)
        }
        _ => (Value::Null, too_large_note(max_chars)),
    };
    map.insert(key, kept);
    map.insert("truncated".into(), json!(true));
    map.insert("note".into(), json!(note));
    Value::Object(map)
}

fn too_large_note(max_chars: usize) -> String {
    format!(
        "The result is over the limit of {max_chars} characters (max_output_chars) and was left out; narrow the request."
    )
}

/// What a cut result tells the caller, after `returned` records of `of`.
fn cut_note(max_chars: usize, returned: usize, of: usize, how_to_continue: &str) -> String {
    if returned == 0 {
        format!(
            "Output cut: the next record alone is over the limit of {max_chars} characters (max_output_chars). \
Ask for fewer fields."
        )
    } else {
        format!(
            "Output cut at {max_chars} characters (max_output_chars): {returned} of {of} records returned. \
{how_to_continue}, or ask for fewer fields."
        )
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

/// Display labels from `ir.model` (cached per user); a caller without
/// access to it gets the technical names instead of an error.
async fn model_labels(run: &Run<'_>, models: &[&str]) -> Map<String, Value> {
    if models.is_empty() {
        return Map::new();
    }
    run.schemas.labels(run.upstream, &run.principal.identity(), models).await
}

pub(super) async fn describe(run: &Run<'_>, model: &str) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Read)?;
    // Independent: the fields and the label (both cached), and the count.
    let scoped = run.scoped(resource, &Domain::empty())?;
    let identity = run.principal.identity();
    let models = [model];
    let (schema, record_count, labels) = tokio::join!(
        run.schema(model),
        run.upstream.search_count(&identity, model, &scoped),
        model_labels(run, &models),
    );
    let schema = schema?;
    let record_count = record_count.ok();
    let mut fields = Map::new();
    for field in schema.fields.iter().filter(|f| resource.allows_field(&f.name)) {
        let mut out = Map::new();
        for key in ["type", "string", "required", "readonly", "relation", "selection", "help"] {
            if let Some(v) = field.attributes.get(key) {
                out.insert(key.to_string(), v.clone());
            }
        }
        fields.insert(field.name.clone(), Value::Object(out));
    }
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
    let allowed = |f: &&super::schema::FieldInfo| resource.allows_field(&f.name) && f.stored();
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
                run.check_sort_path(resource, &field, "order by").await?;
            }
        }
        let choice = fields_to_read(run, resource, self.fields.as_deref()).await?;
        let (limit, capped) = policy::cap_limit(self.limit, run.settings);
        let domain = run.scoped(resource, &vetted)?;
        let query = SearchQuery {
            domain,
            fields: Some(choice.fields),
            offset: Some(self.offset),
            limit: Some(limit),
            order: self.order.clone(),
        };
        let schema = run.schema(&self.model).await?;
        let many2one: Vec<String> = query
            .fields
            .iter()
            .flatten()
            .filter(|f| schema.field(f).is_some_and(|info| info.kind == "many2one"))
            .cloned()
            .collect();
        let page = search_page(run, &self.model, &query, &many2one).await?;
        let mut records: Vec<Value> = page.records.into_iter().map(|r| redact(resource, r)).collect();
        run.redact_relations(resource, &mut records).await?;
        let mut out = json!({"records": [], "total": page.total, "limit": limit, "offset": self.offset});
        let mut notes = Vec::new();
        if page.total_is_lower_bound {
            out["total_is_lower_bound"] = json!(true);
            notes.push(format!(
                "at least {} records match: counting stops at {COUNT_LIMIT}; narrow the domain for an exact total",
                page.total
            ));
        }
        if capped {
            out["capped"] = json!(true);
            let asked =
                if self.limit == 0 { "limit 0 (no limit)".to_string() } else { format!("limit {}", self.limit) };
            notes.push(format!("{asked} was capped to {limit} by the server; page with offset to see more"));
        }
        if !choice.omitted.is_empty() {
            out["omitted_fields"] = json!(choice.omitted);
        }
        let max_chars = run.settings.max_output_chars as usize;
        let fetched = records.len();
        let (records, cut) = bound_records(records, &out, max_chars);
        if cut {
            let next_offset = self.offset + records.len() as u64;
            out["truncated"] = json!(true);
            out["next_offset"] = json!(next_offset);
            let how = format!("Call again with offset {next_offset} to continue");
            notes.push(cut_note(max_chars, records.len(), fetched, &how));
        }
        if !notes.is_empty() {
            out["note"] = json!(notes.join(" "));
        }
        out["records"] = Value::Array(records);
        Ok(out)
    }
}

/// How many matching records a search counts at most: past it, `total` is
/// a lower bound (`total_is_lower_bound`), so a broad search over a large
/// table does not make Odoo count every row.
pub const COUNT_LIMIT: u64 = 10_000;

/// A page of records and the total behind it.
struct Page {
    records: Vec<Record>,
    total: u64,
    total_is_lower_bound: bool,
}

/// One Odoo call where Odoo has `web_search_read` (16-19): the page and its
/// count together, Odoo counting only when the page is full. Odoo answers 0
/// for an empty page past the end, so only then is the count asked apart.
/// A server without it gets `search_read` with one record more than the
/// page, and a count only when that extra record came back.
async fn search_page(run: &Run<'_>, model: &str, query: &SearchQuery, many2one: &[String]) -> Result<Page, OpError> {
    let who = run.principal.identity();
    let offset = query.offset.unwrap_or(0);
    let count = || async {
        let n =
            run.upstream.search_count_at_most(&who, model, &query.domain, COUNT_LIMIT).await.map_err(upstream_error)?;
        Ok::<_, OpError>((n, n >= COUNT_LIMIT))
    };
    match run.upstream.search_page(&who, model, query, many2one, COUNT_LIMIT).await {
        Ok(page) if page.records.is_empty() && offset > 0 => {
            let (total, total_is_lower_bound) = count().await?;
            Ok(Page { records: Vec::new(), total, total_is_lower_bound })
        }
        Ok(page) => {
            Ok(Page { total_is_lower_bound: page.length >= COUNT_LIMIT, total: page.length, records: page.records })
        }
        Err(UpstreamError::UnknownMethod(_)) => {
            let probe = SearchQuery { limit: query.limit.map(|l| l + 1), ..query.clone() };
            let mut records = run.upstream.search_read(&who, model, &probe).await.map_err(upstream_error)?;
            let more = query.limit.is_some_and(|l| records.len() as u64 > l);
            if let Some(limit) = query.limit {
                records.truncate(limit as usize);
            }
            let (total, total_is_lower_bound) = if more || (records.is_empty() && offset > 0) {
                count().await?
            } else {
                (offset + records.len() as u64, false)
            };
            Ok(Page { records, total, total_is_lower_bound })
        }
        Err(e) => Err(upstream_error(e)),
    }
}

pub(super) async fn read(run: &Run<'_>, model: &str, ids: &[i64], fields: Option<&[String]>) -> Result<Value, OpError> {
    let resource = run.resource(model)?;
    policy::check_action(resource, run.caller(), Action::Read)?;
    policy::check_id_count(ids, run.settings)?;
    let choice = fields_to_read(run, resource, fields).await?;
    // Ids outside the record filter read exactly like missing ones.
    let rows = run.visible_rows(resource, ids, &choice.fields).await?;
    let found: Vec<i64> = rows.iter().filter_map(|r| r.get("id").and_then(Value::as_i64)).collect();
    let missing: Vec<i64> = ids.iter().copied().filter(|id| !found.contains(id)).collect();
    let mut records: Vec<Value> = rows.into_iter().map(|r| redact(resource, r)).collect();
    run.redact_relations(resource, &mut records).await?;
    let mut out = json!({"records": [], "missing_ids": missing});
    if !choice.omitted.is_empty() {
        out["omitted_fields"] = json!(choice.omitted);
    }
    // Found ids the cut leaves out, at most all of them: counted in the envelope.
    out["remaining_ids"] = json!(found);
    let max_chars = run.settings.max_output_chars as usize;
    let fetched = records.len();
    let (records, cut) = bound_records(records, &out, max_chars);
    if cut {
        let remaining: Vec<i64> = found[records.len()..].to_vec();
        out["truncated"] = json!(true);
        out["remaining_ids"] = json!(remaining);
        out["note"] = json!(cut_note(max_chars, records.len(), fetched, "Read remaining_ids next"));
    } else {
        out.as_object_mut().expect("an object").remove("remaining_ids");
    }
    out["records"] = Value::Array(records);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_results_are_bounded_too_lists_texts_and_the_rest() {
        let long_text = "line \"quoted\"\n".repeat(2_000);
        let cases = [
            json!({"operation": "pivot", "rows": (0..500).map(|i| json!({"key": i, "values": [i, i]})).collect::<Vec<_>>()}),
            json!({"result": long_text}),
            json!({"result": {"nested": {"deep": "x".repeat(20_000)}}}),
        ];
        for value in cases {
            assert_eq!(bound_result(value.clone(), 1_000_000), value, "within the bound: untouched");
            let bounded = bound_result(value, 3_000);
            assert!(json_chars(&bounded) <= 3_000, "{}", json_chars(&bounded));
            assert_eq!(bounded["truncated"], true);
            assert!(bounded["note"].as_str().unwrap().contains("max_output_chars"));
        }
        let rows = bound_result(json!({"rows": (0..500).collect::<Vec<_>>()}), 3_000);
        let kept: Vec<i64> = serde_json::from_value(rows["rows"].clone()).unwrap();
        assert_eq!(kept, (0..kept.len() as i64).collect::<Vec<_>>());
    }

    #[test]
    fn a_bounded_result_keeps_whole_records_and_never_exceeds_the_limit() {
        let records: Vec<Value> = (0..300)
            .map(|i| json!({"id": i, "name": "é".repeat(i % 70), "email": format!("p{i}@x.example")}))
            .collect();
        for max in [1_000, 2_345, 10_000, 1_000_000] {
            let mut out = json!({"records": [], "total": 300, "limit": 300, "offset": 0, "omitted_fields": ["comment", "image_128"]});
            let (kept, cut) = bound_records(records.clone(), &out, max);
            assert_eq!(kept, records[..kept.len()], "a prefix of whole records");
            assert_eq!(cut, kept.len() < records.len());
            assert_eq!(cut, max < 1_000_000, "{max}");
            // The longest keys a cut search result adds.
            out["capped"] = json!(true);
            out["truncated"] = json!(true);
            out["next_offset"] = json!(u64::from(u32::MAX));
            let note = cut_note(max, kept.len(), 300, "Call again with offset 4294967295 to continue");
            out["note"] =
                json!(format!("limit 99999 was capped to 1000 by the server; page with offset to see more {note}"));
            out["records"] = Value::Array(kept);
            assert!(json_chars(&out) <= max, "{max}: {}", json_chars(&out));
        }
    }
}
