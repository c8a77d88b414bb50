//! Field values as Odoo computes and renders them: display names, one2many
//! lists, many2one pairs, and record ordering (`order` specs, validated the
//! way Odoo validates them).

use super::OdooVersion;
use super::access::Env;
use super::dataset::{FieldType, ModelDef, Record, Schema, Store};
use super::error::{OdooResult, user_error, value_error};
use serde_json::{Map, Value, json};
use std::cmp::Ordering;

/// What every read needs: the schema, the records, the caller.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub schema: &'a Schema,
    pub store: &'a Store,
    pub env: &'a Env,
}

impl<'a> Ctx<'a> {
    pub fn def(&self, model: &str) -> Option<&'a ModelDef> {
        self.schema.model(model)
    }

    pub fn record(&self, model: &str, id: i64) -> Option<&'a Record> {
        self.store.get(model, id)
    }
}

fn text<'r>(rec: &'r Record, field: &str) -> Option<&'r str> {
    rec.get(field).and_then(Value::as_str)
}

fn id_of(rec: &Record, field: &str) -> Option<i64> {
    rec.get(field).and_then(Value::as_i64)
}

/// The record's `display_name`, as Odoo's `_compute_display_name` gives it.
pub fn display_name(ctx: Ctx, model: &str, id: i64) -> String {
    let Some(rec) = ctx.record(model, id) else {
        return format!("{model},{id}");
    };
    let name = text(rec, "name").unwrap_or("").to_string();
    match model {
        "res.partner" => {
            let own = if name.is_empty() {
                text(rec, "type").map(|t| format!("{}{} Address", &t[..1].to_uppercase(), &t[1..])).unwrap_or_default()
            } else {
                name
            };
            let is_company = rec.get("is_company").and_then(Value::as_bool).unwrap_or(false);
            match id_of(rec, "parent_id") {
                Some(parent) if !is_company => {
                    let parent_name = ctx.record(model, parent).and_then(|p| text(p, "name")).unwrap_or("");
                    format!("{parent_name}, {own}")
                }
                _ => own,
            }
        }
        "product.category" | "res.partner.category" => match id_of(rec, "parent_id") {
            Some(parent) if parent != id => format!("{} / {name}", display_name(ctx, model, parent)),
            _ => name,
        },
        "product.product" => match text(rec, "default_code") {
            Some(code) => format!("[{code}] {name}"),
            None => name,
        },
        "sale.order.line" => {
            let order = id_of(rec, "order_id").map(|o| display_name(ctx, "sale.order", o)).unwrap_or_default();
            format!("{order} - {name}")
        }
        "ir.config_parameter" => text(rec, "key").unwrap_or("").to_string(),
        _ if name.is_empty() => format!("{model},{id}"),
        _ => name,
    }
}

/// The value of a field, stored or computed, in raw form: many2one as an id
/// or false, x2many as an id list.
pub fn raw(ctx: Ctx, model: &str, rec: &Record, field: &str) -> Value {
    let id = id_of(rec, "id").unwrap_or(0);
    match field {
        "id" => return json!(id),
        "display_name" => return json!(display_name(ctx, model, id)),
        "complete_name" => return json!(display_name(ctx, model, id)),
        "company_type" => {
            let company = rec.get("is_company").and_then(Value::as_bool).unwrap_or(false);
            return json!(if company { "company" } else { "person" });
        }
        "state" if model == "sale.order.line" => {
            let order = id_of(rec, "order_id").and_then(|o| ctx.record("sale.order", o));
            return order.and_then(|o| o.get("state")).cloned().unwrap_or(Value::Bool(false));
        }
        _ => {}
    }
    let Some(def) = ctx.def(model).and_then(|d| d.field(field)) else {
        return Value::Bool(false);
    };
    if def.ftype == FieldType::One2many {
        let (Some(comodel), Some(inverse)) = (&def.relation, &def.inverse) else {
            return json!([]);
        };
        let ids: Vec<i64> = ctx
            .store
            .table(comodel)
            .into_iter()
            .flatten()
            .filter(|(_, r)| id_of(r, inverse) == Some(id))
            .filter(|(_, r)| comodel != "res.partner" || r.get("active").and_then(Value::as_bool).unwrap_or(true))
            .map(|(cid, _)| *cid)
            .collect();
        let ordered = ctx.def(comodel).map(|d| sort_ids(ctx, d, ids.clone(), &default_spec(d))).unwrap_or(ids);
        return json!(ordered);
    }
    match rec.get(field) {
        None | Some(Value::Null) => match def.ftype {
            FieldType::Many2many => json!([]),
            _ => Value::Bool(false),
        },
        Some(v) => v.clone(),
    }
}

/// The related ids of a relational field (empty for false).
pub fn related_ids(ctx: Ctx, model: &str, rec: &Record, field: &str) -> Vec<i64> {
    match raw(ctx, model, rec, field) {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
        _ => Vec::new(),
    }
}

/// A field as `read` returns it: many2one `[id, display_name]` or false.
pub fn render(ctx: Ctx, def: &ModelDef, rec: &Record, field: &str) -> Value {
    let value = raw(ctx, &def.name, rec, field);
    match def.field(field) {
        Some(f) if f.ftype == FieldType::Many2one => match (value.as_i64(), &f.relation) {
            (Some(id), Some(comodel)) => json!([id, display_name(ctx, comodel, id)]),
            _ => Value::Bool(false),
        },
        _ => value,
    }
}

/// Odoo's message for a field name that is not on the model (read, fields).
pub fn invalid_field(version: OdooVersion, model: &str, field: &str) -> super::error::OdooError {
    match version {
        OdooVersion::V19 => value_error(format!("Invalid field '{field}' on '{model}'")),
        OdooVersion::V16 | OdooVersion::V17 => value_error(format!("Invalid field '{field}' on model '{model}'")),
    }
}

/// Renders records for `read` / `search_read`: `id` plus the asked fields
/// (every served field when none are asked).
pub fn read_rows(ctx: Ctx, def: &ModelDef, ids: &[i64], fields: &[String]) -> OdooResult<Vec<Value>> {
    for f in fields {
        if !def.has(f) && f != "id" {
            return Err(invalid_field(ctx.env.version, &def.name, f));
        }
    }
    let names: Vec<String> = if fields.is_empty() {
        def.fields.keys().filter(|k| k.as_str() != "id").cloned().collect()
    } else {
        fields.iter().filter(|f| f.as_str() != "id").cloned().collect()
    };
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(rec) = ctx.record(&def.name, *id) else { continue };
        let mut row = Map::new();
        row.insert("id".into(), json!(id));
        for name in &names {
            row.insert(name.clone(), render(ctx, def, rec, name));
        }
        rows.push(Value::Object(row));
    }
    Ok(rows)
}

/// One term of an `order` spec.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderTerm {
    pub field: String,
    pub desc: bool,
    pub nulls_first: Option<bool>,
}

fn bad_order(spec: &str) -> super::error::OdooError {
    user_error(format!(
        "Invalid \"order\" specified ({spec}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)"
    ))
}

/// Parses and validates an `order` spec: `name desc, id` and the like, as
/// Odoo's regex allows (`field[.sub] [asc|desc] [nulls first|last]`).
pub fn parse_order(def: &ModelDef, spec: &str, version: OdooVersion) -> OdooResult<Vec<OrderTerm>> {
    let mut terms = Vec::new();
    if spec.trim().is_empty() {
        return Ok(terms);
    }
    for part in spec.split(',') {
        let words: Vec<String> = part.split_whitespace().map(str::to_ascii_lowercase).collect();
        let Some(first) = words.first() else { return Err(bad_order(spec)) };
        let name = first.trim_matches('"');
        let valid_name =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let mut pieces = name.splitn(2, '.');
        let field = pieces.next().unwrap_or("");
        if !valid_name(field) || pieces.next().is_some_and(|sub| !valid_name(sub)) {
            return Err(bad_order(spec));
        }
        let rest: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        let (desc, nulls) = match rest.as_slice() {
            [] => (false, None),
            ["asc"] => (false, None),
            ["desc"] => (true, None),
            ["nulls", n] => (false, Some(*n)),
            ["asc", "nulls", n] => (false, Some(*n)),
            ["desc", "nulls", n] => (true, Some(*n)),
            _ => return Err(bad_order(spec)),
        };
        let nulls_first = match nulls {
            None => None,
            Some("first") => Some(true),
            Some("last") => Some(false),
            Some(_) => return Err(bad_order(spec)),
        };
        if field != "id" && !def.has(field) {
            return Err(match version {
                OdooVersion::V19 => value_error(format!("Invalid field '{field}' on model '{}'", def.name)),
                OdooVersion::V16 | OdooVersion::V17 => {
                    value_error(format!("Invalid field {:?} on model {:?}", field, def.name))
                }
            });
        }
        terms.push(OrderTerm { field: field.to_string(), desc, nulls_first });
    }
    Ok(terms)
}

/// The model's default order, parsed (always valid).
pub fn default_spec(def: &ModelDef) -> Vec<OrderTerm> {
    parse_order(def, def.default_order, OdooVersion::V19).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
}

fn sort_key(ctx: Ctx, def: &ModelDef, rec: &Record, field: &str) -> Option<Key> {
    let value = raw(ctx, &def.name, rec, field);
    let ftype = def.field(field).map(|f| f.ftype);
    match (ftype, value) {
        (Some(FieldType::Boolean), v) => Some(Key::Num(if v.as_bool().unwrap_or(false) { 1.0 } else { 0.0 })),
        (_, Value::Bool(false) | Value::Null) => None,
        (Some(FieldType::Many2one), Value::Number(n)) => {
            let comodel = def.field(field).and_then(|f| f.relation.clone()).unwrap_or_default();
            let id = n.as_i64().unwrap_or(0);
            Some(Key::Text(display_name(ctx, &comodel, id).to_lowercase()))
        }
        (_, Value::Number(n)) => Some(Key::Num(n.as_f64().unwrap_or(0.0))),
        (_, Value::String(s)) => Some(Key::Text(s.to_lowercase())),
        (_, Value::Bool(true)) => Some(Key::Num(1.0)),
        (_, other) => Some(Key::Text(other.to_string())),
    }
}

/// Sorts ids by an order spec; `id` breaks remaining ties, as in Odoo.
pub fn sort_ids(ctx: Ctx, def: &ModelDef, ids: Vec<i64>, spec: &[OrderTerm]) -> Vec<i64> {
    let mut keyed: Vec<(i64, Vec<Option<Key>>)> = ids
        .into_iter()
        .map(|id| {
            let keys = match ctx.record(&def.name, id) {
                Some(rec) => spec.iter().map(|t| sort_key(ctx, def, rec, &t.field)).collect(),
                None => Vec::new(),
            };
            (id, keys)
        })
        .collect();
    keyed.sort_by(|(a_id, a), (b_id, b)| {
        for (i, term) in spec.iter().enumerate() {
            let nulls_first = term.nulls_first.unwrap_or(term.desc);
            let ord = match (a.get(i).cloned().flatten(), b.get(i).cloned().flatten()) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => {
                    if nulls_first {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    }
                }
                (Some(_), None) => {
                    if nulls_first {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    }
                }
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if term.desc { o.reverse() } else { o }
                }
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        a_id.cmp(b_id)
    });
    keyed.into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::dataset::load;

    #[test]
    fn order_specs_are_validated_like_odoo() {
        let (schema, _) = load(OdooVersion::V19);
        let def = schema.model("res.partner").unwrap();
        assert_eq!(parse_order(def, "name desc, id", OdooVersion::V19).unwrap().len(), 2);
        assert!(parse_order(def, "name DESC NULLS LAST", OdooVersion::V19).is_ok());
        let e = parse_order(def, "name; drop table x", OdooVersion::V19).unwrap_err();
        assert_eq!(e.kind, crate::sandbox::error::Kind::UserError);
        assert!(e.message.starts_with("Invalid \"order\" specified (name; drop table x)"));
        assert!(parse_order(def, "name,", OdooVersion::V19).is_err());
        assert_eq!(
            parse_order(def, "nope", OdooVersion::V19).unwrap_err().kind,
            crate::sandbox::error::Kind::ValueError
        );
    }
}
