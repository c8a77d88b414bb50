//! Searching the audit log: a time range, optional filters, and paging by
//! cursor (the last id of the previous page), newest or oldest first.
//!
//! A credential or model filter walks that index's key range; otherwise the
//! entries' own time range. Either way the scan stops as soon as a page is
//! full, so the first page of a filtered view over millions of entries reads
//! only what it needs.

use super::{AuditEntry, AuditLog, ByCredential, ByModel, Outcome, credential_prefix, id_at, model_prefix};
use crate::store::StoreResult;

/// Which end first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// What to look for. Empty filters match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Unix µs, inclusive.
    pub from_us: Option<i64>,
    /// Unix µs, exclusive.
    pub to_us: Option<i64>,
    pub credential_id: Option<u64>,
    pub model: Option<String>,
    /// `alpenglow_search` or just `search`.
    pub tool: Option<String>,
    pub outcome: Option<Outcome>,
    /// Case-insensitive text in the tool, model, label, login, IP, session,
    /// domain, fields or error.
    pub text: Option<String>,
    /// Page size (1 - 10,000; default 50).
    pub limit: Option<usize>,
    /// Continue after this id (exclusive), in the page's order.
    pub cursor: Option<u64>,
    pub order: Order,
}

/// One page of results.
#[derive(Debug, Clone, Default)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `cursor` for the next page; None when this was the last.
    pub next_cursor: Option<u64>,
}

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 10_000;

impl AuditQuery {
    fn matches(&self, e: &AuditEntry, tool: Option<&str>, text: Option<&str>) -> bool {
        self.credential_id.is_none_or(|c| e.credential_id == Some(c))
            && self.model.as_ref().is_none_or(|m| e.model.as_deref() == Some(m.as_str()))
            && tool.is_none_or(|t| e.tool == t)
            && self.outcome.is_none_or(|o| e.outcome == o)
            && text.is_none_or(|t| e.mentions(t))
    }

    /// The id range `[start, end)` this page covers.
    fn id_range(&self) -> (u64, u64) {
        let mut start = self.from_us.map(id_at).unwrap_or(0);
        let mut end = self.to_us.map(id_at).unwrap_or(u64::MAX);
        match (self.cursor, self.order) {
            (Some(c), Order::NewestFirst) => end = end.min(c),
            (Some(c), Order::OldestFirst) => start = start.max(c.saturating_add(1)),
            (None, _) => {}
        }
        (start, end)
    }
}

pub(super) fn run(log: &AuditLog, q: &AuditQuery) -> StoreResult<AuditPage> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    // `search` finds `alpenglow_search`; MCP's own methods match as given.
    let tool = q.tool.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(|t| match t.strip_prefix("alpenglow_") {
        Some(_) => t.to_string(),
        None if crate::vocab::OpName::parse(&format!("alpenglow_{t}")).is_some() => format!("alpenglow_{t}"),
        None => t.to_string(),
    });
    let text = q.text.as_ref().map(|t| t.to_lowercase()).filter(|t| !t.is_empty());
    let (start, end) = q.id_range();
    let reverse = q.order == Order::NewestFirst;
    let store = log.store();
    let entries = store.table::<AuditEntry>()?;
    let mut page = Vec::new();
    let mut accept = |entry: AuditEntry| -> bool {
        if q.matches(&entry, tool.as_deref(), text.as_deref()) {
            page.push(entry);
        }
        page.len() >= limit
    };
    if start < end {
        let indexed: Option<Box<dyn Iterator<Item = StoreResult<u64>>>> = match (&q.credential_id, &q.model) {
            (Some(c), _) => {
                Some(Box::new(store.table::<ByCredential>()?.ids_in_range(&credential_prefix(*c), start, end, reverse)))
            }
            (None, Some(m)) => {
                Some(Box::new(store.table::<ByModel>()?.ids_in_range(&model_prefix(m), start, end, reverse)))
            }
            (None, None) => None,
        };
        match indexed {
            Some(ids) => {
                for id in ids {
                    // An index key whose entry was cleaned up is skipped.
                    if let Some(entry) = entries.get(&id?)?
                        && accept(entry)
                    {
                        break;
                    }
                }
            }
            None => {
                for item in entries.range_u64(start, end, reverse) {
                    if accept(item?.1) {
                        break;
                    }
                }
            }
        }
    }
    let next_cursor = if page.len() >= limit { page.last().map(|e| e.id) } else { None };
    Ok(AuditPage { entries: page, next_cursor })
}
