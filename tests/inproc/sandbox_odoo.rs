//! The sandbox where it differed from Odoo, over its real JSON-2 and
//! JSON-RPC wire, each case as Odoo's source has it: `sale.order`'s
//! `action_confirm` and `action_cancel` (addons/sale/models/sale_order.py),
//! a recursive partner hierarchy refused (`_check_parent_id`), and `read`
//! with a `load` other than `_classic_read` giving many2one values as bare
//! ids (`Many2one.convert_to_read` with `use_display_name` false).

use crate::common::http;
use serde_json::{Value, json};
use std::net::SocketAddr;

/// A JSON-2 call; (status, body).
fn json2(addr: SocketAddr, key: &str, model: &str, method: &str, body: Value) -> (u16, Value) {
    let auth = format!("bearer {key}");
    let path = format!("/json/2/{model}/{method}");
    let r = http::post_json(addr, &path, &[("Authorization", &auth), ("X-Odoo-Database", "demo")], &body);
    (r.status, r.json())
}

/// A JSON-RPC `execute_kw` as `uid`; the result or the error object.
fn execute_kw(addr: SocketAddr, uid: i64, key: &str, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw",
        "args": ["demo", uid, key, model, method, args, kwargs]}});
    http::post_json(addr, "/jsonrpc", &[], &body).json()
}

fn order_ids(addr: SocketAddr, key: &str, state: &str) -> Vec<i64> {
    let (_, ids) = json2(addr, key, "sale.order", "search", json!({"domain": [["state", "=", state]]}));
    ids.as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect()
}

fn state_of(addr: SocketAddr, key: &str, id: i64) -> String {
    let (_, rows) = json2(addr, key, "sale.order", "read", json!({"ids": [id], "fields": ["state"]}));
    rows[0]["state"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sale_orders_confirm_and_cancel_as_odoo_does() {
    let sandbox = crate::common::inproc::start_sandbox().await;
    let (addr, key) = (sandbox.addr(), sandbox.user("admin").unwrap().key);
    let viewer = sandbox.user("viewer").unwrap().key;
    tokio::task::spawn_blocking(move || {
        let drafts = order_ids(addr, &key, "draft");
        let (draft, other_draft) = (drafts[0], drafts[1]);
        // Confirm: a quotation becomes a sales order; a second time is refused.
        let (status, body) = json2(addr, &key, "sale.order", "action_confirm", json!({"ids": [draft]}));
        assert_eq!((status, &body), (200, &json!(true)));
        assert_eq!(state_of(addr, &key, draft), "sale");
        let (status, body) = json2(addr, &key, "sale.order", "action_confirm", json!({"ids": [draft]}));
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["name"], "odoo.exceptions.UserError");
        assert_eq!(body["message"], "Some orders are not in a state requiring confirmation.");

        // Cancel a confirmed order: Odoo answers its cancel wizard, and cancels nothing.
        let (_, wizard) = json2(addr, &key, "sale.order", "action_cancel", json!({"ids": [draft]}));
        assert_eq!(wizard["res_model"], "sale.order.cancel", "{wizard}");
        assert_eq!((wizard["type"].as_str(), wizard["target"].as_str()), (Some("ir.actions.act_window"), Some("new")));
        assert_eq!(wizard["context"]["default_order_id"], draft);
        assert_eq!(wizard["name"], "Cancel Sales Order");
        assert_eq!(state_of(addr, &key, draft), "sale");
        // Several past the draft stage: the wizard needs one.
        let sold = order_ids(addr, &key, "sale");
        let (status, body) = json2(addr, &key, "sale.order", "action_cancel", json!({"ids": &sold[..2]}));
        assert_eq!((status, body["name"].as_str()), (500, Some("builtins.ValueError")), "{body}");
        assert!(body["message"].as_str().unwrap().starts_with("Expected singleton: sale.order("), "{body}");
        // Without the warning, or on a draft, it cancels.
        let (_, done) = json2(
            addr,
            &key,
            "sale.order",
            "action_cancel",
            json!({"ids": [draft], "context": {"disable_cancel_warning": true}}),
        );
        assert_eq!(done, json!(true));
        assert_eq!(state_of(addr, &key, draft), "cancel");
        let (_, done) = json2(addr, &key, "sale.order", "action_cancel", json!({"ids": [other_draft]}));
        assert_eq!(done, json!(true));
        assert_eq!(state_of(addr, &key, other_draft), "cancel");

        // Over JSON-RPC too; a viewer may not press the button; other models have no such method.
        let quotation = order_ids(addr, &key, "sent")[0];
        let confirmed = execute_kw(addr, 2, &key, "sale.order", "action_confirm", json!([[quotation]]), json!({}));
        assert_eq!(confirmed["result"], true, "{confirmed}");
        let (status, refused) = json2(addr, &viewer, "sale.order", "action_confirm", json!({"ids": [quotation]}));
        assert_eq!((status, refused["name"].as_str()), (403, Some("odoo.exceptions.AccessError")), "{refused}");
        let (status, _) = json2(addr, &key, "res.partner", "action_confirm", json!({"ids": [1]}));
        assert_eq!(status, 404);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recursive_partner_hierarchy_is_refused() {
    let sandbox = crate::common::inproc::start_sandbox().await;
    let (addr, key) = (sandbox.addr(), sandbox.user("admin").unwrap().key);
    tokio::task::spawn_blocking(move || {
        let (_, children) = json2(
            addr,
            &key,
            "res.partner",
            "search_read",
            json!({"domain": [["parent_id", "!=", false]], "fields": ["parent_id"], "limit": 1}),
        );
        let child = children[0]["id"].as_i64().unwrap();
        let parent = children[0]["parent_id"][0].as_i64().unwrap();
        for (id, new_parent) in [(parent, child), (parent, parent)] {
            let (status, body) =
                json2(addr, &key, "res.partner", "write", json!({"ids": [id], "vals": {"parent_id": new_parent}}));
            assert_eq!(status, 422, "{body}");
            assert_eq!(body["name"], "odoo.exceptions.ValidationError");
            assert_eq!(body["message"], "You cannot create recursive Partner hierarchies.");
        }
        let (_, rows) = json2(addr, &key, "res.partner", "read", json!({"ids": [parent], "fields": ["parent_id"]}));
        assert_eq!(rows[0]["parent_id"], false, "nothing was written");
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_without_classic_load_gives_bare_many2one_ids() {
    let sandbox = crate::common::inproc::start_sandbox().await;
    let (addr, key) = (sandbox.addr(), sandbox.user("admin").unwrap().key);
    tokio::task::spawn_blocking(move || {
        let fields = json!(["partner_id", "user_id", "name"]);
        let (_, classic) = json2(addr, &key, "sale.order", "read", json!({"ids": [1], "fields": fields}));
        assert!(classic[0]["partner_id"].is_array(), "{classic}");
        let partner = classic[0]["partner_id"][0].clone();
        for load in [json!(""), Value::Null, json!(false)] {
            let (_, bare) =
                json2(addr, &key, "sale.order", "read", json!({"ids": [1], "fields": fields, "load": load}));
            assert_eq!(bare[0]["partner_id"], partner, "load {load}: {bare}");
            assert_eq!(bare[0]["name"], classic[0]["name"]);
        }
        let rpc = execute_kw(addr, 2, &key, "sale.order", "read", json!([[1]]), json!({"fields": fields, "load": ""}));
        assert_eq!(rpc["result"][0]["partner_id"], partner, "{rpc}");
    })
    .await
    .unwrap();
}

/// `Sales / User: Own Documents Only` (Odoo's `sale_order_personal_rule` and
/// `sale_order_line_personal_rule`, `[('user_id', 'in', (user.id, False))]`):
/// the sales user sees, reads and changes only its own orders and theirs lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sales_user_sees_only_its_own_orders() {
    let sandbox = crate::common::inproc::start_sandbox().await;
    let (addr, admin) = (sandbox.addr(), sandbox.user("admin").unwrap().key);
    let sales = sandbox.user("sales").unwrap();
    tokio::task::spawn_blocking(move || {
        let all_fields = json!({"domain": [], "fields": ["user_id"]});
        let (_, all) = json2(addr, &admin, "sale.order", "search_read", all_fields.clone());
        let all = all.as_array().unwrap().clone();
        let own: Vec<i64> = all
            .iter()
            .filter(|o| o["user_id"] == false || o["user_id"][0] == sales.uid)
            .map(|o| o["id"].as_i64().unwrap())
            .collect();
        let others: Vec<i64> = all.iter().map(|o| o["id"].as_i64().unwrap()).filter(|id| !own.contains(id)).collect();
        assert!(!own.is_empty() && !others.is_empty(), "the dataset has orders of both");

        let (_, seen) = json2(addr, &sales.key, "sale.order", "search", json!({"domain": []}));
        let mut seen: Vec<i64> = seen.as_array().unwrap().iter().map(|i| i.as_i64().unwrap()).collect();
        seen.sort();
        let mut expected = own.clone();
        expected.sort();
        assert_eq!(seen, expected);
        let (status, body) =
            json2(addr, &sales.key, "sale.order", "read", json!({"ids": [others[0]], "fields": ["name"]}));
        assert_eq!((status, body["name"].as_str()), (403, Some("odoo.exceptions.AccessError")), "{body}");
        let (status, _) =
            json2(addr, &sales.key, "sale.order", "write", json!({"ids": [others[0]], "vals": {"note": "mine now"}}));
        assert_eq!(status, 403);
        let (status, _) = json2(
            addr,
            &sales.key,
            "sale.order",
            "write",
            json!({"ids": [own[0]], "vals": {"client_order_ref": "OWN"}}),
        );
        assert_eq!(status, 200);
        // Lines follow their order's salesperson.
        let (_, lines) =
            json2(addr, &sales.key, "sale.order.line", "search_read", json!({"domain": [], "fields": ["order_id"]}));
        assert!(!lines.as_array().unwrap().is_empty());
        for line in lines.as_array().unwrap() {
            assert!(own.contains(&line["order_id"][0].as_i64().unwrap()), "{line}");
        }
    })
    .await
    .unwrap();
}
