#![allow(dead_code)]
//! The attack rig: the gateway in process over a temp store, pointed at an
//! in-process sandbox, served over real HTTP on loopback; one call asked on
//! the three faces (direct JSON-RPC, REST, MCP `tools/call`) and answered
//! as one comparable [`Outcome`] each; and the sandbox's ground truth (call
//! counters, Odoo's own answers as its admin).

use crate::common::http;
use crate::common::inproc::{self, Setup};
use alpenglow::config::{ApiKey, Scope};
use alpenglow::sandbox::OdooVersion;
use alpenglow::upstream::{Identity, OdooApi};
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceKind {
    JsonRpc,
    Rest,
    Mcp,
}

pub const FACES: [FaceKind; 3] = [FaceKind::JsonRpc, FaceKind::Rest, FaceKind::Mcp];

/// What a face answered: the class of the answer and its message (a
/// face's own prefix removed), or the result.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok(Value),
    /// HTTP 401 on any face.
    Unauthenticated(String),
    Denied(String),
    NotFound(String),
    Invalid(String),
    Other(String),
}

impl Outcome {
    /// The result; panics with the refusal otherwise.
    pub fn ok(&self) -> &Value {
        match self {
            Outcome::Ok(v) => v,
            other => panic!("expected a result, got {other:?}"),
        }
    }

    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// The refusal's class and message; panics on a result.
    pub fn refusal(&self) -> (&'static str, &str) {
        match self {
            Outcome::Unauthenticated(m) => ("unauthenticated", m),
            Outcome::Denied(m) => ("denied", m),
            Outcome::NotFound(m) => ("not_found", m),
            Outcome::Invalid(m) => ("invalid", m),
            Outcome::Other(m) => ("other", m),
            Outcome::Ok(v) => panic!("expected a refusal, got {v}"),
        }
    }

    /// The message or result as text, to search for what must not leak.
    pub fn text(&self) -> String {
        match self {
            Outcome::Ok(v) => v.to_string(),
            Outcome::Unauthenticated(m)
            | Outcome::Denied(m)
            | Outcome::NotFound(m)
            | Outcome::Invalid(m)
            | Outcome::Other(m) => m.clone(),
        }
    }
}

pub struct Rig {
    pub rt: tokio::runtime::Runtime,
    pub s: Setup,
    pub addr: SocketAddr,
    oracle: Arc<dyn OdooApi>,
    root: Identity,
}

impl Rig {
    /// Odoo 19, `res.partner` registered with the defaults, rate limiting off,
    /// a full credential for the sandbox's admin (company-less).
    pub fn new() -> Rig {
        Rig::on(OdooVersion::V19)
    }

    pub fn on(version: OdooVersion) -> Rig {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (s, addr, oracle) = rt.block_on(async {
            let s = inproc::setup_on(version).await;
            s.admin.set_setting("rate_limiting", "off").unwrap();
            let addr = s.serve(Vec::new()).await;
            let oracle = inproc::client(&s.sandbox).await;
            (s, addr, oracle)
        });
        s.credential("admin", Scope::Full, None);
        let user = s.sandbox.user("admin").unwrap();
        let root = Identity { key: ApiKey::parse(&user.key).unwrap(), uid: user.uid, company_ids: vec![1, 2] };
        Rig { rt, s, addr, oracle, root }
    }

    pub fn key(&self, role: &str) -> String {
        self.s.sandbox.user(role).unwrap().key
    }

    /// One call on one face, as `role`'s key.
    pub fn ask(&self, role: &str, face: FaceKind, tool: &str, params: &Value) -> Outcome {
        self.ask_as(&format!("Bearer {}", self.key(role)), face, tool, params)
    }

    /// One call on one face with this `Authorization` header.
    pub fn ask_as(&self, auth: &str, face: FaceKind, tool: &str, params: &Value) -> Outcome {
        match face {
            FaceKind::JsonRpc => jsonrpc(self.addr, auth, tool, params),
            FaceKind::Rest => rest(self.addr, auth, tool, params),
            FaceKind::Mcp => mcp(self.addr, auth, tool, params),
        }
    }

    /// The same call on the three faces.
    pub fn all(&self, role: &str, tool: &str, params: Value) -> Vec<(FaceKind, Outcome)> {
        FACES.iter().map(|face| (*face, self.ask(role, *face, tool, &params))).collect()
    }

    /// Calls per (model, method) that reached the sandbox.
    pub fn calls(&self, model: &str, method: &str) -> u64 {
        self.s.sandbox.calls(model, method)
    }

    /// Odoo's truth: a model method called as the sandbox's admin (both
    /// companies), with no policy in between.
    pub fn truth(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let args: Vec<Value> = serde_json::from_value(args).unwrap();
        let kwargs: Map<String, Value> = serde_json::from_value(kwargs).unwrap();
        self.rt.block_on(self.oracle.call_method(&self.root, model, method, None, args, kwargs)).unwrap()
    }

    /// Writes values in Odoo as its admin (to set a scene up).
    pub fn truth_write(&self, model: &str, ids: &[i64], values: Value) {
        self.truth(model, "write", json!([ids, values]), json!({}));
    }

    /// Record ids matching `domain` in Odoo, archived ones included.
    pub fn truth_ids(&self, model: &str, domain: Value) -> Vec<i64> {
        let found = self.truth(model, "search", json!([domain]), json!({"context": {"active_test": false}}));
        serde_json::from_value(found).unwrap()
    }

    /// Field values of one record in Odoo.
    pub fn truth_read(&self, model: &str, id: i64, fields: &[&str]) -> Value {
        self.truth(model, "read", json!([[id], fields]), json!({}))[0].clone()
    }
}

fn unauthenticated(reply: &http::HttpResponse) -> Option<Outcome> {
    (reply.status == 401).then(|| Outcome::Unauthenticated(reply.text()))
}

fn jsonrpc(addr: SocketAddr, auth: &str, tool: &str, params: &Value) -> Outcome {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": tool, "params": params});
    let reply = http::post_json(addr, "/alpenglow/mcp", &[("Authorization", auth)], &body);
    if let Some(refused) = unauthenticated(&reply) {
        return refused;
    }
    let reply = reply.json();
    if let Some(result) = reply.get("result") {
        return Outcome::Ok(result.clone());
    }
    let message = reply["error"]["message"].as_str().unwrap_or_default().to_string();
    match reply["error"]["code"].as_i64() {
        Some(-32002) => Outcome::Denied(message),
        Some(-32003) => Outcome::NotFound(message),
        Some(-32602) => Outcome::Invalid(message),
        _ => Outcome::Other(reply.to_string()),
    }
}

fn rest(addr: SocketAddr, auth: &str, tool: &str, params: &Value) -> Outcome {
    let model = params["model"].as_str().unwrap_or_default();
    let records = format!("/alpenglow/api/models/{model}/records");
    let one_id = |p: &Value| match &p["ids"] {
        Value::Array(ids) => {
            assert_eq!(ids.len(), 1, "REST names one record at a time: {p}");
            ids[0].clone()
        }
        id => id.clone(),
    };
    let without = |names: &[&str]| {
        let mut body = params.as_object().cloned().unwrap_or_default();
        for name in names {
            body.remove(*name);
        }
        Some(Value::Object(body))
    };
    let (method, path, body) = match tool {
        "alpenglow_search" => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in params.as_object().unwrap() {
                match k.as_str() {
                    "model" => {}
                    "order" => {
                        query.append_pair(k, v.as_str().unwrap());
                    }
                    _ => {
                        query.append_pair(k, &v.to_string());
                    }
                }
            }
            ("GET", format!("{records}?{}", query.finish()), None)
        }
        "alpenglow_list_models" => ("GET", "/alpenglow/api/models".to_string(), None),
        "alpenglow_describe" => ("GET", format!("/alpenglow/api/models/{model}/schema"), None),
        "alpenglow_read" => ("GET", format!("{records}/{}", one_id(params)), None),
        "alpenglow_create" => ("POST", records, Some(json!({"values": params["values"]}))),
        "alpenglow_update" => {
            ("PUT", format!("{records}/{}", one_id(params)), Some(json!({"values": params["values"]})))
        }
        "alpenglow_delete" => ("DELETE", format!("{records}/{}", one_id(params)), None),
        "alpenglow_aggregate" => ("POST", format!("/alpenglow/api/models/{model}/aggregate"), without(&["model"])),
        "alpenglow_execute" => {
            let method = params["method"].as_str().unwrap();
            ("POST", format!("/alpenglow/api/models/{model}/execute/{method}"), without(&["model", "method"]))
        }
        other => panic!("no REST route for {other}"),
    };
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("Authorization", auth), ("Content-Type", "application/json")];
    let reply = http::request(addr, method, &path, &headers, body.as_bytes()).unwrap();
    if let Some(refused) = unauthenticated(&reply) {
        return refused;
    }
    let message = || reply.json()["error"]["message"].as_str().unwrap_or_default().to_string();
    match reply.status {
        200 | 201 => Outcome::Ok(reply.json()),
        403 => Outcome::Denied(message()),
        404 => Outcome::NotFound(message()),
        422 => Outcome::Invalid(message()),
        status => Outcome::Other(format!("{status} {}", reply.text())),
    }
}

fn mcp(addr: SocketAddr, auth: &str, tool: &str, params: &Value) -> Outcome {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
    "name": tool, "arguments": params,
    "_meta": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "boundary", "version": "1"}
    }}});
    let headers = [
        ("Authorization", auth),
        ("Accept", "application/json, text/event-stream"),
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tools/call"),
        ("Mcp-Name", tool),
    ];
    let reply = http::post_json(addr, "/alpenglow/mcp", &headers, &body);
    if let Some(refused) = unauthenticated(&reply) {
        return refused;
    }
    let reply = reply.json();
    let result = &reply["result"];
    let text = result["content"][0]["text"].as_str().unwrap_or_default();
    // The face adds advice after the message: keep the message alone.
    let message = |prefix: &str| {
        let rest = text.strip_prefix(prefix).unwrap_or(text);
        rest.split(". Your key is not allowed")
            .next()
            .and_then(|m| m.split(". Check the model name").next())
            .and_then(|m| m.split(". Correct the arguments").next())
            .unwrap_or(rest)
            .to_string()
    };
    match result["isError"].as_bool() {
        Some(false) => Outcome::Ok(serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))),
        Some(true) if text.starts_with("Access denied: ") => Outcome::Denied(message("Access denied: ")),
        Some(true) if text.starts_with("Not found: ") => Outcome::NotFound(message("Not found: ")),
        Some(true) if text.starts_with("Invalid arguments: ") => Outcome::Invalid(message("Invalid arguments: ")),
        _ => Outcome::Other(reply.to_string()),
    }
}

/// Asserts every face refused with `class` and a message containing `needle`.
pub fn refused_everywhere(answers: &[(FaceKind, Outcome)], class: &str, needle: &str) {
    for (face, answer) in answers {
        let (got, message) = answer.refusal();
        assert_eq!(got, class, "{face:?}: {answer:?}");
        assert!(message.contains(needle), "{face:?}: expected {needle:?} in {message:?}");
    }
}

/// The result of each face; panics if any refused.
pub fn results(answers: &[(FaceKind, Outcome)]) -> Vec<Value> {
    answers.iter().map(|(face, a)| a.ok_on(*face).clone()).collect()
}

impl Outcome {
    fn ok_on(&self, face: FaceKind) -> &Value {
        match self {
            Outcome::Ok(v) => v,
            other => panic!("{face:?}: expected a result, got {other:?}"),
        }
    }
}
