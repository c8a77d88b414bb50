//! OAuth scopes: what an access token's grant allows, as a pure decision.
//!
//! Three scopes map onto the nine operations: `odoo.read` (list models,
//! describe, search, read, aggregate), `odoo.write` (create, update,
//! delete) and `odoo.execute` (execute). A token allows an operation when
//! its grant holds the operation's scope; the credential behind the grant
//! still applies on top (a read-only credential refuses writes whatever the
//! token holds). A token without the scope is refused with the scope it
//! lacks, so the client can ask the person for it (step-up), except where
//! the credential itself would refuse: asking for more scope cannot help
//! there, and the ordinary denial says why.

use std::fmt;

/// One OAuth scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenScope {
    Read,
    Write,
    Execute,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Write, TokenScope::Execute];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "odoo.read",
            TokenScope::Write => "odoo.write",
            TokenScope::Execute => "odoo.execute",
        }
    }

    pub fn parse(text: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// What the scope lets a client do, in words for the consent page.
    pub fn meaning(self) -> &'static str {
        match self {
            TokenScope::Read => "list models and search, read and count the records you may see",
            TokenScope::Write => "create, change and delete records, where you and the admin's rules allow it",
            TokenScope::Execute => "run the Odoo methods the admin allowed (such as name_search)",
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes, in the fixed order read, write, execute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ScopeSet {
    bits: u8,
}

fn bit(scope: TokenScope) -> u8 {
    match scope {
        TokenScope::Read => 1,
        TokenScope::Write => 2,
        TokenScope::Execute => 4,
    }
}

impl ScopeSet {
    pub fn all() -> ScopeSet {
        ScopeSet { bits: 7 }
    }

    pub fn of(scopes: &[TokenScope]) -> ScopeSet {
        ScopeSet { bits: scopes.iter().fold(0, |acc, s| acc | bit(*s)) }
    }

    /// A space-separated scope string (`scope=` of OAuth). Unknown scopes
    /// are refused, naming the first; an empty string is the empty set.
    pub fn parse(text: &str) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::default();
        for word in text.split_whitespace() {
            match TokenScope::parse(word) {
                Some(scope) => set.bits |= bit(scope),
                None => return Err(word.to_string()),
            }
        }
        Ok(set)
    }

    pub fn contains(self, scope: TokenScope) -> bool {
        self.bits & bit(scope) != 0
    }

    pub fn is_empty(self) -> bool {
        self.bits == 0
    }

    pub fn intersect(self, other: ScopeSet) -> ScopeSet {
        ScopeSet { bits: self.bits & other.bits }
    }

    pub fn iter(self) -> impl Iterator<Item = TokenScope> {
        TokenScope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The OAuth form: space-separated, in the fixed order.
    pub fn to_text(self) -> String {
        self.iter().map(TokenScope::as_str).collect::<Vec<_>>().join(" ")
    }
}

/// The scope an operation needs, by its tool name (`alpenglow_search`);
/// None for a name that is not one of the nine.
pub fn required(operation: &str) -> Option<TokenScope> {
    match operation {
        "alpenglow_list_models"
        | "alpenglow_describe"
        | "alpenglow_search"
        | "alpenglow_read"
        | "alpenglow_aggregate" => Some(TokenScope::Read),
        "alpenglow_create" | "alpenglow_update" | "alpenglow_delete" => Some(TokenScope::Write),
        "alpenglow_execute" => Some(TokenScope::Execute),
        _ => None,
    }
}

/// Whether a token holding `granted` may run `operation` for a caller whose
/// credential is read-only or not. `Err` names the scope to ask for.
pub fn check(granted: ScopeSet, operation: &str, credential_read_only: bool) -> Result<(), TokenScope> {
    let Some(needed) = required(operation) else { return Ok(()) };
    if granted.contains(needed) {
        return Ok(());
    }
    // The credential refuses writes and execute anyway: more scope would not help.
    if credential_read_only && needed != TokenScope::Read {
        return Ok(());
    }
    Err(needed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::OpName;

    #[test]
    fn every_operation_needs_exactly_one_scope() {
        for op in OpName::ALL {
            assert!(required(op.as_str()).is_some(), "{}", op.as_str());
        }
        assert_eq!(required("alpenglow_serch"), None);
        assert_eq!(required("alpenglow_update"), Some(TokenScope::Write));
        assert_eq!(required("alpenglow_aggregate"), Some(TokenScope::Read));
        assert_eq!(required("alpenglow_execute"), Some(TokenScope::Execute));
    }

    #[test]
    fn a_token_runs_only_what_its_scopes_allow() {
        let read = ScopeSet::of(&[TokenScope::Read]);
        assert_eq!(check(read, "alpenglow_search", false), Ok(()));
        assert_eq!(check(read, "alpenglow_create", false), Err(TokenScope::Write));
        assert_eq!(check(read, "alpenglow_execute", false), Err(TokenScope::Execute));
        let write = ScopeSet::of(&[TokenScope::Write]);
        assert_eq!(check(write, "alpenglow_read", false), Err(TokenScope::Read));
        assert_eq!(check(write, "alpenglow_delete", false), Ok(()));
        assert_eq!(check(ScopeSet::all(), "alpenglow_execute", false), Ok(()));
    }

    #[test]
    fn a_read_only_credential_is_refused_by_its_own_scope_not_by_a_step_up() {
        let read = ScopeSet::of(&[TokenScope::Read]);
        assert_eq!(check(read, "alpenglow_create", true), Ok(()));
        assert_eq!(check(ScopeSet::default(), "alpenglow_search", true), Err(TokenScope::Read));
    }

    #[test]
    fn scope_strings() {
        assert_eq!(ScopeSet::parse("odoo.write odoo.read").unwrap().to_text(), "odoo.read odoo.write");
        assert_eq!(ScopeSet::parse("").unwrap(), ScopeSet::default());
        assert_eq!(ScopeSet::parse("odoo.read admin").unwrap_err(), "admin");
        assert_eq!(ScopeSet::all().to_text(), "odoo.read odoo.write odoo.execute");
    }
}
