//! Odoo 19's JSON-2 API (`POST /json/2/<model>/<method>`): its error body and
//! the HTTP status Odoo gives each exception class.
//!
//! A success body is the bare result (no envelope); an error body is the same
//! `{name, message, arguments, context, debug}` object JSON-RPC puts under
//! `error.data`, so the type is shared.

pub use super::jsonrpc::ErrorData as ErrorBody;

/// The `WWW-Authenticate` value Odoo sends with a 401.
pub const WWW_AUTHENTICATE: &str = "Bearer ";

/// The request path of a JSON-2 call.
pub fn path(model: &str, method: &str) -> String {
    format!("/json/2/{model}/{method}")
}

/// The HTTP status Odoo 19 answers for an exception class (qualified name),
/// as recorded: 401 bad key, 403 AccessError, 404 MissingError / unknown
/// model or method, 422 UserError / ValidationError / argument binding, 400
/// unparsable JSON, 500 for the rest (ValueError, KeyError, TypeError,
/// psycopg2 errors and, oddly, RedirectWarning).
pub fn status_for(name: &str) -> u16 {
    match name {
        "werkzeug.exceptions.Unauthorized" | "odoo.exceptions.AccessDenied" => 401,
        "odoo.exceptions.AccessError" => 403,
        "odoo.exceptions.MissingError" | "werkzeug.exceptions.NotFound" => 404,
        "werkzeug.exceptions.BadRequest" => 400,
        "odoo.exceptions.UserError" | "odoo.exceptions.ValidationError" | "werkzeug.exceptions.UnprocessableEntity" => {
            422
        }
        _ => 500,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_error_statuses_match() {
        let dir = "/work/shared/odoo-wire/json2";
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut n = 0;
        for e in entries.flatten() {
            let text = std::fs::read_to_string(e.path()).expect("readable");
            let rec: serde_json::Value = serde_json::from_str(&text).expect("json");
            let status = rec["response"]["status"].as_u64().unwrap_or(0);
            let body = &rec["response"]["body"];
            if status >= 400 && body.is_object() {
                let err: ErrorBody = serde_json::from_value(body.clone()).expect("error body");
                assert_eq!(u64::from(status_for(&err.name)), status, "{}", e.path().display());
                n += 1;
            }
        }
        assert!(n > 30, "{n}");
    }
}
