//! Property tests at the policy's edges, each over a sandbox of its own (so
//! one test's calls and writes never show in another's counters), checked
//! against the sandbox's ground truth as its admin:
//! - `alpenglow_execute` with generated method names (bypass methods in any
//!   case among them, stored on the allowlist around the admin service),
//!   arguments, record ids and contexts: a bypass method never reaches Odoo,
//!   `name_search` never reaches Odoo as such and finds only records inside
//!   the filter, a record-scoped call runs only on visible ids, and only
//!   `lang`, `tz` and the caller's own companies reach Odoo in a context;
//! - many2many commands (`[3]`, `[4]`, `[5]`, `[6]`, plain id lists) under
//!   generated record filters of the related model: a link to a record the
//!   caller cannot see is never dropped nor added, and what the caller sees
//!   ends as the commands say;
//! - relational values under generated filters and field policies of five
//!   related models: no name of a record the caller may not read is shown
//!   (many2one values, own display names, group labels, `name_search`), and
//!   no x2many lists a record a filter hides.

use super::{Caller, FILTERS, Policy, World, allowed, caller, companies_of, matching, policy};
use crate::common::inproc;
use alpenglow::admin::AdminService;
use alpenglow::config::{ApiKey, CredentialDraft, FieldPolicy, Operations, Resource, ResourceDraft, Scope};
use alpenglow::gateway::{Authorization, Face, Gateway, OpError, RequestContext, UpstreamSlot};
use alpenglow::store::Store;
use alpenglow::upstream::Identity;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

static EXECUTE_WORLD: OnceLock<World> = OnceLock::new();
static M2M_WORLD: OnceLock<World> = OnceLock::new();
static RELATIONAL_WORLD: OnceLock<World> = OnceLock::new();

fn own_world(cell: &'static OnceLock<World>) -> &'static World {
    cell.get_or_init(|| {
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

/// A store with MCP on and `drafts` registered, and the gateway for `caller`.
async fn gateway_with(
    w: &World,
    dir: &tempfile::TempDir,
    drafts: Vec<ResourceDraft>,
    caller: &Caller,
) -> (AdminService, Gateway, RequestContext) {
    let admin = AdminService::new(Store::open(dir.path()).unwrap(), Default::default());
    // A credential per case: hashing at full cost was most of these tests' time.
    admin.catalog().lower_key_hash_cost_for_tests();
    admin.set_setting("enable_mcp", "on").unwrap();
    admin.add_resources(drafts).unwrap();
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
    (admin, gateway, ctx)
}

/// The ids of `model` among `ids` that match `filter`, archived or not, as
/// Odoo's admin sees them.
async fn inside(w: &World, model: &str, ids: &[i64], filter: &str) -> Vec<i64> {
    let by_id = alpenglow::domain::Domain::from_json(&json!([["id", "in", ids]])).unwrap();
    let mut domain = by_id.and(&alpenglow::domain::Domain::parse_text(filter).unwrap()).to_json();
    if ["res.partner", "res.partner.category", "product.product"].contains(&model) {
        domain.as_array_mut().unwrap().push(json!(["active", "in", [true, false]]));
    }
    let query = alpenglow::upstream::SearchQuery { domain, ..Default::default() };
    w.oracle.search(&w.admin_identity, model, &query).await.unwrap()
}

fn draft(model: &str, ops: Operations, field_policy: FieldPolicy, filter: &str) -> ResourceDraft {
    ResourceDraft { operations: ops, field_policy, record_filter: filter.into(), ..ResourceDraft::new(model, false) }
}

// ---------------------------------------------------------------- execute

/// The methods the issue names as reading, searching or writing by another
/// road, written out here independently of the gateway's own list.
const BYPASS: [&str; 22] = [
    "read",
    "search",
    "search_read",
    "read_group",
    "web_read",
    "web_search_read",
    "web_read_group",
    "name_get",
    "mapped",
    "filtered",
    "filtered_domain",
    "onchange",
    "default_get",
    "copy_data",
    "export_data",
    "get_views",
    "read_progress_bar",
    "search_panel_select_range",
    "message_post",
    "write",
    "unlink",
    "sudo",
];
/// Methods an admin may allowlist that the sandbox serves on any model.
const SAFE: [&str; 2] = ["name_search", "has_access"];
const NAMES: [&str; 5] = ["", "a", "Azure", "Soren", "Golden Works"];
const NAME_DOMAINS: [&str; 5] = [
    "[]",
    r#"[["is_company", "=", true]]"#,
    r#"[["email", "=ilike", "info@g%"]]"#,
    r#"[["parent_id.email", "ilike", "example"]]"#,
    r#"[["country_id.code", "=", "US"]]"#,
];
/// Context keys a caller may send; only lang, tz and own companies pass.
const CONTEXT_KEYS: [&str; 6] = ["lang", "tz", "active_test", "uid", "force_company", "allowed_company_ids"];

fn context_value(key: &str) -> Value {
    match key {
        "lang" => json!("en_US"),
        "tz" => json!("Europe/Paris"),
        "active_test" => json!(false),
        "uid" => json!(1),
        "force_company" => json!(2),
        _ => json!([1, 2, 99]),
    }
}

fn is_bypass(method: &str) -> bool {
    method.starts_with('_') || BYPASS.iter().any(|b| b.eq_ignore_ascii_case(method))
}

#[derive(Debug, Clone)]
enum ExecArgs {
    NameSearch {
        name: &'static str,
        domain: Option<&'static str>,
        limit: Option<u64>,
        by_keyword: bool,
    },
    /// Ids as the first argument (a list, or a bare id) or as `kwargs.ids`.
    Ids {
        ids: Vec<i64>,
        form: u8,
    },
    Nothing,
}

#[derive(Debug, Clone)]
struct ExecCall {
    method: String,
    args: ExecArgs,
    context: Vec<usize>,
}

fn exec_call() -> impl Strategy<Value = ExecCall> {
    let bypass = (proptest::sample::select(BYPASS.to_vec()), any::<u8>()).prop_map(|(m, case)| match case % 3 {
        0 => m.to_string(),
        1 => m.to_ascii_uppercase(),
        _ => format!("_{m}"),
    });
    // Mostly names that match many partners, so that the caps are tested.
    let name = prop_oneof![3 => Just(""), 2 => Just("a"), 2 => proptest::sample::select(NAMES.to_vec())];
    let name_search = (
        name,
        proptest::option::weighted(0.7, proptest::sample::select(NAME_DOMAINS.to_vec())),
        proptest::option::of(prop_oneof![2 => Just(0u64), 1 => Just(3), 2 => Just(50)]),
        any::<bool>(),
    )
        .prop_map(|(name, domain, limit, by_keyword)| ExecArgs::NameSearch { name, domain, limit, by_keyword });
    // Mostly partners that exist (a few missing ones), few per call, so
    // that many record-scoped calls name only visible records.
    let id = prop_oneof![9 => 1i64..=45, 1 => 195i64..=215];
    let ids = (proptest::collection::vec(id, 1..3), 0..3u8).prop_map(|(ids, form)| ExecArgs::Ids { ids, form });
    // Each method mostly with its own arguments, sometimes another's.
    let call = prop_oneof![
        2 => (bypass, prop_oneof![name_search.clone(), ids.clone(), Just(ExecArgs::Nothing)]),
        3 => (Just("name_search".to_string()), prop_oneof![4 => name_search.clone(), 1 => ids.clone()]),
        2 => (Just("has_access".to_string()), prop_oneof![3 => ids, 1 => Just(ExecArgs::Nothing)]),
    ];
    (call, proptest::sample::subsequence((0..CONTEXT_KEYS.len()).collect::<Vec<_>>(), 0..4))
        .prop_map(|((method, args), context)| ExecCall { method, args, context })
}

/// A policy, an allowlist as stored, a caller and a call: mostly a
/// writable resource with the called method on its allowlist (bypass
/// methods included), so that most cases get past the plain checks and
/// exercise the method's kind.
fn execute_case() -> impl Strategy<Value = (Policy, Vec<String>, Caller, ExecCall)> {
    let pool: Vec<String> = SAFE.iter().chain(BYPASS.iter().take(6)).map(|m| m.to_string()).collect();
    (
        policy(),
        // Fields: mostly all but email (which makes a name_search domain on
        // email an oracle to refuse), or all, else as generated.
        0..4u8,
        prop::bool::weighted(0.85),
        proptest::sample::subsequence(pool, 0..4),
        prop::bool::weighted(0.8),
        caller(),
        exec_call(),
    )
        .prop_map(|(mut policy, fields, writable, mut methods, listed, caller, call)| {
            match fields {
                0 => policy.field_policy = FieldPolicy::All,
                1 | 2 => policy.field_policy = FieldPolicy::Denylist(vec!["email".into()]),
                _ => {}
            }
            if writable {
                policy.read_only = false;
                policy.ops.read = true;
                policy.ops.write = true;
            }
            if listed && !methods.contains(&call.method) {
                methods.push(call.method.clone());
            }
            (policy, methods, caller, call)
        })
}

/// The JSON of a call: `(args, kwargs)`.
fn exec_params(call: &ExecCall) -> (Value, Map<String, Value>) {
    let mut kwargs = Map::new();
    let args = match &call.args {
        ExecArgs::NameSearch { name, domain, limit, by_keyword } => {
            let domain: Value = domain.map_or(json!([]), |d| serde_json::from_str(d).unwrap());
            if *by_keyword {
                kwargs.insert("name".into(), json!(name));
                kwargs.insert("domain".into(), domain);
                if let Some(l) = limit {
                    kwargs.insert("limit".into(), json!(l));
                }
                json!([])
            } else {
                json!([name, domain, "ilike", limit.unwrap_or(100)])
            }
        }
        ExecArgs::Ids { ids, form: 0 } => json!([ids, "read"]),
        ExecArgs::Ids { ids, form: 1 } => json!([ids[0], "read"]),
        ExecArgs::Ids { ids, .. } => {
            kwargs.insert("ids".into(), json!(ids));
            json!(["read"])
        }
        ExecArgs::Nothing => json!(["read"]),
    };
    if !call.context.is_empty() {
        let context: Map<String, Value> =
            call.context.iter().map(|i| (CONTEXT_KEYS[*i].to_string(), context_value(CONTEXT_KEYS[*i]))).collect();
        kwargs.insert("context".into(), Value::Object(context));
    }
    (args, kwargs)
}

/// The ids a call names, as the test reads its own arguments.
fn named_ids(call: &ExecCall) -> Option<Vec<i64>> {
    match &call.args {
        ExecArgs::Ids { ids, form: 1 } => Some(vec![ids[0]]),
        ExecArgs::Ids { ids, .. } => Some(ids.clone()),
        _ => None,
    }
}

async fn run_execute_case(
    w: &World,
    policy: Policy,
    methods: Vec<String>,
    caller: Caller,
    call: ExecCall,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let partners = super::partner_resource(&policy);
    let drafts = vec![partners, ResourceDraft::new("res.country", false)];
    let (admin, gateway, ctx) = gateway_with(w, &dir, drafts, &caller).await;
    admin.set_setting("max_records_per_request", "10").unwrap();
    // The allowlist as stored, bypass methods included: an older release or
    // a hand-edited store must not open them either.
    let table = admin.store().table::<Resource>().unwrap();
    let mut stored = admin.find_resource("res.partner").unwrap();
    stored.execute_methods = methods.clone();
    table.insert(&stored.id, &stored).unwrap();

    let home = caller.company.map(i64::from).or(Some(1));
    let visible = policy.resource_company.is_none_or(|c| home == Some(i64::from(c)));
    let writable = !policy.read_only && policy.ops.write && caller.scope == Scope::Full;
    let listed = methods.contains(&call.method);
    let bypass = is_bypass(&call.method);
    let may_call = visible && writable && listed && !bypass;

    let (args, kwargs) = exec_params(&call);
    let params = json!({"model": "res.partner", "method": call.method, "args": args, "kwargs": kwargs});
    let odoo = |m: &str| w.sandbox.calls("res.partner", m);
    // Every res.partner method the gateway could send for an execute call
    // (authenticating the key asks res.users, which is not counted here).
    let partner_calls = || {
        ["name_search", "search_read", "search", "read", "has_access", "fields_get", "web_search_read"]
            .iter()
            .map(|m| odoo(m))
            .sum::<u64>()
    };
    let before = (odoo(&call.method), odoo("name_search"), partner_calls());
    let outcome = gateway.call(&ctx, "alpenglow_execute", &params).await;
    let after = (odoo(&call.method), odoo("name_search"), partner_calls());

    if std::env::var_os("PROP_TRACE").is_some() {
        let kind = if bypass { "bypass" } else { call.method.as_str() };
        eprintln!(
            "TRACE execute {kind} may_call={may_call} {:?} {params}",
            outcome.as_ref().map(|_| "ok").map_err(|e| e.to_string())
        );
    }
    // 1. A bypass method, or one the policy refuses, never reaches Odoo.
    if bypass {
        prop_assert!(matches!(outcome, Err(OpError::Denied(_)) | Err(OpError::NotFound(_))), "{params}: {outcome:?}");
    }
    if !may_call {
        prop_assert!(outcome.is_err(), "{params} allowed: {outcome:?}");
        prop_assert_eq!(
            before,
            after,
            "{} reached Odoo although refused (calls to it, to name_search, to res.partner): {:?}",
            params,
            outcome
        );
        return Ok(());
    }
    // 2. name_search is the gateway's own search, within the filter and caps.
    if call.method == "name_search" {
        prop_assert_eq!(before.1, after.1, "Odoo's own name_search was called");
        if let ExecArgs::NameSearch { domain: Some(d), .. } = &call.args {
            let denied = [("email", "email"), ("parent_id.email", "parent_id")]
                .iter()
                .any(|(path, field)| d.contains(path) && !(allowed(&policy, field) && allowed(&policy, "email")));
            if denied {
                prop_assert!(outcome.is_err(), "a name_search domain on a denied field ran: {params}");
            }
        }
        if let Ok(result) = &outcome {
            let pairs = result["result"].as_array().cloned().unwrap_or_default();
            prop_assert!(pairs.len() <= 10, "name_search returned {} records over the cap", pairs.len());
            let ids: Vec<i64> = pairs.iter().filter_map(|p| p[0].as_i64()).collect();
            prop_assert_eq!(ids.len(), pairs.len(), "not [id, name] pairs: {}", result);
            let inside = matching(w, &ids, policy.filter).await;
            prop_assert_eq!(inside.len(), ids.len(), "name_search found records outside {}", policy.filter);
            if let Some(c) = caller.company {
                for company in companies_of(w, &ids).await {
                    prop_assert!(company.is_none() || company == Some(i64::from(c)), "another company's record");
                }
            }
        }
    }
    // 3. A record-scoped call runs only on records the caller may see.
    if let Some(ids) = named_ids(&call)
        && call.method != "name_search"
    {
        let inside = matching(w, &ids, policy.filter).await;
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        if inside.len() < unique.len() {
            prop_assert!(matches!(outcome, Err(OpError::NotFound(_))), "hidden ids {ids:?}: {outcome:?}");
            prop_assert_eq!(before.0, after.0, "{} ran on a hidden record", call.method);
        }
        if after.0 > before.0 {
            prop_assert_eq!(inside.len(), unique.len(), "{} ran on ids outside the filter", call.method);
            if let Some(c) = caller.company {
                for company in companies_of(w, &unique).await {
                    prop_assert!(company.is_none() || company == Some(i64::from(c)), "ran in another company");
                }
            }
        }
    }
    // 4. What reached Odoo of the context: lang, tz, own companies only.
    if after.0 > before.0 && call.method != "name_search" {
        let seen = w.sandbox.last_context("res.partner", &call.method).unwrap_or(json!({}));
        let own: Vec<i64> = caller.company.map_or(vec![1, 2], |c| vec![i64::from(c)]);
        for (key, value) in seen.as_object().into_iter().flatten() {
            prop_assert!(["lang", "tz", "allowed_company_ids"].contains(&key.as_str()), "context {key} reached Odoo");
            if key == "allowed_company_ids" {
                for company in value.as_array().into_iter().flatten() {
                    prop_assert!(own.contains(&company.as_i64().unwrap()), "company {company} reached Odoo");
                }
            }
        }
        if let Ok(result) = &outcome {
            let note = result["note"].as_str().unwrap_or_default();
            for i in &call.context {
                let key = CONTEXT_KEYS[*i];
                if ["active_test", "uid", "force_company"].contains(&key) {
                    prop_assert!(note.contains(key), "dropped context key {key} not named: {note:?}");
                }
            }
        }
    }
    match outcome {
        Ok(_) | Err(OpError::Denied(_)) | Err(OpError::NotFound(_)) | Err(OpError::Invalid(_)) => {}
        Err(OpError::OdooRefused(_)) | Err(OpError::Upstream(_)) => {}
        Err(other) => prop_assert!(false, "unexpected error {other:?}"),
    }
    Ok(())
}

// --------------------------------------------------------------- many2many

/// Record filters of the partner categories (1 to 9), with the categories
/// each lets through, to bias the generated ids (the test itself asks the
/// sandbox which categories a filter hides).
const CATEGORY_FILTERS: [(&str, &[i64]); 5] = [
    ("", &[1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ("[('id', '!=', 8)]", &[1, 2, 3, 4, 5, 6, 7, 9]),
    ("[('id', 'in', [1, 2, 3, 4])]", &[1, 2, 3, 4]),
    ("[('id', '>', 3)]", &[4, 5, 6, 7, 8, 9]),
    ("[('name', 'ilike', 'e')]", &[1, 2, 3, 4, 5, 6, 7, 8, 9]),
];

#[derive(Debug, Clone)]
enum M2m {
    Unlink(i64),
    Link(i64),
    Clear,
    Set(Vec<i64>),
}

#[derive(Debug, Clone)]
struct M2mWrite {
    partner: i64,
    /// The links set before the call, as Odoo's admin writes them.
    start: Vec<i64>,
    /// Commands, or (None) a plain list of ids.
    commands: Option<Vec<M2m>>,
    plain: Vec<i64>,
}

/// A write on a partner whose links include some of every kind; the ids it
/// names are mostly ones `seen` lets through.
fn m2m_write(seen: &'static [i64]) -> impl Strategy<Value = M2mWrite> {
    let category = move || prop_oneof![4 => proptest::sample::select(seen), 1 => 1i64..=9];
    let command = prop_oneof![
        category().prop_map(M2m::Unlink),
        category().prop_map(M2m::Link),
        Just(M2m::Clear),
        proptest::collection::vec(category(), 0..4).prop_map(M2m::Set),
    ];
    (
        1i64..=60,
        proptest::collection::btree_set(1i64..=9, 1..6),
        proptest::option::weighted(0.75, proptest::collection::vec(command, 1..4)),
        proptest::collection::vec(category(), 0..4),
    )
        .prop_map(|(partner, start, commands, plain)| M2mWrite {
            partner,
            start: start.into_iter().collect(),
            commands,
            plain,
        })
}

impl M2mWrite {
    fn value(&self) -> Value {
        match &self.commands {
            None => json!(self.plain),
            Some(commands) => Value::Array(
                commands
                    .iter()
                    .map(|c| match c {
                        M2m::Unlink(id) => json!([3, id]),
                        M2m::Link(id) => json!([4, id]),
                        M2m::Clear => json!([5]),
                        M2m::Set(ids) => json!([6, 0, ids]),
                    })
                    .collect(),
            ),
        }
    }

    /// Every category id the call names.
    fn named(&self) -> BTreeSet<i64> {
        match &self.commands {
            None => self.plain.iter().copied().collect(),
            Some(commands) => commands
                .iter()
                .flat_map(|c| match c {
                    M2m::Unlink(id) | M2m::Link(id) => vec![*id],
                    M2m::Clear => vec![],
                    M2m::Set(ids) => ids.clone(),
                })
                .collect(),
        }
    }

    /// The visible links after the call, as the caller asked for them.
    fn expected_visible(&self, visible_before: &BTreeSet<i64>) -> BTreeSet<i64> {
        let mut links = visible_before.clone();
        match &self.commands {
            // A plain list of ids is a set; an empty one is no command (Odoo's `write_batch`).
            None if self.plain.is_empty() => {}
            None => links = self.plain.iter().copied().collect(),
            Some(commands) => {
                for c in commands {
                    match c {
                        M2m::Unlink(id) => {
                            links.remove(id);
                        }
                        M2m::Link(id) => {
                            links.insert(*id);
                        }
                        M2m::Clear => links.clear(),
                        M2m::Set(ids) => links = ids.iter().copied().collect(),
                    }
                }
            }
        }
        links
    }
}

async fn categories_of(w: &World, partner: i64) -> BTreeSet<i64> {
    let rows =
        w.oracle.read(&w.admin_identity, "res.partner", &[partner], Some(&["category_id".into()])).await.unwrap();
    rows[0]["category_id"].as_array().unwrap().iter().filter_map(Value::as_i64).collect()
}

async fn run_m2m_case(
    w: &World,
    partner_filter: &'static str,
    category_filter: &'static str,
    write: M2mWrite,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let drafts = vec![
        draft("res.partner", Operations::ALL, FieldPolicy::All, partner_filter),
        draft("res.partner.category", Operations::ALL, FieldPolicy::All, category_filter),
        ResourceDraft::new("res.country", false),
    ];
    let caller = Caller { role: "admin", scope: Scope::Full, company: None };
    let (_admin, gateway, ctx) = gateway_with(w, &dir, drafts, &caller).await;

    let start = json!({"category_id": [[6, 0, write.start]]});
    w.oracle.write(&w.admin_identity, "res.partner", &[write.partner], start.as_object().unwrap()).await.unwrap();
    let before = categories_of(w, write.partner).await;
    let all: Vec<i64> = (1..=9).collect();
    let seen: BTreeSet<i64> = inside(w, "res.partner.category", &all, category_filter).await.into_iter().collect();
    let hidden_before: BTreeSet<i64> = before.difference(&seen).copied().collect();
    let partner_visible = !matching(w, &[write.partner], partner_filter).await.is_empty();

    let params = json!({"model": "res.partner", "ids": [write.partner], "values": {"category_id": write.value()}});
    let outcome = gateway.call(&ctx, "alpenglow_update", &params).await;
    let after = categories_of(w, write.partner).await;

    if std::env::var_os("PROP_TRACE").is_some() {
        let hidden = !hidden_before.is_empty();
        eprintln!("TRACE m2m hidden={hidden} {:?}", outcome.as_ref().map(|_| "ok").map_err(|e| e.outcome()));
    }
    // 1. A link to a record the caller cannot see is never dropped...
    prop_assert!(hidden_before.is_subset(&after), "{params}: hidden links {hidden_before:?} dropped: {after:?}");
    // 2. ...nor made.
    let hidden_after: BTreeSet<i64> = after.difference(&seen).copied().collect();
    prop_assert_eq!(&hidden_after, &hidden_before, "{} linked a hidden category", params);
    let named_hidden = write.named().iter().any(|id| !seen.contains(id));
    match &outcome {
        Ok(_) => {
            prop_assert!(partner_visible, "a partner outside {partner_filter} written");
            prop_assert!(!named_hidden, "{params} named a hidden category and succeeded");
            // 3. What the caller sees ends as the commands say.
            let visible_before: BTreeSet<i64> = before.intersection(&seen).copied().collect();
            let visible_after: BTreeSet<i64> = after.intersection(&seen).copied().collect();
            prop_assert_eq!(visible_after, write.expected_visible(&visible_before), "{}", params);
        }
        Err(e) => {
            prop_assert_eq!(&after, &before, "{} refused ({:?}) but written", params, e);
            prop_assert!(
                !partner_visible || named_hidden,
                "{params} refused although the partner and every named category are visible: {e:?}"
            );
            prop_assert!(matches!(e, OpError::NotFound(_) | OpError::Denied(_)), "unexpected {e:?}");
        }
    }
    Ok(())
}

// -------------------------------------------------------- relational values

/// Each related model's policy: record filter, field policy, Can Read; or no resource.
#[derive(Debug, Clone)]
struct Exposure {
    filter: &'static str,
    fields: FieldPolicy,
    read: bool,
}

/// The filters each model may get, and the fields its name is made of
/// (Odoo's `_rec_name` and display-name computation, written out here).
const MODELS: [(&str, [&str; 3], &[&str]); 5] = [
    ("res.partner", ["", "[('is_company', '=', True)]", "[('id', '<=', 120)]"], &["name", "parent_id"]),
    ("sale.order", ["", "[('state', '=', 'draft')]", "[('id', '>', 30)]"], &["name"]),
    ("sale.order.line", ["", "[('id', '<=', 80)]", "[('product_uom_qty', '>', 3)]"], &["name", "order_id"]),
    ("product.product", ["", "[('id', '<=', 12)]", "[('id', '>', 6)]"], &["name", "default_code"]),
    ("res.partner.category", ["", "[('id', '!=', 8)]", "[('id', 'in', [1, 2, 3])]"], &["name", "parent_id"]),
];

fn exposure(model: usize) -> impl Strategy<Value = Option<Exposure>> {
    let denied = prop_oneof![Just("parent_id"), Just("default_code"), Just("email"), Just("display_name")];
    let fields = prop_oneof![
        4 => Just(FieldPolicy::All),
        2 => denied.prop_map(|f| FieldPolicy::Denylist(vec![f.into()])),
    ];
    let shown = (0..3usize, fields, prop::bool::weighted(0.85)).prop_map(move |(f, fields, read)| Exposure {
        filter: MODELS[model].1[f],
        fields,
        read,
    });
    prop_oneof![1 => Just(None), 6 => shown.prop_map(Some)]
}

#[derive(Debug, Clone)]
enum Look {
    Search { model: usize, offset: u64 },
    Read { ids: Vec<i64> },
    GroupBy { model: usize, field: &'static str },
    NameSearch { name: &'static str },
}

fn look() -> impl Strategy<Value = Look> {
    prop_oneof![
        // Partners and order lines most: their names embed other records'.
        (prop_oneof![3 => Just(0usize), 1 => Just(1), 3 => Just(2), 1 => Just(3)], 0..60u64)
            .prop_map(|(model, offset)| Look::Search { model, offset }),
        proptest::collection::vec(1i64..=200, 1..8).prop_map(|ids| Look::Read { ids }),
        prop_oneof![
            Just((1usize, "partner_id")),
            Just((2, "order_id")),
            Just((2, "product_id")),
            Just((0, "parent_id"))
        ]
        .prop_map(|(model, field)| Look::GroupBy { model, field }),
        proptest::sample::select(NAMES.to_vec()).prop_map(|name| Look::NameSearch { name }),
    ]
}

/// The sandbox's truth and the generated policy, to decide names by.
struct Truth<'w> {
    w: &'w World,
    exposed: BTreeMap<&'static str, Exposure>,
    /// Relational fields per model: name -> (type, relation).
    schemas: BTreeMap<String, BTreeMap<String, (String, String)>>,
    nameable: BTreeMap<(String, i64), bool>,
}

impl Truth<'_> {
    async fn schema(&mut self, model: &str) -> &BTreeMap<String, (String, String)> {
        if !self.schemas.contains_key(model) {
            let attributes = vec!["type".to_string(), "relation".to_string()];
            let fields =
                self.w.oracle.fields_get(&self.w.admin_identity, model, None, Some(&attributes)).await.unwrap();
            let relational = fields
                .into_iter()
                .filter_map(|(name, info)| {
                    let relation = info.get("relation")?.as_str().filter(|r| !r.is_empty())?.to_string();
                    Some((name, (info["type"].as_str()?.to_string(), relation)))
                })
                .collect();
            self.schemas.insert(model.to_string(), relational);
        }
        &self.schemas[model]
    }

    /// Whether the generated policy lets the caller read `id` of `model` and
    /// every field of its name, the records its name embeds included.
    async fn nameable(&mut self, model: &str, id: i64) -> bool {
        if let Some(known) = self.nameable.get(&(model.to_string(), id)) {
            return *known;
        }
        let decided = Box::pin(self.decide(model, id)).await;
        self.nameable.insert((model.to_string(), id), decided);
        decided
    }

    async fn decide(&mut self, model: &str, id: i64) -> bool {
        let Some(exposure) = self.exposed.get(model).cloned() else { return false };
        let name_fields = MODELS.iter().find(|m| m.0 == model).map_or(&["name"][..], |m| m.2);
        if !exposure.read || !name_fields.iter().chain(&["display_name"]).all(|f| exposure.fields.allows(f)) {
            return false;
        }
        if inside(self.w, model, &[id], exposure.filter).await.is_empty() {
            return false;
        }
        for field in name_fields.iter().filter(|f| ["parent_id", "order_id"].contains(f)) {
            let related = self.schema(model).await.get(*field).map(|(_, r)| r.clone());
            let row = self.w.oracle.read(&self.w.admin_identity, model, &[id], Some(&[field.to_string()])).await;
            let target = row.ok().and_then(|r| r.first().and_then(|r| r[*field].get(0)).and_then(Value::as_i64));
            if let (Some(related), Some(target)) = (related, target)
                && !self.nameable(&related, target).await
            {
                return false;
            }
        }
        true
    }

    /// Whether an x2many value may list `id` of `model`: not when a filter hides it.
    async fn listable(&mut self, model: &str, id: i64) -> bool {
        match self.exposed.get(model).cloned() {
            Some(e) if e.read && !e.filter.is_empty() => !inside(self.w, model, &[id], e.filter).await.is_empty(),
            _ => true,
        }
    }

    /// Checks every relational value of records of `model`.
    async fn check_records(&mut self, model: &str, records: &[Value]) -> Result<(), TestCaseError> {
        let schema = self.schema(model).await.clone();
        for record in records {
            let Some(fields) = record.as_object() else { continue };
            let id = record["id"].as_i64();
            for (field, value) in fields {
                if ["display_name", "complete_name"].contains(&field.as_str()) && !value.is_null() {
                    let id = id.unwrap();
                    prop_assert!(self.nameable(model, id).await, "{model} {id}'s own {field} shown: {value}");
                    continue;
                }
                let Some((kind, related)) = schema.get(field) else { continue };
                match (kind.as_str(), value) {
                    ("many2one", Value::Array(pair)) if pair.len() == 2 && !pair[1].is_null() => {
                        let target = pair[0].as_i64().unwrap();
                        prop_assert!(
                            self.nameable(related, target).await,
                            "{model}.{field} names {related} {target} ({}), which the caller may not read",
                            pair[1]
                        );
                    }
                    ("one2many" | "many2many", Value::Array(ids)) => {
                        for target in ids.iter().filter_map(Value::as_i64) {
                            prop_assert!(
                                self.listable(related, target).await,
                                "{model}.{field} lists {related} {target}, which a record filter hides"
                            );
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }
}

async fn run_relational_case(w: &World, exposed: Vec<Option<Exposure>>, look: Look) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut drafts = vec![ResourceDraft::new("res.country", false)];
    let mut exposed_map =
        BTreeMap::from([("res.country", Exposure { filter: "", fields: FieldPolicy::All, read: true })]);
    for (i, exposure) in exposed.iter().enumerate() {
        let Some(e) = exposure else { continue };
        let ops = Operations { read: e.read, create: false, write: true, delete: false };
        let mut d = draft(MODELS[i].0, ops, e.fields.clone(), e.filter);
        if i == 0 {
            d.execute_methods = vec!["name_search".into()];
        }
        drafts.push(d);
        exposed_map.insert(MODELS[i].0, e.clone());
    }
    let caller = Caller { role: "admin", scope: Scope::Full, company: None };
    let (_admin, gateway, ctx) = gateway_with(w, &dir, drafts, &caller).await;
    let (model, tool, params) = match &look {
        Look::Search { model, offset } => {
            let m = MODELS[*model].0;
            (m, "alpenglow_search", json!({"model": m, "limit": 15, "offset": offset}))
        }
        Look::Read { ids } => ("res.partner", "alpenglow_read", json!({"model": "res.partner", "ids": ids})),
        Look::GroupBy { model, field } => {
            let m = MODELS[*model].0;
            (m, "alpenglow_aggregate", json!({"model": m, "operation": "group_by", "groupby": field}))
        }
        Look::NameSearch { name } => (
            "res.partner",
            "alpenglow_execute",
            json!({"model": "res.partner", "method": "name_search", "args": [name]}),
        ),
    };
    let outcome = gateway.call(&ctx, tool, &params).await;
    if std::env::var_os("PROP_TRACE").is_some() {
        eprintln!("TRACE relational {tool} {model} {:?}", outcome.as_ref().map(|_| "ok").map_err(|e| e.to_string()));
    }
    let mut truth = Truth { w, exposed: exposed_map, schemas: BTreeMap::new(), nameable: BTreeMap::new() };
    let result = match outcome {
        Ok(result) => result,
        Err(OpError::Denied(_)) | Err(OpError::NotFound(_)) | Err(OpError::Invalid(_)) => return Ok(()),
        Err(other) => return Err(TestCaseError::fail(format!("{params}: unexpected error {other:?}"))),
    };
    match &look {
        Look::Search { .. } | Look::Read { .. } => {
            let records = result["records"].as_array().cloned().unwrap_or_default();
            truth.check_records(model, &records).await?;
        }
        Look::GroupBy { field, .. } => {
            let related = truth.schema(model).await[*field].1.clone();
            for group in result["groups"].as_array().into_iter().flatten() {
                let key = &group["key"][*field];
                if let (Some(id), Some(name)) = (key.get(0).and_then(Value::as_i64), key.get(1))
                    && !name.is_null()
                {
                    prop_assert!(truth.nameable(&related, id).await, "group label names {related} {id}: {name}");
                }
            }
        }
        Look::NameSearch { .. } => {
            for pair in result["result"].as_array().into_iter().flatten() {
                let id = pair[0].as_i64().unwrap();
                prop_assert!(
                    !inside(w, model, &[id], truth.exposed[model].filter).await.is_empty(),
                    "name_search found partner {id} outside the filter"
                );
                if !pair[1].is_null() {
                    prop_assert!(truth.nameable(model, id).await, "name_search names partner {id}: {}", pair[1]);
                }
            }
        }
    }
    Ok(())
}

proptest! {
    // Execute has the most kinds to reach: more cases.
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn execute_follows_the_method_classification((policy, methods, caller, call) in execute_case()) {
        let w = own_world(&EXECUTE_WORLD);
        w.runtime.block_on(run_execute_case(w, policy, methods, caller, call))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn many2many_commands_never_drop_or_make_hidden_links(
        partner_filter in prop_oneof![3 => Just(""), 1 => Just(FILTERS[1]), 1 => Just("[('id', '<=', 40)]")],
        (category_filter, write) in proptest::sample::select(CATEGORY_FILTERS.to_vec())
            .prop_flat_map(|(filter, seen)| (Just(filter), m2m_write(seen))),
    ) {
        let w = own_world(&M2M_WORLD);
        w.runtime.block_on(run_m2m_case(w, partner_filter, category_filter, write))?;
    }

    #[test]
    fn relational_values_never_name_a_hidden_record(
        exposed in (exposure(0), exposure(1), exposure(2), exposure(3), exposure(4))
            .prop_map(|(a, b, c, d, e)| vec![a, b, c, d, e]),
        look in look(),
    ) {
        let w = own_world(&RELATIONAL_WORLD);
        w.runtime.block_on(run_relational_case(w, exposed, look))?;
    }
}
