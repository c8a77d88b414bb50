//! The access policy as a matrix, run literally through the three faces:
//! credential scope × resource operation flags (with the Read-Only
//! override) × field policy × record filter × company, each cell asked the
//! same five requests (search, read of an id outside the filter, create, update,
//! delete) over real HTTP on loopback as direct JSON-RPC, as REST and as an
//! MCP `tools/call`, against the sandbox.
//!
//! For every cell and request: the outcome is what the policy says
//! (computed here, independently of the gateway), the three faces agree on
//! it (same refusal class, same records), an id outside the filter reads
//! exactly as a missing id on each face, no answer holds a denied field,
//! a record outside the filter or another company's record, and a refused
//! write never reaches Odoo (the sandbox counts calls).

use crate::common::http;
use crate::common::inproc;

use alpenglow::config::{ApiKey, FieldPolicy, Operations, ResourceDraft, Scope};
use alpenglow::upstream::{Identity, OdooApi, SearchQuery};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

const MODEL: &str = "res.partner";
const FILTER: &str = "[('is_company', '=', True)]";
/// An id no partner has.
const MISSING_ID: i64 = 987_654;

/// What a face answered, reduced to what the faces must agree on.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok(Value),
    Denied,
    NotFound,
    Invalid,
    Other(String),
}

impl Outcome {
    fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// The records of an answer (search and read), else nothing.
    fn records(&self) -> Vec<Value> {
        match self {
            Outcome::Ok(v) => v.get("records").and_then(Value::as_array).cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// One of the five requests, as the operation and its parameters.
struct Ask {
    tool: &'static str,
    params: Value,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FaceKind {
    JsonRpc,
    Rest,
    Mcp,
}

const FACES: [FaceKind; 3] = [FaceKind::JsonRpc, FaceKind::Rest, FaceKind::Mcp];

fn ask(addr: SocketAddr, key: &str, face: FaceKind, ask: &Ask) -> Outcome {
    let auth = format!("Bearer {key}");
    match face {
        FaceKind::JsonRpc => {
            let reply = http::alpenglow_rpc(addr, key, ask.tool, ask.params.clone()).json();
            match reply.get("result") {
                Some(result) => Outcome::Ok(result.clone()),
                None => match reply["error"]["code"].as_i64() {
                    Some(-32002) => Outcome::Denied,
                    Some(-32003) => Outcome::NotFound,
                    Some(-32602) => Outcome::Invalid,
                    _ => Outcome::Other(reply.to_string()),
                },
            }
        }
        FaceKind::Rest => rest(addr, &auth, ask),
        FaceKind::Mcp => {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": ask.tool, "arguments": ask.params,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "policy-matrix", "version": "1"}
            }}});
            let headers = [
                ("Authorization", auth.as_str()),
                ("Accept", "application/json, text/event-stream"),
                ("MCP-Protocol-Version", "2026-07-28"),
                ("Mcp-Method", "tools/call"),
                ("Mcp-Name", ask.tool),
            ];
            let reply = http::post_json(addr, "/alpenglow/mcp", &headers, &body).json();
            let result = &reply["result"];
            let text = result["content"][0]["text"].as_str().unwrap_or_default();
            match result["isError"].as_bool() {
                Some(false) => Outcome::Ok(serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))),
                Some(true) if text.starts_with("Access denied") => Outcome::Denied,
                Some(true) if text.starts_with("Not found") => Outcome::NotFound,
                Some(true) if text.starts_with("Invalid arguments") => Outcome::Invalid,
                _ if reply["error"]["code"] == -32602 => Outcome::Invalid,
                _ => Outcome::Other(reply.to_string()),
            }
        }
    }
}

fn rest(addr: SocketAddr, auth: &str, ask: &Ask) -> Outcome {
    let p = &ask.params;
    let id = |p: &Value| p["ids"][0].as_i64().unwrap();
    let records = format!("/alpenglow/api/models/{MODEL}/records");
    let (method, path, body) = match ask.tool {
        "alpenglow_search" => {
            ("GET", format!("{records}?limit={}&order={}", p["limit"], p["order"].as_str().unwrap()), None)
        }
        "alpenglow_read" => ("GET", format!("{records}/{}", id(p)), None),
        "alpenglow_create" => ("POST", records, Some(json!({"values": p["values"]}))),
        "alpenglow_update" => ("PUT", format!("{records}/{}", id(p)), Some(json!({"values": p["values"]}))),
        "alpenglow_delete" => ("DELETE", format!("{records}/{}", id(p)), None),
        other => panic!("no REST route for {other}"),
    };
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Authorization", auth), ("Content-Type", "application/json")];
    let reply = http::request(addr, method, &path, &headers, body.as_bytes()).unwrap();
    match reply.status {
        200 | 201 => Outcome::Ok(reply.json()),
        403 => Outcome::Denied,
        404 => Outcome::NotFound,
        422 => Outcome::Invalid,
        status => Outcome::Other(format!("{status} {}", reply.text())),
    }
}

/// One resource configuration of the matrix.
#[derive(Debug, Clone)]
struct Cell {
    scope: Scope,
    credential_company: Option<u32>,
    read_only: bool,
    ops: Operations,
    fields: FieldPolicy,
    filtered: bool,
    resource_company: Option<u32>,
}

impl Cell {
    /// What the policy allows, from the rules as documented.
    fn expect(&self) -> Expected {
        // A credential without a company acts in its user's home company (1).
        let home = self.credential_company.unwrap_or(1);
        let visible = self.resource_company.is_none_or(|c| c == home);
        let ops = if self.read_only {
            Operations { create: false, write: false, delete: false, ..self.ops }
        } else {
            self.ops
        };
        let full = self.scope == Scope::Full;
        let read = visible && ops.read;
        Expected {
            search: read,
            create: visible
                && ops.create
                && full
                && self.fields.allows("name")
                && self.fields.allows("email")
                && !self.filtered,
            update: visible && ops.write && full && self.fields.allows("email"),
            delete: visible && ops.delete && full,
        }
    }
}

#[derive(Debug)]
struct Expected {
    search: bool,
    create: bool,
    update: bool,
    delete: bool,
}

fn cells() -> Vec<Cell> {
    let all = Operations { read: true, create: true, write: true, delete: true };
    let flags = [
        (false, all),
        (true, all),
        (false, Operations { read: true, create: true, write: false, delete: false }),
        (false, Operations { read: false, create: false, write: true, delete: true }),
    ];
    let field_policies = [
        FieldPolicy::All,
        FieldPolicy::Allowlist(vec!["name".into(), "email".into(), "is_company".into()]),
        FieldPolicy::Denylist(vec!["email".into()]),
    ];
    let mut cells = Vec::new();
    for scope in [Scope::Full, Scope::ReadOnly] {
        for credential_company in [None, Some(1)] {
            for (read_only, ops) in flags {
                for fields in &field_policies {
                    for filtered in [false, true] {
                        for resource_company in [None, Some(1), Some(2)] {
                            cells.push(Cell {
                                scope,
                                credential_company,
                                read_only,
                                ops,
                                fields: fields.clone(),
                                filtered,
                                resource_company,
                            });
                        }
                    }
                }
            }
        }
    }
    cells
}

struct World {
    runtime: tokio::runtime::Runtime,
    /// The gateway over a temp store and the sandbox (`inproc`).
    setup: inproc::Setup,
    addr: SocketAddr,
    oracle: Arc<dyn OdooApi>,
    root: Identity,
    key: String,
}

impl World {
    fn start() -> World {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (setup, oracle, addr) = runtime.block_on(async {
            let setup = inproc::setup().await;
            setup.admin.set_setting("rate_limiting", "off").unwrap();
            let oracle = inproc::client(&setup.sandbox).await;
            let addr = setup.serve(Vec::new()).await;
            (setup, oracle, addr)
        });
        let user = setup.sandbox.user("admin").unwrap();
        let root = Identity { key: ApiKey::parse(&user.key).unwrap(), uid: user.uid, company_ids: vec![1, 2] };
        World { runtime, setup, addr, oracle, root, key: user.key }
    }

    /// The caller's credential, replaced (revoke, create) when the scope or company changes.
    fn credential(&self, scope: Scope, company: Option<u32>) {
        for (c, _) in self.setup.admin.credentials().unwrap() {
            if c.revoked_at.is_none() {
                self.setup.admin.revoke_credential(c.id).unwrap();
            }
        }
        self.setup.credential("admin", scope, company);
    }

    /// The cell's resource on `res.partner`, replacing the last one.
    fn resource(&self, cell: &Cell) {
        let admin = &self.setup.admin;
        for r in admin.resources().unwrap() {
            admin.remove_resource(r.id).unwrap();
        }
        admin
            .add_resources(vec![ResourceDraft {
                model: MODEL.into(),
                company_id: cell.resource_company,
                read_only: cell.read_only,
                operations: cell.ops,
                field_policy: cell.fields.clone(),
                record_filter: if cell.filtered { FILTER.into() } else { String::new() },
                execute_methods: vec![],
                approvals: Default::default(),
            }])
            .unwrap();
    }

    /// A fresh company partner of company 1 (inside the filter), made as Odoo's admin.
    fn fresh_partner(&self, name: &str) -> i64 {
        let mut values = Map::new();
        values.insert("name".into(), json!(name));
        values.insert("is_company".into(), json!(true));
        values.insert("company_id".into(), json!(1));
        self.runtime.block_on(self.oracle.create(&self.root, MODEL, &[values])).unwrap()[0]
    }

    /// The ids among `ids` matching `domain`, as Odoo's admin sees them.
    fn matching(&self, ids: &[i64], domain: &str) -> Vec<i64> {
        let by_id = alpenglow::domain::Domain::from_json(&json!([["id", "in", ids]])).unwrap();
        let domain = by_id.and(&alpenglow::domain::Domain::parse_text(domain).unwrap());
        let query = SearchQuery { domain: domain.to_json(), order: Some("id".into()), ..Default::default() };
        self.runtime.block_on(self.oracle.search(&self.root, MODEL, &query)).unwrap()
    }

    fn count_named(&self, name: &str) -> u64 {
        let domain = json!([["name", "=", name]]);
        self.runtime.block_on(self.oracle.search_count(&self.root, MODEL, &domain)).unwrap()
    }

    fn writes(&self) -> u64 {
        ["create", "write", "unlink"].iter().map(|m| self.setup.sandbox.calls(MODEL, m)).sum()
    }
}

/// Checks one answer that should be allowed (or not), and returns it.
fn check(expected: bool, outcome: &Outcome, what: &str, cell: &Cell) {
    assert_eq!(
        outcome.is_ok(),
        expected,
        "{what}: expected {} for {cell:?}, got {outcome:?}",
        if expected { "success" } else { "a refusal" }
    );
    assert!(!matches!(outcome, Outcome::Other(_) | Outcome::Invalid), "{what}: {outcome:?} for {cell:?}");
}

/// `outcome` with `id` replaced by 0 wherever it is named as missing.
fn without_id(outcome: &Outcome, id: i64) -> Outcome {
    match outcome {
        Outcome::Ok(v) => {
            let mut v = v.clone();
            if let Some(missing) = v.get_mut("missing_ids").and_then(Value::as_array_mut) {
                missing.iter_mut().filter(|m| m.as_i64() == Some(id)).for_each(|m| *m = json!(0));
            }
            Outcome::Ok(v)
        }
        other => other.clone(),
    }
}

/// Answers reduced to their class and record ids, for messages.
fn brief(answers: &[Outcome]) -> Vec<String> {
    answers
        .iter()
        .map(|a| match a {
            Outcome::Ok(_) => format!("ok {:?}", a.records().iter().map(|r| r["id"].clone()).collect::<Vec<_>>()),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn the_policy_matrix_holds_on_every_face() {
    let w = World::start();
    // A person (not a company) of company 1: outside the record filter.
    let outside = w.runtime.block_on(w.oracle.search(
        &w.root,
        MODEL,
        &SearchQuery {
            domain: json!([["is_company", "=", false], ["company_id", "in", [1, false]]]),
            limit: Some(1),
            ..Default::default()
        },
    ));
    let outside = outside.unwrap()[0];
    let update_target = w.fresh_partner("Matrix update target");

    let mut last_credential = None;
    let (mut allowed, mut refused) = (0, 0);
    for (n, cell) in cells().into_iter().enumerate() {
        if last_credential != Some((cell.scope, cell.credential_company)) {
            w.credential(cell.scope, cell.credential_company);
            last_credential = Some((cell.scope, cell.credential_company));
        }
        w.resource(&cell);
        let expected = cell.expect();

        // search: the same records on every face, none with a denied field,
        // outside the filter or of company 2.
        let search = Ask { tool: "alpenglow_search", params: json!({"model": MODEL, "limit": 10, "order": "id"}) };
        let answers: Vec<Outcome> = FACES.iter().map(|f| ask(w.addr, &w.key, *f, &search)).collect();
        check(expected.search, &answers[0], "search", &cell);
        assert!(
            answers.iter().all(|a| *a == answers[0]),
            "faces disagree on search for {cell:?}: {:?}",
            brief(&answers)
        );
        let records = answers[0].records();
        let ids: Vec<i64> = records.iter().map(|r| r["id"].as_i64().unwrap()).collect();
        for record in &records {
            for field in record.as_object().unwrap().keys() {
                assert!(field == "id" || cell.fields.allows(field), "denied field {field} returned for {cell:?}");
            }
        }
        if cell.filtered && !ids.is_empty() {
            assert_eq!(w.matching(&ids, FILTER), ids, "a record outside the filter for {cell:?}");
        }
        if cell.credential_company == Some(1) && !ids.is_empty() {
            assert!(w.matching(&ids, "[('company_id', '=', 2)]").is_empty(), "company 2's records for {cell:?}");
        }

        // read of a record outside the filter: answered exactly as a missing
        // id (no hint it exists), on each face in that face's own shape.
        let read = |id: i64| Ask { tool: "alpenglow_read", params: json!({"model": MODEL, "ids": [id]}) };
        let outside_answers: Vec<Outcome> = FACES.iter().map(|f| ask(w.addr, &w.key, *f, &read(outside))).collect();
        for (face, answer) in FACES.iter().zip(&outside_answers) {
            if expected.search && cell.filtered {
                let missing = ask(w.addr, &w.key, *face, &read(MISSING_ID));
                assert_eq!(
                    without_id(answer, outside),
                    without_id(&missing, MISSING_ID),
                    "{face:?}: an id outside the filter must read as a missing one: {cell:?}"
                );
            } else {
                check(expected.search, answer, "read", &cell);
                let ids: Vec<i64> = answer.records().iter().map(|r| r["id"].as_i64().unwrap()).collect();
                assert_eq!(ids, if expected.search { vec![outside] } else { vec![] }, "{face:?} read for {cell:?}");
            }
        }
        if !expected.search {
            let b = brief(&outside_answers);
            assert!(
                outside_answers.iter().all(|a| *a == outside_answers[0]),
                "faces disagree on read for {cell:?}: {b:?}"
            );
        }

        // create, update and delete, once per face.
        for face in FACES {
            let name = format!("Matrix {n} {face:?}");
            let before = w.writes();
            let create = Ask {
                tool: "alpenglow_create",
                params: json!({"model": MODEL, "values": {"name": name, "email": "m@example.com"}}),
            };
            let created = ask(w.addr, &w.key, face, &create);
            check(expected.create, &created, "create", &cell);
            assert_eq!(
                w.count_named(&name),
                u64::from(expected.create),
                "{face:?} create left {name} behind: {cell:?}"
            );
            // Only a create that passed every other check reaches Odoo, to be undone by the filter check.
            let reached =
                expected.create || (cell.filtered && Cell { filtered: false, ..cell.clone() }.expect().create);
            if !reached {
                assert_eq!(w.writes(), before, "a refused create reached Odoo on {face:?}: {cell:?}");
            }

            let before = w.writes();
            let update = Ask {
                tool: "alpenglow_update",
                params: json!({"model": MODEL, "ids": [update_target], "values": {"email": format!("{n}@example.com")}}),
            };
            let updated = ask(w.addr, &w.key, face, &update);
            check(expected.update, &updated, "update", &cell);
            if !expected.update {
                assert_eq!(w.writes(), before, "a refused update reached Odoo on {face:?}: {cell:?}");
            }

            let target = w.fresh_partner(&format!("Matrix delete {n} {face:?}"));
            let before = w.writes();
            let delete = Ask { tool: "alpenglow_delete", params: json!({"model": MODEL, "ids": [target]}) };
            let deleted = ask(w.addr, &w.key, face, &delete);
            check(expected.delete, &deleted, "delete", &cell);
            if !expected.delete {
                assert_eq!(w.writes(), before, "a refused delete reached Odoo on {face:?}: {cell:?}");
            }
            for outcome in [&created, &updated, &deleted] {
                if outcome.is_ok() { allowed += 1 } else { refused += 1 }
            }
        }
    }
    // The matrix exercises both sides of every rule.
    assert!(allowed > 100 && refused > 100, "allowed {allowed}, refused {refused}");
}
