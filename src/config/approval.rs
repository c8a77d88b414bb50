//! A resource's approval rules: for each of create / write / delete /
//! execute, whether a person must approve the call before it reaches Odoo,
//! and the thresholds that narrow a rule (updates touching more than N
//! records, execute of named methods). What a rule means for one call is
//! `policy::approval`; this file is the stored shape and its validation.

use serde::{Deserialize, Serialize};

/// Who must say yes before a write runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ApprovalRule {
    /// No approval: the call runs at once (the default, and the behaviour
    /// before approvals existed).
    #[default]
    None,
    /// The person using the AI client confirms (or an admin approves).
    Confirm,
    /// An admin approves, in the dashboard or with `alpenglow approvals`.
    Admin,
}

impl ApprovalRule {
    pub fn name(self) -> &'static str {
        match self {
            ApprovalRule::None => "none",
            ApprovalRule::Confirm => "confirm",
            ApprovalRule::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<ApprovalRule, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Ok(ApprovalRule::None),
            "confirm" => Ok(ApprovalRule::Confirm),
            "admin" => Ok(ApprovalRule::Admin),
            other => Err(format!("approval rule {other:?} is unknown; allowed: none, confirm, admin")),
        }
    }
}

/// The approval rules of one resource. The default asks for nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ApprovalPolicy {
    pub create: ApprovalRule,
    pub write: ApprovalRule,
    /// A delete always needs approval when this is set.
    pub delete: ApprovalRule,
    pub execute: ApprovalRule,
    /// With `write` set: only updates touching more than this many records
    /// need approval; None: every update.
    pub write_over: Option<u32>,
    /// With `execute` set: only these methods need approval; empty: every
    /// method the resource allows.
    pub execute_methods: Vec<String>,
}

impl ApprovalPolicy {
    /// Whether any rule asks for approval.
    pub fn is_set(&self) -> bool {
        [self.create, self.write, self.delete, self.execute].iter().any(|r| *r != ApprovalRule::None)
    }

    /// One line for tables: `create=confirm write>5=admin delete=admin execute(action_confirm)=admin`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.create != ApprovalRule::None {
            parts.push(format!("create={}", self.create.name()));
        }
        if self.write != ApprovalRule::None {
            match self.write_over {
                Some(n) => parts.push(format!("write>{n}={}", self.write.name())),
                None => parts.push(format!("write={}", self.write.name())),
            }
        }
        if self.delete != ApprovalRule::None {
            parts.push(format!("delete={}", self.delete.name()));
        }
        if self.execute != ApprovalRule::None {
            if self.execute_methods.is_empty() {
                parts.push(format!("execute={}", self.execute.name()));
            } else {
                parts.push(format!("execute({})={}", self.execute_methods.join(","), self.execute.name()));
            }
        }
        if parts.is_empty() { "none".into() } else { parts.join(" ") }
    }

    /// Trims and de-duplicates the method names; refuses a name that is not one.
    pub fn validate(mut self) -> Result<ApprovalPolicy, String> {
        let mut methods: Vec<String> = Vec::new();
        for method in self.execute_methods.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
            if !method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "{method:?} in the approval methods is not a method name; use names such as action_confirm"
                ));
            }
            if !methods.iter().any(|m| m == method) {
                methods.push(method.to_string());
            }
        }
        self.execute_methods = methods;
        if self.write_over == Some(0) {
            // "more than 0 records" is every update: say so plainly.
            self.write_over = None;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_describe() {
        assert_eq!(ApprovalRule::parse(" Admin ").unwrap(), ApprovalRule::Admin);
        assert!(ApprovalRule::parse("maybe").unwrap_err().contains("allowed: none, confirm, admin"));
        let policy = ApprovalPolicy {
            write: ApprovalRule::Confirm,
            write_over: Some(5),
            execute: ApprovalRule::Admin,
            execute_methods: vec![" action_confirm".into(), "action_confirm".into()],
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(policy.execute_methods, vec!["action_confirm"]);
        assert_eq!(policy.describe(), "write>5=confirm execute(action_confirm)=admin");
        assert!(policy.is_set());
        assert_eq!(ApprovalPolicy::default().describe(), "none");
        assert!(!ApprovalPolicy::default().is_set());
        let bad = ApprovalPolicy { execute_methods: vec!["a b".into()], ..Default::default() }.validate();
        assert!(bad.unwrap_err().contains("not a method name"));
    }
}
