//! The resource permission patch shared by `resources.add` and
//! `resources.edit`, applied on top of a draft: a missing key keeps the
//! draft's value. Validation of the result is the draft's own.

use super::api::{ApiError, ApiResult, ResourcePatch};
use crate::config::{ApprovalRule, FieldPolicy, Operations, ResourceDraft};

impl ResourcePatch {
    /// Applies the patch (`company_id`, `read_only`, `ops`, `field_policy` +
    /// `fields`, `record_filter`, `execute_methods`) on top of `draft`.
    pub fn apply(&self, draft: &mut ResourceDraft) -> ApiResult<()> {
        if let Some(company) = self.company_id {
            draft.company_id = company;
        }
        if let Some(read_only) = self.read_only {
            draft.read_only = read_only;
        }
        if let Some(ops) = &self.ops {
            draft.operations = Operations::parse(ops).map_err(ApiError::invalid)?;
        }
        if let Some(policy) = &self.field_policy {
            let fields = self.fields.clone().unwrap_or_default();
            draft.field_policy = match policy.as_str() {
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
        if let Some(filter) = &self.record_filter {
            draft.record_filter = filter.clone();
        }
        if let Some(methods) = &self.execute_methods {
            draft.execute_methods = methods.clone();
        }
        let rules = &mut draft.approvals;
        for (given, rule) in [
            (&self.approve_create, &mut rules.create),
            (&self.approve_write, &mut rules.write),
            (&self.approve_delete, &mut rules.delete),
            (&self.approve_execute, &mut rules.execute),
        ] {
            if let Some(text) = given {
                *rule = ApprovalRule::parse(text).map_err(ApiError::invalid)?;
            }
        }
        if let Some(over) = self.approve_write_over {
            rules.write_over = (over > 0).then_some(over);
        }
        if let Some(methods) = &self.approve_methods {
            rules.execute_methods = methods.clone();
        }
        Ok(())
    }
}
