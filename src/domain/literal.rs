//! A reader for the Python-literal form of Odoo domains, as admins type them
//! in Odoo's UI: `[('active', '=', True), '|', ('x', 'in', (1, 2))]`.
//!
//! It accepts the literal subset Odoo's `safe_eval` sees in record-rule and
//! filter domains (lists, tuples, strings, numbers, `True`/`False`/`None`) and
//! JSON's `true`/`false`/`null`, and produces a `serde_json::Value` so that
//! the one domain parser in `domain` handles both the JSON and the text form.
//! Tuples become arrays. Anything else (names, calls, `context_today()`) is
//! refused with the byte offset, because a record filter must be a constant.

use serde_json::{Number, Value};

/// Why a literal could not be read, with the byte offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiteralError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for LiteralError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at character {}", self.message, self.offset + 1)
    }
}

/// Reads one literal that spans the whole input (surrounding whitespace allowed).
pub fn parse_literal(text: &str) -> Result<Value, LiteralError> {
    let mut reader = Reader { src: text.as_bytes(), text, pos: 0, depth: 0 };
    let value = reader.value()?;
    reader.skip_ws();
    if reader.pos != reader.src.len() {
        return Err(reader.error("unexpected text after the end of the domain"));
    }
    Ok(value)
}

/// Nesting deeper than this is refused: no real domain needs it, and it keeps
/// the recursive reader safe from stack exhaustion on hostile input.
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> LiteralError {
        LiteralError { offset: self.pos, message: message.to_string() }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn value(&mut self) -> Result<Value, LiteralError> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("the domain ends too early")),
            Some(b'[') => self.sequence(b']'),
            Some(b'(') => self.sequence(b')'),
            Some(q @ (b'\'' | b'"')) => self.string(q).map(Value::String),
            Some(c) if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn sequence(&mut self, close: u8) -> Result<Value, LiteralError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("the domain is nested too deeply"));
        }
        self.pos += 1; // opening bracket
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) {
                self.pos += 1;
                break;
            }
            items.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error("a list or tuple is not closed")),
                Some(_) => return Err(self.error("expected ',' or the end of the list or tuple")),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn string(&mut self, quote: u8) -> Result<String, LiteralError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("a string is not closed"));
            };
            if c == quote {
                self.pos += 1;
                return Ok(out);
            }
            if c == b'\\' {
                self.pos += 1;
                let escaped = match self.peek() {
                    Some(b'n') => '\n',
                    Some(b't') => '\t',
                    Some(b'r') => '\r',
                    Some(b'0') => '\0',
                    Some(b'\\') => '\\',
                    Some(b'\'') => '\'',
                    Some(b'"') => '"',
                    _ => return Err(self.error("unsupported escape in a string")),
                };
                out.push(escaped);
                self.pos += 1;
                continue;
            }
            // Copy one whole UTF-8 character.
            let rest = &self.text[self.pos..];
            let ch = rest.chars().next().expect("inside the text");
            out.push(ch);
            self.pos += ch.len_utf8();
        }
    }

    fn number(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'_') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let raw: String = self.text[start..self.pos].chars().filter(|c| *c != '_').collect();
        if let Ok(int) = raw.parse::<i64>() {
            return Ok(Value::Number(int.into()));
        }
        match raw.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => {
                self.pos = start;
                Err(self.error("not a valid number"))
            }
        }
    }

    fn word(&mut self) -> Result<Value, LiteralError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        match &self.text[start..self.pos] {
            "True" | "true" => Ok(Value::Bool(true)),
            "False" | "false" => Ok(Value::Bool(false)),
            "None" | "null" => Ok(Value::Null),
            _ => {
                self.pos = start;
                Err(self.error("only constants are allowed (strings, numbers, True, False, None, lists and tuples)"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_python_and_json_forms_alike() {
        let py = parse_literal("[('active', '=', True), '|', (\"a\", 'in', (1, -2.5)), ('x','=',None)]").unwrap();
        assert_eq!(py, json!([["active", "=", true], "|", ["a", "in", [1, -2.5]], ["x", "=", null]]));
        let js = parse_literal(r#"[["active", "=", true]]"#).unwrap();
        assert_eq!(js, json!([["active", "=", true]]));
    }

    #[test]
    fn keeps_unicode_and_escapes() {
        assert_eq!(parse_literal(r"['Zürich \'HQ\'']").unwrap(), json!(["Zürich 'HQ'"]));
    }

    #[test]
    fn refuses_non_constants_with_position() {
        let err = parse_literal("[('date', '>', context_today())]").unwrap_err();
        assert_eq!(err.offset, 15);
        assert!(err.message.contains("only constants"));
    }

    #[test]
    fn refuses_unclosed_and_trailing() {
        assert!(parse_literal("[('a', '=', 1)").unwrap_err().message.contains("not closed"));
        assert!(parse_literal("[] x").unwrap_err().message.contains("after the end"));
        assert!(parse_literal("['abc").unwrap_err().message.contains("string is not closed"));
        assert!(parse_literal("").is_err());
    }

    #[test]
    fn refuses_deep_nesting() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse_literal(&deep).unwrap_err().message.contains("too deeply"));
    }
}
