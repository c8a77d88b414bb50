//! `sale.order`'s workflow buttons as Odoo runs them over RPC
//! (`addons/sale/models/sale_order.py`): `action_confirm` turns quotations
//! (draft or sent) into sales orders and stamps `date_order`, refusing any
//! other state with a UserError; `action_cancel` cancels draft quotations,
//! but for any other state (unless the context says
//! `disable_cancel_warning`) answers the cancel wizard's window action
//! instead of cancelling, and needs a single order to do so.

use super::access::Env;
use super::dataset::{ModelDef, Schema, Store};
use super::error::{OdooResult, user_error, value_error};
use super::write::{check_ids, now_string, write};
use serde_json::{Map, Value, json};

/// Ids of the sandbox's cancel wizard view and cancellation mail template
/// (`env.ref(...)` in Odoo: database-specific integers).
const CANCEL_VIEW_ID: i64 = 1403;
const CANCEL_TEMPLATE_ID: i64 = 27;

fn state(store: &Store, id: i64) -> String {
    store.get("sale.order", id).and_then(|o| o.get("state")).and_then(Value::as_str).unwrap_or("draft").to_string()
}

/// `action_confirm`: True, or a UserError naming why not.
pub fn confirm(schema: &Schema, store: &mut Store, env: &Env, def: &ModelDef, ids: &[i64]) -> OdooResult<Value> {
    check_ids(store, env, def, ids)?;
    if ids.iter().any(|id| !matches!(state(store, *id).as_str(), "draft" | "sent")) {
        return Err(user_error("Some orders are not in a state requiring confirmation."));
    }
    let values = Map::from_iter([("state".into(), json!("sale")), ("date_order".into(), json!(now_string()))]);
    write(schema, store, env, def, ids, &values)?;
    Ok(json!(true))
}

/// `action_cancel`: True once cancelled, or the wizard's action for an
/// order past the draft stage.
pub fn cancel(
    schema: &Schema,
    store: &mut Store,
    env: &Env,
    def: &ModelDef,
    ids: &[i64],
    context: &Map<String, Value>,
) -> OdooResult<Value> {
    check_ids(store, env, def, ids)?;
    let warn = !context.get("disable_cancel_warning").is_some_and(|v| v.as_bool().unwrap_or(!v.is_null()));
    if warn && ids.iter().any(|id| state(store, *id) != "draft") {
        let [id] = ids else {
            let shown: Vec<String> = ids.iter().map(i64::to_string).collect();
            return Err(value_error(format!("Expected singleton: sale.order({})", shown.join(", "))));
        };
        let type_name =
            if matches!(state(store, *id).as_str(), "draft" | "sent") { "Quotation" } else { "Sales Order" };
        return Ok(json!({
            "name": format!("Cancel {type_name}"),
            "view_mode": "form",
            "res_model": "sale.order.cancel",
            "view_id": CANCEL_VIEW_ID,
            "type": "ir.actions.act_window",
            "context": {
                "default_template_id": CANCEL_TEMPLATE_ID,
                "default_order_id": id,
                "mark_so_as_canceled": true,
                "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
                "model_description": type_name,
            },
            "target": "new",
        }));
    }
    write(schema, store, env, def, ids, &Map::from_iter([("state".into(), json!("cancel"))]))?;
    Ok(json!(true))
}
