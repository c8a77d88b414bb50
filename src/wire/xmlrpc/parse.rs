//! XML-RPC parsing: a small, depth-bounded element tree built from quick-xml
//! events, then read as a `methodCall` or `methodResponse`.
//!
//! Building a tree first keeps the XML-RPC rules (untyped `<value>` is a
//! string, whitespace between tags is insignificant, whitespace inside
//! `<string>` is not) in one simple recursive reader over owned data.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::{Fault, FaultCode, MAX_DEPTH, MethodCall, MethodResponse, Value, XmlRpcError};

/// Element depth allowed while building the tree: each value nesting level
/// costs three elements (`value`/`array`/`data`, `value`/`struct`/`member`),
/// plus the envelope (`methodResponse`/`params`/`param`).
const MAX_ELEMENT_DEPTH: usize = 3 * (MAX_DEPTH + 1) + 8;

struct Elem {
    name: String,
    children: Vec<Node>,
}

enum Node {
    Elem(Elem),
    Text(String),
}

fn structure(msg: impl Into<String>) -> XmlRpcError {
    XmlRpcError::Structure(msg.into())
}

fn xml_err(e: impl std::fmt::Display) -> XmlRpcError {
    let mut msg = e.to_string();
    msg.truncate(200);
    XmlRpcError::Xml(msg)
}

/// Parses the whole document into its root element.
fn build_tree(body: &str) -> Result<Elem, XmlRpcError> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;

    fn attach(stack: &mut [Elem], root: &mut Option<Elem>, el: Elem) -> Result<(), XmlRpcError> {
        match stack.last_mut() {
            Some(parent) => parent.children.push(Node::Elem(el)),
            None if root.is_none() => *root = Some(el),
            None => return Err(xml_err("more than one root element")),
        }
        Ok(())
    }
    fn push_text(stack: &mut [Elem], text: &str) -> Result<(), XmlRpcError> {
        match stack.last_mut() {
            Some(parent) => match parent.children.last_mut() {
                Some(Node::Text(t)) => t.push_str(text),
                _ => parent.children.push(Node::Text(text.to_owned())),
            },
            None if text.trim().is_empty() => {}
            None => return Err(xml_err("text outside the root element")),
        }
        Ok(())
    }

    loop {
        match reader.read_event().map_err(xml_err)? {
            Event::Start(e) => {
                if stack.len() >= MAX_ELEMENT_DEPTH {
                    return Err(XmlRpcError::TooDeep);
                }
                if stack.is_empty() && root.is_some() {
                    return Err(xml_err("more than one root element"));
                }
                let name = e.local_name().as_ref().to_owned();
                stack.push(Elem { name, children: Vec::new() });
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_owned();
                attach(&mut stack, &mut root, Elem { name, children: Vec::new() })?;
            }
            Event::End(_) => {
                let el = stack.pop().ok_or_else(|| xml_err("unexpected end tag"))?;
                attach(&mut stack, &mut root, el)?;
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => push_text(&mut stack, &c.xml10_content())?,
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(xml_err)? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name).ok_or_else(|| xml_err("unknown entity reference"))?.to_owned()
                    }
                };
                push_text(&mut stack, &resolved)?;
            }
            // No DTDs: XML-RPC never needs one, and refusing them rules out
            // entity-expansion tricks.
            Event::DocType(_) => return Err(xml_err("DOCTYPE is not allowed")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(xml_err("unclosed element at end of document"));
    }
    root.ok_or_else(|| xml_err("empty document"))
}

impl Elem {
    /// Child elements; text between them must be whitespace.
    fn elements(&self) -> Result<Vec<&Elem>, XmlRpcError> {
        let mut out = Vec::new();
        for child in &self.children {
            match child {
                Node::Elem(e) => out.push(e),
                Node::Text(t) if t.trim().is_empty() => {}
                Node::Text(_) => return Err(structure(format!("unexpected text in <{}>", self.name))),
            }
        }
        Ok(out)
    }

    /// Text content of a leaf element (empty for `<string/>`).
    fn text(&self) -> Result<String, XmlRpcError> {
        let mut out = String::new();
        for child in &self.children {
            match child {
                Node::Text(t) => out.push_str(t),
                Node::Elem(_) => return Err(structure(format!("<{}> must not contain elements", self.name))),
            }
        }
        Ok(out)
    }

    fn only_child(&self, name: &str) -> Result<&Elem, XmlRpcError> {
        match self.elements()?.as_slice() {
            [one] if one.name == name => Ok(one),
            _ => Err(structure(format!("<{}> must contain exactly one <{name}>", self.name))),
        }
    }
}

fn read_value(el: &Elem, depth: usize) -> Result<Value, XmlRpcError> {
    if depth > MAX_DEPTH {
        return Err(XmlRpcError::TooDeep);
    }
    if el.name != "value" {
        return Err(structure(format!("expected <value>, found <{}>", el.name)));
    }
    // Only text (or nothing): an untyped value is a string, spaces kept.
    if !el.children.iter().any(|c| matches!(c, Node::Elem(_))) {
        return Ok(Value::String(el.text()?));
    }
    match el.elements()?.as_slice() {
        [typed] => read_typed(typed, depth),
        _ => Err(structure("<value> must contain one type element")),
    }
}

fn read_typed(t: &Elem, depth: usize) -> Result<Value, XmlRpcError> {
    let bad = |kind: &str| structure(format!("invalid <{kind}> value"));
    Ok(match t.name.as_str() {
        "int" | "i4" | "i8" | "i1" | "i2" | "biginteger" => {
            Value::Int(t.text()?.trim().parse::<i64>().map_err(|_| bad(&t.name))?)
        }
        "boolean" => match t.text()?.trim() {
            "1" | "true" => Value::Bool(true),
            "0" | "false" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        "string" => Value::String(t.text()?),
        "double" | "float" | "bigdecimal" => Value::Double(t.text()?.trim().parse::<f64>().map_err(|_| bad(&t.name))?),
        "dateTime.iso8601" => Value::DateTime(t.text()?.trim().to_owned()),
        "base64" => Value::Base64(t.text()?.chars().filter(|c| !c.is_whitespace()).collect()),
        "nil" => Value::Nil,
        "array" => {
            let data = t.only_child("data")?;
            let items = data.elements()?;
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(read_value(item, depth + 1)?);
            }
            Value::Array(out)
        }
        "struct" => {
            let members = t.elements()?;
            let mut out = Vec::with_capacity(members.len());
            for m in members {
                if m.name != "member" {
                    return Err(structure(format!("unexpected <{}> in <struct>", m.name)));
                }
                let (mut name, mut value) = (None, None);
                for part in m.elements()? {
                    match part.name.as_str() {
                        "name" if name.is_none() => name = Some(part.text()?),
                        "value" if value.is_none() => value = Some(read_value(part, depth + 1)?),
                        other => return Err(structure(format!("unexpected <{other}> in <member>"))),
                    }
                }
                match (name, value) {
                    (Some(n), Some(v)) => out.push((n, v)),
                    _ => return Err(structure("<member> needs a <name> and a <value>")),
                }
            }
            Value::Struct(out)
        }
        other => return Err(structure(format!("unknown value type <{other}>"))),
    })
}

/// Parses a `methodCall` body (what the sandbox receives).
pub fn parse_call(body: &str) -> Result<MethodCall, XmlRpcError> {
    let root = build_tree(body)?;
    if root.name != "methodCall" {
        return Err(structure(format!("expected <methodCall>, found <{}>", root.name)));
    }
    let (mut method, mut params) = (None, Vec::new());
    for el in root.elements()? {
        match el.name.as_str() {
            "methodName" if method.is_none() => method = Some(el.text()?.trim().to_owned()),
            "params" => params = read_params(el)?,
            other => return Err(structure(format!("unexpected <{other}> in <methodCall>"))),
        }
    }
    let method = method.filter(|m| !m.is_empty()).ok_or_else(|| structure("missing <methodName>"))?;
    Ok(MethodCall { method, params })
}

fn read_params(el: &Elem) -> Result<Vec<Value>, XmlRpcError> {
    let mut params = Vec::new();
    for p in el.elements()? {
        if p.name != "param" {
            return Err(structure(format!("unexpected <{}> in <params>", p.name)));
        }
        params.push(read_value(p.only_child("value")?, 1)?);
    }
    Ok(params)
}

/// Parses a `methodResponse` body (what the client receives).
pub fn parse_response(body: &str) -> Result<MethodResponse, XmlRpcError> {
    let root = build_tree(body)?;
    if root.name != "methodResponse" {
        return Err(structure(format!("expected <methodResponse>, found <{}>", root.name)));
    }
    let body = match root.elements()?.as_slice() {
        [one] => *one,
        _ => return Err(structure("<methodResponse> must contain <params> or <fault>")),
    };
    match body.name.as_str() {
        "params" => {
            let mut params = read_params(body)?;
            if params.len() != 1 {
                return Err(structure("<params> of a response must hold exactly one value"));
            }
            Ok(MethodResponse::Success(params.remove(0)))
        }
        "fault" => {
            let v = read_value(body.only_child("value")?, 1)?;
            let code = match v.member("faultCode") {
                Some(Value::Int(i)) => FaultCode::Int(*i),
                Some(Value::String(s)) => FaultCode::Str(s.clone()),
                _ => return Err(structure("fault without an int or string faultCode")),
            };
            let string = match v.member("faultString") {
                Some(Value::String(s)) => s.clone(),
                None => String::new(),
                Some(_) => return Err(structure("faultString is not a string")),
            };
            Ok(MethodResponse::Fault(Fault { code, string }))
        }
        other => Err(structure(format!("unexpected <{other}> in <methodResponse>"))),
    }
}
