//! The sandbox's behaviour over real HTTP: access rights per role, company
//! record rules, call counters, create/write/unlink persistence with x2many
//! commands, grouping, JSON-RPC and XML-RPC sessions, Odoo 17 differences,
//! and the response delay.

use crate::common::http;

use alpenglow::sandbox::{OdooVersion, RunningSandbox, SandboxOptions, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn j2(sb: &RunningSandbox, role: &str, model: &str, method: &str, body: Value) -> (u16, Value) {
    let key = sb.user(role).expect("role").key;
    let auth = format!("Bearer {key}");
    let resp = http::post_json(
        sb.addr(),
        &format!("/json/2/{model}/{method}"),
        &[("Authorization", &auth), ("X-Odoo-Database", sb.database())],
        &body,
    );
    (resp.status, resp.json())
}

fn ok(sb: &RunningSandbox, role: &str, model: &str, method: &str, body: Value) -> Value {
    let (status, value) = j2(sb, role, model, method, body.clone());
    assert_eq!(status, 200, "{role} {model}.{method}({body}): {value}");
    value
}

fn rpc(sb: &RunningSandbox, service: &str, method: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 7});
    let resp = http::post_json(sb.addr(), "/jsonrpc", &[], &body);
    assert_eq!(resp.status, 200);
    resp.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_rights_per_role_and_counters() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    assert_eq!(sb.users().len(), 3);
    // sales: creates and writes partners and orders, never unlinks orders, reads products only.
    let partner = ok(&sb, "sales", "res.partner", "create", json!({"vals_list": [{"name": "Sales Made"}]}));
    let pid = partner[0].as_i64().expect("id");
    ok(&sb, "sales", "res.partner", "write", json!({"ids": [pid], "vals": {"phone": "+1 555"}}));
    let order = ok(&sb, "sales", "sale.order", "create", json!({"vals_list": [{"partner_id": pid}]}));
    let (status, err) = j2(&sb, "sales", "sale.order", "unlink", json!({"ids": order}));
    assert_eq!((status, err["name"].as_str()), (403, Some("odoo.exceptions.AccessError")));
    assert!(
        err["message"]
            .as_str()
            .unwrap_or("")
            .contains("You are not allowed to delete 'Sales Order' (sale.order) records.")
    );
    let (status, _) = j2(&sb, "sales", "product.product", "write", json!({"ids": [1], "vals": {"list_price": 1}}));
    assert_eq!(status, 403);
    assert_eq!(
        ok(
            &sb,
            "sales",
            "product.product",
            "check_access_rights",
            json!({"operation": "write", "raise_exception": false})
        ),
        json!(false)
    );
    assert_eq!(ok(&sb, "sales", "sale.order", "check_access_rights", json!({"operation": "create"})), json!(true));
    // viewer: read-only everywhere, no system parameters.
    let (status, _) = j2(&sb, "viewer", "res.partner", "write", json!({"ids": [3], "vals": {"phone": "x"}}));
    assert_eq!(status, 403);
    let (status, _) = j2(&sb, "viewer", "ir.config_parameter", "search_read", json!({"domain": []}));
    assert_eq!(status, 403);
    assert!(ok(&sb, "admin", "ir.config_parameter", "search_count", json!({"domain": []})).as_u64() > Some(0));
    // Counters count every call that arrived, refused or not.
    assert_eq!(sb.calls("sale.order", "unlink"), 1);
    assert_eq!(sb.calls("res.partner", "unlink"), 0);
    assert!(sb.total_calls() >= 8);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn company_rules_follow_allowed_companies() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let all = ok(&sb, "admin", "sale.order", "search_count", json!({"domain": []})).as_u64().unwrap_or(0);
    let c1 = ok(&sb, "admin", "sale.order", "search_count", json!({"domain": [["company_id", "=", 1]]}))
        .as_u64()
        .unwrap_or(0);
    assert_eq!(all, 60);
    assert!(c1 > 0 && c1 < all);
    // The viewer belongs to company 1 only: company 2's orders are invisible.
    assert_eq!(ok(&sb, "viewer", "sale.order", "search_count", json!({"domain": []})).as_u64(), Some(c1));
    let (status, err) = j2(&sb, "viewer", "sale.order", "read", json!({"ids": [7], "fields": ["name"]}));
    assert_eq!(status, 403, "{err}");
    assert!(
        err["message"].as_str().unwrap_or("").contains("doesn't have 'read' access to:\n- Sales Order (sale.order)")
    );
    // The admin narrows his companies through the context.
    let only2 =
        ok(&sb, "admin", "sale.order", "search_count", json!({"domain": [], "context": {"allowed_company_ids": [2]}}));
    assert_eq!(only2.as_u64(), Some(all - c1));
    let (status, _) =
        j2(&sb, "viewer", "sale.order", "search_count", json!({"domain": [], "context": {"allowed_company_ids": [2]}}));
    assert_eq!(status, 403);
    // Partners without a company are shared; company 2's partners are not for the viewer.
    let shared = ok(&sb, "viewer", "res.partner", "search_count", json!({"domain": [["company_id", "=", false]]}));
    assert!(shared.as_u64() > Some(0));
    assert_eq!(ok(&sb, "viewer", "res.partner", "search_count", json!({"domain": [["company_id", "=", 2]]})), json!(0));
    assert_eq!(
        ok(&sb, "viewer", "res.company", "search_read", json!({"fields": ["name"]})).as_array().map(Vec::len),
        Some(1)
    );
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_persist_with_x2many_commands() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let ids = ok(
        &sb,
        "admin",
        "res.partner",
        "create",
        json!({"vals_list": [{"name": "Parent Co", "is_company": true, "category_id": [[6, 0, [1, 2]]]}, {"name": "Kid"}]}),
    );
    let (parent, kid) = (ids[0].as_i64().unwrap_or(0), ids[1].as_i64().unwrap_or(0));
    ok(
        &sb,
        "admin",
        "res.partner",
        "write",
        json!({"ids": [parent], "vals": {"child_ids": [[4, kid], [0, 0, {"name": "Newborn"}]], "category_id": [[3, 1], [4, 5]]}}),
    );
    let row = &ok(
        &sb,
        "admin",
        "res.partner",
        "read",
        json!({"ids": [parent], "fields": ["child_ids", "category_id", "write_date", "display_name"]}),
    )[0];
    assert_eq!(row["child_ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(row["category_id"], json!([2, 5]));
    assert_eq!(row["write_date"].as_str().map(str::len), Some(19));
    let kid_row =
        &ok(&sb, "admin", "res.partner", "read", json!({"ids": [kid], "fields": ["parent_id", "display_name"]}))[0];
    assert_eq!(kid_row["parent_id"], json!([parent, "Parent Co"]));
    assert_eq!(kid_row["display_name"], json!("Parent Co, Kid"));
    ok(&sb, "admin", "res.partner", "write", json!({"ids": [parent], "vals": {"category_id": [[5]]}}));
    assert_eq!(
        ok(&sb, "admin", "res.partner", "read", json!({"ids": [parent], "fields": ["category_id"]}))[0]["category_id"],
        json!([])
    );
    // A sale order with lines: totals computed from the lines (15% tax).
    let order = ok(
        &sb,
        "admin",
        "sale.order",
        "create",
        json!({"vals_list": [{"partner_id": parent, "order_line": [[0, 0, {"product_id": 2, "product_uom_qty": 2}]]}]}),
    );
    let o = &ok(
        &sb,
        "admin",
        "sale.order",
        "read",
        json!({"ids": order, "fields": ["amount_untaxed", "amount_total", "order_line", "state", "name"]}),
    )[0];
    assert_eq!(o["amount_untaxed"], json!(3598.0));
    assert_eq!(o["amount_total"], json!(4137.7));
    assert_eq!(o["state"], json!("draft"));
    // A confirmed order cannot be deleted; a draft one can, with its lines.
    let (status, err) = j2(&sb, "admin", "sale.order", "unlink", json!({"ids": [1]}));
    assert_eq!((status, err["name"].as_str()), (422, Some("odoo.exceptions.UserError")));
    let (status, err) = j2(&sb, "admin", "res.partner", "unlink", json!({"ids": [parent]}));
    assert_eq!((status, err["name"].as_str()), (422, Some("odoo.exceptions.ValidationError")), "{err}");
    ok(&sb, "admin", "sale.order", "unlink", json!({"ids": order}));
    ok(&sb, "admin", "res.partner", "unlink", json!({"ids": [parent, kid]}));
    assert_eq!(ok(&sb, "admin", "res.partner", "read", json!({"ids": [parent, kid], "fields": ["name"]})), json!([]));
    assert_eq!(
        ok(&sb, "admin", "sale.order.line", "search_count", json!({"domain": [["order_id", "=", order[0]]]})),
        json!(0)
    );
    // Many2one to a missing record; unknown selection value.
    let (status, err) = j2(&sb, "admin", "res.partner", "write", json!({"ids": [9], "vals": {"country_id": 999999}}));
    assert_eq!((status, err["name"].as_str()), (404, Some("odoo.exceptions.MissingError")));
    let (status, _) = j2(&sb, "admin", "res.partner", "write", json!({"ids": [9], "vals": {"type": "bogus"}}));
    assert_eq!(status, 500);
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouping_in_both_shapes() {
    let sb = start(SandboxOptions::default()).await.expect("start");
    let groups = ok(
        &sb,
        "admin",
        "sale.order",
        "read_group",
        json!({"domain": [], "fields": ["amount_total:sum"], "groupby": ["date_order:month", "state"], "lazy": true}),
    );
    let groups = groups.as_array().cloned().unwrap_or_default();
    assert_eq!(groups.len(), 12);
    assert_eq!(groups[0]["date_order:month"], json!("January 2025"));
    assert_eq!(groups[0]["__context"], json!({"group_by": ["state"]}));
    let counted: u64 = groups.iter().filter_map(|g| g["date_order_count"].as_u64()).sum();
    assert_eq!(counted, 60);
    assert_eq!(
        groups[0]["__domain"],
        json!(["&", ["date_order", ">=", "2025-01-01 00:00:00"], ["date_order", "<", "2025-02-01 00:00:00"]])
    );
    let totals: f64 = ok(&sb, "admin", "sale.order", "search_read", json!({"fields": ["amount_total"]}))
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["amount_total"].as_f64())
        .sum();
    let flat = ok(
        &sb,
        "admin",
        "sale.order",
        "formatted_read_group",
        json!({"groupby": ["state"], "aggregates": ["__count", "amount_total:sum", "amount_untaxed:avg"], "order": "__count desc"}),
    );
    let flat = flat.as_array().cloned().unwrap_or_default();
    let sum: f64 = flat.iter().filter_map(|g| g["amount_total:sum"].as_f64()).sum();
    assert!((sum - totals).abs() < 0.01, "{sum} vs {totals}");
    assert!(flat.windows(2).all(|w| w[0]["__count"].as_u64() >= w[1]["__count"].as_u64()));
    assert_eq!(flat[0]["__extra_domain"].as_array().map(Vec::len), Some(1));
    let quarters = ok(
        &sb,
        "admin",
        "sale.order",
        "formatted_read_group",
        json!({"groupby": ["date_order:quarter"], "aggregates": ["__count"], "having": [["__count", ">", 0]]}),
    );
    assert_eq!(quarters[0]["date_order:quarter"], json!(["2025-01-01 00:00:00", "Q1 2025"]));
    let lazy_false = ok(
        &sb,
        "admin",
        "res.partner",
        "read_group",
        json!({"domain": [["country_id", "!=", false]], "fields": ["color:sum"], "groupby": ["country_id"], "orderby": "country_id", "lazy": false}),
    );
    assert!(lazy_false[0].get("__count").is_some() && lazy_false[0].get("color").is_some());
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_sessions_and_odoo_17() {
    let sb = start(SandboxOptions { version: OdooVersion::V17, database: "shop".into(), ..SandboxOptions::default() })
        .await
        .expect("start");
    let admin = sb.user("admin").expect("admin");
    assert_eq!(rpc(&sb, "common", "authenticate", json!(["shop", "admin", admin.key, {}]))["result"], json!(admin.uid));
    assert_eq!(
        rpc(&sb, "common", "authenticate", json!(["shop", "admin", "0".repeat(40), {}]))["result"],
        json!(false)
    );
    let err = rpc(&sb, "common", "authenticate", json!(["other", "admin", admin.key, {}]));
    assert_eq!(err["error"]["data"]["name"], json!("psycopg2.OperationalError"));
    assert_eq!(err["error"]["code"], json!(200));
    let found = rpc(
        &sb,
        "object",
        "execute_kw",
        json!(["shop", admin.uid, admin.key, "res.partner", "name_search", ["mitchell"], {"args": [], "limit": 5}]),
    );
    assert_eq!(found["result"], json!([[3, "YourCompany, Mitchell Admin"]]));
    let err = rpc(
        &sb,
        "object",
        "execute_kw",
        json!(["shop", admin.uid, admin.key, "sale.order", "formatted_read_group", [], {"groupby": ["state"]}]),
    );
    assert_eq!(err["error"]["data"]["name"], json!("builtins.AttributeError"));
    // No JSON-2 on 17.
    let resp = http::post_json(
        sb.addr(),
        "/json/2/res.partner/search_count",
        &[("Authorization", &format!("bearer {}", admin.key))],
        &json!({"domain": []}),
    );
    assert_eq!(resp.status, 404);
    assert!(resp.header("content-type").unwrap_or("").starts_with("text/html"));
    // XML-RPC: single-quoted declaration, int fault codes.
    let call = format!(
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>execute_kw</methodName>\n<params>\n<param><value><string>shop</string></value></param>\n<param><value><int>{}</int></value></param>\n<param><value><string>{}</string></value></param>\n<param><value><string>res.partner</string></value></param>\n<param><value><string>search_count</string></value></param>\n<param><value><array><data><value><array><data></data></array></value></data></array></value></param>\n</params>\n</methodCall>\n",
        admin.uid, admin.key
    );
    let resp = http::request(sb.addr(), "POST", "/xmlrpc/2/object", &[("Content-Type", "text/xml")], call.as_bytes())
        .expect("xmlrpc");
    assert!(resp.text().starts_with("<?xml version='1.0'?>"), "{}", resp.text());
    assert!(resp.text().contains("<int>"), "{}", resp.text());
    sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_option_holds_every_response() {
    let sb =
        start(SandboxOptions { delay: Duration::from_millis(300), ..SandboxOptions::default() }).await.expect("start");
    let started = Instant::now();
    let resp = http::request(sb.addr(), "GET", "/web/version", &[], b"").expect("version");
    assert_eq!(resp.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.json()["version"], json!("19.0+e-20251227"));
    // A client with a shorter timeout gives up first.
    let quick = http::request_with_timeout(sb.addr(), "GET", "/web/version", &[], b"", Duration::from_millis(100));
    assert!(quick.is_err());
    assert_eq!(sb.total_requests(), 2);
    sb.shutdown().await;
}
