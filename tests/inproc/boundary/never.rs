//! The never-exposed list: models, attachment content and group membership
//! stay out of reach whatever an admin configures, refused at registration
//! and on every request (for records stored around the admin service too).

use super::rig::{Rig, refused_everywhere};
use alpenglow::config::{FieldPolicy, Operations, Resource, ResourceDraft};
use serde_json::json;

const MODELS: [&str; 9] = [
    "base.automation",
    "ir.ui.view",
    "ir.model.fields",
    "ir.model.data",
    "ir.default",
    "ir.actions.report",
    "mail.template",
    "mail.mail",
    "auth.oauth.provider",
];

/// A resource written straight into the store, as an older release or a
/// hand edit would leave it.
fn stored_around(rig: &Rig, id: u64, draft: ResourceDraft) {
    let now = time::OffsetDateTime::now_utc();
    let resource = Resource {
        id,
        model: draft.model,
        company_id: None,
        read_only: false,
        operations: draft.operations,
        field_policy: draft.field_policy,
        record_filter: String::new(),
        execute_methods: vec![],
        created_at: now,
        updated_at: now,
        approvals: Default::default(),
    };
    rig.s.admin.store().table::<Resource>().unwrap().insert(&id, &resource).unwrap();
}

#[test]
fn the_new_never_exposed_models_are_refused_at_registration_and_on_every_request() {
    let rig = Rig::new();
    for (n, model) in MODELS.iter().enumerate() {
        let refused = rig.s.admin.add_resources(vec![ResourceDraft::new(model, false)]).unwrap_err().to_string();
        assert!(refused.contains("can never be exposed"), "{model}: {refused}");
        stored_around(
            &rig,
            9000 + n as u64,
            ResourceDraft { operations: Operations::ALL, ..ResourceDraft::new(model, false) },
        );
        refused_everywhere(&rig.all("admin", "alpenglow_search", json!({"model": model})), "denied", "never exposed");
        let create = json!({"model": model, "values": {"name": "x"}});
        refused_everywhere(&rig.all("admin", "alpenglow_create", create), "denied", "never exposed");
        for method in ["search_read", "web_search_read", "create", "fields_get"] {
            assert_eq!(rig.calls(model, method), 0, "{model} reached Odoo");
        }
    }
}

#[test]
fn attachment_content_is_never_read_filtered_on_or_written() {
    let rig = Rig::new();
    let allow = ResourceDraft {
        field_policy: FieldPolicy::Allowlist(vec!["name".into(), "datas".into()]),
        ..ResourceDraft::new("ir.attachment", false)
    };
    let refused = rig.s.admin.add_resources(vec![allow]).unwrap_err().to_string();
    assert!(refused.contains("\"datas\" of ir.attachment can never be exposed"), "{refused}");
    rig.s
        .admin
        .add_resources(vec![ResourceDraft {
            operations: Operations::ALL,
            ..ResourceDraft::new("ir.attachment", false)
        }])
        .unwrap();
    for field in ["datas", "raw"] {
        let read = json!({"model": "ir.attachment", "fields": ["name", field]});
        refused_everywhere(&rig.all("admin", "alpenglow_search", read), "denied", "never exposed");
        let filter = json!({"model": "ir.attachment", "domain": [[field, "!=", false]]});
        refused_everywhere(&rig.all("admin", "alpenglow_search", filter), "denied", "never exposed");
        let write = json!({"model": "ir.attachment", "values": {"name": "x", field: "aGVsbG8="}});
        refused_everywhere(&rig.all("admin", "alpenglow_create", write), "denied", "never exposed");
    }
    for method in ["search_read", "web_search_read", "create"] {
        assert_eq!(rig.calls("ir.attachment", method), 0);
    }
}

#[test]
fn group_membership_of_users_is_never_written_directly_or_through_a_relation() {
    let rig = Rig::new();
    rig.s.edit_resource("res.partner", |d| d.operations = Operations::ALL);
    rig.s
        .admin
        .add_resources(vec![ResourceDraft { operations: Operations::ALL, ..ResourceDraft::new("res.users", false) }])
        .unwrap();
    for (field, value) in [
        ("groups_id", json!([[4, 1]])),
        ("group_ids", json!([[4, 1]])),
        ("in_group_3", json!(true)),
        ("sel_groups_1_2", json!(2)),
    ] {
        let direct = json!({"model": "res.users", "ids": [6], "values": {field: value}});
        refused_everywhere(&rig.all("admin", "alpenglow_update", direct), "denied", "never written");
        let nested = json!({"model": "res.partner", "ids": [5], "values": {"user_ids": [[1, 6, {field: value}]]}});
        refused_everywhere(&rig.all("admin", "alpenglow_update", nested), "denied", "never written");
    }
    assert_eq!(rig.calls("res.users", "write") + rig.calls("res.partner", "write"), 0);
}
