//! Attacks on the policy through relations, never-exposed models, fields and
//! methods, and dry runs: each refused with a clear error and no upstream
//! write (the sandbox counts calls).

use crate::common::http;
use crate::common::inproc;

use alpenglow::config::{FieldPolicy, Operations, Resource, ResourceDraft, Scope};
use alpenglow::gateway::OpError;
use alpenglow::sandbox::OdooVersion;
use inproc::{Setup, setup};
use serde_json::{Value, json};

/// sale.order writable; lines per `lines`; res.partner limited to companies.
async fn shop(lines: Option<ResourceDraft>) -> Setup {
    shop_on(OdooVersion::V19, lines).await
}

async fn shop_on(version: OdooVersion, lines: Option<ResourceDraft>) -> Setup {
    let s = inproc::setup_on(version).await;
    s.edit_resource("res.partner", |draft| {
        draft.operations = Operations::ALL;
        draft.record_filter = "[('is_company', '=', True)]".into();
    });
    let mut orders = ResourceDraft::new("sale.order", false);
    orders.operations = Operations::ALL;
    let mut extra =
        vec![orders, ResourceDraft::new("res.country", false), ResourceDraft::new("product.product", false)];
    extra.extend(lines);
    s.admin.add_resources(extra).unwrap();
    s.credential("admin", Scope::Full, None);
    s
}

fn denied(result: &Result<Value, OpError>, needle: &str) {
    match result {
        Err(OpError::Denied(m)) | Err(OpError::NotFound(m)) | Err(OpError::Invalid(m)) => {
            assert!(m.contains(needle), "expected {needle:?} in {m:?}")
        }
        other => panic!("expected a refusal containing {needle:?}, got {other:?}"),
    }
}

fn new_order(partner: i64, line: Value) -> Value {
    json!({"model": "sale.order", "values": {"partner_id": partner, "order_line": [[0, 0, line]]}})
}

#[tokio::test]
async fn nested_create_on_a_model_without_resource_or_read_only() {
    let s = shop(None).await;
    let line = json!({"product_id": 6, "product_uom_qty": 1, "price_unit": 10});
    let r = s.call("admin", "alpenglow_create", new_order(10, line.clone())).await;
    denied(&r, "sale.order.line records, which are not available");
    assert_eq!(s.writes(), 0);

    let s = shop(Some(ResourceDraft { read_only: true, ..ResourceDraft::new("sale.order.line", false) })).await;
    let r = s.call("admin", "alpenglow_create", new_order(10, line.clone())).await;
    denied(&r, "you may not create sale.order.line");
    assert_eq!(s.writes(), 0);

    // Lines with a record filter: a line made or changed inside an order
    // could land outside it, so only the direct operations may do that.
    let filtered = ResourceDraft {
        operations: Operations::ALL,
        record_filter: "[('product_uom_qty', '<', 100)]".into(),
        ..ResourceDraft::new("sale.order.line", false)
    };
    let s = shop(Some(filtered)).await;
    let big = json!({"product_id": 6, "product_uom_qty": 500, "price_unit": 10});
    let r = s.call("admin", "alpenglow_create", new_order(10, big.clone())).await;
    denied(&r, "order_line: sale.order.line records have a record filter");
    denied(&r, "with alpenglow_create instead");
    let line = s
        .call("admin", "alpenglow_search", json!({"model": "sale.order.line", "limit": 1, "fields": ["order_id"]}))
        .await
        .unwrap();
    let (line_id, order_id) = (line["records"][0]["id"].clone(), line["records"][0]["order_id"][0].clone());
    let r = s
        .call("admin", "alpenglow_update", json!({"model": "sale.order", "ids": [order_id], "values": {"order_line": [[1, line_id, {"product_uom_qty": 500}]]}}))
        .await;
    denied(&r, "with alpenglow_update instead");
    assert_eq!(s.writes(), 0);
    // The direct create is checked against the filter, and undone.
    let mut direct = big.as_object().unwrap().clone();
    direct.insert("order_id".into(), order_id);
    let r = s.call("admin", "alpenglow_create", json!({"model": "sale.order.line", "values": direct})).await;
    denied(&r, "would fall outside the records of sale.order.line you may see");
}

#[tokio::test]
async fn nested_write_of_a_denied_field() {
    let mut lines = ResourceDraft::new("sale.order.line", false);
    lines.operations = Operations::ALL;
    lines.field_policy = FieldPolicy::Denylist(vec!["price_unit".into()]);
    let s = shop(Some(lines)).await;
    let r = s
        .call(
            "admin",
            "alpenglow_update",
            json!({"model": "sale.order", "ids": 1, "values": {"order_line": [[1, 1, {"price_unit": 0.01}]]}}),
        )
        .await;
    denied(&r, "field \"price_unit\" of sale.order.line is not accessible");
    assert_eq!(s.writes(), 0);
    // The allowed field goes through, nested.
    let ok = s
        .call(
            "admin",
            "alpenglow_update",
            json!({"model": "sale.order", "ids": 1, "values": {"order_line": [[1, 1, {"product_uom_qty": 7}]]}}),
        )
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn many2one_outside_the_record_filter_is_not_found() {
    let s = shop(None).await;
    // 107 is a contact, outside res.partner's filter (companies only).
    let r = s.call("admin", "alpenglow_create", json!({"model": "sale.order", "values": {"partner_id": 107}})).await;
    denied(&r, "partner_id: res.partner record(s) not found: 107");
    let missing =
        s.call("admin", "alpenglow_create", json!({"model": "sale.order", "values": {"partner_id": 99999}})).await;
    denied(&missing, "partner_id: res.partner record(s) not found: 99999");
    // The same words for a hidden and a missing record: nothing says which exists.
    assert_eq!(format!("{r:?}").replace("107", "N"), format!("{missing:?}").replace("99999", "N"));
    let r = s.call("admin", "alpenglow_create", json!({"model": "sale.order", "values": {"partner_id": "ten"}})).await;
    denied(&r, "many2one");
    assert_eq!(s.writes(), 0);
}

/// Odoo 16 has no `any`, which the dotted-path guard uses on 17 and later:
/// there the gateway searches each filtered hop first and sends `in` ids.
/// Same answers as Odoo's truth, and the hidden records stay hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dotted_paths_through_a_filtered_model_work_on_odoo_16_without_any() {
    let s = shop_on(OdooVersion::V16, None).await;
    let admin = s.sandbox.user("admin").unwrap();
    let addr: std::net::SocketAddr = s.sandbox.url().trim_start_matches("http://").parse().unwrap();
    let db = s.sandbox.database().to_string();
    // Odoo's truth over JSON-RPC as the admin, with no policy in between.
    let count = move |domain: Value| {
        let (db, key) = (db.clone(), admin.key.clone());
        let uid = admin.uid;
        async move {
            tokio::task::spawn_blocking(move || {
                let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object",
                    "method": "execute_kw", "args": [db, uid, key, "sale.order", "search_count", [domain]]}});
                http::post_json(addr, "/jsonrpc", &[], &body).json()
            })
            .await
            .unwrap()
        }
    };
    let refused = count(json!([["partner_id", "any", [["is_company", "=", true]]]])).await;
    let message = refused["error"]["data"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Invalid leaf"), "Odoo 16 refuses any: {refused}");
    let companies = count(json!([["partner_id.is_company", "=", true]])).await["result"].as_u64().unwrap();
    assert!(companies > 0);

    let search = |domain: Value| {
        s.call("admin", "alpenglow_search", json!({"model": "sale.order", "domain": domain, "limit": 1}))
    };
    let visible = search(json!([["partner_id.is_company", "=", true]])).await.unwrap();
    assert_eq!(visible["total"].as_u64().unwrap(), companies, "{visible}");
    let hidden = search(json!([["partner_id.name", "=", "Soren Schmidt"]])).await.unwrap();
    assert_eq!(hidden["total"], 0, "a dotted path must not see through the record filter on 16 either: {hidden}");
    assert!(count(json!([["partner_id.name", "=", "Soren Schmidt"]])).await["result"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn dotted_path_and_child_of_probes_of_hidden_records() {
    let s = shop(None).await;
    // Orders of the hidden contact exist: Odoo's truth, asked directly as the admin.
    let hidden_name = "Soren Schmidt";
    let key = format!("bearer {}", s.sandbox.user("admin").unwrap().key);
    let addr = s.sandbox.url().trim_start_matches("http://").parse().unwrap();
    let body = json!({"domain": [["partner_id.name", "=", hidden_name]]}).to_string();
    let truth = tokio::task::spawn_blocking(move || {
        let headers = [("Authorization", key.as_str()), ("Content-Type", "application/json")];
        http::request(addr, "POST", "/json/2/sale.order/search_count", &headers, body.as_bytes()).unwrap()
    })
    .await
    .unwrap();
    assert!(truth.json().as_u64().unwrap() > 0, "the dataset has orders of {hidden_name}");
    let probe = s
        .call(
            "admin",
            "alpenglow_search",
            json!({"model": "sale.order", "domain": [["partner_id.name", "=", hidden_name]], "fields": ["name"]}),
        )
        .await
        .unwrap();
    assert_eq!(probe["total"], 0, "a dotted path must not see through the record filter: {probe}");
    // A visible company's orders are still found through the same path.
    let visible = s
        .call(
            "admin",
            "alpenglow_search",
            json!({"model": "sale.order", "domain": [["partner_id.is_company", "=", true]], "fields": ["name"]}),
        )
        .await
        .unwrap();
    assert!(visible["total"].as_u64().unwrap() > 0);

    for op in ["child_of", "parent_of"] {
        let r = s.call("admin", "alpenglow_search", json!({"model": "res.partner", "domain": [["id", op, 107]]})).await;
        denied(&r, "res.partner record(s) not found: 107");
        let r =
            s.call("admin", "alpenglow_search", json!({"model": "res.partner", "domain": [["id", op, "Soren"]]})).await;
        denied(&r, "needs record ids");
    }
    let ok = s
        .call("admin", "alpenglow_search", json!({"model": "res.partner", "domain": [["id", "child_of", 10]]}))
        .await
        .unwrap();
    assert!(ok["total"].as_u64().unwrap() >= 1);
}

#[tokio::test]
async fn never_exposed_models_fields_and_methods() {
    let s = shop(None).await;
    // Admins cannot register them...
    let refused = s.admin.add_resources(vec![ResourceDraft::new("ir.config_parameter", false)]).unwrap_err();
    assert!(refused.to_string().contains("can never be exposed"), "{refused}");
    let mut groups = ResourceDraft::new("res.groups", false);
    groups.operations = Operations::ALL;
    assert!(s.admin.add_resources(vec![groups]).unwrap_err().to_string().contains("read-only"));
    let mut secret = ResourceDraft::new("res.users", false);
    secret.field_policy = FieldPolicy::Allowlist(vec!["login".into(), "password".into()]);
    assert!(s.admin.add_resources(vec![secret]).unwrap_err().to_string().contains("never be exposed"));
    let mut sudo = ResourceDraft::new("res.users", false);
    sudo.execute_methods = vec!["sudo".into()];
    assert!(s.admin.add_resources(vec![sudo]).unwrap_err().to_string().contains("bypass"));

    // ...and records written around the admin service (an older release, a
    // hand-edited store) still do not open them.
    let table = s.admin.store().table::<Resource>().unwrap();
    let mut sneaky = s.admin.find_resource("res.partner").unwrap();
    sneaky.id = 9001;
    sneaky.model = "ir.config_parameter".into();
    sneaky.record_filter = String::new();
    table.insert(&9001u64, &sneaky).unwrap();
    let mut partner = s.admin.find_resource("res.partner").unwrap();
    partner.execute_methods = vec!["unlink".into(), "_read_group".into()];
    table.insert(&partner.id, &partner).unwrap();

    let r = s.call("admin", "alpenglow_search", json!({"model": "ir.config_parameter"})).await;
    denied(&r, "never exposed");
    for method in ["unlink", "_read_group"] {
        let r = s
            .call("admin", "alpenglow_execute", json!({"model": "res.partner", "method": method, "args": [[10]]}))
            .await;
        denied(&r, "can never be called");
    }
    // Credential-like fields: never returned, filtered on or written.
    let r =
        s.call("admin", "alpenglow_search", json!({"model": "res.partner", "fields": ["name", "signup_token"]})).await;
    denied(&r, "never exposed");
    let r = s
        .call("admin", "alpenglow_search", json!({"model": "res.partner", "domain": [["api_key", "!=", false]]}))
        .await;
    denied(&r, "never exposed");
    let r = s
        .call("admin", "alpenglow_update", json!({"model": "res.partner", "ids": 10, "values": {"password": "x"}}))
        .await;
    denied(&r, "never exposed");
    assert_eq!(s.writes(), 0);
    assert_eq!(s.sandbox.calls("ir.config_parameter", "search_read"), 0);
    assert_eq!(s.sandbox.calls("ir.config_parameter", "web_search_read"), 0);
}

#[tokio::test]
async fn field_types_are_checked_before_odoo() {
    let s = shop(None).await;
    let cases = [
        (json!({"name": 5}), "name is a char field"),
        (json!({"is_company": "yes"}), "takes true or false"),
        (json!({"customer_rank": 1.5}), "integer"),
        (json!({"type": "bogus"}), "type must be one of"),
        (json!({"display_name": "x"}), "read-only in Odoo"),
        (json!({"nonexistent": 1}), "has no field"),
    ];
    for (values, needle) in cases {
        let r = s.call("admin", "alpenglow_update", json!({"model": "res.partner", "ids": 10, "values": values})).await;
        denied(&r, needle);
    }
    assert_eq!(s.writes(), 0);
}

#[tokio::test]
async fn dry_runs_match_the_real_calls_and_write_nothing() {
    let s = shop(Some(ResourceDraft::new("sale.order.line", false))).await;
    // Create: the dry run names what the real call then does.
    let params = json!({"model": "res.partner", "values": {"name": "Dry Co", "is_company": true, "country_id": 4}});
    let mut dry = params.clone();
    dry["dry_run"] = json!(true);
    let plan = s.call("admin", "alpenglow_create", dry).await.unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["would"][0]["action"], "create");
    assert_eq!(plan["would"][0]["model"], "res.partner");
    assert_eq!(s.writes(), 0);
    let real = s.call("admin", "alpenglow_create", params).await.unwrap();
    assert_eq!(real["ids"].as_array().unwrap().len(), 1);

    // Update: a dry-run refusal is the real refusal, and nothing was written before either.
    let bad = json!({"model": "sale.order", "ids": 1, "values": {"order_line": [[0, 0, {"product_id": 6}]]}});
    let mut bad_dry = bad.clone();
    bad_dry["dry_run"] = json!(true);
    let writes = s.writes();
    let dry_refusal = s.call("admin", "alpenglow_update", bad_dry).await.unwrap_err();
    let real_refusal = s.call("admin", "alpenglow_update", bad).await.unwrap_err();
    assert_eq!(dry_refusal, real_refusal);
    assert_eq!(s.writes(), writes);

    // Delete: the ids the dry run names are those the real call deletes.
    let id = real["ids"][0].clone();
    let plan = s
        .call("admin", "alpenglow_delete", json!({"model": "res.partner", "ids": [id], "dry_run": true}))
        .await
        .unwrap();
    assert_eq!(plan["would"][0]["ids"], json!([id]));
    assert_eq!(s.writes(), writes);
    let deleted = s.call("admin", "alpenglow_delete", json!({"model": "res.partner", "ids": [id]})).await.unwrap();
    assert_eq!(deleted["ids"], json!([id]));

    // Execute: checks only, and it says so.
    s.edit_resource("res.partner", |draft| draft.execute_methods = vec!["name_search".into(), "has_access".into()]);
    let calls = s.sandbox.calls("res.partner", "has_access");
    let plan = s
        .call(
            "admin",
            "alpenglow_execute",
            json!({"model": "res.partner", "method": "has_access", "args": [[1], "read"], "dry_run": true}),
        )
        .await
        .unwrap();
    assert!(plan["note"].as_str().unwrap().contains("cannot be foreseen"));
    assert_eq!(s.sandbox.calls("res.partner", "has_access"), calls);
    // name_search is the gateway's own search: its dry run says what it would search.
    let reads = s.sandbox.calls("res.partner", "search_read");
    let plan = s
        .call("admin", "alpenglow_execute", json!({"model": "res.partner", "method": "name_search", "dry_run": true}))
        .await
        .unwrap();
    assert!(plan["note"].as_str().unwrap().contains("would search res.partner"), "{plan}");
    assert_eq!(s.sandbox.calls("res.partner", "search_read"), reads);
}

fn ids_of(result: &Value) -> Vec<i64> {
    result["records"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aggregate_and_execute_results_stay_within_the_bound_too() {
    let s = setup().await;
    s.edit_resource("res.partner", |draft| {
        draft.operations = Operations::ALL;
        draft.execute_methods = vec!["name_search".into()];
    });
    s.credential("admin", Scope::Full, None);
    let by_name = json!({"model": "res.partner", "operation": "group_by", "groupby": "name", "limit": 500});
    let whole = s.call("admin", "alpenglow_aggregate", by_name.clone()).await.unwrap();
    assert_eq!(whole.get("truncated"), None);
    let all_groups = whole["groups"].as_array().unwrap().clone();
    assert!(all_groups.len() > 100);
    let names = json!({"model": "res.partner", "method": "name_search", "args": [""], "kwargs": {"limit": 300}});
    let all_names = s.call("admin", "alpenglow_execute", names.clone()).await.unwrap()["result"].clone();

    s.admin.set_setting("max_output_chars", "2000").unwrap();
    let cut = s.call("admin", "alpenglow_aggregate", by_name).await.unwrap();
    assert!(cut.to_string().chars().count() <= 2000, "{}", cut.to_string().len());
    assert_eq!(cut["truncated"], true);
    let kept = cut["groups"].as_array().unwrap();
    assert!(!kept.is_empty() && kept.len() < all_groups.len());
    assert_eq!(kept[..], all_groups[..kept.len()], "whole groups, the first ones");
    let note = cut["note"].as_str().unwrap();
    assert!(note.contains(&format!("{} of {} items of groups", kept.len(), all_groups.len())), "{note}");

    let cut = s.call("admin", "alpenglow_execute", names).await.unwrap();
    assert!(cut.to_string().chars().count() <= 2000);
    assert_eq!(cut["truncated"], true);
    let kept = cut["result"].as_array().unwrap();
    assert!(!kept.is_empty());
    assert_eq!(kept[..], all_names.as_array().unwrap()[..kept.len()]);
}

#[tokio::test]
async fn long_results_are_cut_between_records_and_continue_exactly_where_they_stopped() {
    let s = setup().await;
    s.credential("admin", Scope::Full, None);
    let fields = json!(["name", "email", "phone", "city", "street"]);
    let search =
        |offset: u64| json!({"model": "res.partner", "fields": fields, "limit": 1000, "offset": offset, "order": "id"});
    let everything = s.call("admin", "alpenglow_search", search(0)).await.unwrap();
    assert_eq!(everything.get("truncated"), None, "100,000 characters hold every partner");
    let all = ids_of(&everything);
    let total = everything["total"].as_u64().unwrap();
    assert_eq!(all.len() as u64, total);

    // Pages of at most 4,000 characters, each cut between records.
    s.admin.set_setting("max_output_chars", "4000").unwrap();
    let (mut offset, mut seen, mut pages) = (0, Vec::new(), 0);
    loop {
        let page = s.call("admin", "alpenglow_search", search(offset)).await.unwrap();
        assert!(page.to_string().chars().count() <= 4000, "page at {offset}: {}", page.to_string().len());
        assert_eq!((page["total"].as_u64(), page["offset"].as_u64()), (Some(total), Some(offset)));
        let ids = ids_of(&page);
        assert!(!ids.is_empty());
        for record in page["records"].as_array().unwrap() {
            assert_eq!(record.as_object().unwrap().len(), 6, "whole records only: {record}");
        }
        seen.extend(ids.iter().copied());
        pages += 1;
        if page.get("truncated").is_none() {
            break;
        }
        let next = page["next_offset"].as_u64().unwrap();
        assert_eq!(next, offset + ids.len() as u64);
        assert!(page["note"].as_str().unwrap().contains(&format!("offset {next}")), "{}", page["note"]);
        offset = next;
    }
    assert_eq!(seen, all, "no record lost or repeated");
    assert!(pages >= 5, "{pages} pages");

    // Read by ids: cut the same way, the rest named in remaining_ids.
    let ids: Vec<i64> = all[..120].to_vec();
    let (mut wanted, mut read) = (ids.clone(), Vec::new());
    while !wanted.is_empty() {
        let page = s
            .call("admin", "alpenglow_read", json!({"model": "res.partner", "ids": wanted, "fields": fields}))
            .await
            .unwrap();
        assert!(page.to_string().chars().count() <= 4000);
        let got = ids_of(&page);
        read.extend(got.iter().copied());
        let rest: Vec<i64> =
            page.get("remaining_ids").map(|r| serde_json::from_value(r.clone()).unwrap()).unwrap_or_default();
        assert_eq!(page.get("truncated").is_some(), !rest.is_empty());
        assert_eq!([got.as_slice(), rest.as_slice()].concat(), wanted);
        assert_eq!(page["missing_ids"], json!([]));
        wanted = rest;
    }
    assert_eq!(read, ids);

    // On MCP the cut is also said in words, next to the JSON.
    let addr = s.serve(Vec::new()).await;
    let auth = format!("Bearer {}", s.sandbox.user("admin").unwrap().key);
    let params = json!({"name": "alpenglow_search", "arguments": search(0),
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
                  "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"}}});
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params});
    let r = http::mcp_post(
        addr,
        &[
            ("Authorization", auth.as_str()),
            ("Accept", "application/json, text/event-stream"),
            ("MCP-Protocol-Version", "2026-07-28"),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", "alpenglow_search"),
        ],
        &body,
    )
    .await;
    let result = r.json()["result"].clone();
    let content = &result["content"];
    assert_eq!(content.as_array().map(Vec::len), Some(2), "{content}");
    let next = result["structuredContent"]["next_offset"].as_u64().expect("next_offset");
    let note = content[1]["text"].as_str().unwrap();
    let continues = format!("Call again with offset {next} to continue");
    assert!(note.contains("Output cut at 4000 characters") && note.contains(&continues), "{note}");
}

#[tokio::test]
async fn without_fields_large_fields_are_left_out_and_named() {
    let s = shop(Some(ResourceDraft::new("sale.order.line", false))).await;
    let omitted = |result: &Value| -> Vec<String> {
        let mut names: Vec<String> = serde_json::from_value(result["omitted_fields"].clone()).unwrap_or_default();
        names.sort();
        names
    };
    let page = s.call("admin", "alpenglow_search", json!({"model": "res.partner", "limit": 3})).await.unwrap();
    assert_eq!(omitted(&page), ["comment", "image_128"], "binary and html are left out: {page}");
    let record = page["records"][0].as_object().unwrap();
    assert!(!record.contains_key("comment") && !record.contains_key("image_128") && record.contains_key("name"));
    let read = s.call("admin", "alpenglow_read", json!({"model": "res.partner", "ids": [1]})).await.unwrap();
    assert_eq!(omitted(&read), ["comment", "image_128"]);

    // Named, they are returned, and nothing is said to be left out.
    let named = json!({"model": "res.partner", "ids": [1], "fields": ["comment", "image_128"]});
    let read = s.call("admin", "alpenglow_read", named).await.unwrap();
    assert!(read.get("omitted_fields").is_none());
    assert_eq!(read["records"][0].as_object().unwrap().len(), 3, "{read}");

    // A text `name` (an order line's description) is a title: it stays.
    let lines = s.call("admin", "alpenglow_search", json!({"model": "sale.order.line", "limit": 1})).await.unwrap();
    assert!(lines["records"][0]["name"].is_string(), "{lines}");
    assert!(lines.get("omitted_fields").is_none(), "{lines}");

    // A field the policy denies is not named either.
    s.edit_resource("res.partner", |draft| draft.field_policy = FieldPolicy::Denylist(vec!["comment".into()]));
    let page = s.call("admin", "alpenglow_search", json!({"model": "res.partner", "limit": 1})).await.unwrap();
    assert_eq!(omitted(&page), ["image_128"]);
}

/// The line ids of sale order `order`, as the sandbox's admin sees them.
async fn lines_of(s: &Setup, order: i64) -> Vec<i64> {
    let found = s
        .call(
            "admin",
            "alpenglow_search",
            json!({"model": "sale.order.line", "domain": [["order_id", "=", order]], "fields": ["id"], "order": "id"}),
        )
        .await
        .unwrap();
    ids_of(&found)
}

#[tokio::test]
async fn one2many_unlink_clear_and_set_cannot_delete_or_move_lines_behind_the_policy() {
    // Lines: read, create and write, but no delete.
    let mut lines = ResourceDraft::new("sale.order.line", false);
    lines.operations = Operations { read: true, create: true, write: true, delete: false };
    let s = shop(Some(lines)).await;
    let (order, other) = (1, 2);
    let before = lines_of(&s, order).await;
    let others = lines_of(&s, other).await;
    assert!(before.len() >= 2 && !others.is_empty(), "{before:?} {others:?}");
    let update = |lines: Value| json!({"model": "sale.order", "ids": [order], "values": {"order_line": lines}});
    // Odoo deletes a line taken out of its order (order_id is required):
    // [3, id], [5] and [6, 0, ids] need delete on the lines.
    for cmds in [json!([[3, before[0]]]), json!([[5]]), json!([[6, 0, [before[0]]]]), json!([before[0]])] {
        let r = s.call("admin", "alpenglow_update", update(cmds.clone())).await;
        denied(&r, "deletes them in Odoo, and you may not delete sale.order.line records");
    }
    assert_eq!(s.writes(), 0);
    assert_eq!(lines_of(&s, order).await, before);

    // Linking another order's line moves it (writes its order_id): needs write there.
    let s = shop(Some(ResourceDraft { read_only: true, ..ResourceDraft::new("sale.order.line", false) })).await;
    let r = s.call("admin", "alpenglow_update", update(json!([[4, others[0]]]))).await;
    denied(&r, "you may not update sale.order.line");
    assert_eq!(s.writes(), 0);

    // A record filter on the lines: [5] would also delete lines the caller cannot see.
    let mut lines = ResourceDraft::new("sale.order.line", false);
    lines.operations = Operations::ALL;
    lines.record_filter = format!("[('id', '!=', {})]", before[1]);
    let s = shop(Some(lines)).await;
    let r = s.call("admin", "alpenglow_update", update(json!([[5]]))).await;
    denied(&r, "would remove sale.order.line records you may not see");
    assert_eq!(s.writes(), 0);

    // Allowed and visible: the dry run names the lines it would delete, and the real call deletes exactly those.
    let mut lines = ResourceDraft::new("sale.order.line", false);
    lines.operations = Operations::ALL;
    let s = shop(Some(lines)).await;
    let mut plan_params = update(json!([[5]]));
    plan_params["dry_run"] = json!(true);
    let plan = s.call("admin", "alpenglow_update", plan_params).await.unwrap();
    let deletes: Vec<Value> =
        plan["would"].as_array().unwrap().iter().filter(|step| step["action"] == "delete").cloned().collect();
    assert_eq!(
        deletes,
        [json!({"model": "sale.order.line", "action": "delete", "ids": before, "fields": []})],
        "{plan}"
    );
    assert_eq!(s.writes(), 0);
    s.call("admin", "alpenglow_update", update(json!([[5]]))).await.unwrap();
    assert_eq!(lines_of(&s, order).await, Vec::<i64>::new());
    assert_eq!(lines_of(&s, other).await, others, "other orders' lines untouched");
}

#[tokio::test]
async fn removing_from_a_one2many_with_an_optional_inverse_needs_delete_too() {
    // Odoo deletes a removed contact when `parent_id` is ondelete=cascade and
    // clears it otherwise; fields_get does not say which, so both are needed.
    let s = inproc::setup_on(OdooVersion::V19).await;
    s.edit_resource("res.partner", |draft| {
        draft.operations = Operations { read: true, create: true, write: true, delete: false };
        draft.record_filter = String::new();
    });
    s.credential("admin", Scope::Full, None);
    let companies = s
        .call(
            "admin",
            "alpenglow_search",
            json!({"model": "res.partner", "domain": [["child_ids", "!=", false]], "fields": ["child_ids"], "limit": 1}),
        )
        .await
        .unwrap();
    let company = companies["records"][0]["id"].as_i64().unwrap();
    let child = companies["records"][0]["child_ids"][0].as_i64().unwrap();
    let detach = json!({"model": "res.partner", "ids": [company], "values": {"child_ids": [[3, child]]}});

    let r = s.call("admin", "alpenglow_update", detach.clone()).await;
    denied(&r, "may delete them in Odoo (it does when parent_id is ondelete=cascade");
    denied(&r, "to detach them, update their parent_id instead");
    assert_eq!(s.writes(), 0);
    // The way the message names works without delete.
    let direct = json!({"model": "res.partner", "ids": [child], "values": {"parent_id": false}, "dry_run": true});
    assert_eq!(s.call("admin", "alpenglow_update", direct).await.unwrap()["dry_run"], true);

    // With delete as well: the dry run names both outcomes Odoo may choose.
    s.edit_resource("res.partner", |draft| draft.operations = Operations::ALL);
    let mut plan_params = detach.clone();
    plan_params["dry_run"] = json!(true);
    let plan = s.call("admin", "alpenglow_update", plan_params).await.unwrap();
    let steps: Vec<(Value, Value)> = plan["would"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|step| step["ids"] == json!([child]))
        .map(|step| (step["action"].clone(), step["fields"].clone()))
        .collect();
    assert_eq!(steps, [(json!("update"), json!(["parent_id"])), (json!("delete"), json!([]))], "{plan}");
    assert_eq!(s.writes(), 0);
    s.call("admin", "alpenglow_update", detach).await.unwrap();
    assert_eq!(s.writes(), 1);
}
