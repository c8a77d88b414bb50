//! Property tests of the access policy, end to end: generated resources
//! (operations, Read-Only, field policy, record filter, company), generated
//! credentials (scope, company, user) and generated requests run through the
//! real gateway against the in-process sandbox over HTTP. Whatever is
//! generated:
//! - no response contains a field the field policy denies;
//! - no returned record lies outside the record filter or in another company;
//! - no operation the policy denies reaches Odoo (the sandbox counts calls).
//!
//! And for writes that reach into other models (sales orders with generated
//! many2one partners and nested x2many line commands, under generated
//! policies of the lines and the partners):
//! - no write the policy denies reaches Odoo, on any model;
//! - no line is created, changed or deleted without the lines' resource, its
//!   toggle, the field policy and (for existing lines) the record filter;
//! - no order is saved pointing to a partner outside the partners' filter.

mod boundary;

use crate::common::inproc;

use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, FieldPolicy, Operations, ResourceDraft, Scope};
use alpenglow::gateway::{Authorization, Face, Gateway, OpError, RequestContext, UpstreamSlot};
use alpenglow::sandbox::RunningSandbox;
use alpenglow::store::Store;
use alpenglow::upstream::{Identity, OdooApi, SearchQuery};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
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

/// The `res.partner` resource a generated policy describes.
fn partner_resource(policy: &Policy) -> ResourceDraft {
    ResourceDraft {
        model: "res.partner".into(),
        company_id: policy.resource_company,
        read_only: policy.read_only,
        operations: policy.ops,
        field_policy: policy.field_policy.clone(),
        record_filter: policy.filter.into(),
        execute_methods: vec![],
        approvals: Default::default(),
    }
}

/// A credential for the generated caller's own key, and the gateway over
/// `admin` with the request context that key sends.
async fn gateway_for(w: &World, admin: AdminService, caller: &Caller) -> (Gateway, RequestContext) {
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
    let gateway = Gateway::new(admin.rooms().clone(), UpstreamSlot::pinned(inproc::client(&w.sandbox).await));
    let ctx = RequestContext::new(Face::JsonRpc, "127.0.0.1".parse().unwrap(), Authorization::Bearer(user.key));
    (gateway, ctx)
}

async fn run_case(policy: Policy, caller: Caller, request: Request) -> Result<(), TestCaseError> {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    // A credential per case: hashing at full cost was most of these tests' time.
    admin.catalog().lower_key_hash_cost_for_tests();
    admin.set_setting("enable_mcp", "on").unwrap();
    admin.add_resources(vec![partner_resource(&policy)]).unwrap();
    // The country model is readable, so dotted paths through it are allowed.
    admin.add_resources(vec![ResourceDraft::new("res.country", false)]).unwrap();
    let (gateway, ctx) = gateway_for(w, admin, &caller).await;

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
        // Odoo may refuse what the policy allows (a partner an order still points to).
        Err(OpError::Denied(_))
        | Err(OpError::NotFound(_))
        | Err(OpError::Invalid(_))
        | Err(OpError::OdooRefused(_)) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

const LINE_FIELDS: [&str; 5] = ["name", "product_uom_qty", "price_unit", "product_id", "order_id"];
const LINE_FILTERS: [&str; 3] = ["", "[('product_uom_qty', '>', 3)]", "[('price_unit', '<', 50)]"];

/// One x2many command on `order_line`, with line ids from the dataset.
#[derive(Debug, Clone)]
enum LineCmd {
    /// `[0, 0, {product_id, product_uom_qty, price_unit, name?}]`
    Create {
        product: i64,
        qty: i64,
        with_name: bool,
    },
    /// `[1, id, {product_uom_qty}]` or `{price_unit}`
    Update {
        line: i64,
        price: bool,
    },
    Delete {
        line: i64,
    },
    Unlink {
        line: i64,
    },
    Link {
        line: i64,
    },
    Clear,
    Set {
        lines: Vec<i64>,
    },
}

impl LineCmd {
    fn to_json(&self) -> Value {
        match self {
            LineCmd::Create { product, qty, with_name } => {
                let mut vals = json!({"product_id": product, "product_uom_qty": qty, "price_unit": 12.5});
                if *with_name {
                    vals["name"] = json!("Prop line");
                }
                json!([0, 0, vals])
            }
            LineCmd::Update { line, price: true } => json!([1, line, {"price_unit": 9.75}]),
            LineCmd::Update { line, price: false } => json!([1, line, {"product_uom_qty": 4}]),
            LineCmd::Delete { line } => json!([2, line]),
            LineCmd::Unlink { line } => json!([3, line]),
            LineCmd::Link { line } => json!([4, line]),
            LineCmd::Clear => json!([5]),
            LineCmd::Set { lines } => json!([6, 0, lines]),
        }
    }
}

#[derive(Debug, Clone)]
struct NestedWrite {
    /// None: create an order; Some: update that order.
    order: Option<i64>,
    partner: Option<i64>,
    commands: Vec<LineCmd>,
}

#[derive(Debug, Clone)]
struct LinePolicy {
    read_only: bool,
    ops: Operations,
    field_policy: FieldPolicy,
    filter: &'static str,
}

fn line_policy() -> impl Strategy<Value = Option<LinePolicy>> {
    let fields = proptest::sample::subsequence(LINE_FIELDS.to_vec(), 1..3);
    // Permissive more often than not, so that many cases get written and checked.
    let on = || prop::bool::weighted(0.85);
    let line = (prop::bool::weighted(0.1), (on(), on(), on(), on()), 0..4u8, fields, 0..LINE_FILTERS.len()).prop_map(
        |(read_only, (read, create, write, delete), kind, fields, filter)| {
            let fields: Vec<String> = fields.into_iter().map(String::from).collect();
            LinePolicy {
                read_only,
                ops: Operations { read, create, write, delete },
                field_policy: match kind {
                    0 => FieldPolicy::Allowlist(fields),
                    1 => FieldPolicy::Denylist(fields),
                    _ => FieldPolicy::All,
                },
                filter: LINE_FILTERS[filter],
            }
        },
    );
    prop_oneof![1 => Just(None), 9 => line.prop_map(Some)]
}

/// The partners' policy for nested writes: mostly readable, so that most
/// cases get past the many2one and exercise the line commands.
fn nested_partners() -> impl Strategy<Value = Policy> {
    let company = prop_oneof![8 => Just(None), 1 => Just(Some(1u32)), 1 => Just(Some(2u32))];
    (policy(), prop::bool::weighted(0.9), company).prop_map(|(mut p, read, company)| {
        p.ops.read = read;
        p.resource_company = company;
        p
    })
}

fn nested_caller() -> impl Strategy<Value = Caller> {
    let company = prop_oneof![6 => Just(None), 1 => Just(Some(1u32)), 1 => Just(Some(2u32))];
    (prop_oneof![Just("admin"), Just("sales")], prop::bool::weighted(0.1), company)
        .prop_map(|(role, ro, company)| Caller { role, scope: if ro { Scope::ReadOnly } else { Scope::Full }, company })
}

fn nested_write() -> impl Strategy<Value = NestedWrite> {
    let line = || 1i64..=153;
    let command = prop_oneof![
        3 => (1i64..=22, 1i64..=6, any::<bool>()).prop_map(|(product, qty, with_name)| LineCmd::Create { product, qty, with_name }),
        2 => (line(), any::<bool>()).prop_map(|(line, price)| LineCmd::Update { line, price }),
        1 => line().prop_map(|line| LineCmd::Delete { line }),
        1 => line().prop_map(|line| LineCmd::Unlink { line }),
        1 => line().prop_map(|line| LineCmd::Link { line }),
        1 => Just(LineCmd::Clear),
        1 => proptest::collection::vec(line(), 0..3).prop_map(|lines| LineCmd::Set { lines }),
    ];
    (
        proptest::option::weighted(0.6, 1i64..=60),
        proptest::option::weighted(0.4, 1i64..=200),
        proptest::collection::vec(command, 1..4),
    )
        .prop_map(|(order, partner, commands)| NestedWrite { order, partner, commands })
}

/// Every line as the sandbox's admin sees it: id -> (order, qty, price).
async fn line_table(w: &World) -> BTreeMap<i64, (Option<i64>, f64, f64)> {
    let query = SearchQuery {
        fields: Some(vec!["order_id".into(), "product_uom_qty".into(), "price_unit".into()]),
        ..Default::default()
    };
    let rows = w.oracle.search_read(&w.admin_identity, "sale.order.line", &query).await.unwrap();
    rows.iter()
        .map(|r| {
            let order = r["order_id"].get(0).and_then(Value::as_i64).or_else(|| r["order_id"].as_i64());
            (
                r["id"].as_i64().unwrap(),
                (order, r["product_uom_qty"].as_f64().unwrap(), r["price_unit"].as_f64().unwrap()),
            )
        })
        .collect()
}

/// The ids of `model` among `ids` that match `filter`, as Odoo's admin sees them.
async fn matching_in(w: &World, model: &str, ids: &[i64], filter: &str) -> Vec<i64> {
    let by_id = alpenglow::domain::Domain::from_json(&json!([["id", "in", ids]])).unwrap();
    let mut domain = by_id.and(&alpenglow::domain::Domain::parse_text(filter).unwrap()).to_json();
    if model == "res.partner" {
        domain.as_array_mut().unwrap().push(json!(["active", "in", [true, false]]));
    }
    let query = SearchQuery { domain, ..Default::default() };
    w.oracle.search(&w.admin_identity, model, &query).await.unwrap()
}

fn order_write_calls(w: &World) -> u64 {
    let calls = |model| ["create", "write", "unlink"].iter().map(|m| w.sandbox.calls(model, m)).sum::<u64>();
    calls("sale.order") + calls("sale.order.line")
}

async fn run_nested_case(
    partners: Policy,
    lines: Option<LinePolicy>,
    caller: Caller,
    request: NestedWrite,
) -> Result<(), TestCaseError> {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    // A credential per case: hashing at full cost was most of these tests' time.
    admin.catalog().lower_key_hash_cost_for_tests();
    admin.set_setting("enable_mcp", "on").unwrap();
    let mut orders = ResourceDraft::new("sale.order", false);
    orders.operations = Operations::ALL;
    let mut drafts = vec![orders, ResourceDraft::new("product.product", false), partner_resource(&partners)];
    if let Some(l) = &lines {
        drafts.push(ResourceDraft {
            model: "sale.order.line".into(),
            company_id: None,
            read_only: l.read_only,
            operations: l.ops,
            field_policy: l.field_policy.clone(),
            record_filter: l.filter.into(),
            execute_methods: vec![],
            approvals: Default::default(),
        });
    }
    admin.add_resources(drafts).unwrap();
    let (gateway, ctx) = gateway_for(w, admin, &caller).await;

    // The policy, computed independently of the gateway.
    let full = caller.scope == Scope::Full;
    let home = caller.company.map(i64::from).or(Some(1));
    let partners_visible = partners.resource_company.is_none_or(|c| home == Some(i64::from(c)));
    let partners_readable = partners_visible && partners.ops.read;
    let line_ops = lines.as_ref().map(|l| {
        if l.read_only { Operations { read: l.ops.read, create: false, write: false, delete: false } } else { l.ops }
    });
    // Existing lines must be readable to be touched; a new one needs only create.
    let line_ok = |op: fn(&Operations) -> bool| line_ops.as_ref().is_some_and(|o| o.read && op(o));
    let may_create_lines = line_ops.as_ref().is_some_and(|o| o.create);
    let line_field = |f: &str| lines.as_ref().is_some_and(|l| l.field_policy.allows(f));
    let before = line_table(w).await;
    let all_ids: Vec<i64> = before.keys().copied().collect();
    let in_filter: Vec<i64> = match &lines {
        Some(l) => matching_in(w, "sale.order.line", &all_ids, l.filter).await,
        None => Vec::new(),
    };
    let current: Vec<i64> = match request.order {
        Some(order) => before.iter().filter(|(_, (o, _, _))| *o == Some(order)).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let partner_ok = match request.partner {
        Some(p) => partners_readable && !matching_in(w, "res.partner", &[p], partners.filter).await.is_empty(),
        None => true,
    };

    // Conditions each of which certainly refuses the call (not all of them:
    // it is enough that none of these lets a write through).
    let mut refused = !full || !partner_ok;
    if !request.commands.is_empty() && lines.is_none() {
        refused = true;
    }
    for command in &request.commands {
        let seen = |id: &i64| in_filter.contains(id);
        refused |= match command {
            LineCmd::Create { with_name, .. } => {
                !may_create_lines
                    || !["product_id", "product_uom_qty", "price_unit"].iter().all(|f| line_field(f))
                    || (*with_name && !line_field("name"))
            }
            LineCmd::Update { line, price } => {
                !line_ok(|o| o.write)
                    || !seen(line)
                    || !line_field(if *price { "price_unit" } else { "product_uom_qty" })
            }
            LineCmd::Delete { line } | LineCmd::Unlink { line } => !line_ok(|o| o.delete) || !seen(line),
            LineCmd::Link { line } => !line_ok(|o| o.write) || !seen(line) || !line_field("order_id"),
            LineCmd::Clear => !current.is_empty() && !line_ok(|o| o.delete),
            LineCmd::Set { .. } => false,
        };
    }

    let mut values = serde_json::Map::new();
    if let Some(p) = request.partner {
        values.insert("partner_id".into(), json!(p));
    }
    if !request.commands.is_empty() {
        values.insert("order_line".into(), Value::Array(request.commands.iter().map(LineCmd::to_json).collect()));
    }
    let (name, params) = match request.order {
        Some(order) => ("alpenglow_update", json!({"model": "sale.order", "ids": [order], "values": values})),
        None => {
            if !values.contains_key("partner_id") {
                values.insert("partner_id".into(), json!(1));
                refused |= !partners_readable || matching_in(w, "res.partner", &[1], partners.filter).await.is_empty();
            }
            ("alpenglow_create", json!({"model": "sale.order", "values": values}))
        }
    };
    let calls_before = order_write_calls(w);
    let outcome = gateway.call(&ctx, name, &params).await;
    let calls_after = order_write_calls(w);
    let after = line_table(w).await;
    if std::env::var_os("PROP_TRACE").is_some() {
        eprintln!("TRACE nested {name} {:?}", outcome.as_ref().map(|_| "ok").map_err(|e| e.to_string()));
    }

    // 1. A refused write never reaches Odoo, on any model.
    if refused {
        prop_assert!(outcome.is_err(), "the policy refuses {params} but it succeeded");
        prop_assert_eq!(calls_before, calls_after, "a refused write reached Odoo: {:?}", outcome);
    }
    // 2. Lines change only as the lines' policy allows.
    let created: Vec<&i64> = after.keys().filter(|id| !before.contains_key(id)).collect();
    let deleted: Vec<&i64> = before.keys().filter(|id| !after.contains_key(id)).collect();
    if !created.is_empty() {
        prop_assert!(full && may_create_lines, "lines {created:?} created without create permission");
        for command in &request.commands {
            if let LineCmd::Create { with_name, .. } = command {
                let mut fields = vec!["product_id", "product_uom_qty", "price_unit"];
                if *with_name {
                    fields.push("name");
                }
                prop_assert!(fields.iter().all(|f| line_field(f)), "a line created with a denied field");
            }
        }
    }
    for id in &deleted {
        prop_assert!(full && line_ok(|o| o.delete), "line {id} deleted without delete permission");
        prop_assert!(in_filter.contains(id), "line {id} outside the record filter deleted");
    }
    for (id, (order, qty, price)) in &after {
        let Some((old_order, old_qty, old_price)) = before.get(id) else { continue };
        let changed: Vec<&str> =
            [(order != old_order, "order_id"), (qty != old_qty, "product_uom_qty"), (price != old_price, "price_unit")]
                .into_iter()
                .filter(|(c, _)| *c)
                .map(|(_, f)| f)
                .collect();
        if changed.is_empty() {
            continue;
        }
        prop_assert!(full && line_ok(|o| o.write), "line {id} changed ({changed:?}) without write permission");
        prop_assert!(in_filter.contains(id), "line {id} outside the record filter changed");
        for field in changed {
            prop_assert!(line_field(field), "line {id}: denied field {field} changed");
        }
    }
    // 3. A saved order points only to a partner the caller may read.
    if outcome.is_ok()
        && let Some(p) = request.partner
    {
        prop_assert!(partner_ok, "order saved with partner {p}, outside the partners' policy");
    }
    match outcome {
        Ok(_) | Err(OpError::Denied(_)) | Err(OpError::NotFound(_)) | Err(OpError::Invalid(_)) => {}
        // Odoo may refuse what the policy allows (a line of another company, a line moved twice).
        Err(OpError::Upstream(_)) | Err(OpError::OdooRefused(_)) if !refused => {}
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

    #[test]
    fn relations_hold_for_generated_nested_writes(
        partners in nested_partners(),
        lines in line_policy(),
        caller in nested_caller(),
        request in nested_write(),
    ) {
        world().runtime.block_on(run_nested_case(partners, lines, caller, request))?;
    }
}
