//! One Odoo round trip per operation, counted by the sandbox's call
//! counters: search (`web_search_read`: the page and its count together),
//! read (one `search_read` on the ids AND the record filter) and aggregate
//! cost one call each once the caller's key and the model's fields are
//! known, on Odoo 19 (JSON-2), 17 and 16 (JSON-RPC, 16's `web_search_read`
//! taking `fields`). The answers are Odoo's own: the same records as a
//! `search_read` / `read` straight to the sandbox, many2one as `[id, name]`.
//! A total past the count limit says it is a lower bound.

use crate::common::inproc::{self, Setup, setup_on};
use alpenglow::config::{ApiKey, ResourceDraft, Scope};
use alpenglow::sandbox::OdooVersion;
use alpenglow::upstream::{Identity, SearchQuery};
use serde_json::{Value, json};

const VERSIONS: [OdooVersion; 3] = [OdooVersion::V19, OdooVersion::V17, OdooVersion::V16];

/// The Odoo calls one gateway call makes, after a first call that warms the
/// key and the fields caches.
async fn odoo_calls(s: &Setup, operation: &str, params: Value) -> (u64, Value) {
    s.call("admin", operation, params.clone()).await.unwrap_or_else(|e| panic!("{operation}: {e}"));
    let before = s.sandbox.total_calls();
    let result = s.call("admin", operation, params).await.unwrap();
    (s.sandbox.total_calls() - before, result)
}

async fn direct_search_read(s: &Setup, query: &SearchQuery) -> Vec<Value> {
    let user = s.sandbox.user("admin").unwrap();
    let who = Identity { key: ApiKey::parse(&user.key).unwrap(), uid: user.uid, company_ids: Vec::new() };
    let client = inproc::client(&s.sandbox).await;
    client.search_read(&who, "res.partner", query).await.unwrap().into_iter().map(Value::Object).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_read_and_aggregate_cost_one_odoo_call_each_on_every_version() {
    for version in VERSIONS {
        let s = setup_on(version).await;
        s.credential("admin", Scope::Full, None);
        let fields = ["name", "email", "country_id", "category_id"];
        let companies = json!([["is_company", "=", true]]);

        // A full page: Odoo counts within the same call.
        let search = json!({"model": "res.partner", "domain": companies, "fields": fields, "limit": 3});
        let (calls, page) = odoo_calls(&s, "alpenglow_search", search).await;
        assert_eq!(calls, 1, "{version:?}: search of a full page");
        let query = SearchQuery {
            domain: companies.clone(),
            fields: Some(fields.iter().map(|f| f.to_string()).collect()),
            ..Default::default()
        };
        let mut all = direct_search_read(&s, &query).await;
        // Countries have no resource here: ids only, never names (the policy).
        for record in &mut all {
            if record["country_id"].is_array() {
                record["country_id"][1] = Value::Null;
            }
        }
        assert_eq!(page["total"], json!(all.len()), "{version:?}");
        assert_eq!(page["records"], json!(all[..3]), "{version:?}: the records search_read gives");
        assert!(page.get("total_is_lower_bound").is_none(), "{version:?}: {page}");
        assert!(page["records"][0]["country_id"].is_array(), "{version:?}: many2one as [id, name]: {page}");

        // A partial page: the total is what came back, still one call.
        let search =
            json!({"model": "res.partner", "domain": companies, "fields": ["name"], "offset": 2, "limit": 500});
        let (calls, page) = odoo_calls(&s, "alpenglow_search", search).await;
        assert_eq!(calls, 1, "{version:?}: search of a partial page");
        assert_eq!(page["total"], json!(all.len()), "{version:?}");
        assert_eq!(page["records"].as_array().unwrap().len(), all.len() - 2, "{version:?}");

        // A page past the end: Odoo says 0 there, so the total is counted apart.
        let search = json!({"model": "res.partner", "domain": companies, "offset": 5000, "limit": 5});
        let (calls, page) = odoo_calls(&s, "alpenglow_search", search).await;
        assert_eq!((calls, &page["total"]), (2, &json!(all.len())), "{version:?}: {page}");

        // Read: one call, in the order asked, archived and missing ids as Odoo reads them.
        let ids: Vec<i64> = all.iter().rev().take(4).map(|r| r["id"].as_i64().unwrap()).chain([999_999]).collect();
        let read = json!({"model": "res.partner", "ids": ids, "fields": fields});
        let (calls, result) = odoo_calls(&s, "alpenglow_read", read).await;
        assert_eq!(calls, 1, "{version:?}: read");
        let expected: Vec<&Value> = all.iter().rev().take(4).collect();
        assert_eq!(result["records"], json!(expected), "{version:?}");
        assert_eq!(result["missing_ids"], json!([999_999]), "{version:?}");

        for aggregate in [
            json!({"model": "res.partner", "operation": "count"}),
            json!({"model": "res.partner", "operation": "group_by", "groupby": "country_id"}),
        ] {
            let (calls, _) = odoo_calls(&s, "alpenglow_aggregate", aggregate.clone()).await;
            assert_eq!(calls, 1, "{version:?}: {aggregate}");
        }
        // Names of an exposed model's records are shown only where the caller
        // may see them: that check is a second call, the policy's price.
        s.admin.add_resources(vec![ResourceDraft::new("res.country", false)]).unwrap();
        let search = json!({"model": "res.partner", "domain": companies, "fields": ["country_id"], "limit": 3});
        let (calls, page) = odoo_calls(&s, "alpenglow_search", search).await;
        assert_eq!(calls, 2, "{version:?}: the page, then which countries the caller may see");
        assert!(page["records"][0]["country_id"][1].is_string(), "{version:?}: {page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_record_filter_search_and_read_are_still_one_call_and_stay_inside_it() {
    for version in [OdooVersion::V19, OdooVersion::V16] {
        let s = setup_on(version).await;
        s.credential("admin", Scope::Full, None);
        s.edit_resource("res.partner", |d| d.record_filter = "[('is_company', '=', True)]".into());
        let (calls, page) =
            odoo_calls(&s, "alpenglow_search", json!({"model": "res.partner", "fields": ["name"]})).await;
        assert_eq!(calls, 1, "{version:?}");
        let companies = direct_search_read(
            &s,
            &SearchQuery {
                domain: json!([["is_company", "=", true]]),
                fields: Some(vec!["name".into()]),
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page["records"], json!(companies), "{version:?}");
        assert_eq!(page["total"], json!(companies.len()), "{version:?}");
        // A person's id reads like a missing one, in the same single call.
        let person = direct_search_read(
            &s,
            &SearchQuery { domain: json!([["is_company", "=", false]]), limit: Some(1), ..Default::default() },
        )
        .await[0]["id"]
            .as_i64()
            .unwrap();
        let company = companies[0]["id"].as_i64().unwrap();
        let read = json!({"model": "res.partner", "ids": [person, company], "fields": ["name"]});
        let (calls, result) = odoo_calls(&s, "alpenglow_read", read).await;
        assert_eq!(calls, 1, "{version:?}");
        assert_eq!(result["missing_ids"], json!([person]), "{version:?}");
        assert_eq!(result["records"], json!([companies[0]]), "{version:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_total_past_the_count_limit_is_a_lower_bound_and_says_so() {
    let s = setup_on(OdooVersion::V19).await;
    s.credential("admin", Scope::Full, None);
    // Enough partners to pass the count limit, made in one call.
    let user = s.sandbox.user("admin").unwrap();
    let who = Identity { key: ApiKey::parse(&user.key).unwrap(), uid: user.uid, company_ids: Vec::new() };
    let client = inproc::client(&s.sandbox).await;
    let many: Vec<_> = (0..10_000).map(|i| json!({"name": format!("Bulk {i}")}).as_object().unwrap().clone()).collect();
    client.create(&who, "res.partner", &many).await.unwrap();

    let search =
        json!({"model": "res.partner", "domain": [["name", "=like", "Bulk %"]], "fields": ["name"], "limit": 5});
    let (calls, page) = odoo_calls(&s, "alpenglow_search", search).await;
    assert_eq!(calls, 1);
    assert_eq!(page["total"], 10_000, "{page}");
    assert_eq!(page["total_is_lower_bound"], true, "{page}");
    assert!(page["note"].as_str().unwrap().contains("at least 10000 records match"), "{page}");
    // Below the limit the total is exact and says nothing more.
    let search =
        json!({"model": "res.partner", "domain": [["name", "=like", "Bulk 1%"]], "fields": ["name"], "limit": 5});
    let (_, page) = odoo_calls(&s, "alpenglow_search", search).await;
    assert_eq!(page["total"], 1_111, "{page}");
    assert!(page.get("total_is_lower_bound").is_none(), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_and_list_models_ask_odoo_only_what_is_not_cached() {
    let s = setup_on(OdooVersion::V19).await;
    s.credential("admin", Scope::Full, None);
    let describe = json!({"model": "res.partner"});
    let fields_gets = || s.sandbox.calls("res.partner", "fields_get");
    let labels = || s.sandbox.calls("ir.model", "search_read");

    // Cold: the fields, the label and the count (sent together).
    s.call("admin", "alpenglow_list_models", json!({})).await.unwrap();
    let before = (s.sandbox.total_calls(), fields_gets(), labels());
    let cold = s.call("admin", "alpenglow_describe", describe.clone()).await.unwrap();
    assert_eq!(s.sandbox.total_calls() - before.0, 2, "fields_get and search_count; the label is cached: {cold}");
    assert_eq!((fields_gets() - before.1, labels() - before.2), (1, 0));
    assert_eq!(cold["label"], "Contact", "{cold}");
    // Warm: only the count, which is live.
    let (calls, warm) = odoo_calls(&s, "alpenglow_describe", describe.clone()).await;
    assert_eq!(calls, 1, "describe with the fields and label cached: {warm}");
    assert_eq!(warm, cold);
    let (calls, _) = odoo_calls(&s, "alpenglow_list_models", json!({})).await;
    assert_eq!(calls, 0, "list_models with the labels cached");

    // Another Odoo user is never served the first one's fields: Odoo
    // leaves out what a user's groups may not read.
    s.credential("sales", Scope::Full, None);
    let before = fields_gets();
    s.call("sales", "alpenglow_describe", describe.clone()).await.unwrap();
    assert_eq!(fields_gets() - before, 1, "the sales user's own fields_get");
    s.call("sales", "alpenglow_describe", describe.clone()).await.unwrap();
    assert_eq!(fields_gets() - before, 1, "then cached for that user");

    // A resources edit is when a changed Odoo is looked at again.
    s.edit_resource("res.partner", |d| d.operations = alpenglow::config::Operations::ALL);
    let before = (fields_gets(), labels());
    s.call("admin", "alpenglow_describe", describe.clone()).await.unwrap();
    assert_eq!((fields_gets() - before.0, labels() - before.1), (1, 1), "asked again after the edit");
    let search = json!({"model": "res.partner", "fields": ["name"], "limit": 2});
    let (calls, _) = odoo_calls(&s, "alpenglow_search", search).await;
    assert_eq!(calls, 1, "and cached again");
}
