//! Attacks on the policy boundary, each through the real gateway over HTTP
//! on the three faces (direct JSON-RPC, REST, MCP `tools/call`), checked
//! against the sandbox's ground truth (its call counters, Odoo's own
//! answers as its admin). One file per class of leak:
//! - `caps`: `limit: 0` and group results under the caps;
//! - `execute`: what `alpenglow_execute` may call, on which records, with
//!   which context; `name_search` as a policy-checked search;
//! - `filters`: a stored record filter that does not parse fails closed;
//! - `logins`: Basic logins and credentials bound to the right user;
//! - `never`: what is never exposed, whatever an admin configures;
//! - `paths`: dotted paths (`any` / `not any`, order, group-by) hop by hop;
//! - `registration`: resources checked against Odoo when an admin adds them;
//! - `relations`: writes and values that reach into other models;
//! - `writes`: writes that would move records out of the filter.

mod caps;
mod execute;
mod filters;
mod logins;
mod never;
mod paths;
mod registration;
mod relations;
mod rig;
mod writes;
