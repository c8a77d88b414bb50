//! What the approval rules need from an operation: which write it is, its
//! canonical form (what an approval is bound to), and a plain summary of
//! what it will do for the person who approves it.

use super::{Operation, Run};
use crate::config::ApprovalRule;
use crate::policy::{self, Action, approval::Write};
use crate::vocab::OpError;
use serde_json::{Map, Value, json};

impl Operation {
    /// The model and write this operation makes, with its dry-run flag;
    /// None for reads.
    fn approval_write(&self) -> Option<(&str, Write<'_>, Action<'_>, bool)> {
        match self {
            Operation::Create { model, dry_run, .. } => Some((model, Write::Create, Action::Create, *dry_run)),
            Operation::Update { model, ids, dry_run, .. } => {
                Some((model, Write::Update(ids.len()), Action::Write, *dry_run))
            }
            Operation::Delete { model, dry_run, .. } => Some((model, Write::Delete, Action::Delete, *dry_run)),
            Operation::Execute(e) => Some((&e.model, Write::Execute(&e.method), Action::Execute(&e.method), e.dry_run)),
            _ => None,
        }
    }

    /// The approval rule this call needs now, if any. A call the policy
    /// refuses anyway is refused here (not queued for approval), with the
    /// refusal it would get when run.
    pub fn approval_needed(&self, run: &Run<'_>) -> Result<Option<ApprovalRule>, OpError> {
        let Some((model, write, action, dry_run)) = self.approval_write() else { return Ok(None) };
        let resource = run.resource(model)?;
        policy::check_action(resource, run.caller(), action)?;
        Ok(policy::approval::required(resource, write, dry_run))
    }

    /// When an approved call runs: the policy as it is now must still allow
    /// it (refused as it would be at once otherwise), and a person's own
    /// confirmation does not cover a rule since raised to `admin`.
    pub fn approval_still_covered(&self, run: &Run<'_>, by_admin: bool) -> Result<(), OpError> {
        let now = self.approval_needed(run)?;
        if policy::approval::still_covers(by_admin, now) {
            Ok(())
        } else {
            Err(OpError::Denied(
                "this change now needs an administrator's approval (the resource's rule changed); nothing was run"
                    .into(),
            ))
        }
    }

    /// The model an approval is about.
    pub fn approval_model(&self) -> Option<&str> {
        self.approval_write().map(|(model, ..)| model)
    }

    /// The canonical operation: tool, model, method, ids, values, arguments
    /// and the dry-run flag, with object keys sorted at every level, as
    /// compact JSON text. Two calls with the same text do the same thing;
    /// an approval is bound to the SHA-256 of this text.
    pub fn canonical(&self) -> String {
        let value = match self {
            Operation::Create { model, values, dry_run } => {
                json!({"tool": "alpenglow_create", "model": model, "values": values, "dry_run": dry_run})
            }
            Operation::Update { model, ids, values, dry_run } => {
                json!({"tool": "alpenglow_update", "model": model, "ids": ids, "values": values, "dry_run": dry_run})
            }
            Operation::Delete { model, ids, dry_run } => {
                json!({"tool": "alpenglow_delete", "model": model, "ids": ids, "dry_run": dry_run})
            }
            Operation::Execute(e) => json!({
                "tool": "alpenglow_execute", "model": e.model, "method": e.method,
                "args": e.args, "kwargs": e.kwargs, "dry_run": e.dry_run,
            }),
            other => json!({"tool": other.name().as_str()}),
        };
        sorted(&value).to_string()
    }

    /// What will happen, in plain words: `update 2 sale.order records (ids 3, 4): state = "sale"`.
    pub fn approval_summary(&self) -> String {
        match self {
            Operation::Create { model, values, .. } => {
                let what = values.iter().map(short_values).collect::<Vec<_>>().join("; ");
                format!("create {} {model} record{}: {what}", values.len(), plural(values.len()))
            }
            Operation::Update { model, ids, values, .. } => format!(
                "update {} {model} record{} (ids {}): {}",
                ids.len(),
                plural(ids.len()),
                id_list(ids),
                short_values(values)
            ),
            Operation::Delete { model, ids, .. } => {
                format!("delete {} {model} record{} (ids {})", ids.len(), plural(ids.len()), id_list(ids))
            }
            Operation::Execute(e) => {
                let args = serde_json::to_string(&e.args).unwrap_or_default();
                format!("run {} on {} with arguments {}", e.method, e.model, cut(&args, 200))
            }
            other => other.name().as_str().to_string(),
        }
    }

    /// How many records the call names (for the approval's message).
    pub fn approval_record_count(&self) -> usize {
        match self {
            Operation::Create { values, .. } => values.len(),
            Operation::Update { ids, .. } | Operation::Delete { ids, .. } => ids.len(),
            _ => 0,
        }
    }
}

/// `value` with every object's keys in sorted order.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                out.insert(key.clone(), sorted(&map[key]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn id_list(ids: &[i64]) -> String {
    let shown: Vec<String> = ids.iter().take(20).map(i64::to_string).collect();
    if ids.len() > 20 { format!("{}, and {} more", shown.join(", "), ids.len() - 20) } else { shown.join(", ") }
}

fn short_values(values: &Map<String, Value>) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|(field, value)| format!("{field} = {}", cut(&serde_json::to_string(value).unwrap_or_default(), 60)))
        .collect();
    cut(&parts.join(", "), 300)
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::OpName;

    #[test]
    fn canonical_form_ignores_key_order_and_sees_every_change() {
        let a = Operation::parse(
            OpName::Update,
            &json!({"model": "sale.order", "ids": [3, 4], "values": {"b": 1, "a": {"y": 2, "x": 1}}}),
        )
        .unwrap();
        let b = Operation::parse(
            OpName::Update,
            &json!({"values": {"a": {"x": 1, "y": 2}, "b": 1}, "ids": [3, 4], "model": "sale.order"}),
        )
        .unwrap();
        assert_eq!(a.canonical(), b.canonical());
        for changed in [
            json!({"model": "sale.order", "ids": [3, 5], "values": {"b": 1, "a": {"y": 2, "x": 1}}}),
            json!({"model": "sale.order", "ids": [3, 4], "values": {"b": 2, "a": {"y": 2, "x": 1}}}),
            json!({"model": "sale.order", "ids": [3, 4], "values": {"b": 1, "a": {"y": 2, "x": 1}}, "dry_run": true}),
            json!({"model": "res.partner", "ids": [3, 4], "values": {"b": 1, "a": {"y": 2, "x": 1}}}),
        ] {
            assert_ne!(Operation::parse(OpName::Update, &changed).unwrap().canonical(), a.canonical(), "{changed}");
        }
        assert_eq!(a.approval_summary(), "update 2 sale.order records (ids 3, 4): b = 1, a = {\"y\":2,\"x\":1}");
    }
}
