//! Reading the `args` object of a request: typed getters whose messages name
//! the argument, and the resource permission patch shared by `resources.add`
//! and `resources.edit` (a missing key keeps the current value).

use super::{ApiError, ApiResult};
use crate::config::{FieldPolicy, Operations, ResourceDraft};
use serde_json::{Map, Value};

/// The `args` of one request.
pub struct Args<'a> {
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Args<'a> {
    pub fn new(value: &'a Value) -> ApiResult<Args<'a>> {
        match value {
            Value::Object(map) => Ok(Args { map: Some(map) }),
            Value::Null => Ok(Args { map: None }),
            _ => Err(ApiError::invalid("args must be a JSON object")),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key))
    }

    pub fn opt_str(&self, key: &str) -> ApiResult<Option<&'a str>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(ApiError::invalid(format!("{key} must be a string"))),
        }
    }

    pub fn str(&self, key: &str) -> ApiResult<&'a str> {
        self.opt_str(key)?.ok_or_else(|| ApiError::invalid(format!("{key} is required")))
    }

    pub fn opt_u64(&self, key: &str) -> ApiResult<Option<u64>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| ApiError::invalid(format!("{key} must be a whole number"))),
        }
    }

    pub fn u64(&self, key: &str) -> ApiResult<u64> {
        self.opt_u64(key)?.ok_or_else(|| ApiError::invalid(format!("{key} is required")))
    }

    pub fn opt_u32(&self, key: &str) -> ApiResult<Option<u32>> {
        self.opt_u64(key)?
            .map(|n| u32::try_from(n).map_err(|_| ApiError::invalid(format!("{key} is too large"))))
            .transpose()
    }

    pub fn opt_bool(&self, key: &str) -> ApiResult<Option<bool>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::invalid(format!("{key} must be true or false"))),
        }
    }

    pub fn opt_strings(&self, key: &str) -> ApiResult<Option<Vec<String>>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| ApiError::invalid(format!("{key} must be a list of strings"))),
            Some(_) => Err(ApiError::invalid(format!("{key} must be a list of strings"))),
        }
    }

    /// The company argument: absent keeps, `null` means all companies.
    pub fn company(&self, key: &str) -> ApiResult<Option<Option<u32>>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(_) => Ok(Some(self.opt_u32(key)?)),
        }
    }

    /// The object under `key`, or an empty one.
    pub fn object(&self, key: &str) -> ApiResult<&'a Value> {
        static EMPTY: Value = Value::Null;
        match self.get(key) {
            None | Some(Value::Null) => Ok(&EMPTY),
            Some(v @ Value::Object(_)) => Ok(v),
            Some(_) => Err(ApiError::invalid(format!("{key} must be an object"))),
        }
    }
}

/// Applies a permission patch (`company_id`, `read_only`, `ops`,
/// `field_policy` + `fields`, `record_filter`, `execute_methods`) on top of
/// `draft`. Validation of the result is the draft's own.
pub fn apply_patch(patch: &Args<'_>, draft: &mut ResourceDraft) -> ApiResult<()> {
    if let Some(company) = patch.company("company_id")? {
        draft.company_id = company;
    }
    if let Some(read_only) = patch.opt_bool("read_only")? {
        draft.read_only = read_only;
    }
    if let Some(ops) = patch.opt_str("ops")? {
        draft.operations = Operations::parse(ops).map_err(ApiError::invalid)?;
    }
    if let Some(policy) = patch.opt_str("field_policy")? {
        let fields = patch.opt_strings("fields")?.unwrap_or_default();
        draft.field_policy = match policy {
            "all" => FieldPolicy::All,
            "allowlist" => FieldPolicy::Allowlist(fields),
            "denylist" => FieldPolicy::Denylist(fields),
            other => {
                return Err(ApiError::invalid(format!(
                    "field_policy {other:?} is unknown; allowed: all, allowlist, denylist"
                )));
            }
        };
    }
    if let Some(filter) = patch.opt_str("record_filter")? {
        draft.record_filter = filter.to_string();
    }
    if let Some(methods) = patch.opt_strings("execute_methods")? {
        draft.execute_methods = methods;
    }
    Ok(())
}
