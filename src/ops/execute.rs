//! `alpenglow_execute`: a method the admin put on the resource's allowlist,
//! with positional `args` and keyword `kwargs`. The method name is vetted by
//! the policy (allowlist, write access, never a name starting with `_`).

use super::params::Params;
use super::{Run, upstream_error};
use crate::policy::{self, Action};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone)]
pub struct Execute {
    pub model: String,
    pub method: String,
    pub args: Vec<Value>,
    pub kwargs: Map<String, Value>,
    pub dry_run: bool,
}

impl Execute {
    pub(super) fn parse(p: &Params<'_>, model: String) -> Result<Execute, OpError> {
        let method = p.require_string("method")?;
        if !method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(OpError::Invalid(format!("alpenglow_execute: {method:?} is not a method name")));
        }
        Ok(Execute {
            model,
            method,
            args: p.list("args")?.unwrap_or_default(),
            kwargs: p.object("kwargs")?.unwrap_or_default(),
            dry_run: p.flag("dry_run")?,
        })
    }

    pub(super) async fn run(&self, run: &Run<'_>) -> Result<Value, OpError> {
        let resource = run.resource(&self.model)?;
        policy::check_action(resource, run.caller(), Action::Execute(&self.method))?;
        if self.dry_run {
            return Ok(json!({
                "dry_run": true,
                "operation": "execute",
                "result": null,
                "method": self.method,
                "note": "the checks passed (authentication, scope, allowlist); an arbitrary method's effects cannot be foreseen, so nothing else was checked and nothing was called"
            }));
        }
        let result = run
            .upstream
            .call_method(
                &run.principal.identity(),
                &self.model,
                &self.method,
                None,
                self.args.clone(),
                self.kwargs.clone(),
            )
            .await
            .map_err(upstream_error)?;
        Ok(json!({"result": result}))
    }
}
