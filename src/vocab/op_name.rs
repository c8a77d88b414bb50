//! The nine operations by name, as clients call them (`alpenglow_search`).

/// The nine operation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpName {
    ListModels,
    Describe,
    Search,
    Read,
    Create,
    Update,
    Delete,
    Aggregate,
    Execute,
}

impl OpName {
    pub const ALL: [OpName; 9] = [
        OpName::ListModels,
        OpName::Describe,
        OpName::Search,
        OpName::Read,
        OpName::Create,
        OpName::Update,
        OpName::Delete,
        OpName::Aggregate,
        OpName::Execute,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OpName::ListModels => "alpenglow_list_models",
            OpName::Describe => "alpenglow_describe",
            OpName::Search => "alpenglow_search",
            OpName::Read => "alpenglow_read",
            OpName::Create => "alpenglow_create",
            OpName::Update => "alpenglow_update",
            OpName::Delete => "alpenglow_delete",
            OpName::Aggregate => "alpenglow_aggregate",
            OpName::Execute => "alpenglow_execute",
        }
    }

    pub fn parse(name: &str) -> Option<OpName> {
        OpName::ALL.into_iter().find(|op| op.as_str() == name)
    }
}
