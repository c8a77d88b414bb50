//! Odoo's RPC services (`common`, `db`, `object`) and the JSON-RPC transport
//! at `POST /jsonrpc`: always HTTP 200, errors in
//! `{"error": {"code": 0 (19) | 200 (17), "message": "Odoo Server Error", "data": {...}}}`.
//! The service dispatch here is shared with XML-RPC.

use super::error::{Kind, OdooError, OdooResult, type_error};
use super::methods::{Call, Proto};
use super::server::{HttpRequest, Resp, json_response};
use super::{OdooVersion, Shared};
use serde_json::{Map, Value, json};

/// Python's "missing N required positional argument(s): 'a', 'b', and 'c'".
fn missing_args(func: &str, names: &[&str]) -> OdooError {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    let list = match quoted.len() {
        1 => quoted[0].clone(),
        2 => format!("{} and {}", quoted[0], quoted[1]),
        _ => format!("{}, and {}", quoted[..quoted.len() - 1].join(", "), quoted[quoted.len() - 1]),
    };
    let plural = if names.len() == 1 { "argument" } else { "arguments" };
    type_error(format!("{func}() missing {} required positional {plural}: {list}", names.len()))
}

fn unknown_db(db: &str) -> OdooError {
    OdooError::new(
        Kind::OperationalError,
        format!("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"{db}\" does not exist\n"),
    )
}

fn check_db(shared: &Shared, db: &Value) -> OdooResult<()> {
    match db.as_str() {
        Some(name) if name == shared.database => Ok(()),
        Some(name) => Err(unknown_db(name)),
        None => Err(unknown_db(&db.to_string())),
    }
}

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or("")
}

/// `common.authenticate` / `common.login`: the uid, or false (never an error).
fn login(shared: &Shared, args: &[Value]) -> OdooResult<Value> {
    check_db(shared, args.first().unwrap_or(&Value::Null))?;
    let (user, password) = (text(args.get(1)), text(args.get(2)));
    let found = shared.schema.credentials.iter().find(|c| c.login == user && c.key == password);
    Ok(found.map_or(Value::Bool(false), |c| json!(c.uid)))
}

/// Dispatches `service.method(*args)` as Odoo's `dispatch_rpc` does.
pub fn dispatch(shared: &Shared, service: &str, method: &str, args: Vec<Value>) -> OdooResult<Value> {
    match service {
        "common" => match method {
            "version" => Ok(shared.version.version_dict()),
            "authenticate" | "login" => {
                let needed: &[&str] = if method == "login" {
                    &["db", "login", "password"]
                } else {
                    &["db", "login", "password", "user_agent_env"]
                };
                if args.len() < needed.len() {
                    return Err(missing_args(method, &needed[args.len()..]));
                }
                login(shared, &args)
            }
            "about" => Ok(json!("See http://openerp.com")),
            _ => Err(OdooError::new(Kind::Exception, format!("Method not found: {method}"))),
        },
        "db" => match method {
            "list" => Ok(json!([shared.database])),
            // Odoo: whether a connection to that database can be made.
            "db_exist" => Ok(json!(args.first().and_then(Value::as_str) == Some(shared.database.as_str()))),
            "server_version" => Ok(json!(shared.version.server_version())),
            _ => Err(OdooError::new(Kind::Exception, format!("Method not found: {method}"))),
        },
        "object" => match method {
            "execute_kw" | "execute" => object_call(shared, method, args),
            _ => Err(OdooError::new(Kind::Exception, format!("Method not found: {method}"))),
        },
        other => Err(OdooError::new(Kind::KeyError, other.to_string())),
    }
}

/// `object.execute_kw(db, uid, key, model, method, args, kwargs)` and the
/// legacy `object.execute(db, uid, key, model, method, *args)`.
fn object_call(shared: &Shared, method: &str, args: Vec<Value>) -> OdooResult<Value> {
    const NAMES: [&str; 6] = ["db", "uid", "passwd", "model", "method", "args"];
    let needed = if method == "execute_kw" { 6 } else { 5 };
    if args.len() < needed {
        return Err(match (shared.version, method) {
            (OdooVersion::V19, _) if args.len() < 5 => OdooError::new(
                Kind::ValueError,
                format!("not enough values to unpack (expected at least 5, got {})", args.len()),
            ),
            _ => missing_args(method, &NAMES[args.len()..needed]),
        });
    }
    let mut args = args.into_iter();
    let (db, uid, key) =
        (args.next().unwrap_or_default(), args.next().unwrap_or_default(), args.next().unwrap_or_default());
    let model = args.next().unwrap_or_default().as_str().unwrap_or("").to_string();
    let model_method = args.next().unwrap_or_default().as_str().unwrap_or("").to_string();
    check_db(shared, &db)?;
    shared.count(&model, &model_method);
    let cred = shared
        .by_key(key.as_str().unwrap_or(""))
        .filter(|c| uid.as_i64() == Some(c.uid))
        .ok_or_else(|| OdooError::new(Kind::AccessDenied, "Access Denied"))?;
    let (positional, mut kwargs) = if method == "execute_kw" {
        let positional = match args.next() {
            Some(Value::Array(items)) => items,
            Some(Value::Null) | None => vec![],
            Some(other) => {
                return Err(type_error(format!("argument after * must be an iterable, not {}", py_type(&other))));
            }
        };
        let kwargs = match args.next() {
            Some(Value::Object(map)) => map,
            Some(Value::Null) | Some(Value::Bool(false)) | None => Map::new(),
            Some(other) => {
                return Err(type_error(format!("argument after ** must be a mapping, not {}", py_type(&other))));
            }
        };
        (positional, kwargs)
    } else {
        (args.collect(), Map::new())
    };
    let context = match kwargs.remove("context") {
        Some(Value::Object(ctx)) => ctx,
        _ => Map::new(),
    };
    let call = Call { model, method: model_method, ids: None, positional, kwargs, context, proto: Proto::Rpc };
    shared.call(cred, call)
}

fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// The JSON-RPC error envelope's `error` member for this version.
pub fn error_member(version: OdooVersion, err: &OdooError) -> Value {
    let code = if version == OdooVersion::V19 { 0 } else { 200 };
    // Odoo 19 logs no traceback for a bad key: its debug is one line.
    let one_line = version == OdooVersion::V19 && err.kind == Kind::AccessDenied;
    json!({"code": code, "message": "Odoo Server Error", "data": err.data(one_line)})
}

pub fn handle(shared: &Shared, req: &HttpRequest) -> Resp {
    let envelope = |id: Value, result: OdooResult<Value>| match result {
        Ok(value) => json_response(200, &json!({"jsonrpc": "2.0", "id": id, "result": value})),
        Err(err) => {
            json_response(200, &json!({"jsonrpc": "2.0", "id": id, "error": error_member(shared.version, &err)}))
        }
    };
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            return envelope(Value::Null, Err(OdooError::new(Kind::BadRequest, format!("Invalid JSON data: {e}"))));
        }
    };
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let params = body.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
    let missing: Vec<&str> = ["service", "method", "args"].into_iter().filter(|k| !params.contains_key(*k)).collect();
    let is_envelope = body.get("jsonrpc").is_some() && body.get("method").is_some();
    if !missing.is_empty() || !is_envelope {
        let names = if missing.is_empty() { vec!["service", "method", "args"] } else { missing };
        let id = if is_envelope { id } else { Value::Null };
        return envelope(id, Err(missing_args("JSONRPC.jsonrpc", &names)));
    }
    let service = text(params.get("service")).to_string();
    let method = text(params.get("method")).to_string();
    let args = match params.get("args") {
        Some(Value::Array(items)) => items.clone(),
        _ => vec![],
    };
    envelope(id, dispatch(shared, &service, &method, args))
}
