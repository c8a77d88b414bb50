//! Authentication and credentials through the real gateway against the
//! in-process sandbox: revocation on the next request (despite the cache),
//! expiry, "a credential authorizes a user", passthrough and Require
//! Credential, and company isolation of resources.

use crate::common::inproc;

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, ResourceDraft, Scope};
use alpenglow::gateway::{Authorization, Face, OpError, RequestContext};
use inproc::{Setup, setup};
use serde_json::{Value, json};

fn credential(s: &Setup, role: &str, scope: Scope, company: Option<u32>) -> u64 {
    s.credential(role, scope, company)
}

fn ctx(s: &Setup, role: &str) -> RequestContext {
    s.ctx(role)
}

async fn list(s: &Setup, role: &str) -> Result<Value, OpError> {
    s.call(role, "alpenglow_list_models", json!({})).await
}

#[tokio::test]
async fn revocation_applies_on_the_very_next_request() {
    let s = setup().await;
    let id = credential(&s, "admin", Scope::Full, None);
    list(&s, "admin").await.unwrap();
    list(&s, "admin").await.unwrap(); // now served from the auth cache
    s.admin.revoke_credential(id).unwrap();
    let refused = list(&s, "admin").await.unwrap_err();
    assert!(matches!(&refused, OpError::Unauthenticated(m) if m.contains("revoked")), "{refused:?}");

    // The same key registered again (a new credential, read-only this time):
    // the cache must not keep answering with the revoked one.
    let again = credential(&s, "admin", Scope::ReadOnly, None);
    assert_ne!(again, id);
    list(&s, "admin").await.unwrap();
    let create = s.call("admin", "alpenglow_create", json!({"model": "res.partner", "values": {"name": "X"}})).await;
    assert!(matches!(&create, Err(OpError::Denied(m)) if m.contains("read-only")), "{create:?}");
}

#[tokio::test]
async fn a_user_whose_credentials_are_all_revoked_gets_no_passthrough() {
    let s = setup().await;
    // The sales user has a credential registered under another of its keys.
    let sales = s.sandbox.user("sales").unwrap();
    let other_key = ApiKey::parse("feedfacefeedfacefeedfacefeedfacefeedface").unwrap();
    let id = s
        .admin
        .create_credential(CredentialDraft {
            label: "sales laptop".into(),
            user_id: sales.uid as u32,
            login: sales.login.clone(),
            scope: Scope::Full,
            expires_on: None,
            company_id: None,
            key: other_key,
        })
        .unwrap()
        .id;
    // The sales user's real key has no credential of its own, but the user has one: it applies.
    list(&s, "sales").await.unwrap();
    s.admin.revoke_credential(id).unwrap();
    let refused = list(&s, "sales").await.unwrap_err();
    assert!(matches!(&refused, OpError::Unauthenticated(m) if m.contains("revoked or expired")), "{refused:?}");
}

#[tokio::test]
async fn passthrough_and_require_credential() {
    let s = setup().await;
    // No credential at all for the viewer: passthrough, without scope restrictions.
    let models = list(&s, "viewer").await.unwrap();
    assert_eq!(models["models"][0]["model"], "res.partner");
    s.admin.set_setting("require_credential", "on").unwrap();
    let refused = list(&s, "viewer").await.unwrap_err();
    assert!(matches!(&refused, OpError::Unauthenticated(m) if m.contains("Require Credential")), "{refused:?}");
}

#[tokio::test]
async fn bad_keys_and_disabled_mcp() {
    let s = setup().await;
    let bad = RequestContext::new(
        Face::Rest,
        "127.0.0.1".parse().unwrap(),
        Authorization::Bearer("0000000000000000000000000000000000000000".into()),
    );
    assert!(matches!(
        s.gateway.call(&bad, "alpenglow_list_models", &json!({})).await,
        Err(OpError::Unauthenticated(_))
    ));
    let missing = RequestContext::new(Face::Rest, "127.0.0.1".parse().unwrap(), Authorization::Missing);
    assert!(matches!(
        s.gateway.call(&missing, "alpenglow_list_models", &json!({})).await,
        Err(OpError::Unauthenticated(_))
    ));
    s.admin.set_setting("enable_mcp", "off").unwrap();
    assert_eq!(list(&s, "admin").await.unwrap_err(), OpError::Disabled);
}

#[tokio::test]
async fn companies_see_their_resources_and_data_only() {
    let s = setup().await;
    // res.country is registered for company 2 only; res.partner for all, with a
    // company-2 variant that hides emails.
    s.admin
        .add_resources(vec![ResourceDraft { company_id: Some(2), ..ResourceDraft::new("res.country", false) }])
        .unwrap();
    let mut hidden = ResourceDraft::new("res.partner", false);
    hidden.company_id = Some(2);
    hidden.field_policy = alpenglow::config::FieldPolicy::Denylist(vec!["email".into()]);
    s.admin.add_resources(vec![hidden]).unwrap();
    credential(&s, "admin", Scope::Full, Some(1));
    credential(&s, "sales", Scope::Full, Some(2));

    let a: Vec<Value> = list(&s, "admin").await.unwrap()["models"].as_array().unwrap().clone();
    assert_eq!(a.iter().map(|m| m["model"].clone()).collect::<Vec<_>>(), [json!("res.partner")]);
    assert_eq!(a[0]["field_policy"], "all");
    let country = s.gateway.call(&ctx(&s, "admin"), "alpenglow_search", &json!({"model": "res.country"})).await;
    assert!(matches!(&country, Err(OpError::NotFound(m)) if !m.contains("company")), "{country:?}");

    let b = list(&s, "sales").await.unwrap();
    let names: Vec<&str> = b["models"].as_array().unwrap().iter().map(|m| m["model"].as_str().unwrap()).collect();
    assert_eq!(names, ["res.country", "res.partner"]);
    assert_eq!(b["models"][1]["field_policy"], "denylist", "the company's resource wins");

    // Data: a company-1 credential never sees company-2 partners, and vice versa.
    let search = |role: &'static str| {
        let c = ctx(&s, role);
        let g = s.gateway.clone();
        async move {
            g.call(
                &c,
                "alpenglow_search",
                &json!({"model": "res.partner", "fields": ["name", "company_id"], "limit": 500}),
            )
            .await
            .unwrap()
        }
    };
    for (role, own) in [("admin", 1), ("sales", 2)] {
        let result = search(role).await;
        let companies: Vec<Value> =
            result["records"].as_array().unwrap().iter().map(|r| r["company_id"].clone()).collect();
        assert!(!companies.is_empty());
        for company in companies {
            assert!(company == json!(false) || company[0] == own, "{role}: {company}");
        }
    }
}

#[tokio::test]
async fn read_only_scope_and_expiry() {
    let s = setup().await;
    let user = s.sandbox.user("admin").unwrap();
    s.admin
        .create_credential(CredentialDraft {
            label: "ro".into(),
            user_id: user.uid as u32,
            login: user.login,
            scope: Scope::ReadOnly,
            expires_on: Some(AdminService::today()),
            company_id: None,
            key: ApiKey::parse(&user.key).unwrap(),
        })
        .unwrap();
    // Accepted through its last day; only read operations.
    let models = list(&s, "admin").await.unwrap();
    assert_eq!(models["models"][0]["operations"], json!(["read"]));
    let create = s
        .gateway
        .call(&ctx(&s, "admin"), "alpenglow_create", &json!({"model": "res.partner", "values": {"name": "x"}}))
        .await;
    assert!(matches!(create, Err(OpError::Denied(m)) if m.contains("read-only")));
    assert_eq!(s.sandbox.calls("res.partner", "create"), 0, "a denied create never reaches Odoo");
}

#[tokio::test]
async fn usage_is_tracked_per_credential() {
    let s = setup().await;
    let id = credential(&s, "admin", Scope::Full, None);
    for _ in 0..3 {
        list(&s, "admin").await.unwrap();
    }
    let (_, usage) = s.admin.credentials().unwrap().into_iter().find(|(c, _)| c.id == id).unwrap();
    assert_eq!(usage.request_count, 3);
    assert_eq!(usage.last_ip.as_deref(), Some("127.0.0.1"));
    assert!(usage.last_used.is_some());
}
