//! create / write on the in-memory store, with Odoo's validation: unknown
//! fields, selection values, many2one targets that must exist, required
//! fields, x2many commands, and the company rule on new values. Changes
//! persist for the life of the process.

use super::OdooVersion;
use super::access::{Env, rule_allows, rule_error};
use super::dataset::{Field, FieldType, ModelDef, Record, Schema, Store};
use super::error::{Kind, OdooError, OdooResult, missing, py_repr, validation, value_error};
use super::unlink::unlink;
use serde_json::{Map, Value, json};

/// The current UTC time as Odoo writes datetimes.
pub fn now_string() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    now.format(&format).unwrap_or_else(|_| "2025-01-01 00:00:00".to_string())
}

/// Fields the ORM computes: writes to them are ignored, as Odoo ignores
/// values for non-inversed computed fields.
fn is_computed(model: &str, field: &str) -> bool {
    matches!(field, "id" | "display_name" | "create_date" | "write_date" | "complete_name")
        || matches!(
            (model, field),
            ("sale.order", "amount_untaxed" | "amount_tax" | "amount_total")
                | ("sale.order.line", "price_subtotal" | "price_tax" | "price_total" | "state")
                | ("res.partner", "company_type")
        )
}

/// Recomputes line subtotals (15% tax) and order totals from the lines.
pub fn recompute_orders(store: &mut Store) {
    let mut totals: std::collections::BTreeMap<i64, (f64, f64)> = std::collections::BTreeMap::new();
    if let Some(lines) = store.tables.get_mut("sale.order.line") {
        for line in lines.values_mut() {
            let qty = line.get("product_uom_qty").and_then(Value::as_f64).unwrap_or(0.0);
            let price = line.get("price_unit").and_then(Value::as_f64).unwrap_or(0.0);
            let subtotal = round2(qty * price);
            let tax = round2(subtotal * 0.15);
            line.insert("price_subtotal".into(), json!(subtotal));
            line.insert("price_tax".into(), json!(tax));
            line.insert("price_total".into(), json!(round2(subtotal + tax)));
            if let Some(order) = line.get("order_id").and_then(Value::as_i64) {
                let entry = totals.entry(order).or_default();
                entry.0 += subtotal;
                entry.1 += tax;
            }
        }
    }
    if let Some(orders) = store.tables.get_mut("sale.order") {
        for (id, order) in orders.iter_mut() {
            let (untaxed, tax) = totals.get(id).copied().unwrap_or_default();
            order.insert("amount_untaxed".into(), json!(round2(untaxed)));
            order.insert("amount_tax".into(), json!(round2(tax)));
            order.insert("amount_total".into(), json!(round2(untaxed + tax)));
        }
    }
}

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn wrong_value(model: &str, field: &str, value: &Value) -> OdooError {
    value_error(format!("Wrong value for {model}.{field}: {}", py_repr(value)))
}

fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Converts one incoming scalar or many2one value to its stored form.
fn convert(store: &Store, env: &Env, def: &ModelDef, field: &Field, value: &Value) -> OdooResult<Value> {
    if matches!(value, Value::Null | Value::Bool(false)) && field.ftype != FieldType::Boolean {
        return Ok(match field.ftype {
            FieldType::Integer | FieldType::Float | FieldType::Monetary => json!(0),
            _ => Value::Bool(false),
        });
    }
    let bad = || wrong_value(&def.name, &field.name, value);
    Ok(match field.ftype {
        FieldType::Boolean => Value::Bool(match value {
            Value::Bool(b) => *b,
            Value::Null => false,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::String(s) => !s.is_empty(),
            _ => true,
        }),
        FieldType::Integer => {
            match value {
                Value::Number(n) => json!(n.as_i64().unwrap_or_else(|| n.as_f64().unwrap_or(0.0) as i64)),
                Value::Bool(true) => json!(1),
                Value::String(s) => json!(s.trim().parse::<i64>().map_err(|_| {
                    value_error(format!("invalid literal for int() with base 10: {}", py_repr(value)))
                })?),
                _ => return Err(bad()),
            }
        }
        FieldType::Float | FieldType::Monetary => match value {
            Value::Number(n) => json!(n.as_f64().unwrap_or(0.0)),
            Value::String(s) => json!(
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| { value_error(format!("could not convert string to float: {}", py_repr(value))) })?
            ),
            _ => return Err(bad()),
        },
        FieldType::Selection => match value.as_str() {
            Some(s) if field.selection.iter().any(|o| o == s) => value.clone(),
            _ => return Err(bad()),
        },
        FieldType::Date => match value.as_str() {
            Some(s) if valid_date(&s[..s.len().min(10)]) => json!(&s[..10]),
            _ => return Err(value_error(format!("time data {} does not match format '%Y-%m-%d'", py_repr(value)))),
        },
        FieldType::Datetime => match value.as_str() {
            Some(s) if s.len() == 10 && valid_date(s) => json!(format!("{s} 00:00:00")),
            Some(s) if s.len() >= 19 && valid_date(&s[..10]) => json!(s[..19].replace('T', " ")),
            _ => {
                return Err(value_error(format!(
                    "time data {} does not match format '%Y-%m-%d %H:%M:%S'",
                    py_repr(value)
                )));
            }
        },
        FieldType::Many2one => {
            let Some(id) = value.as_i64() else { return Err(bad()) };
            let comodel = field.relation.as_deref().unwrap_or("");
            if !store.exists(comodel, id) {
                return Err(missing(comodel, &[id], env.uid));
            }
            json!(id)
        }
        FieldType::Char | FieldType::Text | FieldType::Html | FieldType::Binary => match value {
            Value::String(_) => value.clone(),
            Value::Number(_) | Value::Bool(true) => json!(value.to_string()),
            _ => return Err(bad()),
        },
        FieldType::One2many | FieldType::Many2many => value.clone(),
    })
}

/// Default values of a new record of `def`.
fn defaults(store: &mut Store, env: &Env, def: &ModelDef) -> Record {
    let mut rec = Map::new();
    let now = now_string();
    for field in def.fields.values() {
        let default = match (field.name.as_str(), field.ftype) {
            ("active", _) => json!(true),
            (_, FieldType::Many2many) => json!([]),
            (_, FieldType::One2many) => continue,
            (_, FieldType::Boolean) => json!(false),
            (_, FieldType::Integer | FieldType::Float | FieldType::Monetary) => json!(0),
            _ => Value::Bool(false),
        };
        rec.insert(field.name.clone(), default);
    }
    let mut set = |k: &str, v: Value| {
        if def.has(k) {
            rec.insert(k.to_string(), v);
        }
    };
    match def.name.as_str() {
        "res.partner" => {
            set("type", json!("contact"));
            set("lang", json!("en_US"));
        }
        "product.product" => {
            set("type", json!("consu"));
            set("sale_ok", json!(true));
            set("list_price", json!(1.0));
            set("categ_id", json!(1));
        }
        "sale.order" => {
            let number = store.next_order_number;
            store.next_order_number += 1;
            set("name", json!(format!("S{number:05}")));
            set("state", json!("draft"));
            set("date_order", json!(now.clone()));
            set("user_id", json!(env.uid));
            set("company_id", json!(env.company()));
            set("currency_id", json!(1));
        }
        "sale.order.line" => {
            set("product_uom_qty", json!(1.0));
            set("sequence", json!(10));
            set("currency_id", json!(1));
        }
        "res.company" | "res.users" => {
            set("currency_id", json!(1));
            set("company_id", json!(env.company()));
            set("company_ids", json!([env.company()]));
            set("lang", json!("en_US"));
            set("sequence", json!(10));
        }
        _ => {}
    }
    rec.insert("create_date".into(), json!(now.clone()));
    rec.insert("write_date".into(), json!(now));
    rec
}

fn missing_required(def: &ModelDef, field: &Field, version: OdooVersion) -> OdooError {
    validation(match version {
        OdooVersion::V19 => format!(
            "The operation cannot be completed: Missing required value for the field '{}' ({}).\nModel: '{}' ({})\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n",
            field.string(),
            field.name,
            def.description,
            def.name
        ),
        // 17 words it differently (odoo-wire-17 error_required_field_missing).
        OdooVersion::V16 | OdooVersion::V17 => format!(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({})\nField: {} ({})\n",
            def.description,
            def.name,
            field.string(),
            field.name
        ),
    })
}

/// Checks the constraints that hold on every stored record of `def`.
fn check_record(def: &ModelDef, rec: &Record, version: OdooVersion) -> OdooResult<()> {
    if def.name == "res.partner" {
        let named = rec.get("name").and_then(Value::as_str).is_some_and(|s| !s.is_empty());
        let contact = rec.get("type").and_then(Value::as_str) == Some("contact");
        if contact && !named {
            return Err(validation("The operation cannot be completed: Contacts require a name"));
        }
    }
    for field in def.fields.values() {
        if !field.required || field.ftype.is_x2many() || is_computed(&def.name, &field.name) {
            continue;
        }
        let empty = match rec.get(&field.name) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => field.ftype != FieldType::Boolean,
            Some(Value::String(s)) => s.is_empty(),
            _ => false,
        };
        if empty {
            return Err(missing_required(def, field, version));
        }
    }
    Ok(())
}

/// What a write does to one x2many field.
enum X2Many {
    Commands(Vec<Value>),
}

/// Stored values, and the x2many commands to apply once the record exists.
type Prepared = (Map<String, Value>, Vec<(String, X2Many)>);

/// Splits vals into stored values and x2many commands, validating names and values.
fn prepare(
    store: &Store,
    env: &Env,
    def: &ModelDef,
    vals: &Map<String, Value>,
    creating: bool,
) -> OdooResult<Prepared> {
    let mut stored = Map::new();
    let mut x2 = Vec::new();
    for (name, value) in vals {
        let Some(field) = def.field(name) else {
            return Err(match (creating, env.version) {
                (false, OdooVersion::V19) => OdooError::new(Kind::KeyError, name.clone()),
                _ => value_error(format!(
                    "Invalid field {} on model {}",
                    py_repr(&json!(name)),
                    py_repr(&json!(def.name))
                )),
            });
        };
        if def.name == "res.partner" && name == "company_type" {
            stored.insert("is_company".into(), json!(value.as_str() == Some("company")));
            continue;
        }
        if is_computed(&def.name, name) {
            continue;
        }
        if field.ftype.is_x2many() {
            let commands = match value {
                // Odoo's `write_batch`: a non-empty list of ids is a set; an
                // empty list is no command at all, so nothing changes.
                Value::Array(items) if !items.is_empty() && items.iter().all(|i| i.is_i64()) => {
                    vec![json!([6, 0, items])]
                }
                Value::Array(items) => items.clone(),
                Value::Null | Value::Bool(false) => vec![json!([5])],
                _ => return Err(wrong_value(&def.name, name, value)),
            };
            x2.push((name.clone(), X2Many::Commands(commands)));
            continue;
        }
        stored.insert(name.clone(), convert(store, env, def, field, value)?);
    }
    Ok((stored, x2))
}

/// Applies x2many commands of `field` on record `id`.
fn apply_x2many(
    schema: &Schema,
    store: &mut Store,
    env: &Env,
    def: &ModelDef,
    id: i64,
    field: &Field,
    commands: &[Value],
) -> OdooResult<()> {
    let comodel_name = field.relation.clone().unwrap_or_default();
    let Some(comodel) = schema.model(&comodel_name).cloned() else { return Ok(()) };
    let inverse = field.inverse.clone();
    let current = |store: &Store| -> Vec<i64> {
        match (&inverse, field.ftype) {
            (Some(inv), FieldType::One2many) => store
                .table(&comodel_name)
                .into_iter()
                .flatten()
                .filter(|(_, r)| r.get(inv).and_then(Value::as_i64) == Some(id))
                .map(|(k, _)| *k)
                .collect(),
            _ => store
                .get(&def.name, id)
                .and_then(|r| r.get(&field.name))
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default(),
        }
    };
    let mut ids = current(store);
    for command in commands {
        let parts = command.as_array().cloned().unwrap_or_default();
        let code = parts.first().and_then(Value::as_i64).ok_or_else(|| wrong_value(&def.name, &field.name, command))?;
        let arg = parts.get(1).and_then(Value::as_i64).unwrap_or(0);
        let existing = |store: &Store, rid: i64| -> OdooResult<()> {
            if store.exists(&comodel_name, rid) { Ok(()) } else { Err(missing(&comodel_name, &[rid], env.uid)) }
        };
        match code {
            0 => {
                let mut vals = parts.get(2).and_then(Value::as_object).cloned().unwrap_or_default();
                if let (Some(inv), FieldType::One2many) = (&inverse, field.ftype) {
                    vals.insert(inv.clone(), json!(id));
                }
                let new = create(schema, store, env, &comodel, vec![vals])?;
                ids.extend(new);
            }
            1 => {
                existing(store, arg)?;
                let vals = parts.get(2).and_then(Value::as_object).cloned().unwrap_or_default();
                write(schema, store, env, &comodel, &[arg], &vals)?;
            }
            2 => {
                existing(store, arg)?;
                unlink(schema, store, env, &comodel, &[arg])?;
                ids.retain(|x| *x != arg);
            }
            3 => ids.retain(|x| *x != arg),
            4 => {
                existing(store, arg)?;
                if !ids.contains(&arg) {
                    ids.push(arg);
                }
            }
            5 => ids.clear(),
            6 => {
                let new: Vec<i64> = parts
                    .get(2)
                    .and_then(Value::as_array)
                    .map(|v| v.iter().filter_map(Value::as_i64).collect())
                    .unwrap_or_default();
                for rid in &new {
                    existing(store, *rid)?;
                }
                ids = new;
            }
            _ => return Err(wrong_value(&def.name, &field.name, command)),
        }
    }
    match (&inverse, field.ftype) {
        (Some(inv), FieldType::One2many) => {
            let before = current(store);
            let removed: Vec<i64> = before.iter().copied().filter(|x| !ids.contains(x)).collect();
            let inverse_required = comodel.field(inv).is_some_and(|f| f.required);
            if inverse_required && !removed.is_empty() {
                unlink(schema, store, env, &comodel, &removed)?;
            }
            if let Some(table) = store.tables.get_mut(&comodel_name) {
                for rid in &removed {
                    if let Some(r) = table.get_mut(rid) {
                        r.insert(inv.clone(), Value::Bool(false));
                    }
                }
                for rid in &ids {
                    if let Some(r) = table.get_mut(rid) {
                        r.insert(inv.clone(), json!(id));
                    }
                }
            }
        }
        _ => {
            if let Some(rec) = store.tables.get_mut(&def.name).and_then(|t| t.get_mut(&id)) {
                rec.insert(field.name.clone(), json!(ids));
            }
        }
    }
    Ok(())
}

/// Creates records from a list of value dicts; returns the new ids.
pub fn create(
    schema: &Schema,
    store: &mut Store,
    env: &Env,
    def: &ModelDef,
    vals_list: Vec<Map<String, Value>>,
) -> OdooResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(vals_list.len());
    for vals in vals_list {
        let (stored, x2) = prepare(store, env, def, &vals, true)?;
        let mut rec = defaults(store, env, def);
        rec.extend(stored);
        fill_related_defaults(store, def, &mut rec);
        if def.name == "res.company" && !vals.contains_key("partner_id") {
            let name = rec.get("name").cloned().unwrap_or(Value::Bool(false));
            if let Some(pdef) = schema.model("res.partner") {
                let partner = create(
                    schema,
                    store,
                    env,
                    pdef,
                    vec![Map::from_iter([("name".into(), name), ("is_company".into(), json!(true))])],
                )?;
                rec.insert("partner_id".into(), json!(partner[0]));
            }
        }
        if def.name == "res.users" && !vals.contains_key("partner_id") {
            let name = rec.get("name").cloned().unwrap_or(Value::Bool(false));
            if let Some(pdef) = schema.model("res.partner") {
                let partner = create(schema, store, env, pdef, vec![Map::from_iter([("name".into(), name)])])?;
                rec.insert("partner_id".into(), json!(partner[0]));
            }
        }
        check_record(def, &rec, env.version)?;
        if !rule_allows(env, store, def, &rec) {
            return Err(rule_error(env, def, "create"));
        }
        let id = store.allocate_id(&def.name);
        rec.insert("id".into(), json!(id));
        store.tables.entry(def.name.clone()).or_default().insert(id, rec);
        for (name, X2Many::Commands(commands)) in &x2 {
            if let Some(field) = def.field(name) {
                apply_x2many(schema, store, env, def, id, field, commands)?;
            }
        }
        ids.push(id);
    }
    if def.name.starts_with("sale.order") {
        recompute_orders(store);
    }
    Ok(ids)
}

/// Values a new record takes from the records it points to.
fn fill_related_defaults(store: &Store, def: &ModelDef, rec: &mut Record) {
    if def.name != "sale.order.line" {
        return;
    }
    let product = rec.get("product_id").and_then(Value::as_i64).and_then(|p| store.get("product.product", p)).cloned();
    if let Some(product) = product {
        if rec.get("price_unit").and_then(Value::as_f64).unwrap_or(0.0) == 0.0 {
            rec.insert("price_unit".into(), product.get("list_price").cloned().unwrap_or(json!(0.0)));
        }
        if !rec.get("name").is_some_and(Value::is_string) {
            rec.insert("name".into(), product.get("name").cloned().unwrap_or(Value::Bool(false)));
        }
    }
    let company = rec
        .get("order_id")
        .and_then(Value::as_i64)
        .and_then(|o| store.get("sale.order", o))
        .and_then(|o| o.get("company_id"))
        .cloned();
    if let Some(company) = company {
        rec.insert("company_id".into(), company);
    }
}

/// Odoo's `_check_parent_id` on res.partner (`_has_cycle`): a partner may
/// not become its own ancestor. Checked before anything is written, as
/// Odoo's constraint rolls the whole write back.
fn check_no_cycle(store: &Store, def: &ModelDef, ids: &[i64], vals: &Map<String, Value>) -> OdooResult<()> {
    if def.name != "res.partner" {
        return Ok(());
    }
    let Some(new_parent) = vals.get("parent_id").and_then(Value::as_i64) else { return Ok(()) };
    let parent_of = |id: i64| -> Option<i64> {
        if ids.contains(&id) {
            return Some(new_parent);
        }
        store.get(&def.name, id).and_then(|r| r.get("parent_id")).and_then(Value::as_i64)
    };
    for start in ids {
        let mut seen = vec![*start];
        let mut next = parent_of(*start);
        while let Some(id) = next {
            if seen.contains(&id) {
                return Err(validation("You cannot create recursive Partner hierarchies."));
            }
            seen.push(id);
            next = parent_of(id);
        }
    }
    Ok(())
}

/// Checks ids exist (MissingError) and pass the record rules (AccessError).
pub fn check_ids(store: &Store, env: &Env, def: &ModelDef, ids: &[i64]) -> OdooResult<()> {
    let absent: Vec<i64> = ids.iter().copied().filter(|id| !store.exists(&def.name, *id)).collect();
    if !absent.is_empty() {
        return Err(missing(&def.name, &absent, env.uid));
    }
    for id in ids {
        if let Some(rec) = store.get(&def.name, *id)
            && !rule_allows(env, store, def, rec)
        {
            // Odoo's message names 'read' here: the write first reads the records.
            return Err(rule_error(env, def, "read"));
        }
    }
    Ok(())
}

/// Writes the same values on every id.
pub fn write(
    schema: &Schema,
    store: &mut Store,
    env: &Env,
    def: &ModelDef,
    ids: &[i64],
    vals: &Map<String, Value>,
) -> OdooResult<()> {
    check_ids(store, env, def, ids)?;
    check_no_cycle(store, def, ids, vals)?;
    let (stored, x2) = prepare(store, env, def, vals, false)?;
    let now = now_string();
    for id in ids {
        let Some(mut rec) = store.get(&def.name, *id).cloned() else { continue };
        rec.extend(stored.clone());
        rec.insert("write_date".into(), json!(now.clone()));
        check_record(def, &rec, env.version)?;
        if !rule_allows(env, store, def, &rec) {
            return Err(rule_error(env, def, "write"));
        }
        store.tables.entry(def.name.clone()).or_default().insert(*id, rec);
        for (name, X2Many::Commands(commands)) in &x2 {
            if let Some(field) = def.field(name) {
                apply_x2many(schema, store, env, def, *id, field, commands)?;
            }
        }
    }
    if def.name.starts_with("sale.order") {
        recompute_orders(store);
    }
    Ok(())
}
