//! Whether a write must wait for a person's approval: the resource's
//! approval rules applied to one call. Pure, like the rest of the policy.
//!
//! Create needs approval when its rule is set; delete always when its rule
//! is set; update when its rule is set and it touches more records than
//! the threshold (or whatever the count, with no threshold); execute when
//! its rule is set and the method is one of the named ones (or any method,
//! with none named; never `name_search`, which is served as a search). A
//! dry run writes nothing and never waits.

use crate::config::{ApprovalRule, Resource};

/// The write a call would make, as the approval rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write<'a> {
    Create,
    /// An update of this many records.
    Update(usize),
    Delete,
    Execute(&'a str),
}

/// The rule that applies to `write` on `resource`: None when the call runs
/// at once.
pub fn required(resource: &Resource, write: Write<'_>, dry_run: bool) -> Option<ApprovalRule> {
    if dry_run {
        return None;
    }
    let rules = &resource.approvals;
    let rule = match write {
        Write::Create => rules.create,
        Write::Delete => rules.delete,
        Write::Update(count) => match rules.write_over {
            Some(threshold) if count <= threshold as usize => ApprovalRule::None,
            _ => rules.write,
        },
        // name_search is served as a policy-checked search: it writes nothing.
        Write::Execute(crate::config::never::NAME_SEARCH) => ApprovalRule::None,
        Write::Execute(method) => {
            if rules.execute_methods.is_empty() || rules.execute_methods.iter().any(|m| m == method) {
                rules.execute
            } else {
                ApprovalRule::None
            }
        }
    };
    (rule != ApprovalRule::None).then_some(rule)
}

/// Whether an approval given under `given` still covers a call that now
/// needs `now`: an admin's approval covers everything; a person's own
/// confirmation does not cover a rule an admin has since raised to `admin`.
pub fn still_covers(given_by_admin: bool, now: Option<ApprovalRule>) -> bool {
    given_by_admin || now != Some(ApprovalRule::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApprovalPolicy, FieldPolicy, Operations};
    use time::OffsetDateTime;

    fn resource(approvals: ApprovalPolicy) -> Resource {
        Resource {
            id: 1,
            model: "sale.order".into(),
            company_id: None,
            read_only: false,
            operations: Operations::ALL,
            field_policy: FieldPolicy::All,
            record_filter: String::new(),
            execute_methods: vec!["action_confirm".into(), "action_cancel".into()],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            approvals,
        }
    }

    #[test]
    fn rules_and_thresholds() {
        let none = resource(ApprovalPolicy::default());
        for write in [Write::Create, Write::Update(100), Write::Delete, Write::Execute("action_confirm")] {
            assert_eq!(required(&none, write, false), None, "{write:?}");
        }
        let r = resource(ApprovalPolicy {
            create: ApprovalRule::Confirm,
            write: ApprovalRule::Admin,
            write_over: Some(3),
            delete: ApprovalRule::Admin,
            execute: ApprovalRule::Admin,
            execute_methods: vec!["action_confirm".into()],
        });
        assert_eq!(required(&r, Write::Create, false), Some(ApprovalRule::Confirm));
        assert_eq!(required(&r, Write::Update(3), false), None);
        assert_eq!(required(&r, Write::Update(4), false), Some(ApprovalRule::Admin));
        assert_eq!(required(&r, Write::Delete, false), Some(ApprovalRule::Admin));
        assert_eq!(required(&r, Write::Execute("action_confirm"), false), Some(ApprovalRule::Admin));
        assert_eq!(required(&r, Write::Execute("action_cancel"), false), None);
        // A dry run writes nothing.
        assert_eq!(required(&r, Write::Delete, true), None);
        let any_method = resource(ApprovalPolicy { execute: ApprovalRule::Admin, ..Default::default() });
        assert_eq!(required(&any_method, Write::Execute("action_cancel"), false), Some(ApprovalRule::Admin));
        assert_eq!(required(&any_method, Write::Execute("name_search"), false), None);
        let every = resource(ApprovalPolicy { write: ApprovalRule::Confirm, ..Default::default() });
        assert_eq!(required(&every, Write::Update(1), false), Some(ApprovalRule::Confirm));
        assert!(still_covers(true, Some(ApprovalRule::Admin)));
        assert!(!still_covers(false, Some(ApprovalRule::Admin)));
        assert!(still_covers(false, Some(ApprovalRule::Confirm)));
    }
}
