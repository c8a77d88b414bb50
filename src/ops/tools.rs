//! The nine operations as tools: names, descriptions, input and output JSON
//! Schemas and annotations. One definition serves the MCP face (`tools/list`),
//! the README's API reference and the parameter checks' allowed names.

use serde_json::{Value, json};
use std::sync::LazyLock;

/// One tool, as MCP lists it.
#[derive(Debug, Clone)]
pub struct ToolSpec {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub input_schema: Value,
    pub output_schema: Value,
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

const DOMAIN_HELP: &str = "An Odoo domain: a list of conditions [field, operator, value], AND-ed by default; \
prefix '|' (or), '&' (and), '!' (not) combine the next conditions. Operators: =, !=, <, <=, >, >=, in, not in, \
like, ilike (case-insensitive contains), not like, not ilike, =like, =ilike, child_of, parent_of. Dotted paths \
follow relations. Example: [[\"is_company\", \"=\", true], \"|\", [\"name\", \"ilike\", \"acme\"], \
[\"country_id.code\", \"in\", [\"US\", \"BE\"]]]";

fn model_param() -> Value {
    json!({"type": "string", "description": "Odoo model technical name, e.g. 'res.partner' or 'sale.order'"})
}

fn ids_param(what: &str) -> Value {
    json!({
        "description": format!("Record id or list of ids to {what}"),
        "anyOf": [
            {"type": "integer", "minimum": 1},
            {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1}
        ]
    })
}

fn domain_param() -> Value {
    json!({"type": "array", "description": DOMAIN_HELP})
}

fn fields_param() -> Value {
    json!({"type": "array", "items": {"type": "string"}, "description": "Field names to return, e.g. ['name', 'email']; default: every field you may see"})
}

fn dry_run_param() -> Value {
    json!({"type": "boolean", "default": false, "description": "Run every check and report what would happen, without writing"})
}

fn records_output() -> Value {
    json!({"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}})
}

/// Every tool, in a fixed order (`tools/list` is deterministic). Built
/// once: every operation's parse asks for its parameter names.
pub fn tool_specs() -> &'static [ToolSpec] {
    static SPECS: LazyLock<Vec<ToolSpec>> = LazyLock::new(build_tool_specs);
    &SPECS
}

fn build_tool_specs() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "alpenglow_list_models",
            title: "List models",
            description: "List the Odoo models you may use, with each model's label, the operations you may perform \
(read / create / write / delete) and its field access policy. Call this first.",
            input_schema: json!({"type": "object", "additionalProperties": false}),
            output_schema: json!({
                "type": "object",
                "properties": {"models": {"type": "array", "items": {"type": "object", "properties": {
                    "model": {"type": "string"}, "label": {"type": "string"},
                    "operations": {"type": "array", "items": {"type": "string"}},
                    "field_policy": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}
                }, "required": ["model", "label", "operations", "field_policy"]}}},
                "required": ["models"]
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_describe",
            title: "Describe a model",
            description: "Get a model's schema: each field's type, label, required and read-only flags, selection \
options and related model, plus the record count and example domains. Call this before searching or writing.",
            input_schema: json!({"type": "object", "properties": {"model": model_param()}, "required": ["model"], "additionalProperties": false}),
            output_schema: json!({
                "type": "object",
                "properties": {
                    "model": {"type": "string"}, "label": {"type": "string"},
                    "fields": {"type": "object"}, "record_count": {"type": ["integer", "null"]},
                    "operations": {"type": "array", "items": {"type": "string"}},
                    "example_domains": {"type": "array"}
                },
                "required": ["model", "fields"]
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_search",
            title: "Search records",
            description: "Search records of a model with a domain filter, pagination and sorting. Returns the \
records, the total number of matches, and the limit and offset used (the limit may be capped by the server). \
Without fields, large fields (binary, html, long text) are left out and named in omitted_fields. A result too long \
for one answer is cut between records: truncated is true and next_offset says where to continue.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "model": model_param(),
                    "domain": domain_param(),
                    "fields": fields_param(),
                    "limit": {"type": "integer", "minimum": 0, "default": 80, "description": "Max records to return (default 80)"},
                    "offset": {"type": "integer", "minimum": 0, "default": 0, "description": "Records to skip, for pagination"},
                    "order": {"type": "string", "description": "Sort order, e.g. 'date_order desc, id'"}
                },
                "required": ["model"],
                "additionalProperties": false
            }),
            output_schema: json!({
                "type": "object",
                "properties": {"records": records_output(), "total": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"}, "capped": {"type": "boolean"}, "omitted_fields": {"type": "array", "items": {"type": "string"}}, "truncated": {"type": "boolean"}, "next_offset": {"type": "integer"}, "note": {"type": "string"}},
                "required": ["records", "total", "limit", "offset"]
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_read",
            title: "Read records",
            description: "Read records by id. Ids that do not exist (or that you may not see) are listed under \
missing_ids. Use alpenglow_search to find records by criteria. Without fields, large fields (binary, html, long \
text) are left out and named in omitted_fields. A result too long for one answer is cut between records: truncated \
is true and remaining_ids lists the ids to read next.",
            input_schema: json!({
                "type": "object",
                "properties": {"model": model_param(), "ids": ids_param("read"), "fields": fields_param()},
                "required": ["model", "ids"],
                "additionalProperties": false
            }),
            output_schema: json!({
                "type": "object",
                "properties": {"records": records_output(), "missing_ids": {"type": "array", "items": {"type": "integer"}}, "omitted_fields": {"type": "array", "items": {"type": "string"}}, "truncated": {"type": "boolean"}, "remaining_ids": {"type": "array", "items": {"type": "integer"}}, "note": {"type": "string"}},
                "required": ["records"]
            }),
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_create",
            title: "Create records",
            description: "Create one record (values: an object of field values) or several (a list of objects). \
Check required fields with alpenglow_describe first. Returns the new ids.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "model": model_param(),
                    "values": {"description": "Field values: an object for one record, a list of objects for several",
                        "anyOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}, "minItems": 1}]},
                    "dry_run": dry_run_param()
                },
                "required": ["model", "values"],
                "additionalProperties": false
            }),
            output_schema: holdable(
                json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}}, "required": ["ids"]}),
            ),
            read_only: false,
            destructive: false,
            idempotent: false,
        },
        ToolSpec {
            name: "alpenglow_update",
            title: "Update records",
            description: "Update records by id: only the given fields change, on every id.",
            input_schema: json!({
                "type": "object",
                "properties": {"model": model_param(), "ids": ids_param("update"), "values": {"type": "object", "description": "Field values to set, e.g. {\"phone\": \"555-0100\"}"}, "dry_run": dry_run_param()},
                "required": ["model", "ids", "values"],
                "additionalProperties": false
            }),
            output_schema: holdable(
                json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}, "updated": {"type": "boolean"}}, "required": ["ids", "updated"]}),
            ),
            read_only: false,
            destructive: true,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_delete",
            title: "Delete records",
            description: "Permanently delete records by id. This cannot be undone.",
            input_schema: json!({
                "type": "object",
                "properties": {"model": model_param(), "ids": ids_param("delete"), "dry_run": dry_run_param()},
                "required": ["model", "ids"],
                "additionalProperties": false
            }),
            output_schema: holdable(
                json!({"type": "object", "properties": {"ids": {"type": "array", "items": {"type": "integer"}}, "deleted": {"type": "boolean"}}, "required": ["ids", "deleted"]}),
            ),
            read_only: false,
            destructive: true,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_aggregate",
            title: "Aggregate",
            description: "Reporting queries. operation: count (needs nothing), sum / avg / min / max (need field), \
group_by (groupby, optional fields like ['amount_total:sum'], orderby, limit), top_n (field, limit, order asc/desc), \
pivot (row_groupby, col_groupby, optional fields), trend (date_field, granularity day/week/month/quarter/year, \
optional measure such as 'amount_total:sum', default count). All take an optional domain.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "model": model_param(),
                    "operation": {"type": "string", "enum": ["count", "sum", "avg", "min", "max", "group_by", "top_n", "pivot", "trend"]},
                    "domain": domain_param(),
                    "field": {"type": "string", "description": "Field to aggregate (sum / avg / min / max / top_n)"},
                    "fields": {"type": "array", "items": {"type": "string"}, "description": "Measures as 'field:agg', e.g. ['amount_total:sum'] (group_by / pivot)"},
                    "groupby": {"description": "Field(s) to group by (group_by); dates may take ':month' etc.", "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                    "limit": {"type": "integer", "minimum": 1, "description": "Max groups or records"},
                    "orderby": {"type": "string", "description": "Group order, e.g. 'amount_total:sum desc'"},
                    "order": {"type": "string", "enum": ["asc", "desc"], "description": "Direction for top_n (default desc)"},
                    "row_groupby": {"type": "string", "description": "Row grouping field (pivot)"},
                    "col_groupby": {"type": "string", "description": "Column grouping field (pivot)"},
                    "date_field": {"type": "string", "description": "Date field (trend)"},
                    "granularity": {"type": "string", "enum": ["day", "week", "month", "quarter", "year"]},
                    "measure": {"type": "string", "description": "Measure for trend, e.g. 'amount_total:sum' (default count)"}
                },
                "required": ["model", "operation"],
                "additionalProperties": false
            }),
            output_schema: json!({"type": "object", "properties": {"operation": {"type": "string"}}, "required": ["operation"]}),
            read_only: true,
            destructive: false,
            idempotent: true,
        },
        ToolSpec {
            name: "alpenglow_execute",
            title: "Execute a method",
            description: "Call a method the admin allowed on a model (e.g. name_search), with positional args and \
keyword kwargs. Methods starting with '_' are never allowed.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "model": model_param(),
                    "method": {"type": "string", "description": "Method name, e.g. 'name_search'"},
                    "args": {"type": "array", "description": "Positional arguments"},
                    "kwargs": {"type": "object", "description": "Keyword arguments"},
                    "dry_run": dry_run_param()
                },
                "required": ["model", "method"],
                "additionalProperties": false
            }),
            output_schema: holdable(json!({"type": "object", "properties": {"result": {}}, "required": ["result"]})),
            read_only: false,
            destructive: true,
            idempotent: false,
        },
        ToolSpec {
            name: crate::vocab::APPROVAL_STATUS_TOOL,
            title: "Check an approval",
            description: "Check a write that is waiting for a person's approval (a call that answered \
status: pending_approval), by its approval_id. While it waits, the answer says so again; once approved, this call \
makes the change (once) and returns the operation's own result; a denied or expired approval says so, with the reason.",
            input_schema: json!({
                "type": "object",
                "properties": {
                    "approval_id": {"type": "integer", "minimum": 1, "description": "The approval_id of the pending answer"}
                },
                "required": ["approval_id"],
                "additionalProperties": false
            }),
            output_schema: json!({"type": "object"}),
            read_only: false,
            destructive: true,
            idempotent: false,
        },
    ]
}

/// A write's output schema that also admits the answer of a call held for
/// approval (`status: pending_approval`, an `approval_id`, a summary, the
/// expiry) or refused by the person (`declined`, `cancelled`): the root stays an object, the write's own required fields become
/// one alternative.
fn holdable(mut schema: Value) -> Value {
    let required = schema.as_object_mut().and_then(|o| o.remove("required")).unwrap_or(json!([]));
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties
            .insert("status".into(), json!({"type": "string", "enum": ["pending_approval", "declined", "cancelled"]}));
        properties.insert("approval_id".into(), json!({"type": "integer"}));
        properties.insert("summary".into(), json!({"type": "string"}));
        properties.insert("expires_at".into(), json!({"type": "string"}));
    }
    schema["anyOf"] = json!([{"required": required}, {"required": ["status", "approval_id"]}]);
    schema
}

/// The parameter names a tool accepts, from its input schema (empty for
/// an unknown tool).
pub fn parameter_names(tool: &str) -> &'static [&'static str] {
    static NAMES: LazyLock<Vec<(&'static str, Vec<&'static str>)>> = LazyLock::new(|| {
        tool_specs()
            .iter()
            .map(|t| {
                let names = t.input_schema.get("properties").and_then(Value::as_object);
                (t.name, names.map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default())
            })
            .collect()
    });
    NAMES.iter().find(|(name, _)| *name == tool).map(|(_, names)| names.as_slice()).unwrap_or_default()
}
