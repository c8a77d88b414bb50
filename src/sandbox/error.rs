//! Odoo's exceptions as the sandbox raises them, and how each protocol shows
//! them: JSON-2 status code, JSON-RPC `error.data`, XML-RPC fault code.
//!
//! The classes and messages follow the recordings in `shared/odoo-wire*`; the
//! `debug` text is a short made-up traceback (real Odoo sends its own).

use serde_json::{Value, json};

/// The exception classes Odoo raises over RPC that the sandbox reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AccessError,
    AccessDenied,
    MissingError,
    UserError,
    ValidationError,
    RedirectWarning,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    AssertionError,
    Exception,
    OperationalError,
    InvalidTextRepresentation,
    /// werkzeug HTTP exceptions (JSON-2 routing and argument binding).
    NotFound,
    UnprocessableEntity,
    BadRequest,
    Unauthorized,
}

impl Kind {
    /// The qualified class name Odoo puts in `name`.
    pub fn class(self) -> &'static str {
        match self {
            Kind::AccessError => "odoo.exceptions.AccessError",
            Kind::AccessDenied => "odoo.exceptions.AccessDenied",
            Kind::MissingError => "odoo.exceptions.MissingError",
            Kind::UserError => "odoo.exceptions.UserError",
            Kind::ValidationError => "odoo.exceptions.ValidationError",
            Kind::RedirectWarning => "odoo.exceptions.RedirectWarning",
            Kind::ValueError => "builtins.ValueError",
            Kind::TypeError => "builtins.TypeError",
            Kind::KeyError => "builtins.KeyError",
            Kind::AttributeError => "builtins.AttributeError",
            Kind::AssertionError => "builtins.AssertionError",
            Kind::Exception => "builtins.Exception",
            Kind::OperationalError => "psycopg2.OperationalError",
            Kind::InvalidTextRepresentation => "psycopg2.errors.InvalidTextRepresentation",
            Kind::NotFound => "werkzeug.exceptions.NotFound",
            Kind::UnprocessableEntity => "werkzeug.exceptions.UnprocessableEntity",
            Kind::BadRequest => "werkzeug.exceptions.BadRequest",
            Kind::Unauthorized => "werkzeug.exceptions.Unauthorized",
        }
    }

    fn short(self) -> &'static str {
        self.class().rsplit('.').next().unwrap_or("Exception")
    }

    fn werkzeug_status(self) -> Option<u16> {
        match self {
            Kind::NotFound => Some(404),
            Kind::UnprocessableEntity => Some(422),
            Kind::BadRequest => Some(400),
            Kind::Unauthorized => Some(401),
            _ => None,
        }
    }
}

/// One raised exception.
#[derive(Debug, Clone, PartialEq)]
pub struct OdooError {
    pub kind: Kind,
    pub message: String,
    /// RedirectWarning's action dict (its second argument).
    pub action: Option<Value>,
}

pub type OdooResult<T> = Result<T, OdooError>;

impl OdooError {
    pub fn new(kind: Kind, message: impl Into<String>) -> OdooError {
        OdooError { kind, message: message.into(), action: None }
    }

    /// Odoo's `arguments`: werkzeug errors carry the status, RedirectWarning
    /// its action and button text.
    pub fn arguments(&self) -> Value {
        if let Some(status) = self.kind.werkzeug_status() {
            return json!([self.message, status]);
        }
        match (&self.kind, &self.action) {
            (Kind::RedirectWarning, Some(action)) => json!([self.message, action, "Go to users", null]),
            _ => json!([self.message]),
        }
    }

    /// The message as `str(exception)` renders it (RedirectWarning joins its args).
    pub fn text(&self) -> String {
        match (&self.kind, &self.action) {
            (Kind::RedirectWarning, Some(action)) => {
                format!("{}\n{}\nGo to users\nNone", self.message, py_repr(action))
            }
            _ => self.message.clone(),
        }
    }

    pub fn traceback(&self) -> String {
        let shown = match self.kind.werkzeug_status() {
            Some(status) => format!("{status} {}: {}", reason(status), self.message),
            None if self.kind == Kind::KeyError => py_repr(&Value::String(self.message.clone())),
            None => self.text(),
        };
        format!(
            "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/service/model.py\", line 1, in sandbox\n    raise {}\n{}: {}\n",
            self.kind.short(),
            self.kind.class().trim_start_matches("builtins."),
            shown
        )
    }

    /// The `{name, message, arguments, context, debug}` object of JSON-2 and JSON-RPC.
    pub fn data(&self, one_line_debug: bool) -> Value {
        let debug =
            if one_line_debug { format!("{}: {}\n", self.kind.class(), self.message) } else { self.traceback() };
        json!({
            "name": self.kind.class(),
            "message": self.text(),
            "arguments": self.arguments(),
            "context": {},
            "debug": debug,
        })
    }

    /// JSON-2's status code for this exception class.
    pub fn json2_status(&self) -> u16 {
        if let Some(status) = self.kind.werkzeug_status() {
            return status;
        }
        match self.kind {
            Kind::AccessError => 403,
            Kind::AccessDenied => 401,
            Kind::MissingError => 404,
            Kind::UserError | Kind::ValidationError => 422,
            _ => 500,
        }
    }

    /// The int fault code on `/xmlrpc/2` and its faultString.
    pub fn xmlrpc_fault(&self) -> (i64, String) {
        match self.kind {
            Kind::UserError | Kind::ValidationError | Kind::MissingError | Kind::RedirectWarning => (2, self.text()),
            Kind::AccessDenied => (3, self.message.clone()),
            Kind::AccessError => (4, self.message.clone()),
            _ => (1, self.traceback()),
        }
    }

    /// The string fault code and faultString of the legacy `/xmlrpc/<service>` path.
    pub fn legacy_fault(&self) -> (String, String) {
        match self.kind {
            Kind::RedirectWarning => ("warning -- Warning\n\n".to_string() + &self.text(), String::new()),
            Kind::MissingError => (format!("warning -- MissingError\n\n{}", self.message), String::new()),
            Kind::AccessError => (format!("warning -- AccessError\n\n{}", self.message), String::new()),
            Kind::AccessDenied => ("AccessDenied".to_string(), self.message.clone()),
            Kind::UserError | Kind::ValidationError => {
                (format!("warning -- Warning\n\n{}", self.message), String::new())
            }
            _ => (self.message.clone(), self.traceback()),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        _ => "Error",
    }
}

/// Shorthands for the common classes.
pub fn access(message: impl Into<String>) -> OdooError {
    OdooError::new(Kind::AccessError, message)
}
pub fn value_error(message: impl Into<String>) -> OdooError {
    OdooError::new(Kind::ValueError, message)
}
pub fn type_error(message: impl Into<String>) -> OdooError {
    OdooError::new(Kind::TypeError, message)
}
pub fn user_error(message: impl Into<String>) -> OdooError {
    OdooError::new(Kind::UserError, message)
}
pub fn validation(message: impl Into<String>) -> OdooError {
    OdooError::new(Kind::ValidationError, message)
}

/// `Record does not exist or has been deleted.` for these ids.
pub fn missing(model: &str, ids: &[i64], uid: i64) -> OdooError {
    OdooError::new(
        Kind::MissingError,
        format!("Record does not exist or has been deleted.\n(Record: {model}{}, User: {uid})", py_tuple(ids)),
    )
}

/// Python's repr of a tuple of ints: `(7,)`, `(1, 2)`.
pub fn py_tuple(ids: &[i64]) -> String {
    match ids {
        [one] => format!("({one},)"),
        _ => format!("({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// Python's `repr()` of a JSON value, for messages that quote the input.
pub fn py_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
            let mut out = String::from(quote);
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    c if c == quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    c => out.push(c),
                }
            }
            out.push(quote);
            out
        }
        Value::Array(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{}: {}", py_repr(&Value::String(k.clone())), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A domain leaf as Odoo quotes it: `('name', '~~', 'a')`.
pub fn leaf_repr(items: &[Value]) -> String {
    format!("({})", items.iter().map(py_repr).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr(&json!(["name", "ilike"])), "['name', 'ilike']");
        assert_eq!(leaf_repr(&[json!("a"), json!("="), json!(false)]), "('a', '=', False)");
        assert_eq!(py_repr(&json!("it's")), "\"it's\"");
        assert_eq!(py_tuple(&[7]), "(7,)");
        assert_eq!(py_tuple(&[1, 2]), "(1, 2)");
    }

    #[test]
    fn status_and_fault_codes() {
        assert_eq!(access("x").json2_status(), 403);
        assert_eq!(access("x").xmlrpc_fault().0, 4);
        assert_eq!(user_error("x").json2_status(), 422);
        assert_eq!(value_error("x").json2_status(), 500);
        assert_eq!(value_error("x").xmlrpc_fault().0, 1);
        assert_eq!(missing("res.partner", &[9], 2).xmlrpc_fault().0, 2);
        assert_eq!(OdooError::new(Kind::NotFound, "x").arguments(), json!(["x", 404]));
    }
}
