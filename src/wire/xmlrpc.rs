//! XML-RPC codec: values, `methodCall` and `methodResponse`, both directions.
//!
//! Written on `quick-xml` rather than an XML-RPC crate: `xmlrpc` (0.15) is
//! client-only and unmaintained, `serde_xmlrpc` is an alpha, and `dxr` (0.9)
//! types `faultCode` as `i32`, so it cannot read the string fault codes of
//! Odoo's legacy `/xmlrpc/<service>` path; none of them bounds nesting depth
//! on untrusted input. The encoder writes the exact layout of Python's
//! `xmlrpc.client` marshaller (what Odoo and its clients emit), so recorded
//! exchanges re-encode byte for byte.

mod parse;
#[cfg(test)]
mod tests;

pub use parse::{parse_call, parse_response};

use serde_json::Value as Json;

/// Deepest value nesting accepted by the parser (arrays and structs count).
/// Odoo's deepest real payloads (domains, x2many commands) nest about 5 deep.
pub const MAX_DEPTH: usize = 64;

/// One XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<int>`, `<i4>`, `<i8>` (and the other integer spellings on input).
    Int(i64),
    Bool(bool),
    /// `<string>`, or `<value>` with no type tag.
    String(String),
    Double(f64),
    /// `<dateTime.iso8601>`, kept as its text: Odoo sends datetimes as strings
    /// anyway, so no calendar type is needed.
    DateTime(String),
    /// `<base64>`, kept encoded (whitespace removed): Odoo passes binaries as
    /// base64 strings on every API, so decoding would only be re-encoded.
    Base64(String),
    Array(Vec<Value>),
    /// Members in wire order (a duplicate name: the last one wins in JSON).
    Struct(Vec<(String, Value)>),
    Nil,
}

impl Value {
    /// The JSON form used by the rest of the crate (datetimes and base64 as strings).
    pub fn into_json(self) -> Json {
        match self {
            Value::Int(i) => Json::from(i),
            Value::Bool(b) => Json::Bool(b),
            Value::String(s) | Value::DateTime(s) | Value::Base64(s) => Json::String(s),
            Value::Double(f) => serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number),
            Value::Array(items) => Json::Array(items.into_iter().map(Value::into_json).collect()),
            Value::Struct(members) => {
                let mut map = serde_json::Map::with_capacity(members.len());
                for (k, v) in members {
                    map.insert(k, v.into_json());
                }
                Json::Object(map)
            }
            Value::Nil => Json::Null,
        }
    }

    /// From JSON: integers that fit i64 stay integers, other numbers become doubles.
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Nil,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::String(s.clone()),
            Json::Array(items) => Value::Array(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::Struct(map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }

    /// A struct member by name (the last one, as in a Python dict).
    pub fn member(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

impl From<&Json> for Value {
    fn from(json: &Json) -> Self {
        Value::from_json(json)
    }
}

impl From<Value> for Json {
    fn from(v: Value) -> Self {
        v.into_json()
    }
}

/// A `methodCall`: method name and positional params.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    pub method: String,
    pub params: Vec<Value>,
}

/// `faultCode`: an int on `/xmlrpc/2`, a string on Odoo's legacy `/xmlrpc`.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultCode {
    Int(i64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub code: FaultCode,
    pub string: String,
}

/// A `methodResponse`: exactly one result value, or a fault.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodResponse {
    Success(Value),
    Fault(Fault),
}

/// Which XML declaration a response carries. Requests always use Python's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Python's `xmlrpc.client.dumps`: `<?xml version='1.0'?>` (Odoo 16-18).
    Stdlib,
    /// Odoo 19's own wrapper: `<?xml version="1.0"?>` and a blank line before
    /// `</methodResponse>`.
    Odoo19,
}

/// Why a body could not be parsed. Messages never echo string contents (a
/// request body carries the API key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlRpcError {
    #[error("malformed XML: {0}")]
    Xml(String),
    #[error("not XML-RPC: {0}")]
    Structure(String),
    #[error("XML-RPC value nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// Encodes a call the way Python's `xmlrpc.client.dumps(params, method)` does.
pub fn encode_call(call: &MethodCall) -> String {
    let mut out = String::from("<?xml version='1.0'?>\n<methodCall>\n<methodName>");
    escape_into(&call.method, &mut out);
    out.push_str("</methodName>\n<params>\n");
    for p in &call.params {
        out.push_str("<param>\n");
        write_value(p, &mut out);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// Encodes a response in the layout of the given server dialect.
pub fn encode_response(resp: &MethodResponse, dialect: Dialect) -> String {
    let mut out = String::from(match dialect {
        Dialect::Stdlib => "<?xml version='1.0'?>\n<methodResponse>\n",
        Dialect::Odoo19 => "<?xml version=\"1.0\"?>\n<methodResponse>\n",
    });
    match resp {
        MethodResponse::Success(v) => {
            out.push_str("<params>\n<param>\n");
            write_value(v, &mut out);
            out.push_str("</param>\n</params>\n");
        }
        MethodResponse::Fault(f) => {
            let code = match &f.code {
                FaultCode::Int(i) => Value::Int(*i),
                FaultCode::Str(s) => Value::String(s.clone()),
            };
            let v = Value::Struct(vec![
                ("faultCode".into(), code),
                ("faultString".into(), Value::String(f.string.clone())),
            ]);
            out.push_str("<fault>\n");
            write_value(&v, &mut out);
            out.push_str("</fault>\n");
        }
    }
    if dialect == Dialect::Odoo19 {
        out.push('\n');
    }
    out.push_str("</methodResponse>\n");
    out
}

/// Writes one `<value>` in Python's marshaller layout.
fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Int(i) => {
            // Python refuses ints outside i32; `<i8>` is the common extension.
            let tag = if i32::try_from(*i).is_ok() { "int" } else { "i8" };
            out.push_str(&format!("<value><{tag}>{i}</{tag}></value>\n"));
        }
        Value::Bool(b) => out.push_str(if *b {
            "<value><boolean>1</boolean></value>\n"
        } else {
            "<value><boolean>0</boolean></value>\n"
        }),
        Value::String(s) => {
            out.push_str("<value><string>");
            escape_into(s, out);
            out.push_str("</string></value>\n");
        }
        Value::Double(f) => out.push_str(&format!("<value><double>{}</double></value>\n", py_float_repr(*f))),
        Value::DateTime(s) => {
            out.push_str("<value><dateTime.iso8601>");
            escape_into(s, out);
            out.push_str("</dateTime.iso8601></value>\n");
        }
        Value::Base64(s) => {
            // Python writes base64.encodebytes output: 76-char lines, each ended by \n.
            out.push_str("<value><base64>\n");
            for chunk in s.as_bytes().chunks(76) {
                out.push_str(&String::from_utf8_lossy(chunk));
                out.push('\n');
            }
            out.push_str("</base64></value>\n");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for item in items {
                write_value(item, out);
            }
            out.push_str("</data></array></value>\n");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (k, v) in members {
                out.push_str("<member>\n<name>");
                escape_into(k, out);
                out.push_str("</name>\n");
                write_value(v, out);
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
        // Python writes no newline after nil.
        Value::Nil => out.push_str("<value><nil/></value>"),
    }
}

/// Escapes text as Python does (`&`, `<`, `>`), plus `\r` so it survives XML
/// end-of-line normalisation. Characters XML 1.0 cannot carry at all (other
/// C0 controls) are dropped, as Odoo's own marshaller does.
fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, `.0` on integral
/// values, exponent as `e+16` / `e-05`. Rust's `{:?}` switches to exponent
/// form at the same thresholds, so only the exponent spelling differs.
fn py_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{f:?}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            let mantissa = mantissa.strip_suffix(".0").unwrap_or(mantissa);
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}
