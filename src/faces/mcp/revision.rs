//! The MCP revisions this face speaks and what each one allows.
//!
//! Legacy revisions (an `initialize` handshake, sessions) are 2025-03-26,
//! 2025-06-18 and 2025-11-25; the modern one (stateless, per-request `_meta`)
//! is 2026-07-28. Every reply is shaped for the revision of its request, so
//! the per-revision differences live here as small predicates.

/// One MCP protocol revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Revision {
    V2025_03_26,
    V2025_06_18,
    V2025_11_25,
    V2026_07_28,
}

impl Revision {
    /// Every supported revision, newest first (the order `server/discover`
    /// and the -32022 error list them in).
    pub const ALL: [Revision; 4] =
        [Revision::V2026_07_28, Revision::V2025_11_25, Revision::V2025_06_18, Revision::V2025_03_26];

    /// What `initialize` counter-offers when the client asks for a version we
    /// do not speak: the newest legacy revision, as the spec recommends.
    pub const LATEST_LEGACY: Revision = Revision::V2025_11_25;

    /// Assumed when a legacy request has neither a header nor a session
    /// that says otherwise (the spec's rule for pre-06-18 clients).
    pub const DEFAULT_LEGACY: Revision = Revision::V2025_03_26;

    pub fn as_str(self) -> &'static str {
        match self {
            Revision::V2025_03_26 => "2025-03-26",
            Revision::V2025_06_18 => "2025-06-18",
            Revision::V2025_11_25 => "2025-11-25",
            Revision::V2026_07_28 => "2026-07-28",
        }
    }

    pub fn parse(text: &str) -> Option<Revision> {
        Revision::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The supported versions as a JSON list, newest first.
    pub fn supported_json() -> serde_json::Value {
        serde_json::Value::from(Revision::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>())
    }

    /// Stateless, per-request `_meta` (2026-07-28 on).
    pub fn is_modern(self) -> bool {
        self >= Revision::V2026_07_28
    }

    /// `title`, `outputSchema` and `structuredContent` exist from 2025-06-18.
    pub fn has_titles_and_structured_content(self) -> bool {
        self >= Revision::V2025_06_18
    }

    /// `structuredContent` may be any JSON value only from 2026-07-28; before,
    /// it must be an object.
    pub fn structured_content_any_json(self) -> bool {
        self.is_modern()
    }

    /// From 2025-11-25, argument validation failures are tool results with
    /// `isError: true` (the model can read and fix them); before, -32602.
    pub fn invalid_arguments_as_tool_error(self) -> bool {
        self >= Revision::V2025_11_25
    }

    /// JSON-RPC batch arrays exist only in 2025-03-26.
    pub fn allows_batches(self) -> bool {
        self == Revision::V2025_03_26
    }

    /// `serverInfo` gained `title` in 2025-06-18 and `description` /
    /// `websiteUrl` in 2025-11-25.
    pub fn server_info_has_description(self) -> bool {
        self >= Revision::V2025_11_25
    }
}

impl std::fmt::Display for Revision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_refuses_unknown_versions() {
        for revision in Revision::ALL {
            assert_eq!(Revision::parse(revision.as_str()), Some(revision));
        }
        assert_eq!(Revision::parse("2024-11-05"), None);
        assert_eq!(Revision::parse("2026-07-28 "), None);
    }

    #[test]
    fn features_follow_the_revision_table() {
        assert!(Revision::V2025_03_26.allows_batches());
        assert!(!Revision::V2025_06_18.allows_batches());
        assert!(!Revision::V2025_03_26.has_titles_and_structured_content());
        assert!(Revision::V2025_06_18.has_titles_and_structured_content());
        assert!(!Revision::V2025_06_18.invalid_arguments_as_tool_error());
        assert!(Revision::V2025_11_25.invalid_arguments_as_tool_error());
        assert!(Revision::V2026_07_28.is_modern() && !Revision::V2025_11_25.is_modern());
    }
}
