//! Who may do what in the sandbox: the calling user's environment (companies,
//! context), per-model access rights like Odoo's `ir.model.access`, and the
//! company record rules.
//!
//! Three roles: `admin` (everything), `sales` (Odoo's "Sales / User: Own
//! Documents Only": reads everything it may see, but of sale orders and
//! their lines only its own or nobody's; creates and writes partners, tags
//! and sale orders; never unlinks sale orders; read-only on products,
//! countries and configuration), `viewer` (read-only, company 1 only).
//! `ir.config_parameter` is admin-only.

use super::OdooVersion;
use super::dataset::{Credential, ModelDef, Record, Store};
use super::error::{OdooError, OdooResult, access, user_error};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Sales,
    Viewer,
}

impl Role {
    pub fn parse(text: &str) -> Role {
        match text {
            "admin" => Role::Admin,
            "sales" => Role::Sales,
            _ => Role::Viewer,
        }
    }
}

/// The four operations of `ir.model.access`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Write,
    Create,
    Unlink,
}

impl Op {
    pub fn parse(text: &str) -> Option<Op> {
        match text {
            "read" => Some(Op::Read),
            "write" => Some(Op::Write),
            "create" => Some(Op::Create),
            "unlink" => Some(Op::Unlink),
            _ => None,
        }
    }

    /// The verb of Odoo's ACL message.
    fn verb(self) -> &'static str {
        match self {
            Op::Read => "access",
            Op::Write => "modify",
            Op::Create => "create",
            Op::Unlink => "delete",
        }
    }
}

/// The calling user and the request's context, as `self.env` in Odoo.
#[derive(Debug, Clone)]
pub struct Env {
    pub uid: i64,
    pub user_name: String,
    pub role: Role,
    pub user_companies: Vec<i64>,
    /// `allowed_company_ids` from the context, else every company of the user.
    pub companies: Vec<i64>,
    pub active_test: bool,
    pub version: OdooVersion,
}

impl Env {
    /// Builds the environment of `cred`'s user for a request context.
    pub fn new(cred: &Credential, store: &Store, context: Map<String, Value>, version: OdooVersion) -> OdooResult<Env> {
        let user = store.get("res.users", cred.uid);
        let user_name = user.and_then(|u| u.get("name")).and_then(Value::as_str).unwrap_or(&cred.login).to_string();
        let user_companies: Vec<i64> = user
            .and_then(|u| u.get("company_ids"))
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        if let Some(lang) = context.get("lang").and_then(Value::as_str)
            && lang != "en_US"
        {
            return Err(user_error(format!("Invalid language code: {lang}")));
        }
        let companies = match context.get("allowed_company_ids").and_then(Value::as_array) {
            Some(ids) if !ids.is_empty() => {
                let ids: Vec<i64> = ids.iter().filter_map(Value::as_i64).collect();
                if ids.len() != context["allowed_company_ids"].as_array().map_or(0, Vec::len)
                    || ids.iter().any(|c| !user_companies.contains(c))
                {
                    return Err(access("Access to unauthorized or invalid companies."));
                }
                ids
            }
            _ => user_companies.clone(),
        };
        let active_test = context.get("active_test").and_then(Value::as_bool).unwrap_or(true);
        Ok(Env {
            uid: cred.uid,
            user_name,
            role: Role::parse(&cred.role),
            user_companies,
            companies,
            active_test,
            version,
        })
    }

    /// The company new records default to (`self.env.company`).
    pub fn company(&self) -> i64 {
        self.companies.first().copied().unwrap_or(1)
    }
}

/// Whether `role` has `op` on `model` (the sandbox's `ir.model.access`).
pub fn allowed(role: Role, model: &str, op: Op) -> bool {
    match role {
        Role::Admin => true,
        _ if model == "ir.config_parameter" => false,
        Role::Viewer => op == Op::Read,
        Role::Sales => match model {
            "res.partner" | "sale.order.line" => true,
            "sale.order" => op != Op::Unlink,
            "res.partner.category" => op != Op::Unlink,
            _ => op == Op::Read,
        },
    }
}

/// Odoo's group named in the ACL message, for the sandbox's roles.
fn group_for(model: &str, op: Op) -> &'static str {
    match (model, op) {
        ("sale.order" | "sale.order.line", Op::Unlink) => "Sales / Administrator",
        ("sale.order" | "sale.order.line" | "res.partner" | "res.partner.category", _) => {
            "Sales / User: Own Documents Only"
        }
        ("res.users" | "res.company", _) => "Access Rights",
        _ => "Role / Administrator",
    }
}

/// Raises Odoo's ACL AccessError unless the user has `op` on the model.
pub fn check_model(env: &Env, def: &ModelDef, op: Op) -> OdooResult<()> {
    if allowed(env.role, &def.name, op) {
        return Ok(());
    }
    let groups = match env.version {
        OdooVersion::V19 => group_for(&def.name, op).to_string(),
        OdooVersion::V16 | OdooVersion::V17 => {
            format!("Administration/{}", group_for(&def.name, op).replace("Role / ", ""))
        }
    };
    Err(access(format!(
        "You are not allowed to {} '{}' ({}) records.\n\nThis operation is allowed for the following groups:\n\t- {}\n\nContact your administrator to request access if necessary.",
        op.verb(),
        def.description,
        def.name,
        groups
    )))
}

/// The record rules: the company rule (a record is visible when it has no
/// company or its company is among the allowed ones; companies themselves
/// when the user belongs to them), and for the sales role Odoo's "Personal
/// Orders" rules of `Sales / User: Own Documents Only`
/// (`sale_order_personal_rule`, `sale_order_line_personal_rule`:
/// `[('user_id', 'in', (user.id, False))]`, a line by its order's
/// salesperson), on every operation.
pub fn rule_allows(env: &Env, store: &Store, def: &ModelDef, record: &Record) -> bool {
    if env.role == Role::Sales && !own_document(env, store, def, record) {
        return false;
    }
    if def.name == "res.company" {
        let id = record.get("id").and_then(Value::as_i64).unwrap_or(0);
        return env.user_companies.contains(&id);
    }
    if !def.has("company_id") || def.name == "res.users" {
        return true;
    }
    match record.get("company_id").and_then(Value::as_i64) {
        None => true,
        Some(company) => env.companies.contains(&company),
    }
}

fn own_document(env: &Env, store: &Store, def: &ModelDef, record: &Record) -> bool {
    let order = match def.name.as_str() {
        "sale.order" => Some(record),
        "sale.order.line" => record.get("order_id").and_then(Value::as_i64).and_then(|id| store.get("sale.order", id)),
        _ => return true,
    };
    match order.and_then(|o| o.get("user_id")).and_then(Value::as_i64) {
        None => true,
        Some(salesperson) => salesperson == env.uid,
    }
}

/// Odoo's record-rule AccessError ("top-secret records").
pub fn rule_error(env: &Env, def: &ModelDef, op_label: &str) -> OdooError {
    access(format!(
        "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, {} (id={}) doesn't have '{}' access to:\n- {} ({})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.",
        env.user_name, env.uid, op_label, def.description, def.name
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_match_the_brief() {
        assert!(allowed(Role::Sales, "res.partner", Op::Create));
        assert!(allowed(Role::Sales, "sale.order", Op::Write));
        assert!(!allowed(Role::Sales, "sale.order", Op::Unlink));
        assert!(!allowed(Role::Sales, "product.product", Op::Write));
        assert!(allowed(Role::Sales, "res.country", Op::Read));
        assert!(!allowed(Role::Viewer, "res.partner", Op::Write));
        assert!(allowed(Role::Viewer, "sale.order", Op::Read));
        assert!(!allowed(Role::Viewer, "ir.config_parameter", Op::Read));
        assert!(allowed(Role::Admin, "ir.config_parameter", Op::Unlink));
    }
}
