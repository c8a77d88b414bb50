//! One conformance suite for every upstream client: JSON-2 on Odoo 19, and
//! JSON-RPC and XML-RPC on Odoo 19 and 17, each against the sandbox over real
//! HTTP on loopback. The body (`conformance`) is written once and takes only
//! an `Arc<dyn OdooApi>` and the sandbox, so any difference between the
//! protocols shows up as a failure of one run, not as a gap in coverage.
//!
//! Expected values come from `assets/sandbox/data.json` (the file the sandbox
//! embeds), its schemas and the Odoo recordings in `shared/odoo-wire*`, or
//! from the sandbox's own answers to another call, never from guesses.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alpenglow::config::{ApiKey, OdooProtocol};
use alpenglow::sandbox::{self, OdooVersion, RunningSandbox, SandboxOptions};
use alpenglow::upstream::*;
use serde_json::{Map, Value as Json, json};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/sandbox/data.json");
const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");
/// A well-formed key that belongs to nobody.
const BAD_KEY: &str = "0000000000000000000000000000000000000000";

/// Panics unless `$result` is an `Err` matching `$pattern`; yields the error.
macro_rules! assert_err {
    ($label:expr, $result:expr, $pattern:pat) => {
        match $result {
            Err(e) if matches!(e, $pattern) => e,
            other => panic!("{}: expected {}, got {:?}", $label, stringify!($pattern), other),
        }
    };
}

// ---------------------------------------------------------------- runs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json2_on_odoo_19() {
    run(OdooVersion::V19, OdooProtocol::Json2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonrpc_on_odoo_19() {
    run(OdooVersion::V19, OdooProtocol::Jsonrpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xmlrpc_on_odoo_19() {
    run(OdooVersion::V19, OdooProtocol::Xmlrpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonrpc_on_odoo_17() {
    run(OdooVersion::V17, OdooProtocol::Jsonrpc).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xmlrpc_on_odoo_17() {
    run(OdooVersion::V17, OdooProtocol::Xmlrpc).await;
}

/// A fresh sandbox per run: the suite writes, and runs go in parallel.
async fn run(version: OdooVersion, protocol: OdooProtocol) {
    let sb = start(version, Duration::ZERO).await;
    let api = client(protocol, &sb.url(), sb.database(), Duration::from_secs(10));
    conformance(api, &sb).await;
    sb.shutdown().await;
}

async fn start(version: OdooVersion, delay: Duration) -> RunningSandbox {
    let opts = SandboxOptions { version, database: "conformance".into(), delay, ..SandboxOptions::default() };
    sandbox::start(opts).await.expect("sandbox starts")
}

fn config(protocol: OdooProtocol, url: &str, db: &str, timeout: Duration) -> UpstreamConfig {
    let mut transport = TransportConfig::new(url);
    transport.request_timeout = timeout;
    transport.connect_timeout = Duration::from_secs(2);
    UpstreamConfig { transport, database: Some(db.into()), protocol }
}

/// The client for an explicit protocol, built with its own constructor.
fn client(protocol: OdooProtocol, url: &str, db: &str, timeout: Duration) -> Arc<dyn OdooApi> {
    let transport = Transport::new(&config(protocol, url, db, timeout).transport).expect("transport");
    match protocol {
        OdooProtocol::Json2 => Arc::new(Json2Client::new(transport, Some(db.into()))),
        OdooProtocol::Jsonrpc => Arc::new(RpcClient::new(transport, db.into(), RpcEncoding::Json)),
        OdooProtocol::Xmlrpc => Arc::new(RpcClient::new(transport, db.into(), RpcEncoding::Xml)),
        OdooProtocol::Auto => unreachable!("auto is tested through connect"),
    }
}

// ---------------------------------------------------------------- the suite

/// What every section needs: the client, the sandbox, the data, the callers.
struct Suite<'a> {
    api: Arc<dyn OdooApi>,
    sb: &'a RunningSandbox,
    data: Data,
    tag: String,
    v19: bool,
    /// JSON-RPC / XML-RPC (authenticate needs a login).
    rpc: bool,
    admin: Identity,
    sales: Identity,
    viewer: Identity,
}

/// The shared body: every trait method and every error kind.
async fn conformance(api: Arc<dyn OdooApi>, sb: &RunningSandbox) {
    let tag = format!("{} on Odoo {}", api.protocol(), sb.version());
    let v19 = sb.version() == OdooVersion::V19;
    let rpc = api.protocol() != Protocol::Json2;
    let version = api.version().await.unwrap_or_else(|e| panic!("{tag}: version: {e}"));
    assert_eq!(version.major, sb.version().major(), "{tag}");
    assert_eq!(version.version, sb.version().server_version(), "{tag}");
    assert_eq!(version.has_formatted_read_group(), v19, "{tag}");

    let who = |role: &str| {
        let u = sb.user(role).expect("demo user");
        Identity { key: key(&u.key), uid: u.uid, company_ids: Vec::new() }
    };
    let s = Suite {
        api,
        sb,
        data: Data::load(),
        tag,
        v19,
        rpc,
        admin: who("admin"),
        sales: who("sales"),
        viewer: who("viewer"),
    };
    // Reads first, against the untouched dataset; writes clean up after themselves.
    s.authenticate().await;
    s.companies_and_models().await;
    s.fields_get().await;
    s.search_and_read().await;
    s.grouping().await;
    s.call_method().await;
    s.company_context().await;
    s.errors().await;
    s.writes().await;
}

impl Suite<'_> {
    fn login<'u>(&self, login: &'u str) -> Option<&'u str> {
        self.rpc.then_some(login)
    }

    /// Odoo's message in the recording of `name` for this client's protocol
    /// (XML-RPC carries the same text as JSON-RPC).
    fn recorded(&self, name: &str) -> String {
        recorded_message(self.v19, if self.rpc { "jsonrpc" } else { "json2" }, name)
    }

    async fn count(&self, who: &Identity, model: &str, domain: Json) -> u64 {
        let tag = &self.tag;
        self.api.search_count(who, model, &domain).await.unwrap_or_else(|e| panic!("{tag}: count {model}: {e}"))
    }

    async fn search_read(&self, who: &Identity, model: &str, q: SearchQuery) -> Vec<Record> {
        let tag = &self.tag;
        self.api.search_read(who, model, &q).await.unwrap_or_else(|e| panic!("{tag}: search_read {model}: {e}"))
    }

    async fn read(&self, model: &str, ids: &[i64], fields: &[&str]) -> Vec<Record> {
        let tag = &self.tag;
        self.api
            .read(&self.admin, model, ids, Some(&strings(fields)))
            .await
            .unwrap_or_else(|e| panic!("{tag}: read {model} {ids:?}: {e}"))
    }

    /// Key alone on JSON-2, login and key on RPC; a missing login is refused
    /// before anything is sent; wrong keys and logins fail; the user's record
    /// matches the dataset.
    async fn authenticate(&self) {
        let tag = &self.tag;
        for user in self.sb.users() {
            let got = self
                .api
                .authenticate(&key(&user.key), self.login(&user.login))
                .await
                .unwrap_or_else(|e| panic!("{tag}: authenticate {}: {e}", user.login));
            let rec = self.data.get("res.users", user.uid);
            assert_eq!(got.uid, user.uid, "{tag}");
            assert_eq!(got.login, user.login, "{tag}");
            assert_eq!(got.name, rec["name"].as_str().unwrap_or_default(), "{tag}");
            assert_eq!(got.company_id, rec["company_id"].as_i64(), "{tag}");
            assert_eq!(got.company_ids, ids_of(&rec["company_ids"]), "{tag}");
            assert_eq!(got.partner_id, rec["partner_id"].as_i64(), "{tag}");
            assert_eq!(got.tz.as_deref(), rec["tz"].as_str(), "{tag}");
            assert!(got.active && !got.share, "{tag}: {got:?}");
        }
        let admin = self.sb.user("admin").expect("admin");
        if self.rpc {
            let before = self.sb.total_requests();
            assert_err!(tag, self.api.authenticate(&key(&admin.key), None).await, UpstreamError::LoginRequired(_));
            assert_eq!(self.sb.total_requests(), before, "{tag}: LoginRequired must not reach Odoo");
            // A real key under another user's login is someone else's: refused.
            assert_err!(
                tag,
                self.api.authenticate(&key(&admin.key), Some("viewer")).await,
                UpstreamError::AuthenticationFailed(_)
            );
        }
        let e = assert_err!(
            tag,
            self.api.authenticate(&key(BAD_KEY), self.login("admin")).await,
            UpstreamError::AuthenticationFailed(_)
        );
        assert_clean(tag, &e, BAD_KEY);
        // A model call with a bad key: 401 on JSON-2, AccessDenied on RPC.
        let bad = Identity { key: key(BAD_KEY), uid: admin.uid, company_ids: Vec::new() };
        let e = assert_err!(
            tag,
            self.api.search_count(&bad, "res.partner", &json!([])).await,
            UpstreamError::AuthenticationFailed(_)
        );
        assert_clean(tag, &e, BAD_KEY);
        if self.rpc {
            // execute_kw checks the key against the uid sent with it.
            let wrong_uid = Identity { uid: self.viewer.uid, ..self.admin.clone() };
            assert_err!(
                tag,
                self.api.search_count(&wrong_uid, "res.partner", &json!([])).await,
                UpstreamError::AuthenticationFailed(_)
            );
        }
    }

    /// list_companies per user, list_models with and without a filter.
    async fn companies_and_models(&self) {
        let tag = &self.tag;
        let companies = self.api.list_companies(&self.admin).await.unwrap_or_else(|e| panic!("{tag}: {e}"));
        let expected = self.data.all("res.company");
        assert_eq!(companies.len(), expected.len(), "{tag}: admin belongs to every company");
        assert_eq!(companies.len(), 2, "{tag}");
        for (got, rec) in companies.iter().zip(&expected) {
            assert_eq!(got.id, rec["id"].as_i64().unwrap_or_default(), "{tag}: ordered by sequence");
            assert_eq!(got.name, rec["name"].as_str().unwrap_or_default(), "{tag}");
            assert_eq!(got.partner_id, rec["partner_id"].as_i64(), "{tag}");
            assert_eq!(got.currency, self.data.name_of("res.currency", &rec["currency_id"]), "{tag}");
            assert_eq!(got.country, self.data.name_of("res.country", &rec["country_id"]), "{tag}");
        }
        let viewer = self.api.list_companies(&self.viewer).await.unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert_eq!(viewer.iter().map(|c| c.id).collect::<Vec<_>>(), vec![1], "{tag}: the viewer is in company 1 only");

        let all = self.api.list_models(&self.admin, None).await.unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert_eq!(all.len(), self.data.all("ir.model").len(), "{tag}");
        assert!(all.windows(2).all(|w| w[0].model <= w[1].model), "{tag}: ordered by model");
        // As in a real Odoo, every listed model answers: a picker built from
        // this list never offers a model that registration then refuses.
        let attributes = strings(&["type"]);
        for info in &all {
            let fields = self.api.fields_get(&self.admin, &info.model, None, Some(&attributes)).await;
            assert!(fields.is_ok_and(|f| f.contains_key("id")), "{tag}: {} is listed but not served", info.model);
        }
        let partner = self.api.list_models(&self.viewer, Some("res.partner")).await.unwrap_or_else(|e| panic!("{e}"));
        let got: BTreeSet<&str> = partner.iter().map(|m| m.model.as_str()).collect();
        let models = self.data.all("ir.model");
        let want: BTreeSet<&str> =
            models.iter().filter_map(|m| m["model"].as_str()).filter(|m| m.contains("res.partner")).collect();
        assert_eq!(got, want, "{tag}: `like` is a substring match");
        let row = models.iter().find(|m| m["model"] == "res.partner").expect("res.partner in ir.model");
        assert!(
            partner
                .contains(&ModelInfo { model: "res.partner".into(), name: row["name"].as_str().unwrap_or("").into() }),
            "{tag}: {partner:?}"
        );
    }

    /// Restricted and full `fields_get`, typed as in the schema the sandbox
    /// serves and as in the recording of real Odoo of the same version.
    async fn fields_get(&self) {
        let tag = &self.tag;
        let asked = [
            "name",
            "email",
            "is_company",
            "type",
            "country_id",
            "parent_id",
            "child_ids",
            "category_id",
            "active",
            "create_date",
            "credit_limit",
            "color",
        ];
        let attributes = ["string", "type", "relation", "required", "readonly", "selection"];
        let got = self
            .api
            .fields_get(&self.admin, "res.partner", Some(&strings(&asked)), Some(&strings(&attributes)))
            .await
            .unwrap_or_else(|e| panic!("{tag}: fields_get: {e}"));
        assert_eq!(
            got.keys().map(String::as_str).collect::<BTreeSet<_>>(),
            asked.into_iter().collect::<BTreeSet<_>>(),
            "{tag}"
        );
        let schema = self.data.schema(self.v19);
        let recorded = recorded_fields(self.v19);
        for (name, attrs) in &got {
            let attrs = attrs.as_object().unwrap_or_else(|| panic!("{tag}: {name} is not an object"));
            let served = &schema["res.partner"][name];
            assert!(attrs.keys().all(|k| attributes.contains(&k.as_str())), "{tag}: {name} has extra attributes");
            assert!(attrs["string"].is_string() && attrs["type"].is_string(), "{tag}: {name}");
            assert!(attrs["required"].is_boolean() && attrs["readonly"].is_boolean(), "{tag}: {name}");
            assert_eq!(attrs["type"], served["type"], "{tag}: {name}");
            assert_eq!(attrs.get("relation"), served.get("relation"), "{tag}: {name}");
            if attrs["type"] == "selection" {
                let options = attrs["selection"].as_array().cloned().unwrap_or_default();
                assert!(!options.is_empty(), "{tag}: {name}");
                assert!(options.iter().all(|o| o.as_array().is_some_and(|p| p.len() == 2 && p[0].is_string())));
            }
            // Real Odoo of the same version: same type, relation and attribute keys.
            if let Some(real) = recorded.get(name).and_then(Json::as_object) {
                assert_eq!(attrs.get("type"), real.get("type"), "{tag}: {name} type vs Odoo");
                assert_eq!(attrs.get("relation"), real.get("relation"), "{tag}: {name} relation vs Odoo");
                let keys = |m: &Map<String, Json>| -> BTreeSet<String> {
                    m.keys().filter(|k| *k != "help").cloned().collect()
                };
                assert_eq!(keys(attrs), keys(real), "{tag}: {name} attribute keys vs Odoo");
            }
        }
        let every = self
            .api
            .fields_get(&self.viewer, "res.partner", None, None)
            .await
            .unwrap_or_else(|e| panic!("{tag}: fields_get: {e}"));
        assert_eq!(every.len(), schema["res.partner"].as_object().map_or(0, Map::len), "{tag}");
        assert!(every.values().all(|a| a["type"].is_string() && a["string"].is_string()), "{tag}");
    }

    /// search_read (domain, fields, order, limit, offset, many2one pairs),
    /// search, search_count and read (missing ids silently absent).
    async fn search_and_read(&self) {
        let tag = &self.tag;
        let both = [1, 2];
        let mut companies = self.data.visible("res.partner", &both);
        companies.retain(|p| p["is_company"] == true);
        companies.sort_by_key(|p| (p["name"].as_str().unwrap_or("").to_lowercase(), p["id"].as_i64()));
        let expected: Vec<i64> = companies.iter().filter_map(|p| p["id"].as_i64()).collect();
        assert!(expected.len() > 7, "the dataset has enough companies to page");

        let domain = json!([["is_company", "=", true]]);
        let page = SearchQuery {
            domain: domain.clone(),
            fields: Some(strings(&["name", "country_id", "is_company"])),
            order: Some("name asc, id".into()),
            limit: Some(5),
            offset: Some(2),
        };
        let rows = self.search_read(&self.admin, "res.partner", page.clone()).await;
        assert_eq!(ids(&rows), expected[2..7], "{tag}: offset 2, limit 5");
        for row in &rows {
            let keys: BTreeSet<&str> = row.keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["id", "name", "country_id", "is_company"]), "{tag}");
            let rec = self.data.get("res.partner", row["id"].as_i64().unwrap_or_default());
            assert_eq!(row["name"], rec["name"], "{tag}");
            assert_eq!(row["is_company"], json!(true), "{tag}");
            // many2one as [id, display name], or false.
            let country = match rec["country_id"].as_i64() {
                Some(id) => json!([id, self.data.get("res.country", id)["name"]]),
                None => json!(false),
            };
            assert_eq!(row["country_id"], country, "{tag}");
        }
        let reversed = SearchQuery { order: Some("name desc, id desc".into()), limit: None, offset: None, ..page };
        let mut all = ids(&self.search_read(&self.admin, "res.partner", reversed.clone()).await);
        all.reverse();
        assert_eq!(all, expected, "{tag}: desc is the reverse");
        let searched = self.api.search(&self.admin, "res.partner", &reversed).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(searched, all.iter().rev().copied().collect::<Vec<_>>(), "{tag}: search = search_read ids");
        assert_eq!(self.count(&self.admin, "res.partner", domain).await, expected.len() as u64, "{tag}");

        // Operators, `|`, a dotted path; active_test and the company rule apply.
        let us = self.data.all("res.country").into_iter().find(|c| c["code"] == "US").expect("US");
        let domain = json!(["|", ["name", "ilike", "studio"], ["country_id.code", "=", "US"]]);
        let matching = |companies: &[i64]| {
            self.data
                .visible("res.partner", companies)
                .into_iter()
                .filter(|p| {
                    p["name"].as_str().unwrap_or("").to_lowercase().contains("studio") || p["country_id"] == us["id"]
                })
                .count() as u64
        };
        assert_eq!(self.count(&self.admin, "res.partner", domain.clone()).await, matching(&both), "{tag}");
        assert_eq!(self.count(&self.viewer, "res.partner", domain).await, matching(&[1]), "{tag}");
        let everything = self.count(&self.admin, "res.partner", json!([])).await;
        assert_eq!(everything, self.data.visible("res.partner", &both).len() as u64, "{tag}");
        assert!(everything < self.data.all("res.partner").len() as u64, "{tag}: archived partners are hidden");
        let q = SearchQuery { domain: json!([["id", "in", [3, 1]]]), ..SearchQuery::default() };
        let ordered = self.api.search(&self.viewer, "res.partner", &q).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(BTreeSet::from_iter(ordered), BTreeSet::from([1, 3]), "{tag}");

        // read: rows in the order asked, missing ids silently absent.
        let rows =
            self.read("res.partner", &[3, 999_999, 1], &["name", "parent_id", "category_id", "create_date"]).await;
        assert_eq!(ids(&rows), vec![3, 1], "{tag}");
        let mitchell = self.data.get("res.partner", 3);
        let parent = mitchell["parent_id"].as_i64().expect("Mitchell has a parent company");
        assert_eq!(rows[0]["name"], mitchell["name"], "{tag}");
        assert_eq!(rows[0]["parent_id"], json!([parent, self.data.get("res.partner", parent)["name"]]), "{tag}");
        assert_eq!(rows[0]["category_id"], mitchell["category_id"], "{tag}: x2many as an id list");
        assert_eq!(rows[0]["create_date"], mitchell["create_date"], "{tag}: datetimes as strings");
        assert_eq!(rows[1]["parent_id"], json!(false), "{tag}");
        assert!(self.read("res.partner", &[999_999], &["name"]).await.is_empty(), "{tag}");
        assert!(self.read("res.partner", &[], &["name"]).await.is_empty(), "{tag}");
        let full = self.api.read(&self.admin, "res.partner", &[3], None).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(full[0].contains_key("email") && full[0]["id"] == 3, "{tag}: no fields means every field");
    }

    /// read_group lazy and not, formatted_read_group (19 only).
    async fn grouping(&self) {
        let tag = &self.tag;
        let orders = self.data.all("sale.order");
        let mut by_state: BTreeMap<String, u64> = BTreeMap::new();
        let mut by_state_company: BTreeMap<(String, i64), u64> = BTreeMap::new();
        for o in &orders {
            let state = o["state"].as_str().unwrap_or("").to_string();
            *by_state.entry(state.clone()).or_default() += 1;
            *by_state_company.entry((state, o["company_id"].as_i64().unwrap_or(0))).or_default() += 1;
        }
        // Totals are computed by the sandbox from the lines: take its own answer.
        let q = SearchQuery { fields: Some(strings(&["state", "amount_total"])), ..SearchQuery::default() };
        let mut totals: BTreeMap<String, f64> = BTreeMap::new();
        for row in self.search_read(&self.admin, "sale.order", q).await {
            let state = row["state"].as_str().unwrap_or("").to_string();
            *totals.entry(state).or_default() += row["amount_total"].as_f64().unwrap_or(0.0);
        }
        let close = |a: &Json, b: f64| (a.as_f64().unwrap_or(f64::NAN) - b).abs() < 0.01;

        let lazy = ReadGroupQuery {
            domain: json!([]),
            fields: strings(&["amount_total:sum"]),
            groupby: strings(&["state", "company_id"]),
            offset: None,
            limit: None,
            orderby: None,
            lazy: true,
        };
        let groups = self.api.read_group(&self.admin, "sale.order", &lazy).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(groups.len(), by_state.len(), "{tag}: lazy groups by the first groupby only");
        for g in &groups {
            let state = g["state"].as_str().unwrap_or_else(|| panic!("{tag}: {g:?}"));
            assert_eq!(g["state_count"].as_u64(), by_state.get(state).copied(), "{tag}: {state}");
            assert!(close(&g["amount_total"], totals[state]), "{tag}: {state} {g:?}");
            assert_eq!(g["__domain"], json!([["state", "=", state]]), "{tag}");
            assert_eq!(g["__context"], json!({"group_by": ["company_id"]}), "{tag}");
        }
        let eager = ReadGroupQuery { lazy: false, ..lazy };
        let groups = self.api.read_group(&self.admin, "sale.order", &eager).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(groups.len(), by_state_company.len(), "{tag}: one group per (state, company)");
        for g in &groups {
            let state = g["state"].as_str().unwrap_or("").to_string();
            let company = g["company_id"][0].as_i64().unwrap_or_else(|| panic!("{tag}: many2one pair {g:?}"));
            assert_eq!(g["company_id"][1], self.data.get("res.company", company)["name"], "{tag}");
            assert_eq!(g["__count"].as_u64(), by_state_company.get(&(state, company)).copied(), "{tag}: {g:?}");
            assert!(!g.contains_key("state_count"), "{tag}: lazy=false counts in __count");
        }

        let flat = FormattedReadGroupQuery {
            domain: json!([]),
            groupby: strings(&["state"]),
            aggregates: strings(&["__count", "amount_total:sum"]),
            having: None,
            offset: None,
            limit: None,
            order: Some("__count desc".into()),
        };
        let result = self.api.formatted_read_group(&self.admin, "sale.order", &flat).await;
        if !self.v19 {
            assert_err!(tag, result, UpstreamError::UnknownMethod(_));
            return;
        }
        let groups = result.unwrap_or_else(|e| panic!("{tag}: formatted_read_group: {e}"));
        assert_eq!(groups.len(), by_state.len(), "{tag}");
        assert!(groups.windows(2).all(|w| w[0]["__count"].as_u64() >= w[1]["__count"].as_u64()), "{tag}");
        for g in &groups {
            let state = g["state"].as_str().unwrap_or_else(|| panic!("{tag}: {g:?}"));
            assert_eq!(g["__count"].as_u64(), by_state.get(state).copied(), "{tag}: {state}");
            assert!(close(&g["amount_total:sum"], totals[state]), "{tag}: {g:?}");
            assert_eq!(g["__extra_domain"], json!([["state", "=", state]]), "{tag}");
        }
    }

    /// call_method by name, with positional arguments, with ids; private
    /// and unknown methods.
    async fn call_method(&self) {
        let tag = &self.tag;
        let call = |method: &'static str, ids: Option<Vec<i64>>, args: Vec<Json>, kwargs: Json| async move {
            let kwargs = kwargs.as_object().cloned().unwrap_or_default();
            self.api.call_method(&self.admin, "res.partner", method, ids.as_deref(), args, kwargs).await
        };
        // name_search answers [id, display_name] pairs, as search_read sees them.
        let q = SearchQuery {
            domain: json!([["display_name", "ilike", "mitchell"]]),
            fields: Some(strings(&["display_name"])),
            limit: Some(5),
            ..SearchQuery::default()
        };
        let expected: Vec<Json> = self
            .search_read(&self.admin, "res.partner", q)
            .await
            .iter()
            .map(|r| json!([r["id"], r["display_name"]]))
            .collect();
        assert!(expected.contains(&json!([3, "YourCompany, Mitchell Admin"])), "{tag}: {expected:?}");
        let named = call("name_search", None, vec![], json!({"name": "mitchell", "limit": 5})).await;
        assert_eq!(named.unwrap_or_else(|e| panic!("{tag}: name_search: {e}")), json!(expected), "{tag}");
        // Positional: JSON-2 cannot name it and falls back to execute_kw.
        let positional = call("name_search", None, vec![json!("mitchell")], json!({"limit": 5})).await;
        assert_eq!(positional.unwrap_or_else(|e| panic!("{tag}: name_search: {e}")), json!(expected), "{tag}");
        // A record method: ids first, then the arguments.
        let name = self.data.get("res.partner", 3)["name"].clone();
        let read = call("read", Some(vec![3]), vec![], json!({"fields": ["name"]})).await;
        assert_eq!(read.unwrap_or_else(|e| panic!("{tag}: read: {e}")), json!([{"id": 3, "name": name}]), "{tag}");
        let read = call("read", Some(vec![3]), vec![json!(["name"])], json!({})).await;
        assert_eq!(read.unwrap_or_else(|e| panic!("{tag}: read: {e}")), json!([{"id": 3, "name": name}]), "{tag}");
        // Odoo itself refuses private methods, whatever the protocol.
        for private in ["_x", "_read_group"] {
            let before = self.sb.calls("res.partner", private);
            let kwargs = json!({"domain": [], "groupby": ["country_id"]});
            let e = assert_err!(tag, call(private, None, vec![], kwargs).await, UpstreamError::AccessError(_));
            let recorded = self.recorded("error_private_method");
            assert_eq!(message(&e), recorded.replace("_read_group", private), "{tag}");
            assert_eq!(self.sb.calls("res.partner", private), before + 1, "{tag}: refused by Odoo, not the client");
        }
        let e = assert_err!(
            tag,
            call("no_such_method", Some(vec![1]), vec![], json!({})).await,
            UpstreamError::UnknownMethod(_)
        );
        assert_eq!(message(&e), self.recorded("error_unknown_method"), "{tag}");
    }

    /// The Identity's companies become `allowed_company_ids` and win over the
    /// caller's own context.
    async fn company_context(&self) {
        let tag = &self.tag;
        let orders = self.data.all("sale.order");
        let in_company = |c: i64| orders.iter().filter(|o| o["company_id"] == c).count() as u64;
        let (c1, c2) = (in_company(1), in_company(2));
        assert!(c1 > 0 && c2 > 0, "orders in both companies");
        let with = |who: &Identity, companies: &[i64]| Identity { company_ids: companies.to_vec(), ..who.clone() };
        let count = |who: Identity| async move { self.api.search_count(&who, "sale.order", &json!([])).await };
        assert_eq!(count(self.admin.clone()).await, Ok(c1 + c2), "{tag}: no companies = all the user's");
        assert_eq!(count(with(&self.admin, &[1])).await, Ok(c1), "{tag}");
        assert_eq!(count(with(&self.admin, &[2])).await, Ok(c2), "{tag}");
        assert_eq!(count(with(&self.admin, &[1, 2])).await, Ok(c1 + c2), "{tag}");
        // The sales user also has Odoo's "own documents only" rule.
        let own_in_2 = orders
            .iter()
            .filter(|o| o["company_id"] == 2 && (o["user_id"] == false || o["user_id"] == self.sales.uid))
            .count() as u64;
        assert_eq!(count(with(&self.sales, &[2])).await, Ok(own_in_2), "{tag}");
        assert_eq!(count(self.viewer.clone()).await, Ok(c1), "{tag}: the record rule filters silently");
        assert_eq!(count(with(&self.viewer, &[1])).await, Ok(c1), "{tag}");
        // The viewer is not in company 2: Odoo refuses the context outright.
        let e = assert_err!(tag, count(with(&self.viewer, &[2])).await, UpstreamError::AccessError(_));
        assert!(e.to_string().contains("unauthorized or invalid companies"), "{tag}: {e}");
        // Reading a company-2 record by id is an AccessError (record rule).
        let other = orders.iter().find(|o| o["company_id"] == 2).and_then(|o| o["id"].as_i64()).expect("order");
        let fields = strings(&["name"]);
        assert_err!(
            tag,
            self.api.read(&self.viewer, "sale.order", &[other], Some(&fields)).await,
            UpstreamError::AccessError(_)
        );
        assert_err!(
            tag,
            self.api.read(&with(&self.admin, &[1]), "sale.order", &[other], Some(&fields)).await,
            UpstreamError::AccessError(_)
        );
        // A caller cannot widen its companies through its own context.
        let kwargs = json!({"domain": [], "context": {"allowed_company_ids": [1, 2]}});
        let narrowed = self
            .api
            .call_method(
                &with(&self.admin, &[2]),
                "sale.order",
                "search_count",
                None,
                vec![],
                kwargs.as_object().cloned().unwrap_or_default(),
            )
            .await;
        assert_eq!(narrowed, Ok(json!(c2)), "{tag}");
    }

    /// One failing call per error kind. Where a recording made the same call
    /// on the same data, the message must be Odoo's, word for word, whatever
    /// the protocol carrying it.
    async fn errors(&self) {
        let tag = &self.tag;
        let (admin, viewer) = (&self.admin, &self.viewer);
        let vals = |v: Json| v.as_object().cloned().unwrap_or_default();
        let query = |domain: Json, fields: &[&str], order: Option<&str>| SearchQuery {
            domain,
            fields: Some(strings(fields)),
            order: order.map(str::to_owned),
            limit: Some(1),
            ..SearchQuery::default()
        };
        let same = |name: &str, e: &UpstreamError| assert_eq!(message(e), self.recorded(name), "{tag}: {name}");

        let e = assert_err!(
            tag,
            self.api.write(viewer, "res.company", &[1], &vals(json!({"name": "Hacked Company"}))).await,
            UpstreamError::AccessError(_)
        );
        same("error_access_write_company_as_user", &e);
        assert_err!(
            tag,
            self.api.create(viewer, "res.partner", &[vals(json!({"name": "Nope"}))]).await,
            UpstreamError::AccessError(_)
        );
        assert_err!(
            tag,
            self.api.search_count(viewer, "ir.config_parameter", &json!([])).await,
            UpstreamError::AccessError(_)
        );
        let e = assert_err!(
            tag,
            self.api.write(admin, "res.partner", &[999_999], &vals(json!({"name": "x"}))).await,
            UpstreamError::MissingRecord(_)
        );
        same("error_write_missing_record", &e);
        let e =
            assert_err!(tag, self.api.unlink(admin, "res.partner", &[999_999]).await, UpstreamError::MissingRecord(_));
        same("error_unlink_missing_record", &e);
        let e = assert_err!(
            tag,
            self.api.create(admin, "res.partner", &[vals(json!({"email": "noname@alpenglow.test"}))]).await,
            UpstreamError::Validation(_)
        );
        same("error_validation_partner_without_name", &e);
        let e = assert_err!(
            tag,
            self.api.create(admin, "res.partner.category", &[vals(json!({"color": 3}))]).await,
            UpstreamError::Validation(_)
        );
        same("error_required_field_missing", &e);
        let e = assert_err!(
            tag,
            self.api.search_read(admin, "x.no.such.model", &query(json!([]), &["name"], None)).await,
            UpstreamError::UnknownModel(_)
        );
        same("error_unknown_model", &e);
        assert_err!(
            tag,
            self.api.fields_get(admin, "x.no.such.model", None, None).await,
            UpstreamError::UnknownModel(_)
        );
        let e = assert_err!(
            tag,
            self.api.search_read(admin, "res.partner", &query(json!([]), &["name", "no_such_field"], None)).await,
            UpstreamError::UnknownField(_)
        );
        same("error_unknown_field_in_fields", &e);
        let e = assert_err!(
            tag,
            self.api
                .search_read(admin, "res.partner", &query(json!([["no_such_field", "=", 1]]), &["name"], None))
                .await,
            UpstreamError::UnknownField(_)
        );
        same("error_unknown_field_in_domain", &e);
        assert_err!(
            tag,
            self.api.read(admin, "res.partner", &[3], Some(&strings(&["no_such_field"]))).await,
            UpstreamError::UnknownField(_)
        );
        for (name, malformed) in [
            ("error_malformed_domain_bad_operator", json!([["name", "~~", "a"]])),
            ("error_malformed_domain_short_leaf", json!([["name", "ilike"]])),
        ] {
            let e = assert_err!(
                format!("{tag}: {malformed}"),
                self.api.search_count(admin, "res.partner", &malformed).await,
                UpstreamError::BadValue(_)
            );
            same(name, &e);
        }
        let e = assert_err!(
            tag,
            self.api.search_read(admin, "res.partner", &query(json!([]), &["name"], Some("name; drop table x"))).await,
            UpstreamError::UserError(_)
        );
        same("error_bad_order", &e);
        // RedirectWarning (a user's own partner) and a confirmed order are UserErrors too.
        assert_err!(tag, self.api.unlink(admin, "res.partner", &[3]).await, UpstreamError::UserError(_));
        let confirmed = self.data.all("sale.order").into_iter().find(|o| o["state"] == "sale").expect("sale");
        let confirmed = confirmed["id"].as_i64().unwrap_or_default();
        assert_err!(tag, self.api.unlink(admin, "sale.order", &[confirmed]).await, UpstreamError::UserError(_));
        // Refusals changed nothing.
        let still = self.read("res.partner", &[3], &["name"]).await;
        assert_eq!(still.len(), 1, "{tag}: partner 3 is still there");
        let still = self.read("sale.order", &[confirmed], &["state"]).await;
        assert_eq!(still[0]["state"], "sale", "{tag}");
    }
    /// create (one, many), write (plain and x2many commands), unlink, each
    /// read back.
    async fn writes(&self) {
        let tag = &self.tag;
        let admin = &self.admin;
        let vals = |v: Json| v.as_object().cloned().unwrap_or_default();
        let before = self.count(admin, "res.partner", json!([])).await;
        let highest = self.data.all("res.partner").iter().filter_map(|p| p["id"].as_i64()).max().unwrap_or(0);

        let one = self
            .api
            .create(admin, "res.partner", &[vals(json!({"name": "Conformance Solo", "email": "solo@example.com"}))])
            .await
            .unwrap_or_else(|e| panic!("{tag}: create one: {e}"));
        assert_eq!(one.len(), 1, "{tag}");
        assert!(one[0] > highest, "{tag}: a new id");
        let many = self
            .api
            .create(
                admin,
                "res.partner",
                &[
                    vals(json!({"name": "Conformance Co", "is_company": true})),
                    vals(json!({"name": "Conformance Kid"})),
                    vals(json!({"name": "Conformance Other"})),
                ],
            )
            .await
            .unwrap_or_else(|e| panic!("{tag}: create many: {e}"));
        assert_eq!(many.len(), 3, "{tag}");
        assert!(many.windows(2).all(|w| w[0] < w[1]) && many[0] > one[0], "{tag}: ids in order: {many:?}");
        let rows = self.read("res.partner", &many, &["name", "email"]).await;
        let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
        assert_eq!(names, ["Conformance Co", "Conformance Kid", "Conformance Other"], "{tag}");
        assert_eq!(self.read("res.partner", &one, &["email"]).await[0]["email"], "solo@example.com", "{tag}");
        assert_eq!(self.count(admin, "res.partner", json!([])).await, before + 4, "{tag}");
        // The sales role may create partners too.
        let by_sales = self
            .api
            .create(&self.sales, "res.partner", &[vals(json!({"name": "Conformance Sales"}))])
            .await
            .unwrap_or_else(|e| panic!("{tag}: sales creates: {e}"));

        let (co, kid, other) = (many[0], many[1], many[2]);
        let linked = vals(json!({"parent_id": co, "phone": "+1 555"}));
        assert_eq!(self.api.write(admin, "res.partner", &[kid, other], &linked).await, Ok(true), "{tag}");
        let rows = self.read("res.partner", &[kid, other], &["parent_id", "phone", "display_name"]).await;
        assert!(rows.iter().all(|r| r["parent_id"] == json!([co, "Conformance Co"]) && r["phone"] == "+1 555"));
        assert_eq!(rows[0]["display_name"], "Conformance Co, Conformance Kid", "{tag}");

        // x2many commands: 6 (set), 3 (unlink link), 4 (link), 0 (create).
        let set = vals(json!({"category_id": [[6, 0, [1, 2]]]}));
        assert_eq!(self.api.write(admin, "res.partner", &[co], &set).await, Ok(true), "{tag}");
        assert_eq!(self.read("res.partner", &[co], &["category_id"]).await[0]["category_id"], json!([1, 2]), "{tag}");
        let commands = json!({"category_id": [[3, 1], [4, 5]], "child_ids": [[0, 0, {"name": "Conformance Newborn"}]]});
        assert_eq!(self.api.write(admin, "res.partner", &[co], &vals(commands)).await, Ok(true), "{tag}");
        let row = &self.read("res.partner", &[co], &["category_id", "child_ids"]).await[0];
        assert_eq!(row["category_id"], json!([2, 5]), "{tag}");
        let children = ids_of(&row["child_ids"]);
        assert_eq!(children.len(), 3, "{tag}: two linked, one created: {children:?}");
        let newborn: Vec<i64> = children.iter().copied().filter(|c| ![kid, other].contains(c)).collect();
        let born = self.read("res.partner", &newborn, &["name", "parent_id"]).await;
        assert_eq!(born[0]["name"], "Conformance Newborn", "{tag}");
        assert_eq!(born[0]["parent_id"], json!([co, "Conformance Co"]), "{tag}");

        let mut created: Vec<i64> = [one, many, newborn, by_sales].concat();
        created.sort_unstable();
        assert_eq!(self.api.unlink(admin, "res.partner", &created).await, Ok(true), "{tag}");
        assert!(self.read("res.partner", &created, &["name"]).await.is_empty(), "{tag}: gone");
        assert_eq!(self.count(admin, "res.partner", json!([])).await, before, "{tag}");
        assert_err!(tag, self.api.unlink(admin, "res.partner", &created).await, UpstreamError::MissingRecord(_));
    }
}

// ---------------------------------------------------------------- detection, JSON-2 on 17

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_detection_picks_json2_on_19_and_jsonrpc_on_17() {
    for (version, expected) in [(OdooVersion::V19, Protocol::Json2), (OdooVersion::V17, Protocol::JsonRpc)] {
        let sb = start(version, Duration::ZERO).await;
        let cfg = config(OdooProtocol::Auto, &sb.url(), sb.database(), Duration::from_secs(5));
        let api = connect(&cfg).await.unwrap_or_else(|e| panic!("connect to {version}: {e}"));
        assert_eq!(api.protocol(), expected, "{version}");
        let found = detect_version(&Transport::new(&cfg.transport).expect("transport")).await.expect("version");
        assert_eq!(found.major, version.major());
        // The detected client works end to end.
        let admin = sb.user("admin").expect("admin");
        let login = (expected != Protocol::Json2).then_some(admin.login.as_str());
        let user = api.authenticate(&key(&admin.key), login).await.expect("authenticate");
        assert_eq!(user.uid, admin.uid);
        // Explicit settings are obeyed without probing.
        for (protocol, wire) in [
            (OdooProtocol::Json2, Protocol::Json2),
            (OdooProtocol::Jsonrpc, Protocol::JsonRpc),
            (OdooProtocol::Xmlrpc, Protocol::XmlRpc),
        ] {
            let before = sb.total_requests();
            let explicit = connect(&UpstreamConfig { protocol, ..cfg.clone() }).await.expect("connect");
            assert_eq!(explicit.protocol(), wire);
            assert_eq!(sb.total_requests(), before, "no version probe for an explicit protocol");
        }
        sb.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json2_does_not_exist_on_17() {
    let sb = start(OdooVersion::V17, Duration::ZERO).await;
    let api = client(OdooProtocol::Json2, &sb.url(), sb.database(), Duration::from_secs(5));
    let admin = sb.user("admin").expect("admin");
    assert_err!("version", api.version().await, UpstreamError::BadResponse(_));
    assert_err!("whoami", api.authenticate(&key(&admin.key), None).await, UpstreamError::BadResponse(_));
    sb.shutdown().await;
}

// ---------------------------------------------------------------- transport failures

const ALL: [OdooProtocol; 3] = [OdooProtocol::Json2, OdooProtocol::Jsonrpc, OdooProtocol::Xmlrpc];

/// A sandbox slower than the client's timeout: Timeout after about the
/// timeout, never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_times_out_on_time() {
    let timeout = Duration::from_millis(300);
    let sb = start(OdooVersion::V19, Duration::from_secs(3)).await;
    let admin = sb.user("admin").expect("admin");
    let who = Identity { key: key(&admin.key), uid: admin.uid, company_ids: Vec::new() };
    for protocol in ALL {
        let api = client(protocol, &sb.url(), sb.database(), timeout);
        let started = Instant::now();
        let result = bounded(api.search_count(&who, "res.partner", &json!([]))).await;
        assert_eq!(result, Err(UpstreamError::Timeout(timeout)), "{protocol:?}");
        let took = started.elapsed();
        assert!(took >= timeout && took < timeout + Duration::from_secs(1), "{protocol:?} took {took:?}");
        assert_eq!(bounded(api.version()).await, Err(UpstreamError::Timeout(timeout)), "{protocol:?}");
    }
    let cfg = config(OdooProtocol::Auto, &sb.url(), sb.database(), timeout);
    assert_err!("auto", bounded(connect(&cfg)).await.map(|_| ()), UpstreamError::Timeout(_));
}

/// Nothing listens: Unreachable at once, from every client and from detection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_upstream_is_unreachable_quickly() {
    let url = format!("http://{}", closed_port());
    let who = Identity { key: key(BAD_KEY), uid: 2, company_ids: Vec::new() };
    for protocol in ALL {
        let api = client(protocol, &url, "conformance", Duration::from_secs(10));
        let started = Instant::now();
        assert_err!(
            format!("{protocol:?}"),
            bounded(api.search_count(&who, "res.partner", &json!([]))).await,
            UpstreamError::Unreachable(_)
        );
        assert_err!(
            format!("{protocol:?}"),
            bounded(api.authenticate(&key(BAD_KEY), Some("admin"))).await,
            UpstreamError::Unreachable(_)
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{protocol:?} took {:?}", started.elapsed());
    }
    let cfg = config(OdooProtocol::Auto, &url, "conformance", Duration::from_secs(10));
    assert_err!("auto", bounded(connect(&cfg)).await.map(|_| ()), UpstreamError::Unreachable(_));
}

/// Guards the test itself against a client that hangs.
async fn bounded<T>(call: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(Duration::from_secs(5), call).await.expect("the client hung")
}

/// A loopback port nobody listens on (bound, then released).
fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr")
}

// ---------------------------------------------------------------- helpers

/// The dataset the sandbox embeds, read from the same file.
struct Data(Json);

impl Data {
    fn load() -> Data {
        let text = std::fs::read_to_string(DATA).expect("assets/sandbox/data.json");
        Data(serde_json::from_str(&text).expect("data.json is JSON"))
    }

    fn all(&self, model: &str) -> Vec<&Json> {
        self.0["models"][model].as_array().map(|rows| rows.iter().collect()).unwrap_or_default()
    }

    fn get(&self, model: &str, id: i64) -> &Json {
        self.all(model).into_iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("{model} {id} in the dataset"))
    }

    /// The `name` of the record a many2one value points to.
    fn name_of(&self, model: &str, id: &Json) -> Option<String> {
        id.as_i64().and_then(|id| self.get(model, id)["name"].as_str().map(str::to_owned))
    }

    /// What a user of `companies` sees by default: active records without a
    /// company or of an allowed one (Odoo's active_test and company rule).
    fn visible(&self, model: &str, companies: &[i64]) -> Vec<&Json> {
        self.all(model)
            .into_iter()
            .filter(|r| r["active"] != false)
            .filter(|r| r["company_id"].as_i64().is_none_or(|c| companies.contains(&c)))
            .collect()
    }

    /// The `fields_get` schema the sandbox serves for this version.
    fn schema(&self, v19: bool) -> Json {
        let file = if v19 { "schema-19.json" } else { "schema-17.json" };
        let path = format!("{}/assets/sandbox/{file}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema is JSON")
    }
}

/// Real Odoo's `fields_get` answer for res.partner (JSON-RPC recording).
fn recorded_fields(v19: bool) -> Json {
    let dir = if v19 { "odoo-wire" } else { "odoo-wire-17" };
    let path = format!("{SHARED}/{dir}/jsonrpc/partner_fields_get.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let recording: Json = serde_json::from_str(&text).expect("recording is JSON");
    recording["response"]["body"]["result"].clone()
}

/// Real Odoo's error message in a recording, as the clients keep it
/// (trailing whitespace trimmed).
fn recorded_message(v19: bool, protocol: &str, name: &str) -> String {
    let dir = if v19 { "odoo-wire" } else { "odoo-wire-17" };
    let path = format!("{SHARED}/{dir}/{protocol}/{name}.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let recording: Json = serde_json::from_str(&text).expect("recording is JSON");
    let body = &recording["response"]["body"];
    let error = if protocol == "json2" { body } else { &body["error"]["data"] };
    error["message"].as_str().unwrap_or_else(|| panic!("{path} is no error")).trim_end().to_owned()
}

/// The text an error carries, without the kind's prefix.
fn message(e: &UpstreamError) -> String {
    match e {
        UpstreamError::AuthenticationFailed(m)
        | UpstreamError::AccessError(m)
        | UpstreamError::MissingRecord(m)
        | UpstreamError::Validation(m)
        | UpstreamError::UserError(m)
        | UpstreamError::UnknownModel(m)
        | UpstreamError::UnknownMethod(m)
        | UpstreamError::UnknownField(m)
        | UpstreamError::BadValue(m)
        | UpstreamError::BadRequest(m) => m.clone(),
        other => other.to_string(),
    }
}

fn key(text: &str) -> ApiKey {
    ApiKey::parse(text).expect("a well-formed key")
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

fn ids(rows: &[Record]) -> Vec<i64> {
    rows.iter().filter_map(|r| r.get("id").and_then(Json::as_i64)).collect()
}

fn ids_of(value: &Json) -> Vec<i64> {
    value.as_array().map(|a| a.iter().filter_map(Json::as_i64).collect()).unwrap_or_default()
}

/// Odoo's message, never its traceback or the caller's key.
fn assert_clean(tag: &str, e: &UpstreamError, secret: &str) {
    let text = e.to_string();
    assert!(!text.contains(secret), "{tag}: the key leaked: {text}");
    assert!(!text.contains("Traceback"), "{tag}: a traceback leaked: {text}");
}
