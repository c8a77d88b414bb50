//! unlink on the in-memory store: references to the deleted records are
//! cleared (optional many2one, many2many) or cascade (sale order lines), a
//! required reference refuses the deletion, and the model-specific refusals
//! the recordings show (a user's partner: RedirectWarning; a confirmed sale
//! order: UserError) come first.

use super::access::Env;
use super::dataset::{FieldType, ModelDef, Record, Schema, Store};
use super::error::{Kind, OdooError, OdooResult, user_error, validation};
use super::write::{check_ids, recompute_orders};
use serde_json::{Value, json};

/// Deletes records, clearing or cascading the references to them.
pub fn unlink(schema: &Schema, store: &mut Store, env: &Env, def: &ModelDef, ids: &[i64]) -> OdooResult<()> {
    check_ids(store, env, def, ids)?;
    refuse_unlink(store, def, ids)?;
    let mut cascade: Vec<(String, Vec<i64>)> = Vec::new();
    for other in schema.models.values() {
        for field in other.fields.values() {
            if field.relation.as_deref() != Some(def.name.as_str()) || field.ftype == FieldType::One2many {
                continue;
            }
            let Some(table) = store.tables.get_mut(&other.name) else { continue };
            let mut hit = Vec::new();
            for (rid, rec) in table.iter_mut() {
                match rec.get(&field.name) {
                    Some(Value::Number(n)) if n.as_i64().is_some_and(|v| ids.contains(&v)) => hit.push(*rid),
                    Some(Value::Array(items)) => {
                        let kept: Vec<Value> =
                            items.iter().filter(|v| !v.as_i64().is_some_and(|x| ids.contains(&x))).cloned().collect();
                        rec.insert(field.name.clone(), Value::Array(kept));
                    }
                    _ => {}
                }
            }
            hit.retain(|rid| !(other.name == def.name && ids.contains(rid)));
            if hit.is_empty() {
                continue;
            }
            if other.name == "sale.order.line" && field.name == "order_id" {
                cascade.push((other.name.clone(), hit));
            } else if field.required {
                return Err(validation(format!(
                    "The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {} ({}), Constraint: {}_{}_fkey",
                    other.description,
                    other.name,
                    other.name.replace('.', "_"),
                    field.name
                )));
            } else if let Some(table) = store.tables.get_mut(&other.name) {
                for rid in hit {
                    if let Some(r) = table.get_mut(&rid) {
                        r.insert(field.name.clone(), Value::Bool(false));
                    }
                }
            }
        }
    }
    if let Some(table) = store.tables.get_mut(&def.name) {
        for id in ids {
            table.remove(id);
        }
    }
    for (model, rids) in cascade {
        if let Some(table) = store.tables.get_mut(&model) {
            for rid in rids {
                table.remove(&rid);
            }
        }
    }
    if def.name.starts_with("sale.order") {
        recompute_orders(store);
    }
    Ok(())
}

/// The business refusals Odoo raises before deleting.
fn refuse_unlink(store: &Store, def: &ModelDef, ids: &[i64]) -> OdooResult<()> {
    match def.name.as_str() {
        "res.partner" => {
            let users: Vec<&Record> = store
                .table("res.users")
                .into_iter()
                .flatten()
                .map(|(_, u)| u)
                .filter(|u| u.get("active").and_then(Value::as_bool).unwrap_or(false))
                .filter(|u| u.get("partner_id").and_then(Value::as_i64).is_some_and(|p| ids.contains(&p)))
                .collect();
            if let Some(first) = users.first() {
                let names: Vec<&str> = users.iter().filter_map(|u| u.get("name").and_then(Value::as_str)).collect();
                let mut err = OdooError::new(
                    Kind::RedirectWarning,
                    format!(
                        "You cannot delete contacts linked to an active user.\nYou should rather archive them after archiving their associated user.\n\nLinked active users : {}",
                        names.join(", ")
                    ),
                );
                err.action = Some(json!({
                    "type": "ir.actions.act_window", "res_model": "res.users", "context": {"create": false},
                    "view_mode": "form", "views": [[false, "form"]], "res_id": first.get("id").cloned().unwrap_or(json!(false)),
                }));
                return Err(err);
            }
        }
        "sale.order" => {
            for id in ids {
                let state = store.get(&def.name, *id).and_then(|o| o.get("state")).and_then(Value::as_str);
                if matches!(state, Some("sent" | "sale")) {
                    return Err(user_error(
                        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
                    ));
                }
            }
        }
        "res.users" if ids.iter().any(|id| *id <= 2) => {
            return Err(user_error(
                "You can not remove the admin user as it is used internally for resources created by Odoo (updates, module installation, ...)",
            ));
        }
        _ => {}
    }
    Ok(())
}
