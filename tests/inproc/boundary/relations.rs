//! Writes through relations: a many2many write never drops the links to
//! records the caller cannot see.

use super::rig::{FACES, Outcome, Rig};
use alpenglow::config::{Operations, ResourceDraft};
use serde_json::{Value, json};

/// Partners writable; partner categories readable but for category 8.
fn categories_rig() -> Rig {
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| d.operations = Operations::ALL);
    rig.s
        .admin
        .add_resources(vec![ResourceDraft {
            record_filter: "[('id', '!=', 8)]".into(),
            ..ResourceDraft::new("res.partner.category", false)
        }])
        .unwrap();
    rig
}

fn categories(rig: &Rig, partner: i64) -> Vec<i64> {
    let mut ids: Vec<i64> =
        serde_json::from_value(rig.truth_read("res.partner", partner, &["category_id"])["category_id"].clone())
            .unwrap();
    ids.sort();
    ids
}

#[test]
fn many2many_writes_keep_the_links_the_caller_cannot_see() {
    let rig = categories_rig();
    let partner = 11;
    let cases: [(Value, Option<Vec<i64>>); 9] = [
        (json!([[6, 0, [2]]]), Some(vec![2, 8])),
        // An empty list is no command in Odoo: nothing changes.
        (json!([]), Some(vec![5, 8])),
        (json!([2]), Some(vec![2, 8])),
        (json!([[5]]), Some(vec![8])),
        (json!([[5], [4, 3]]), Some(vec![3, 8])),
        // A clear or a set after a link in the same list undoes that link too.
        (json!([[4, 3], [5]]), Some(vec![8])),
        (json!([[4, 3], [6, 0, [2]]]), Some(vec![2, 8])),
        (json!([[3, 8]]), None),
        (json!([[6, 0, [2, 8]]]), None),
    ];
    for (commands, expected) in cases {
        for face in FACES {
            rig.truth_write("res.partner", &[partner], json!({"category_id": [[6, 0, [5, 8]]]}));
            let params = json!({"model": "res.partner", "ids": [partner], "values": {"category_id": commands}});
            let answer = rig.ask("admin", face, "alpenglow_update", &params);
            match &expected {
                Some(ids) => {
                    assert!(answer.is_ok(), "{face:?} {commands}: {answer:?}");
                    assert_eq!(&categories(&rig, partner), ids, "{face:?} {commands}: a hidden link was dropped");
                }
                None => {
                    assert!(matches!(answer, Outcome::NotFound(_)), "{face:?} {commands}: {answer:?}");
                    assert_eq!(categories(&rig, partner), [5, 8], "{face:?} {commands}: written although refused");
                }
            }
        }
    }
    // Without hidden members the command is Odoo's own: a set is a set.
    rig.truth_write("res.partner", &[10], json!({"category_id": [[6, 0, [7]]]}));
    let params = json!({"model": "res.partner", "ids": [10], "values": {"category_id": [[6, 0, [2]]]}});
    assert!(rig.ask("admin", FACES[0], "alpenglow_update", &params).is_ok());
    assert_eq!(categories(&rig, 10), [2]);
}

#[test]
fn a_many2many_dry_run_does_not_name_the_hidden_links() {
    let rig = categories_rig();
    rig.truth_write("res.partner", &[11], json!({"category_id": [[6, 0, [5, 8]]]}));
    let params = json!({"model": "res.partner", "ids": [11], "values": {"category_id": [[5]]}, "dry_run": true});
    let plan = rig.ask("admin", FACES[0], "alpenglow_update", &params);
    for step in plan.ok()["would"].as_array().unwrap() {
        assert!(!step["ids"].as_array().unwrap().contains(&json!(8)), "{step}");
    }
    assert_eq!(categories(&rig, 11), [5, 8]);
}

/// Orders and lines readable; partners limited to companies; products
/// readable without their internal reference.
fn shop_rig() -> Rig {
    shop_rig_on(alpenglow::sandbox::OdooVersion::V19)
}

fn shop_rig_on(version: alpenglow::sandbox::OdooVersion) -> Rig {
    let rig = Rig::on(version);
    rig.s.edit_resource("res.partner", |d| d.record_filter = "[('is_company', '=', True)]".into());
    rig.s
        .admin
        .add_resources(vec![
            ResourceDraft::new("sale.order", false),
            ResourceDraft::new("sale.order.line", false),
            ResourceDraft {
                field_policy: alpenglow::config::FieldPolicy::Denylist(vec!["default_code".into()]),
                ..ResourceDraft::new("product.product", false)
            },
        ])
        .unwrap();
    rig
}

fn record(result: &Value, id: i64) -> Value {
    result["records"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn a_many2one_to_a_hidden_record_keeps_its_id_but_not_its_name() {
    let rig = shop_rig();
    // Odoo names them all: order 2's contact (outside the partners' filter), its salesperson.
    let truth = rig.truth_read("sale.order", 2, &["partner_id", "user_id"]);
    assert_eq!(truth["partner_id"], json!([107, "Orbit Furniture, Soren Schmidt"]));
    assert!(truth["user_id"][1].is_string());
    let asks = [
        ("alpenglow_read", json!({"model": "sale.order", "ids": [2], "fields": ["partner_id", "user_id"]})),
        (
            "alpenglow_search",
            json!({"model": "sale.order", "domain": [["id", "in", [1, 2]]], "fields": ["partner_id", "user_id"]}),
        ),
    ];
    for (tool, params) in asks {
        for (face, answer) in rig.all("admin", tool, params) {
            let order = record(answer.ok(), 2);
            assert_eq!(order["partner_id"], json!([107, null]), "{face:?} {tool}: a hidden partner named");
            // res.users has no resource: its ids show, never its names.
            assert_eq!(order["user_id"][1], json!(null), "{face:?} {tool}");
            assert!(!answer.text().contains("Soren"), "{face:?} {tool}");
        }
    }
    // A visible company keeps its name.
    let visible = json!({"model": "sale.order", "ids": [1], "fields": ["partner_id"]});
    for (face, answer) in rig.all("admin", "alpenglow_read", visible) {
        assert_eq!(record(answer.ok(), 1)["partner_id"], json!([10, "Golden Studio"]), "{face:?}");
    }
}

#[test]
fn a_display_name_never_shows_a_field_the_related_resource_denies() {
    let rig = shop_rig();
    assert_eq!(
        rig.truth_read("sale.order.line", 1, &["product_id"])["product_id"],
        json!([6, "[FURN_0006] Storage Box"])
    );
    let asks = [
        ("alpenglow_read", json!({"model": "sale.order.line", "ids": [1], "fields": ["product_id", "display_name"]})),
        ("alpenglow_read", json!({"model": "product.product", "ids": [6], "fields": ["display_name", "name"]})),
    ];
    for (tool, params) in asks.clone() {
        for (face, answer) in rig.all("admin", tool, params.clone()) {
            assert!(!answer.text().contains("FURN_0006"), "{face:?} {params}: the internal reference leaked");
        }
    }
    for (face, answer) in rig.all("admin", "alpenglow_read", asks[0].1.clone()) {
        assert_eq!(record(answer.ok(), 1)["product_id"], json!([6, null]), "{face:?}");
    }
}

#[test]
fn x2many_values_list_only_the_related_records_the_caller_may_read() {
    let rig = shop_rig();
    let children = rig.truth_read("res.partner", 13, &["child_ids"])["child_ids"].clone();
    assert!(children.as_array().unwrap().contains(&json!(107)), "{children}");
    let params = json!({"model": "res.partner", "ids": [13], "fields": ["child_ids", "name"]});
    for (face, answer) in rig.all("admin", "alpenglow_read", params) {
        assert_eq!(record(answer.ok(), 13)["child_ids"], json!([]), "{face:?}: contacts outside the filter listed");
    }
}

#[test]
fn domain_terms_naming_hidden_records_match_nothing() {
    // Odoo 16 has no `any`: names are searched with its own name_search there.
    for version in [alpenglow::sandbox::OdooVersion::V19, alpenglow::sandbox::OdooVersion::V16] {
        hidden_records_match_nothing(shop_rig_on(version));
    }
}

fn hidden_records_match_nothing(rig: Rig) {
    // Odoo finds the company of hidden contact 107, and the orders of a hidden name.
    assert_eq!(rig.truth_ids("res.partner", json!([["child_ids", "in", [107]]])), [13]);
    assert_eq!(rig.truth_ids("sale.order", json!([["partner_id", "ilike", "Soren Schmidt"]])), [2]);
    let zero = [
        ("res.partner", json!([["child_ids", "in", [107]]])),
        ("res.partner", json!([["child_ids", "=", 107]])),
        ("res.partner", json!([["child_ids", "ilike", "Soren Schmidt"]])),
        ("sale.order", json!([["partner_id", "=", 107]])),
        ("sale.order", json!([["partner_id", "ilike", "Soren Schmidt"]])),
        ("sale.order", json!([["partner_id", "in", [107, 99999]]])),
    ];
    for (model, domain) in zero {
        let params = json!({"model": model, "domain": domain, "fields": ["id"]});
        for (face, answer) in rig.all("admin", "alpenglow_search", params) {
            assert_eq!(answer.ok()["total"], 0, "{face:?} {model} {domain}: a hidden record matched");
        }
    }
    // A hidden id in a negative term acts as a missing id does: it excludes nothing.
    let total = |domain: Value| {
        let params = json!({"model": "res.partner", "domain": domain, "fields": ["id"]});
        rig.ask("admin", FACES[0], "alpenglow_search", &params).ok()["total"].clone()
    };
    assert_eq!(total(json!([["child_ids", "not in", [107]]])), total(json!([["child_ids", "not in", [99999]]])));
    // A visible company is still found by its own name through a relation.
    let by_name =
        json!({"model": "sale.order", "domain": [["partner_id", "ilike", "Golden Studio"]], "fields": ["id"]});
    for (face, answer) in rig.all("admin", "alpenglow_search", by_name) {
        assert!(answer.ok()["total"].as_u64().unwrap() > 0, "{face:?}");
    }
}

#[test]
fn group_labels_and_pivots_do_not_name_hidden_records() {
    let rig = shop_rig();
    let asks = [
        json!({"model": "sale.order", "operation": "group_by", "groupby": "partner_id"}),
        json!({"model": "sale.order", "operation": "pivot", "row_groupby": "partner_id", "col_groupby": "state"}),
    ];
    for params in asks.clone() {
        for (face, answer) in rig.all("admin", "alpenglow_aggregate", params.clone()) {
            let text = answer.ok().to_string();
            assert!(!text.contains("Soren"), "{face:?} {params}: a hidden partner named");
            assert!(text.contains("Golden Studio"), "{face:?} {params}: a visible one lost its name");
        }
    }
    let grouped = rig.ask("admin", FACES[0], "alpenglow_aggregate", &asks[0]);
    let keys: Vec<Value> =
        grouped.ok()["groups"].as_array().unwrap().iter().map(|g| g["key"]["partner_id"].clone()).collect();
    assert!(keys.contains(&json!([107, null])), "{keys:?}");
}

#[test]
fn a_name_that_embeds_a_hidden_record_is_withheld() {
    // Contacts visible, companies hidden: a contact's name embeds its company's.
    let rig = shop_rig();
    rig.s.edit_resource("res.partner", |d| d.record_filter = "[('is_company', '=', False)]".into());
    let asks = [
        (
            "alpenglow_read",
            json!({"model": "res.partner", "ids": [107], "fields": ["display_name", "name", "parent_id"]}),
        ),
        ("alpenglow_read", json!({"model": "sale.order", "ids": [2], "fields": ["partner_id"]})),
        ("alpenglow_execute", json!({"model": "res.partner", "method": "name_search", "args": ["Soren Schmidt"]})),
    ];
    rig.s.edit_resource("res.partner", |d| {
        d.operations = Operations::ALL;
        d.execute_methods = vec!["name_search".into()];
    });
    for (tool, params) in asks {
        for (face, answer) in rig.all("admin", tool, params.clone()) {
            assert!(
                !answer.text().contains("Orbit"),
                "{face:?} {params}: the hidden company's name leaked: {answer:?}"
            );
        }
    }
    let contact = rig.ask("admin", FACES[0], "alpenglow_read", &asks_contact());
    let contact = record(contact.ok(), 107);
    assert_eq!((contact["name"].clone(), contact["display_name"].clone()), (json!("Soren Schmidt"), json!(null)));
    assert_eq!(contact["parent_id"], json!([13, null]));
}

fn asks_contact() -> Value {
    json!({"model": "res.partner", "ids": [107], "fields": ["display_name", "name", "parent_id"]})
}

#[test]
fn a_name_search_cannot_probe_the_names_a_composed_name_embeds() {
    // Contacts visible, companies hidden: "Orbit" is only in 107's company's name.
    let rig = shop_rig();
    rig.s.edit_resource("res.partner", |d| {
        d.record_filter = "[('is_company', '=', False)]".into();
        d.operations = Operations::ALL;
        d.execute_methods = vec!["name_search".into()];
    });
    let truth = rig.truth("res.partner", "name_search", json!(["Orbit Furniture"]), json!({"limit": 0}));
    assert!(truth.as_array().unwrap().iter().any(|p| p[0] == 107), "{truth}");
    let by_name = json!({"model": "res.partner", "method": "name_search", "args": ["Orbit Furniture"]});
    for (face, answer) in rig.all("admin", "alpenglow_execute", by_name) {
        assert_eq!(answer.ok()["result"], json!([]), "{face:?}: found through its hidden company's name");
    }
    for field in ["display_name", "complete_name"] {
        let params = json!({"model": "res.partner", "domain": [[field, "ilike", "Orbit"]]});
        super::rig::refused_everywhere(&rig.all("admin", "alpenglow_search", params), "denied", "embeds the name");
    }
    let orders =
        json!({"model": "sale.order", "domain": [["partner_id", "ilike", "Orbit Furniture"]], "fields": ["id"]});
    for (face, answer) in rig.all("admin", "alpenglow_search", orders) {
        assert_eq!(answer.ok()["total"], 0, "{face:?}");
    }
}
