use super::*;
use crate::config::{FieldPolicy, Operations};
use time::OffsetDateTime;

fn resource(id: u64, model: &str, company: Option<u32>) -> Resource {
    Resource {
        id,
        model: model.into(),
        company_id: company,
        read_only: false,
        operations: Operations::ALL,
        field_policy: FieldPolicy::All,
        record_filter: String::new(),
        execute_methods: vec!["name_search".into()],
        created_at: OffsetDateTime::UNIX_EPOCH,
        updated_at: OffsetDateTime::UNIX_EPOCH,
        approvals: Default::default(),
    }
}

const A: Caller = Caller { read_only_scope: false, home_company: Some(1) };

#[test]
fn company_resources_win_and_other_companies_are_invisible() {
    let all =
        vec![resource(1, "res.partner", None), resource(2, "res.partner", Some(1)), resource(3, "sale.order", Some(2))];
    assert_eq!(resource_for(&all, A, "res.partner").unwrap().id, 2);
    let b = Caller { home_company: Some(2), ..A };
    assert_eq!(resource_for(&all, b, "res.partner").unwrap().id, 1);
    assert_eq!(resource_for(&all, b, "sale.order").unwrap().id, 3);
    assert!(matches!(resource_for(&all, A, "sale.order"), Err(Refusal::NotFound(_))));
    let nobody = Caller { home_company: None, ..A };
    assert_eq!(visible_resources(&all, nobody).iter().map(|r| r.id).collect::<Vec<_>>(), vec![1]);
}

#[test]
fn read_only_and_scope_override_toggles() {
    let mut r = resource(1, "res.partner", None);
    check_action(&r, A, Action::Delete).unwrap();
    r.read_only = true;
    let e = check_action(&r, A, Action::Delete).unwrap_err();
    assert!(matches!(e, Refusal::Denied(m) if m.contains("read-only")));
    check_action(&r, A, Action::Read).unwrap();
    r.read_only = false;
    let scoped = Caller { read_only_scope: true, ..A };
    assert!(
        matches!(check_action(&r, scoped, Action::Create), Err(Refusal::Denied(m)) if m.contains("credential is read-only"))
    );
    check_action(&r, scoped, Action::Read).unwrap();
}

#[test]
fn execute_needs_write_and_the_allowlist() {
    let mut r = resource(1, "res.partner", None);
    check_action(&r, A, Action::Execute("name_search")).unwrap();
    assert!(check_action(&r, A, Action::Execute("action_archive")).is_err());
    assert!(check_action(&r, A, Action::Execute("_private")).is_err());
    r.operations.write = false;
    assert!(check_action(&r, A, Action::Execute("name_search")).is_err());
}

#[test]
fn field_policy_everywhere() {
    let mut r = resource(1, "res.partner", None);
    r.field_policy = FieldPolicy::Denylist(vec!["email".into()]);
    check_fields(&r, ["name", "id"], "return").unwrap();
    assert!(check_fields(&r, ["email"], "return").is_err());
    assert!(check_fields(&r, ["email.foo"], "filter on").is_err());
    assert!(check_fields(&r, ["email:count"], "aggregate").is_err());
    assert_eq!(default_fields(&r, ["name", "email", "phone"]), vec!["name", "phone"]);
}

#[test]
fn order_and_caps() {
    assert_eq!(order_fields("name desc, id").unwrap(), vec!["name", "id"]);
    assert!(order_fields("name; drop table x").is_err());
    assert!(order_fields("name sideways").is_err());
    let s = Settings::default();
    assert_eq!(cap_limit(80, &s), (80, false));
    assert_eq!(cap_limit(5000, &s), (500, true));
    assert!(check_id_count(&vec![1; 501], &s).is_err());
}
