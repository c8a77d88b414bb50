//! Odoo 19's JSON-2 API: `POST /json/2/<model>/<method>` with a bearer API
//! key and named arguments; the bare result, or an error object
//! `{name, message, arguments, context, debug}` with the status code of its
//! exception class (401 with `WWW-Authenticate: Bearer `, 403, 404, 422,
//! 400, 500) and the two HTML answers (unknown database 404, non-JSON 415).

use super::Shared;
use super::error::{Kind, OdooError};
use super::methods::{Call, Proto};
use super::server::{HTML, HttpRequest, NO_DATABASE_PAGE, Resp, UNSUPPORTED_MEDIA_PAGE, json_response, response};
use hyper::Method;
use serde_json::{Map, Value};

fn error_response(err: &OdooError) -> Resp {
    let mut resp = json_response(err.json2_status(), &err.data(false));
    if err.kind == Kind::Unauthorized
        && let Ok(value) = "Bearer ".parse()
    {
        resp.headers_mut().insert(hyper::header::WWW_AUTHENTICATE, value);
    }
    resp
}

fn unauthorized(message: &str) -> Resp {
    error_response(&OdooError::new(Kind::Unauthorized, message))
}

pub fn handle(shared: &Shared, req: &HttpRequest) -> Resp {
    let segments: Vec<&str> = req.path.trim_start_matches("/json/2").split('/').filter(|s| !s.is_empty()).collect();
    let (model, method) = match (segments.as_slice(), &req.method) {
        ([model, method], &Method::POST) => (*model, *method),
        _ => return error_response(&OdooError::new(Kind::NotFound, "Did you mean POST /json/2/<model>/<method>?")),
    };
    let content_type = req.header("content-type").unwrap_or("");
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return response(415, HTML, UNSUPPORTED_MEDIA_PAGE);
    }
    // One database: no header falls back to it (Odoo's monodb), another name is unknown.
    if let Some(db) = req.header("x-odoo-database").or_else(|| req.query_param("db"))
        && db != shared.database
    {
        return response(404, HTML, NO_DATABASE_PAGE);
    }
    shared.count(model, method);
    let authorization = req.header("authorization").unwrap_or("").trim();
    let key = match authorization.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") && !key.trim().is_empty() => key.trim(),
        _ => return unauthorized("User not authenticated, use an API Key with a Bearer Authorization header."),
    };
    let Some(cred) = shared.by_key(key) else {
        return unauthorized("Invalid apikey");
    };
    let body: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) if req.body.iter().all(u8::is_ascii_whitespace) => Value::Object(Map::new()),
        Err(e) => {
            return error_response(&OdooError::new(Kind::BadRequest, format!("could not parse the body as json: {e}")));
        }
    };
    // A body that is not an object (e.g. an array) counts as no arguments, as in Odoo.
    let mut kwargs = match body {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let ids = kwargs.remove("ids");
    let context = match kwargs.remove("context") {
        Some(Value::Object(ctx)) => ctx,
        _ => Map::new(),
    };
    let call = Call {
        model: model.to_string(),
        method: method.to_string(),
        ids,
        positional: vec![],
        kwargs,
        context,
        proto: Proto::Json2,
    };
    match shared.call(cred, call) {
        Ok(value) => json_response(200, &value),
        Err(err) => error_response(&err),
    }
}
