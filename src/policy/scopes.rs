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

use crate::vocab::{OpName, ScopeSet, TokenScope};

/// The scope an operation needs.
pub fn required(operation: OpName) -> TokenScope {
    match operation {
        OpName::ListModels | OpName::Describe | OpName::Search | OpName::Read | OpName::Aggregate => TokenScope::Read,
        OpName::Create | OpName::Update | OpName::Delete => TokenScope::Write,
        OpName::Execute => TokenScope::Execute,
    }
}

/// Whether a token holding `granted` may run `operation` for a caller whose
/// credential is read-only or not. `Err` names the scope to ask for.
pub fn check(granted: ScopeSet, operation: OpName, credential_read_only: bool) -> Result<(), TokenScope> {
    let needed = required(operation);
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
    use OpName::*;

    #[test]
    fn each_operation_needs_its_scope() {
        assert_eq!(required(Update), TokenScope::Write);
        assert_eq!(required(Aggregate), TokenScope::Read);
        assert_eq!(required(Execute), TokenScope::Execute);
        let reads = OpName::ALL.iter().filter(|op| required(**op) == TokenScope::Read).count();
        assert_eq!(reads, 5, "list_models, describe, search, read, aggregate");
    }

    #[test]
    fn a_token_runs_only_what_its_scopes_allow() {
        let read = ScopeSet::of(&[TokenScope::Read]);
        assert_eq!(check(read, Search, false), Ok(()));
        assert_eq!(check(read, Create, false), Err(TokenScope::Write));
        assert_eq!(check(read, Execute, false), Err(TokenScope::Execute));
        let write = ScopeSet::of(&[TokenScope::Write]);
        assert_eq!(check(write, Read, false), Err(TokenScope::Read));
        assert_eq!(check(write, Delete, false), Ok(()));
        assert_eq!(check(ScopeSet::all(), Execute, false), Ok(()));
    }

    #[test]
    fn a_read_only_credential_is_refused_by_its_own_scope_not_by_a_step_up() {
        let read = ScopeSet::of(&[TokenScope::Read]);
        assert_eq!(check(read, Create, true), Ok(()));
        assert_eq!(check(ScopeSet::default(), Search, true), Err(TokenScope::Read));
    }

    #[test]
    fn scope_strings() {
        assert_eq!(ScopeSet::parse("odoo.write odoo.read").unwrap().to_text(), "odoo.read odoo.write");
        assert_eq!(ScopeSet::parse("").unwrap(), ScopeSet::default());
        assert_eq!(ScopeSet::parse("odoo.read admin").unwrap_err(), "admin");
        assert_eq!(ScopeSet::all().to_text(), "odoo.read odoo.write odoo.execute");
    }
}
