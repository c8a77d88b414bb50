//! What the authorization server keeps, one sled tree each (through the
//! store's typed tables): registered clients, grants, authorization codes,
//! tokens and sign-up requests.
//!
//! Codes and tokens are keyed by the SHA-256 of their value: the value
//! itself is never stored, so a copy of the data directory holds nothing a
//! client could present. A grant holds the person's Odoo key sealed by the
//! vault (never in clear), and drops it when revoked.

use crate::store::Record;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A client registered through Dynamic Client Registration (RFC 7591).
/// Public clients only: no secret is issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_id: String,
    /// Self-asserted by the client: shown as such on the consent page.
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub registered_at: OffsetDateTime,
    /// The client IP that registered it (the per-IP cap counts these).
    pub registered_ip: String,
}

impl Record for RegisteredClient {
    const TREE: &'static str = "oauth_clients";
    const KIND: &'static str = "OAuth client";
    const VERSION: u8 = 1;
}

/// What a person approved: one client acting as them, through one
/// credential, with some scopes, for one resource (this gateway's MCP URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: u64,
    pub client_id: String,
    pub client_name: String,
    /// Where the client lives (its metadata document's host, or its
    /// redirect URI's), for the admin's lists.
    pub client_host: String,
    pub credential_id: u64,
    pub uid: i64,
    pub login: String,
    /// Space-separated OAuth scopes (`odoo.read odoo.write`).
    pub scopes: String,
    /// The resource the tokens are for: this gateway's canonical MCP URL.
    pub audience: String,
    pub created_at: OffsetDateTime,
    pub last_used: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_why: Option<String>,
    /// The person's Odoo key, sealed by the vault with the grant id as
    /// associated data; erased (None) when the grant is revoked.
    pub sealed_key: Option<Vec<u8>>,
}

impl Record for Grant {
    const TREE: &'static str = "oauth_grants";
    const KIND: &'static str = "OAuth grant";
    const VERSION: u8 = 1;
}

impl Grant {
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// An authorization code, keyed by its hash. Used codes are kept until
/// they expire, so a second use is recognised (and revokes the grant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    pub grant_id: u64,
    pub client_id: String,
    pub redirect_uri: String,
    /// base64url(SHA-256(code_verifier)), PKCE S256.
    pub code_challenge: String,
    pub audience: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub used: bool,
}

impl Record for AuthCode {
    const TREE: &'static str = "oauth_codes";
    const KIND: &'static str = "OAuth code";
    const VERSION: u8 = 1;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// An issued token, keyed by its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub kind: TokenKind,
    pub grant_id: u64,
    /// Unix seconds.
    pub expires_at: i64,
    /// A refresh token already exchanged for a new pair: presenting it again
    /// is a reuse, and revokes the grant.
    pub rotated: bool,
}

impl Record for IssuedToken {
    const TREE: &'static str = "oauth_tokens";
    const KIND: &'static str = "OAuth token";
    const VERSION: u8 = 1;
}

/// Where a sign-up request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignupStatus {
    /// Waiting for an admin.
    Pending,
    /// Approved: the person's next sign-in makes their credential.
    Approved,
    Refused,
    /// The credential was made.
    Done,
}

impl SignupStatus {
    pub fn name(self) -> &'static str {
        match self {
            SignupStatus::Pending => "pending",
            SignupStatus::Approved => "approved",
            SignupStatus::Refused => "refused",
            SignupStatus::Done => "done",
        }
    }
}

/// A person without a credential who signed in over OAuth while sign-ups
/// need an admin's approval. No key is kept: they sign in again once approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signup {
    pub id: u64,
    pub uid: i64,
    pub login: String,
    pub name: String,
    pub client_name: String,
    pub requested_at: OffsetDateTime,
    pub status: SignupStatus,
    pub decided_at: Option<OffsetDateTime>,
    /// The credential made for it, once done.
    pub credential_id: Option<u64>,
}

impl Record for Signup {
    const TREE: &'static str = "oauth_signups";
    const KIND: &'static str = "OAuth sign-up";
    const VERSION: u8 = 1;
}
