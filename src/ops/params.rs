//! Reading operation parameters out of JSON with errors that name the
//! parameter, what was given and what is allowed. Every operation's `parse`
//! goes through these, so a type error reads the same on every face.

use crate::domain::{Domain, describe_json};
use crate::vocab::OpError;
use serde_json::{Map, Value};

/// The parameters object of one call, with the names it may carry.
pub struct Params<'a> {
    operation: &'static str,
    map: Map<String, Value>,
    _source: &'a Value,
}

fn invalid(message: String) -> OpError {
    OpError::Invalid(message)
}

impl<'a> Params<'a> {
    /// Accepts an object (or null / absent as no parameters) and refuses names
    /// outside `allowed`, so a typo is reported instead of silently ignored.
    pub fn new(operation: &'static str, source: &'a Value, allowed: &[&str]) -> Result<Params<'a>, OpError> {
        let map = match source {
            Value::Object(map) => map.clone(),
            Value::Null => Map::new(),
            other => {
                return Err(invalid(format!(
                    "{operation}: parameters must be an object of named arguments, got {}",
                    describe_json(other)
                )));
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(invalid(format!(
                "{operation}: unknown parameter {unknown:?}; allowed: {}",
                if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
            )));
        }
        Ok(Params { operation, map, _source: source })
    }

    fn present(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &str, got: &Value) -> OpError {
        invalid(format!("{}: {name} must be {expected}, got {}", self.operation, describe_json(got)))
    }

    pub fn has(&self, name: &str) -> bool {
        self.present(name).is_some()
    }

    pub fn require_string(&self, name: &str) -> Result<String, OpError> {
        self.string(name)?.ok_or_else(|| invalid(format!("{}: {name} is required", self.operation)))
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, OpError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_string())),
            Some(Value::String(_)) => Err(invalid(format!("{}: {name} cannot be empty", self.operation))),
            Some(other) => Err(self.wrong(name, "a string", other)),
        }
    }

    /// A boolean flag, false when absent.
    pub fn flag(&self, name: &str) -> Result<bool, OpError> {
        match self.present(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(self.wrong(name, "true or false", other)),
        }
    }

    /// A non-negative whole number.
    pub fn count(&self, name: &str) -> Result<Option<u64>, OpError> {
        match self.present(name) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| self.wrong(name, "a whole number ≥ 0", v)),
        }
    }

    pub fn string_list(&self, name: &str) -> Result<Option<Vec<String>>, OpError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) if !s.is_empty() => Ok(s.clone()),
                    other => Err(self.wrong(&format!("each entry of {name}"), "a non-empty string", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.wrong(name, "a list of strings", other)),
        }
    }

    /// A string or a list of strings (e.g. `groupby`).
    pub fn one_or_many_strings(&self, name: &str) -> Result<Option<Vec<String>>, OpError> {
        match self.present(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(vec![s.trim().to_string()])),
            Some(Value::Array(_)) => self.string_list(name),
            None => Ok(None),
            Some(other) => Err(self.wrong(name, "a string or a list of strings", other)),
        }
    }

    /// `ids`: one positive integer or a list of them (never a string).
    pub fn ids(&self, name: &str) -> Result<Vec<i64>, OpError> {
        let positive = |v: &Value| v.as_i64().filter(|n| *n > 0);
        match self.present(name) {
            None => Err(invalid(format!("{}: {name} is required (a record id or a list of ids)", self.operation))),
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(invalid(format!("{}: {name} is empty; give at least one record id", self.operation)));
                }
                // Linear: a 1 MiB body holds ~150,000 ids, and a quadratic
                // de-duplication of those would pin a worker for seconds.
                let mut out = Vec::with_capacity(items.len());
                let mut seen = std::collections::HashSet::with_capacity(items.len());
                for item in items {
                    let id = positive(item)
                        .ok_or_else(|| self.wrong(&format!("each entry of {name}"), "a positive integer id", item))?;
                    if seen.insert(id) {
                        out.push(id);
                    }
                }
                Ok(out)
            }
            Some(v) => positive(v)
                .map(|id| vec![id])
                .ok_or_else(|| self.wrong(name, "a positive integer id or a list of ids", v)),
        }
    }

    pub fn domain(&self, name: &str) -> Result<Domain, OpError> {
        match self.present(name) {
            None => Ok(Domain::empty()),
            Some(v) => Domain::from_json(v).map_err(|e| invalid(format!("{}: {name}: {e}", self.operation))),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<Map<String, Value>>, OpError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(other) => Err(self.wrong(name, "an object", other)),
        }
    }

    pub fn list(&self, name: &str) -> Result<Option<Vec<Value>>, OpError> {
        match self.present(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items.clone())),
            Some(other) => Err(self.wrong(name, "a list", other)),
        }
    }

    /// `values` for create: one object, or a non-empty list of objects.
    pub fn values_list(&self, name: &str) -> Result<Vec<Map<String, Value>>, OpError> {
        match self.present(name) {
            None => Err(invalid(format!(
                "{}: {name} is required (an object of field values, or a list of them)",
                self.operation
            ))),
            Some(Value::Object(map)) => Ok(vec![map.clone()]),
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::Object(map) => Ok(map.clone()),
                    other => Err(self.wrong(&format!("each entry of {name}"), "an object of field values", other)),
                })
                .collect(),
            Some(Value::Array(_)) => Err(invalid(format!("{}: {name} is an empty list", self.operation))),
            Some(other) => Err(self.wrong(name, "an object of field values or a list of them", other)),
        }
    }

    /// Refuses a parameter that this variant of the operation does not use.
    pub fn refuse_unless(&self, name: &str, allowed: bool, when: &str) -> Result<(), OpError> {
        if self.has(name) && !allowed {
            return Err(invalid(format!("{}: {name} is not used {when}", self.operation)));
        }
        Ok(())
    }
}

/// Model names as Odoo writes them; anything else cannot name a resource.
pub fn model_name(operation: &'static str, params: &Params<'_>) -> Result<String, OpError> {
    let model = params.require_string("model")?;
    crate::config::resource::validate_model_name(&model)
        .map_err(|_| invalid(format!("{operation}: {model:?} is not a model name such as res.partner")))?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_keep_their_first_order_without_duplicates() {
        let raw = json!({"ids": [3, 1, 3, 2, 1, 3]});
        let p = Params::new("alpenglow_read", &raw, &["ids"]).unwrap();
        assert_eq!(p.ids("ids").unwrap(), [3, 1, 2]);
        // Many ids: every one kept once, in order (linear time: see the
        // auth_policy bench for the figure).
        let many: Vec<i64> = (1..=50_000).chain(1..=50_000).collect();
        let raw = json!({ "ids": many });
        let p = Params::new("alpenglow_read", &raw, &["ids"]).unwrap();
        assert_eq!(p.ids("ids").unwrap(), (1..=50_000).collect::<Vec<i64>>());
    }
}
