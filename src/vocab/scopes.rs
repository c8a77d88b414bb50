//! OAuth scopes as the corridor names them: [`TokenScope`] (`odoo.read`,
//! `odoo.write`, `odoo.execute`) and sets of them ([`ScopeSet`]), carried by
//! a principal authenticated by an access token. What each allows is
//! decided in `policy::scopes`.

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
