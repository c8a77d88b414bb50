//! Odoo's JSON-RPC envelope (`/jsonrpc`, `/web/...` "call" routes), both ways.
//!
//! Request: `{"jsonrpc":"2.0","method":"call","params":{service, method, args},"id"}`.
//! Response: `{"jsonrpc":"2.0","id", "result"}` or `{"jsonrpc":"2.0","id","error":
//! {code, message, data:{name, message, arguments, context, debug}}}`. Odoo
//! answers HTTP 200 either way; `code` is 0 on 19, 200 on 16-18, 100 for an
//! expired session.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// `error.code` Odoo 19 uses for every server error.
pub const CODE_SERVER_ERROR_19: i64 = 0;
/// `error.code` Odoo 16-18 use for server errors.
pub const CODE_SERVER_ERROR_LEGACY: i64 = 200;
/// `error.code` of `odoo.http.SessionExpiredException`.
pub const CODE_SESSION_EXPIRED: i64 = 100;

/// A JSON-RPC request; `P` is `CallParams` on `/jsonrpc`, any object on `/web` routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request<P = CallParams> {
    pub jsonrpc: String,
    pub method: String,
    pub params: P,
    #[serde(default)]
    pub id: Json,
}

/// The params of a `/jsonrpc` call: a service (`common`, `object`, `db`),
/// one of its methods and positional args.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallParams {
    pub service: String,
    pub method: String,
    #[serde(default)]
    pub args: Vec<Json>,
}

impl<P> Request<P> {
    /// A `"method": "call"` request, the only method Odoo's routes use.
    pub fn call(params: P, id: impl Into<Json>) -> Self {
        Request { jsonrpc: "2.0".into(), method: "call".into(), params, id: id.into() }
    }
}

/// `error.data`: the Python exception. Some errors (session expired) omit
/// everything but `name` and `debug`, hence the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ErrorData {
    /// Qualified exception class, e.g. `odoo.exceptions.AccessError`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub arguments: Vec<Json>,
    #[serde(default)]
    pub context: Map<String, Json>,
    /// The server traceback: for logs at most, never shown to callers.
    #[serde(default)]
    pub debug: String,
}

impl ErrorData {
    /// The exception class without its module (`AccessError`).
    pub fn short_name(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorObject {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ErrorData>,
}

/// A response is a result or an error. `result: null` is a real result (a
/// method returning `None`), so this is not two `Option`s.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Result(Json),
    Error(ErrorObject),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: Json,
    pub outcome: Outcome,
}

impl Response {
    /// Serialises in Odoo's key order (`jsonrpc`, `id`, then `result`/`error`).
    pub fn to_json(&self) -> Json {
        let mut map = Map::new();
        map.insert("jsonrpc".into(), Json::from("2.0"));
        map.insert("id".into(), self.id.clone());
        match &self.outcome {
            Outcome::Result(r) => map.insert("result".into(), r.clone()),
            Outcome::Error(e) => map.insert("error".into(), serde_json::to_value(e).unwrap_or(Json::Null)),
        };
        Json::Object(map)
    }

    /// Reads a response envelope; `Err` says what is missing.
    pub fn from_json(json: Json) -> Result<Self, String> {
        let Json::Object(mut map) = json else {
            return Err("JSON-RPC response is not an object".into());
        };
        let id = map.remove("id").unwrap_or(Json::Null);
        if let Some(err) = map.remove("error") {
            let error: ErrorObject =
                serde_json::from_value(err).map_err(|e| format!("malformed JSON-RPC error object: {e}"))?;
            return Ok(Response { id, outcome: Outcome::Error(error) });
        }
        match map.remove("result") {
            Some(result) => Ok(Response { id, outcome: Outcome::Result(result) }),
            None => Err("JSON-RPC response has neither result nor error".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn each_recording(mut f: impl FnMut(&str, &Json)) {
        for dir in ["/work/shared/odoo-wire/jsonrpc", "/work/shared/odoo-wire-17/jsonrpc"] {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for e in entries.flatten() {
                let text = std::fs::read_to_string(e.path()).expect("readable");
                let rec: Json = serde_json::from_str(&text).expect("json");
                f(&e.path().display().to_string(), &rec);
            }
        }
    }

    #[test]
    fn recorded_envelopes_round_trip() {
        let mut n = 0;
        each_recording(|name, rec| {
            n += 1;
            let req = &rec["request"]["body"];
            if req.get("jsonrpc").is_some() {
                let parsed: Request = serde_json::from_value(req.clone()).expect(name);
                assert_eq!(serde_json::to_value(&parsed).expect("ser"), *req, "{name}");
            }
            let body = rec["response"]["body"].clone();
            let resp = Response::from_json(body.clone()).expect(name);
            if let Outcome::Error(e) = &resp.outcome {
                assert!([0, 200].contains(&e.code), "{name}");
                let data = e.data.as_ref().expect("data");
                assert!(data.name.contains('.'), "{name}");
            }
            assert_eq!(resp.to_json(), body, "{name}");
        });
        assert!(n > 100);
    }

    #[test]
    fn null_result_is_a_result() {
        let r = Response::from_json(serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": null})).expect("ok");
        assert_eq!(r.outcome, Outcome::Result(Json::Null));
        assert!(Response::from_json(serde_json::json!({"jsonrpc": "2.0", "id": 1})).is_err());
    }
}
