//! `alpenglow_execute`: bypass methods never run, `name_search` is the
//! gateway's own policy-checked search, record-scoped calls run only on
//! records the caller may see, and only a safe context reaches Odoo.

use super::rig::{FACES, Outcome, Rig, refused_everywhere, results};
use alpenglow::config::{FieldPolicy, Operations, Resource, ResourceDraft};
use serde_json::{Value, json};

fn name_search(args: Value, kwargs: Value) -> Value {
    json!({"model": "res.partner", "method": "name_search", "args": args, "kwargs": kwargs})
}

/// Partners: companies only, email denied, name_search allowed.
fn partners_rig() -> Rig {
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| {
        d.operations = Operations::ALL;
        d.record_filter = "[('is_company', '=', True)]".into();
        d.field_policy = FieldPolicy::Denylist(vec!["email".into()]);
        d.execute_methods = vec!["name_search".into()];
    });
    rig
}

#[test]
fn name_search_never_finds_a_record_outside_the_filter() {
    let rig = partners_rig();
    // Odoo's own name_search finds the contact (107, not a company).
    let truth = rig.truth("res.partner", "name_search", json!(["Soren Schmidt"]), json!({}));
    assert!(truth.as_array().unwrap().iter().any(|pair| pair[0] == 107), "{truth}");
    let odoo_calls = rig.calls("res.partner", "name_search");

    for (face, answer) in rig.all("admin", "alpenglow_execute", name_search(json!(["Soren Schmidt"]), json!({}))) {
        assert_eq!(answer.ok()["result"], json!([]), "{face:?}: a hidden record found by name");
    }
    // A company inside the filter is found, named as Odoo names it.
    for result in results(&rig.all("admin", "alpenglow_execute", name_search(json!(["Golden Works"]), json!({})))) {
        assert_eq!(result["result"], json!([[8, "Golden Works"]]));
    }
    // Odoo's name_search is never called: the gateway searches itself.
    assert_eq!(rig.calls("res.partner", "name_search"), odoo_calls);
}

#[test]
fn name_search_domain_on_a_denied_field_is_refused_not_an_oracle() {
    let rig = partners_rig();
    let reads = rig.calls("res.partner", "search_read");
    // Both spellings of the domain argument, positional and by name.
    for params in [
        name_search(json!(["", [["email", "=ilike", "info@g%"]]]), json!({})),
        name_search(json!([]), json!({"domain": [["email", "=ilike", "info@g%"]]})),
        name_search(json!([]), json!({"args": [["email", "=ilike", "info@g%"]]})),
        name_search(json!(["", [["parent_id.email", "=ilike", "info@g%"]]]), json!({})),
    ] {
        let answers = rig.all("admin", "alpenglow_execute", params);
        refused_everywhere(&answers, "denied", "field \"email\" of res.partner is not accessible");
    }
    assert_eq!(rig.calls("res.partner", "search_read"), reads, "a refused name_search reached Odoo");
    // display_name searches email too on a real Odoo: not a back door either.
    let by_display = json!({"model": "res.partner", "domain": [["display_name", "ilike", "info@g"]]});
    refused_everywhere(&rig.all("admin", "alpenglow_search", by_display), "denied", "display_name");
}

#[test]
fn name_search_results_are_capped_whatever_the_limit() {
    let rig = partners_rig();
    rig.s.admin.set_setting("max_records_per_request", "10").unwrap();
    let companies = rig.truth_ids("res.partner", json!([["is_company", "=", true], ["active", "=", true]]));
    assert!(companies.len() > 10);
    for limit in [json!(0), json!(50), json!(null)] {
        for (face, answer) in rig.all("admin", "alpenglow_execute", name_search(json!([]), json!({"limit": limit}))) {
            let result = answer.ok();
            let pairs = result["result"].as_array().unwrap();
            assert_eq!(pairs.len(), 10, "{face:?} limit {limit}: {result}");
            assert_eq!(result["capped"], true, "{face:?} limit {limit}");
            for pair in pairs {
                assert!(companies.contains(&pair[0].as_i64().unwrap()), "{face:?}: {pair} is not a company");
            }
        }
    }
}

/// Orders: drafts only, with two record-scoped methods allowed.
fn orders_rig() -> Rig {
    let rig = Rig::new();
    rig.s
        .admin
        .add_resources(vec![ResourceDraft {
            operations: Operations::ALL,
            record_filter: "[('state', '=', 'draft')]".into(),
            execute_methods: vec!["has_access".into(), "action_confirm".into()],
            ..ResourceDraft::new("sale.order", false)
        }])
        .unwrap();
    rig
}

fn execute(method: &str, args: Value, kwargs: Value) -> Value {
    json!({"model": "sale.order", "method": method, "args": args, "kwargs": kwargs})
}

#[test]
fn record_scoped_methods_on_hidden_ids_read_as_missing_and_never_run() {
    let rig = orders_rig();
    let (hidden, missing) = (1, 99_999);
    assert_eq!(rig.truth_read("sale.order", hidden, &["state"])["state"], "sale");
    // Odoo itself tells a hidden order from a missing one.
    assert_eq!(rig.truth("sale.order", "has_access", json!([[hidden], "read"]), json!({})), true);
    assert_eq!(rig.truth("sale.order", "has_access", json!([[missing], "read"]), json!({})), false);

    let confirms = rig.calls("sale.order", "action_confirm");
    let has_access = rig.calls("sale.order", "has_access");
    let probes = |id: i64| {
        vec![
            execute("has_access", json!([[id], "read"]), json!({})),
            execute("has_access", json!([id, "read"]), json!({})),
            execute("has_access", json!([[id.to_string()], "read"]), json!({})),
            execute("has_access", json!(["read"]), json!({"ids": [id]})),
            execute("action_confirm", json!([[id]]), json!({})),
        ]
    };
    for (on_hidden, on_missing) in probes(hidden).into_iter().zip(probes(missing)) {
        for face in FACES {
            let h = rig.ask("admin", face, "alpenglow_execute", &on_hidden);
            let m = rig.ask("admin", face, "alpenglow_execute", &on_missing);
            assert!(matches!(h, Outcome::NotFound(_)), "{face:?} {on_hidden}: {h:?}");
            let same = |o: &Outcome| o.text().replace(&hidden.to_string(), "N").replace(&missing.to_string(), "N");
            assert_eq!(same(&h), same(&m), "{face:?}: a hidden id must read exactly as a missing one");
        }
    }
    assert_eq!(rig.calls("sale.order", "action_confirm"), confirms, "a state-changing method ran on a hidden record");
    assert_eq!(rig.calls("sale.order", "has_access"), has_access);

    // On a record the caller sees, the call goes through.
    let drafts = rig.truth_ids("sale.order", json!([["state", "=", "draft"]]));
    let visible = drafts[0];
    for result in
        results(&rig.all("admin", "alpenglow_execute", execute("has_access", json!([[visible], "read"]), json!({}))))
    {
        assert_eq!(result["result"], true);
    }
    // A draft each: the sandbox confirms as Odoo does, so a confirmed order
    // leaves the draft filter.
    for (face, draft) in FACES.into_iter().zip(drafts) {
        let before = rig.calls("sale.order", "action_confirm");
        let _ = rig.ask("admin", face, "alpenglow_execute", &execute("action_confirm", json!([[draft]]), json!({})));
        assert_eq!(rig.calls("sale.order", "action_confirm"), before + 1, "{face:?}");
        assert_eq!(rig.truth_read("sale.order", draft, &["state"])["state"], "sale", "{face:?}");
    }
}

#[test]
fn only_lang_tz_and_the_callers_own_companies_reach_odoo_in_a_context() {
    let rig = orders_rig();
    let visible = rig.truth_ids("sale.order", json!([["state", "=", "draft"], ["company_id", "=", 2]]))[0];
    let context = json!({"lang": "en_US", "tz": "Europe/Paris", "active_test": false, "uid": 1,
        "allowed_company_ids": [2, 99], "force_company": 99});
    for face in FACES {
        let params = execute("has_access", json!([[visible], "read"]), json!({"context": context}));
        let answer = rig.ask("admin", face, "alpenglow_execute", &params);
        let note = answer.ok()["note"].as_str().unwrap_or_default().to_string();
        assert!(note.contains("active_test, uid, force_company"), "{face:?}: {note}");
        let seen = rig.s.sandbox.last_context("sale.order", "has_access").unwrap();
        assert_eq!(seen, json!({"lang": "en_US", "tz": "Europe/Paris", "allowed_company_ids": [2]}), "{face:?}");
    }
}

#[test]
fn methods_that_read_or_write_by_another_road_are_never_executable() {
    let rig = Rig::new();
    // Refused when an admin tries, with the operation to use instead...
    for (method, instead) in [
        ("search_read", "alpenglow_search"),
        ("Read_Group", "alpenglow_aggregate"),
        ("WRITE", "alpenglow_update"),
        ("message_post", "no safe equivalent"),
        ("get_views", "alpenglow_describe"),
    ] {
        let draft = ResourceDraft { execute_methods: vec![method.into()], ..ResourceDraft::new("sale.order", false) };
        let refused = rig.s.admin.add_resources(vec![draft]).unwrap_err().to_string();
        assert!(refused.contains("cannot be allowed") && refused.contains(instead), "{method}: {refused}");
    }
    // ...and on every request, for a resource stored around the admin service.
    let table = rig.s.admin.store().table::<Resource>().unwrap();
    let mut partner = rig.s.admin.find_resource("res.partner").unwrap();
    partner.operations = Operations::ALL;
    partner.execute_methods = vec!["web_search_read".into(), "Search_Read".into(), "message_post".into()];
    table.insert(&partner.id, &partner).unwrap();
    let methods = ["web_search_read", "Search_Read", "message_post"];
    for method in methods {
        let params = json!({"model": "res.partner", "method": method, "args": [[], []]});
        refused_everywhere(&rig.all("admin", "alpenglow_execute", params), "denied", "can never be called");
    }
    for method in methods {
        assert_eq!(rig.calls("res.partner", method), 0, "{method} reached Odoo");
    }
}
