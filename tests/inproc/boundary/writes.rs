//! Writes and the record filter: refused before they happen wherever the
//! filter can be evaluated on the values; otherwise undone after the write,
//! x2many changes included.

use super::rig::{FACES, Outcome, Rig, refused_everywhere};
use alpenglow::config::{Operations, ResourceDraft};
use serde_json::{Value, json};

fn writes(rig: &Rig, model: &str) -> u64 {
    ["create", "write", "unlink"].iter().map(|m| rig.calls(model, m)).sum()
}

#[test]
fn a_write_that_would_leave_the_filter_is_refused_before_it_happens() {
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| {
        d.operations = Operations::ALL;
        d.record_filter = "[('is_company', '=', True), ('customer_rank', '>=', 0)]".into();
    });
    let before = writes(&rig, "res.partner");
    let update = json!({"model": "res.partner", "ids": [8], "values": {"is_company": false, "phone": "+1 555"}});
    let answers = rig.all("admin", "alpenglow_update", update);
    refused_everywhere(&answers, "denied", "out of the records you may see; nothing was written");
    let create = json!({"model": "res.partner", "values": {"name": "Leaving Co", "is_company": false}});
    let created = rig.all("admin", "alpenglow_create", create);
    refused_everywhere(&created, "denied", "nothing was created");
    for (face, answer) in answers.iter().chain(&created) {
        assert!(!answer.text().contains("customer_rank"), "{face:?} quotes the admin's filter: {answer:?}");
    }
    // Nothing was written, not even for a moment: no write, no undo.
    assert_eq!(writes(&rig, "res.partner"), before);
    assert_eq!(rig.truth_read("res.partner", 8, &["is_company"])["is_company"], true);
    // The audit log keeps what the caller is not told: the admin's filter.
    let query = alpenglow::audit::AuditQuery {
        tool: Some("alpenglow_update".into()),
        outcome: Some(alpenglow::audit::Outcome::Denied),
        ..Default::default()
    };
    let entries = rig.s.admin.audit_query(&query).unwrap().entries;
    assert_eq!(entries.len(), 3, "one denied update per face");
    for entry in entries {
        let error = entry.error.unwrap();
        assert!(error.contains("record filter of res.partner") && error.contains("customer_rank"), "{error}");
    }
}

#[test]
fn a_nested_write_refused_for_a_filter_does_not_quote_it() {
    let rig = Rig::new();
    rig.s
        .admin
        .add_resources(vec![
            ResourceDraft { operations: Operations::ALL, ..ResourceDraft::new("sale.order", false) },
            ResourceDraft {
                operations: Operations::ALL,
                record_filter: "[('product_uom_qty', '<', 77)]".into(),
                ..ResourceDraft::new("sale.order.line", false)
            },
            ResourceDraft::new("product.product", false),
        ])
        .unwrap();
    let params = json!({"model": "sale.order", "ids": [4], "values": {"order_line": [[0, 0, {"product_id": 6}]]}});
    let answers = rig.all("admin", "alpenglow_update", params);
    refused_everywhere(&answers, "denied", "sale.order.line records have a record filter");
    for (face, answer) in &answers {
        assert!(!answer.text().contains("77"), "{face:?} quotes the admin's filter: {answer:?}");
    }
}

#[test]
fn an_undone_update_restores_its_many2many_changes_too() {
    // A filter on an x2many cannot be evaluated before: write, check, undo.
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| {
        d.operations = Operations::ALL;
        d.record_filter = "[('category_id', '!=', False)]".into();
    });
    rig.s.admin.add_resources(vec![ResourceDraft::new("res.partner.category", false)]).unwrap();
    for face in FACES {
        rig.truth_write("res.partner", &[11], json!({"name": "Granite Holdings", "category_id": [[6, 0, [5, 8]]]}));
        let params = json!({"model": "res.partner", "ids": [11], "values": {"name": "Renamed", "category_id": [[5]]}});
        let answer = rig.ask("admin", face, "alpenglow_update", &params);
        assert!(matches!(&answer, Outcome::Denied(m) if m.contains("it was undone")), "{face:?}: {answer:?}");
        let after = rig.truth_read("res.partner", 11, &["name", "category_id"]);
        assert_eq!(after["name"], "Granite Holdings", "{face:?}");
        let mut categories: Vec<i64> = serde_json::from_value(after["category_id"].clone()).unwrap();
        categories.sort();
        assert_eq!(categories, [5, 8], "{face:?}: the undo kept the x2many change");
    }
}

#[test]
fn an_undone_update_restores_its_one2many_lines() {
    // amount_total is computed from the lines: the write must happen to tell.
    let rig = Rig::new();
    rig.s
        .admin
        .add_resources(vec![
            ResourceDraft {
                operations: Operations::ALL,
                record_filter: "[('amount_total', '<', 100000)]".into(),
                ..ResourceDraft::new("sale.order", false)
            },
            ResourceDraft { operations: Operations::ALL, ..ResourceDraft::new("sale.order.line", false) },
            ResourceDraft::new("product.product", false),
        ])
        .unwrap();
    let order = 4;
    let lines = |rig: &Rig| -> Value {
        let ids = rig.truth_ids("sale.order.line", json!([["order_id", "=", order]]));
        let rows = rig.truth("sale.order.line", "read", json!([ids, ["product_uom_qty"]]), json!({}));
        json!(rows)
    };
    let before_lines = lines(&rig);
    let before_order = rig.truth_read("sale.order", order, &["client_order_ref", "amount_total"]);
    for face in FACES {
        let values = json!({"client_order_ref": "BOUNDARY", "order_line": [
            [0, 0, {"product_id": 6, "product_uom_qty": 100000, "price_unit": 10}],
            [1, 10, {"product_uom_qty": 7}]
        ]});
        let params = json!({"model": "sale.order", "ids": [order], "values": values});
        let answer = rig.ask("admin", face, "alpenglow_update", &params);
        assert!(matches!(&answer, Outcome::Denied(m) if m.contains("it was undone")), "{face:?}: {answer:?}");
        assert_eq!(lines(&rig), before_lines, "{face:?}: the lines were not put back");
        assert_eq!(
            rig.truth_read("sale.order", order, &["client_order_ref", "amount_total"]),
            before_order,
            "{face:?}"
        );
    }
}
