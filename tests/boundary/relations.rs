//! Writes through relations: a many2many write never drops the links to
//! records the caller cannot see.

use crate::rig::{FACES, Outcome, Rig};
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
    let cases: [(Value, Option<Vec<i64>>); 6] = [
        (json!([[6, 0, [2]]]), Some(vec![2, 8])),
        (json!([2]), Some(vec![2, 8])),
        (json!([[5]]), Some(vec![8])),
        (json!([[5], [4, 3]]), Some(vec![3, 8])),
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
