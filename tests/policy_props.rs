//! Property tests of the access policy, end to end: generated resources
//! (operations, Read-Only, field policy, record filter, company), generated
//! credentials (scope, company, user) and generated requests run through the
//! real gateway against the in-process sandbox over HTTP. Whatever is
//! generated:
//! - no response contains a field the field policy denies;
//! - no returned record lies outside the record filter or in another company;
//! - no operation the policy denies reaches Odoo (the sandbox counts calls).

#[path = "common/inproc.rs"]
mod inproc;

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, FieldPolicy, Operations, ResourceDraft, Scope};
use alpenglow::gateway::{Authorization, Face, Gateway, OpError, RequestContext, UpstreamSlot};
use alpenglow::sandbox::RunningSandbox;
use alpenglow::store::Store;
use alpenglow::upstream::{Identity, OdooApi, SearchQuery};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

const FIELDS: [&str; 8] = ["name", "email", "phone", "city", "country_id", "is_company", "customer_rank", "company_id"];
const FILTERS: [&str; 5] = [
    "",
    "[('is_company', '=', True)]",
    "[('customer_rank', '>', 0)]",
    "['|', ('city', 'ilike', 'a'), ('email', '=', False)]",
    "[('country_id.code', 'in', ['US', 'BE'])]",
];
const DOMAINS: [&str; 6] = [
    "[]",
    r#"[["is_company", "=", false]]"#,
    r#"[["email", "ilike", "example"]]"#,
    r#"["|", ["phone", "!=", false], ["city", "=", "Brussels"]]"#,
    r#"[["country_id.name", "ilike", "a"]]"#,
    r#"[["company_id", "in", [1, 2]]]"#,
];

#[derive(Debug, Clone)]
struct Policy {
    read_only: bool,
    ops: Operations,
    field_policy: FieldPolicy,
    filter: &'static str,
    resource_company: Option<u32>,
}

#[derive(Debug, Clone)]
struct Caller {
    role: &'static str,
    scope: Scope,
    company: Option<u32>,
}

#[derive(Debug, Clone)]
enum Request {
    Search { domain: &'static str, fields: Option<Vec<&'static str>> },
    Read { ids: Vec<i64>, fields: Option<Vec<&'static str>> },
    Update { ids: Vec<i64>, field: &'static str },
    Delete { ids: Vec<i64> },
    Create { with_email: bool },
}

fn policy() -> impl Strategy<Value = Policy> {
    let fields = proptest::sample::subsequence(FIELDS.to_vec(), 1..4);
    // Biased towards permissive policies, so that most cases get an answer to check.
    let on = || prop::bool::weighted(0.8);
    let company = prop_oneof![3 => Just(None), 1 => Just(Some(1u32)), 1 => Just(Some(2u32))];
    (prop::bool::weighted(0.2), (on(), on(), on(), on()), 0..3u8, fields, 0..FILTERS.len(), company).prop_map(
        |(read_only, (read, create, write, delete), kind, fields, filter, resource_company)| {
            let fields: Vec<String> = fields.into_iter().map(String::from).collect();
            Policy {
                read_only,
                ops: Operations { read, create, write, delete },
                field_policy: match kind {
                    0 => FieldPolicy::All,
                    1 => FieldPolicy::Allowlist(fields),
                    _ => FieldPolicy::Denylist(fields),
                },
                filter: FILTERS[filter],
                resource_company,
            }
        },
    )
}

fn caller() -> impl Strategy<Value = Caller> {
    (
        prop_oneof![Just("admin"), Just("sales")],
        prop::bool::weighted(0.2),
        prop_oneof![Just(None), Just(Some(1u32)), Just(Some(2u32))],
    )
        .prop_map(|(role, ro, company)| Caller {
            role,
            scope: if ro { Scope::ReadOnly } else { Scope::Full },
            company,
        })
}

fn request() -> impl Strategy<Value = Request> {
    let fields = proptest::option::of(proptest::sample::subsequence(FIELDS.to_vec(), 1..4));
    let ids = proptest::collection::vec(1i64..=200, 1..4);
    prop_oneof![
        (0..DOMAINS.len(), fields.clone()).prop_map(|(d, fields)| Request::Search { domain: DOMAINS[d], fields }),
        (ids.clone(), fields).prop_map(|(ids, fields)| Request::Read { ids, fields }),
        (ids.clone(), proptest::sample::select(vec!["phone", "email", "is_company"]))
            .prop_map(|(ids, field)| Request::Update { ids, field }),
        ids.prop_map(|ids| Request::Delete { ids }),
        any::<bool>().prop_map(|with_email| Request::Create { with_email }),
    ]
}

struct World {
    runtime: tokio::runtime::Runtime,
    sandbox: RunningSandbox,
    /// The sandbox as its admin, to check answers against the truth.
    oracle: Arc<dyn OdooApi>,
    admin_identity: Identity,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (sandbox, oracle) = runtime.block_on(async {
            let sandbox = inproc::start_sandbox().await;
            let oracle = inproc::client(&sandbox).await;
            (sandbox, oracle)
        });
        let admin = sandbox.user("admin").unwrap();
        let admin_identity =
            Identity { key: ApiKey::parse(&admin.key).unwrap(), uid: admin.uid, company_ids: vec![1, 2] };
        World { runtime, sandbox, oracle, admin_identity }
    })
}

fn allowed(policy: &Policy, field: &str) -> bool {
    policy.field_policy.allows(field)
}

/// The ids among `ids` that match `filter` (and exist, archived or not), as Odoo's admin sees them.
async fn matching(w: &World, ids: &[i64], filter: &str) -> Vec<i64> {
    let by_id =
        alpenglow::domain::Domain::from_json(&json!([["id", "in", ids], ["active", "in", [true, false]]])).unwrap();
    let domain = by_id.and(&alpenglow::domain::Domain::parse_text(filter).unwrap());
    let query = SearchQuery { domain: domain.to_json(), ..Default::default() };
    w.oracle.search(&w.admin_identity, "res.partner", &query).await.unwrap()
}

async fn companies_of(w: &World, ids: &[i64]) -> Vec<Option<i64>> {
    let rows = w.oracle.read(&w.admin_identity, "res.partner", ids, Some(&["company_id".to_string()])).await.unwrap();
    rows.iter().map(|r| r["company_id"].get(0).and_then(Value::as_i64)).collect()
}

fn write_calls(w: &World) -> u64 {
    ["create", "write", "unlink"].iter().map(|m| w.sandbox.calls("res.partner", m)).sum()
}

async fn run_case(policy: Policy, caller: Caller, request: Request) -> Result<(), TestCaseError> {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    admin.set_setting("enable_mcp", "on").unwrap();
    admin
        .add_resources(vec![ResourceDraft {
            model: "res.partner".into(),
            company_id: policy.resource_company,
            read_only: policy.read_only,
            operations: policy.ops,
            field_policy: policy.field_policy.clone(),
            record_filter: policy.filter.into(),
            execute_methods: vec![],
        }])
        .unwrap();
    // The country model is readable, so dotted paths through it are allowed.
    admin.add_resources(vec![ResourceDraft::new("res.country", false)]).unwrap();
    let user = w.sandbox.user(caller.role).unwrap();
    admin
        .create_credential(CredentialDraft {
            label: "prop".into(),
            user_id: user.uid as u32,
            login: user.login.clone(),
            scope: caller.scope,
            expires_on: None,
            company_id: caller.company,
            key: ApiKey::parse(&user.key).unwrap(),
        })
        .unwrap();
    let gateway = Gateway::new(admin, UpstreamSlot::pinned(inproc::client(&w.sandbox).await));
    let ctx = RequestContext::new(Face::JsonRpc, "127.0.0.1".parse().unwrap(), Authorization::Bearer(user.key.clone()));

    // What the policy says, computed independently of the gateway.
    let home = caller.company.map(i64::from).or(Some(1));
    let visible = match policy.resource_company {
        None => true,
        Some(c) => home == Some(i64::from(c)),
    };
    let ops = if policy.read_only {
        Operations { read: policy.ops.read, create: false, write: false, delete: false }
    } else {
        policy.ops
    };
    let full = caller.scope == Scope::Full;

    let before = write_calls(w);
    let (name, params, may_write) = match &request {
        Request::Search { domain, fields } => {
            let mut p =
                json!({"model": "res.partner", "domain": serde_json::from_str::<Value>(domain).unwrap(), "limit": 40});
            if let Some(f) = fields {
                p["fields"] = json!(f);
            }
            ("alpenglow_search", p, false)
        }
        Request::Read { ids, fields } => {
            let mut p = json!({"model": "res.partner", "ids": ids});
            if let Some(f) = fields {
                p["fields"] = json!(f);
            }
            ("alpenglow_read", p, false)
        }
        Request::Update { ids, field } => {
            let value = if *field == "is_company" { json!(true) } else { json!("x@example.com") };
            (
                "alpenglow_update",
                json!({"model": "res.partner", "ids": ids, "values": {*field: value}}),
                visible && ops.write && full && allowed(&policy, field),
            )
        }
        Request::Delete { ids } => {
            ("alpenglow_delete", json!({"model": "res.partner", "ids": ids}), visible && ops.delete && full)
        }
        Request::Create { with_email } => {
            let mut values = json!({"name": "Prop Co"});
            if *with_email {
                values["email"] = json!("prop@example.com");
            }
            let fields_ok = allowed(&policy, "name") && (!with_email || allowed(&policy, "email"));
            (
                "alpenglow_create",
                json!({"model": "res.partner", "values": values}),
                visible && ops.create && full && fields_ok,
            )
        }
    };
    let outcome = gateway.call(&ctx, name, &params).await;
    // PROP_TRACE=1 prints each outcome, to see what the generators exercise.
    if std::env::var_os("PROP_TRACE").is_some() {
        eprintln!(
            "TRACE {name} {}",
            match &outcome {
                Ok(v) => format!("ok records={}", v.get("records").and_then(Value::as_array).map_or(0, |r| r.len())),
                Err(e) => format!("{e:?}").chars().take(60).collect(),
            }
        );
    }
    let after = write_calls(w);

    // A denied write never reaches Odoo.
    if !may_write {
        prop_assert_eq!(before, after, "{} reached Odoo although the policy denies it: {:?}", name, outcome);
    }
    match outcome {
        Ok(result) => {
            prop_assert!(visible, "a resource of another company answered: {result}");
            let records = result.get("records").and_then(Value::as_array).cloned().unwrap_or_default();
            let ids: Vec<i64> = records.iter().filter_map(|r| r["id"].as_i64()).collect();
            for record in &records {
                for key in record.as_object().unwrap().keys() {
                    prop_assert!(allowed(&policy, key), "denied field {key} returned: {record}");
                }
            }
            if !ids.is_empty() {
                let inside = matching(w, &ids, policy.filter).await;
                prop_assert_eq!(
                    inside.len(),
                    ids.len(),
                    "records outside the filter {}: {:?} vs {:?}",
                    policy.filter,
                    ids,
                    inside
                );
                if let Some(c) = caller.company {
                    for company in companies_of(w, &ids).await {
                        prop_assert!(
                            company.is_none() || company == Some(i64::from(c)),
                            "company {company:?} leaked to a company-{c} credential"
                        );
                    }
                }
            }
        }
        Err(OpError::Denied(_)) | Err(OpError::NotFound(_)) | Err(OpError::Invalid(_)) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn policy_holds_for_generated_policies_and_requests(policy in policy(), caller in caller(), request in request()) {
        world().runtime.block_on(run_case(policy, caller, request))?;
    }
}
