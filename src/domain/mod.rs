//! Odoo domains: the one parser and tree that the policy, the sandbox and the
//! admin validation share.
//!
//! A domain arrives either as JSON (`[["active", "=", true]]`, from clients
//! and Odoo's wire) or as the Python-literal text admins type for a record
//! filter (`[('active', '=', True)]`). Both become a [`Domain`]: a list of
//! terms in Odoo's prefix notation, checked for shape (leaf arity, known
//! operators, operator arity, field-path syntax) and convertible to a tree
//! ([`Expr`]) for evaluation and to JSON for the upstream call.

mod eval;
mod literal;

pub use eval::evaluate;
pub use literal::{LiteralError, parse_literal};

use serde_json::Value;
use std::fmt;

/// The comparison operators Odoo accepts in a leaf (Odoo 16–19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `=?`: true when the value is false/None, else `=`.
    EqOrUnset,
    In,
    NotIn,
    Like,
    Ilike,
    NotLike,
    NotIlike,
    EqLike,
    EqIlike,
    ChildOf,
    ParentOf,
    Any,
    NotAny,
}

impl Operator {
    pub const ALL: [Operator; 19] = [
        Operator::Eq,
        Operator::Ne,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::EqOrUnset,
        Operator::In,
        Operator::NotIn,
        Operator::Like,
        Operator::Ilike,
        Operator::NotLike,
        Operator::NotIlike,
        Operator::EqLike,
        Operator::EqIlike,
        Operator::ChildOf,
        Operator::ParentOf,
        Operator::Any,
        Operator::NotAny,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::EqOrUnset => "=?",
            Operator::In => "in",
            Operator::NotIn => "not in",
            Operator::Like => "like",
            Operator::Ilike => "ilike",
            Operator::NotLike => "not like",
            Operator::NotIlike => "not ilike",
            Operator::EqLike => "=like",
            Operator::EqIlike => "=ilike",
            Operator::ChildOf => "child_of",
            Operator::ParentOf => "parent_of",
            Operator::Any => "any",
            Operator::NotAny => "not any",
        }
    }

    /// Odoo lower-cases operators and still accepts `<>` for `!=`.
    pub fn parse(text: &str) -> Option<Operator> {
        let lowered = text.to_ascii_lowercase();
        if lowered == "<>" {
            return Some(Operator::Ne);
        }
        Operator::ALL.into_iter().find(|op| op.as_str() == lowered)
    }
}

/// One comparison: `(path, operator, value)`. `path` may be dotted
/// (`partner_id.country_id.code`), following relations.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub path: String,
    pub operator: Operator,
    /// For `any` / `not any` this is the sub-domain, already validated.
    pub value: Value,
}

impl Leaf {
    /// The path split at dots: the first element is a field of the model the
    /// domain applies to, each later one a field of the previous relation.
    pub fn path_parts(&self) -> impl Iterator<Item = &str> {
        self.path.split('.')
    }

    /// For `any` / `not any`: the sub-domain on the related model.
    pub fn sub_domain(&self) -> Option<Domain> {
        match self.operator {
            Operator::Any | Operator::NotAny => Domain::from_json(&self.value).ok(),
            _ => None,
        }
    }
}

/// One element of a domain in prefix notation.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    And,
    Or,
    Not,
    Leaf(Leaf),
    /// Odoo's `(1, '=', 1)`.
    True,
    /// Odoo's `(0, '=', 1)`.
    False,
}

/// A domain as a tree, for evaluation and for walking its leaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Leaf(Leaf),
    True,
    False,
}

/// A domain that is well formed: every leaf is a 3-element list with a known
/// operator and a valid field path, and the prefix operators have their operands.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Domain {
    terms: Vec<Term>,
}

/// Why a domain is not well formed. The message says what was wrong and what
/// is allowed, for admins and for AI clients alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DomainError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, DomainError> {
    Err(DomainError(message.into()))
}

/// Field names in Odoo are identifiers; dotted paths join them.
pub fn is_valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('.').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !part.starts_with(|c: char| c.is_ascii_digit())
        })
}

impl Domain {
    /// The empty domain: matches every record.
    pub fn empty() -> Domain {
        Domain::default()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn terms(&self) -> &[Term] {
        &self.terms
    }

    /// Parses the Python-literal text form (or JSON text).
    pub fn parse_text(text: &str) -> Result<Domain, DomainError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(Domain::empty());
        }
        let value =
            parse_literal(trimmed).map_err(|e| DomainError(format!("the domain is not a valid literal: {e}")))?;
        Domain::from_json(&value)
    }

    /// Parses the JSON form, as clients and Odoo's wire send it.
    pub fn from_json(value: &Value) -> Result<Domain, DomainError> {
        let Value::Array(items) = value else {
            return err(format!(
                "a domain must be a list of conditions such as [[\"name\", \"ilike\", \"acme\"]], got {}",
                describe_json(value)
            ));
        };
        let mut terms = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            terms.push(parse_term(item, index)?);
        }
        let domain = Domain { terms };
        domain.check_arity()?;
        Ok(domain)
    }

    /// The JSON form, as sent to Odoo.
    pub fn to_json(&self) -> Value {
        Value::Array(self.terms.iter().map(term_to_json).collect())
    }

    /// Odoo's implicit AND between consecutive top-level expressions means the
    /// prefix stack must reduce to at least one expression; each operator
    /// needs its operands.
    fn check_arity(&self) -> Result<(), DomainError> {
        let mut expected: i64 = 1;
        for term in &self.terms {
            if expected == 0 {
                // Implicit '&' between top-level expressions.
                expected = 1;
            }
            match term {
                Term::And | Term::Or => expected += 1,
                Term::Not => {}
                Term::Leaf(_) | Term::True | Term::False => expected -= 1,
            }
        }
        if !self.terms.is_empty() && expected != 0 {
            return err(
                "the domain's operators '&', '|' and '!' lack operands: '&' and '|' need two conditions after them, '!' needs one",
            );
        }
        Ok(())
    }

    /// The tree form. Consecutive top-level expressions are AND-ed, as Odoo does.
    pub fn to_expr(&self) -> Expr {
        if self.terms.is_empty() {
            return Expr::True;
        }
        let mut pos = 0;
        let mut top = Vec::new();
        while pos < self.terms.len() {
            top.push(build_expr(&self.terms, &mut pos));
        }
        if top.len() == 1 { top.pop().expect("one") } else { Expr::And(top) }
    }

    /// `self AND other`, in prefix notation.
    pub fn and(&self, other: &Domain) -> Domain {
        match (self.is_empty(), other.is_empty()) {
            (true, _) => other.clone(),
            (_, true) => self.clone(),
            _ => {
                let mut terms = Vec::with_capacity(self.terms.len() + other.terms.len() + 1);
                terms.push(Term::And);
                terms.extend(self.terms.iter().cloned());
                terms.extend(other.terms.iter().cloned());
                // An implicit-AND domain of several expressions must be wrapped
                // so that the leading '&' takes exactly two operands.
                Domain { terms: wrap_implicit_and(terms) }
            }
        }
    }

    /// The leaves at this level. Leaves inside `any` / `not any` sub-domains
    /// belong to the related model: see [`Leaf::sub_domain`].
    pub fn leaves(&self) -> impl Iterator<Item = &Leaf> {
        self.terms.iter().filter_map(|t| match t {
            Term::Leaf(leaf) => Some(leaf),
            _ => None,
        })
    }
}

/// Rebuilds `& A B` where A and B may each be several implicit-AND expressions.
fn wrap_implicit_and(terms: Vec<Term>) -> Vec<Term> {
    // Re-derive from trees: simplest correct approach.
    let domain = Domain { terms: terms[1..].to_vec() };
    let expr = domain.to_expr();
    let mut out = Vec::new();
    flatten_expr(&expr, &mut out);
    out
}

fn flatten_expr(expr: &Expr, out: &mut Vec<Term>) {
    match expr {
        Expr::And(items) | Expr::Or(items) => {
            let op = if matches!(expr, Expr::And(_)) { Term::And } else { Term::Or };
            for _ in 1..items.len() {
                out.push(op.clone());
            }
            for item in items {
                flatten_expr(item, out);
            }
        }
        Expr::Not(inner) => {
            out.push(Term::Not);
            flatten_expr(inner, out);
        }
        Expr::Leaf(leaf) => out.push(Term::Leaf(leaf.clone())),
        Expr::True => out.push(Term::True),
        Expr::False => out.push(Term::False),
    }
}

fn build_expr(terms: &[Term], pos: &mut usize) -> Expr {
    let term = &terms[*pos];
    *pos += 1;
    match term {
        Term::And | Term::Or => {
            let left = build_expr(terms, pos);
            let right = build_expr(terms, pos);
            let mut items = Vec::new();
            let is_and = matches!(term, Term::And);
            for side in [left, right] {
                match side {
                    Expr::And(inner) if is_and => items.extend(inner),
                    Expr::Or(inner) if !is_and => items.extend(inner),
                    other => items.push(other),
                }
            }
            if is_and { Expr::And(items) } else { Expr::Or(items) }
        }
        Term::Not => Expr::Not(Box::new(build_expr(terms, pos))),
        Term::Leaf(leaf) => Expr::Leaf(leaf.clone()),
        Term::True => Expr::True,
        Term::False => Expr::False,
    }
}

fn parse_term(item: &Value, index: usize) -> Result<Term, DomainError> {
    let position = index + 1;
    match item {
        Value::String(s) => match s.as_str() {
            "&" => Ok(Term::And),
            "|" => Ok(Term::Or),
            "!" => Ok(Term::Not),
            other => err(format!(
                "domain element {position} is the string {other:?}; only '&', '|' and '!' may stand alone, conditions are [field, operator, value]"
            )),
        },
        Value::Array(parts) => {
            if parts.len() != 3 {
                return err(format!(
                    "domain condition {position} has {} elements; a condition is [field, operator, value], e.g. [\"name\", \"ilike\", \"acme\"]",
                    parts.len()
                ));
            }
            let operator_text = parts[1].as_str().ok_or_else(|| {
                DomainError(format!("domain condition {position}: the operator must be a string such as \"=\""))
            })?;
            let Some(operator) = Operator::parse(operator_text) else {
                let allowed: Vec<&str> = Operator::ALL.iter().map(|op| op.as_str()).collect();
                return err(format!(
                    "domain condition {position}: unknown operator {operator_text:?}; allowed: {}",
                    allowed.join(", ")
                ));
            };
            // Odoo's TRUE_LEAF and FALSE_LEAF.
            if let Some(n) = parts[0].as_i64() {
                if operator == Operator::Eq && parts[2].as_i64() == Some(1) && (n == 0 || n == 1) {
                    return Ok(if n == 1 { Term::True } else { Term::False });
                }
                return err(format!("domain condition {position}: the field must be a name, got the number {n}"));
            }
            let Some(path) = parts[0].as_str() else {
                return err(format!(
                    "domain condition {position}: the field must be a name such as \"partner_id\" or \"partner_id.country_id\""
                ));
            };
            if !is_valid_path(path) {
                return err(format!(
                    "domain condition {position}: {path:?} is not a field name or dotted path of field names"
                ));
            }
            let value = parts[2].clone();
            match operator {
                Operator::In | Operator::NotIn if !value.is_array() => {
                    return err(format!(
                        "domain condition {position}: operator {:?} needs a list value, e.g. [\"{path}\", \"in\", [1, 2]]",
                        operator.as_str()
                    ));
                }
                Operator::Any | Operator::NotAny => {
                    Domain::from_json(&value).map_err(|e| {
                        DomainError(format!(
                            "domain condition {position}: the sub-domain of {:?} is invalid: {}",
                            operator.as_str(),
                            e.0
                        ))
                    })?;
                }
                Operator::Like
                | Operator::Ilike
                | Operator::NotLike
                | Operator::NotIlike
                | Operator::EqLike
                | Operator::EqIlike
                    if value.is_array() || value.is_object() =>
                {
                    return err(format!(
                        "domain condition {position}: operator {:?} needs a text value",
                        operator.as_str()
                    ));
                }
                _ if value.is_object() => {
                    return err(format!("domain condition {position}: a value cannot be an object"));
                }
                _ => {}
            }
            Ok(Term::Leaf(Leaf { path: path.to_string(), operator, value }))
        }
        other => err(format!(
            "domain element {position} is {}; each element is a condition [field, operator, value] or one of '&', '|', '!'",
            describe_json(other)
        )),
    }
}

impl Term {
    /// The JSON form of this one element, as Odoo takes it.
    pub fn to_json(&self) -> Value {
        term_to_json(self)
    }
}

fn term_to_json(term: &Term) -> Value {
    match term {
        Term::And => Value::from("&"),
        Term::Or => Value::from("|"),
        Term::Not => Value::from("!"),
        Term::True => serde_json::json!([1, "=", 1]),
        Term::False => serde_json::json!([0, "=", 1]),
        Term::Leaf(leaf) => serde_json::json!([leaf.path, leaf.operator.as_str(), leaf.value]),
    }
}

/// A short description of a JSON value's type, for error messages.
pub fn describe_json(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn leaf(path: &str, op: Operator, value: Value) -> Expr {
        Expr::Leaf(Leaf { path: path.into(), operator: op, value })
    }

    #[test]
    fn parses_text_and_json_to_the_same_domain() {
        let a = Domain::parse_text("['|', ('is_company', '=', True), ('name', 'ilike', 'acme')]").unwrap();
        let b = Domain::from_json(&json!(["|", ["is_company", "=", true], ["name", "ilike", "acme"]])).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            a.to_expr(),
            Expr::Or(vec![leaf("is_company", Operator::Eq, json!(true)), leaf("name", Operator::Ilike, json!("acme"))])
        );
    }

    #[test]
    fn implicit_and_of_top_level_terms() {
        let d = Domain::from_json(&json!([["a", "=", 1], ["b", "=", 2]])).unwrap();
        assert_eq!(d.to_expr(), Expr::And(vec![leaf("a", Operator::Eq, json!(1)), leaf("b", Operator::Eq, json!(2))]));
    }

    #[test]
    fn and_combines_multi_term_domains_correctly() {
        let user = Domain::from_json(&json!([["a", "=", 1], ["b", "=", 2]])).unwrap();
        let filter = Domain::from_json(&json!(["|", ["c", "=", 3], ["d", "=", 4]])).unwrap();
        let both = user.and(&filter);
        assert_eq!(
            both.to_expr(),
            Expr::And(vec![
                leaf("a", Operator::Eq, json!(1)),
                leaf("b", Operator::Eq, json!(2)),
                Expr::Or(vec![leaf("c", Operator::Eq, json!(3)), leaf("d", Operator::Eq, json!(4))]),
            ])
        );
        // Round trip through JSON keeps the meaning.
        assert_eq!(Domain::from_json(&both.to_json()).unwrap().to_expr(), both.to_expr());
        assert_eq!(Domain::empty().and(&filter), filter);
    }

    #[test]
    fn true_and_false_leaves() {
        let d = Domain::parse_text("[(1, '=', 1)]").unwrap();
        assert_eq!(d.to_expr(), Expr::True);
        assert_eq!(d.to_json(), json!([[1, "=", 1]]));
        assert_eq!(Domain::parse_text("[(0, '=', 1)]").unwrap().to_expr(), Expr::False);
    }

    #[test]
    fn every_operator_parses_and_round_trips() {
        for op in Operator::ALL {
            let value = match op {
                Operator::In | Operator::NotIn => json!([1, 2]),
                Operator::Any | Operator::NotAny => json!([["name", "=", "x"]]),
                _ => json!("x"),
            };
            let d = Domain::from_json(&json!([["f", op.as_str(), value]])).unwrap();
            assert_eq!(Domain::from_json(&d.to_json()).unwrap(), d, "{op:?}");
        }
        assert_eq!(Operator::parse("<>"), Some(Operator::Ne));
        assert_eq!(Operator::parse("ILIKE"), Some(Operator::Ilike));
    }

    #[test]
    fn malformed_domains_get_clear_errors() {
        let cases: &[(Value, &str)] = &[
            (json!("name"), "must be a list"),
            (json!([["name", "="]]), "has 2 elements"),
            (json!([["name", "~~", 1]]), "unknown operator \"~~\""),
            (json!([["name", 5, 1]]), "operator must be a string"),
            (json!(["&", ["a", "=", 1]]), "lack operands"),
            (json!(["|"]), "lack operands"),
            (json!(["x"]), "only '&', '|' and '!'"),
            (json!([42]), "is a number"),
            (json!([["a b", "=", 1]]), "not a field name"),
            (json!([["a..b", "=", 1]]), "not a field name"),
            (json!([["id", "in", 5]]), "needs a list"),
            (json!([["name", "ilike", [1]]]), "needs a text value"),
            (json!([["name", "=", {"a": 1}]]), "cannot be an object"),
            (json!([["partner_id", "any", [["x"]]]]), "sub-domain"),
            (json!([[7, "=", 1]]), "must be a name"),
        ];
        for (input, expected) in cases {
            let e = Domain::from_json(input).unwrap_err();
            assert!(e.0.contains(expected), "{input}: {e}");
        }
        assert!(Domain::parse_text("[('a', '=', foo)]").unwrap_err().0.contains("only constants"));
    }

    #[test]
    fn not_and_nesting() {
        let d = Domain::from_json(&json!(["!", "&", ["a", "=", 1], "|", ["b", "=", 2], ["c", "=", 3]])).unwrap();
        assert_eq!(
            d.to_expr(),
            Expr::Not(Box::new(Expr::And(vec![
                leaf("a", Operator::Eq, json!(1)),
                Expr::Or(vec![leaf("b", Operator::Eq, json!(2)), leaf("c", Operator::Eq, json!(3))]),
            ])))
        );
        assert_eq!(d.leaves().count(), 3);
    }
}
