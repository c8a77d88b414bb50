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

/// The tool and text filters as compared: `search` finds
/// `alpenglow_search` (MCP's own methods match as given), text in lower case;
/// empty ones are none.
fn normalized(q: &AuditQuery) -> (Option<String>, Option<String>) {
    let tool = q.tool.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(|t| match t.strip_prefix("alpenglow_") {
        Some(_) => t.to_string(),
        None if crate::vocab::OpName::parse(&format!("alpenglow_{t}")).is_some() => format!("alpenglow_{t}"),
        None => t.to_string(),
    });
    let text = q.text.as_ref().map(|t| t.to_lowercase()).filter(|t| !t.is_empty());
    (tool, text)
}

/// Every entry in ids `[start, end)` the query's filters let through, in the
/// query's order, until `visit` says stop (true). `examined` counts the
/// entries read, matching or not.
fn scan(
    log: &AuditLog,
    q: &AuditQuery,
    (start, end): (u64, u64),
    mut visit: impl FnMut(AuditEntry) -> bool,
    mut examined: impl FnMut() -> bool,
) -> StoreResult<()> {
    if start >= end {
        return Ok(());
    }
    let (tool, text) = normalized(q);
    let reverse = q.order == Order::NewestFirst;
    let store = log.store();
    let entries = store.table::<AuditEntry>()?;
    let mut accept = |entry: AuditEntry| -> bool {
        if q.matches(&entry, tool.as_deref(), text.as_deref()) && visit(entry) {
            return true;
        }
        examined()
    };
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
    Ok(())
}

pub(super) fn run(log: &AuditLog, q: &AuditQuery) -> StoreResult<AuditPage> {
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let mut page = Vec::new();
    scan(
        log,
        q,
        q.id_range(),
        |entry| {
            page.push(entry);
            page.len() >= limit
        },
        || false,
    )?;
    let next_cursor = if page.len() >= limit { page.last().map(|e| e.id) } else { None };
    Ok(AuditPage { entries: page, next_cursor })
}

/// How many entries a query matches over its whole time range (its cursor
/// and page size aside), and how many of them come before its page in the
/// page's order: the page shows entries `before + 1` on, of `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditCount {
    pub total: u64,
    pub before: u64,
    /// False when a filtered count stopped at [`COUNT_BUDGET`]: the numbers
    /// are then lower bounds (`before` is exact once the scan passed the page).
    pub exact: bool,
}

/// The most entries a filtered count reads. Without filters a count reads
/// four entries whatever the log's size, with one credential or one model
/// only that index's keys; other filters read the entries themselves.
pub const COUNT_BUDGET: usize = 50_000;

pub(super) fn count(log: &AuditLog, q: &AuditQuery) -> StoreResult<AuditCount> {
    count_within(log, q, COUNT_BUDGET)
}

/// [`count`], reading at most `budget` entries for a filtered count.
pub(super) fn count_within(log: &AuditLog, q: &AuditQuery, budget: usize) -> StoreResult<AuditCount> {
    let whole = AuditQuery { cursor: None, ..q.clone() };
    let (start, end) = whole.id_range();
    // The page continues after its cursor: the entries before it are the
    // cursor's side of the range, the cursor's own entry included.
    let before_range = match (q.cursor, q.order) {
        (None, Order::NewestFirst) => (end, end),
        (None, Order::OldestFirst) => (start, start),
        (Some(c), Order::NewestFirst) => (c.clamp(start, end), end),
        (Some(c), Order::OldestFirst) => (start, c.saturating_add(1).clamp(start, end)),
    };
    let (tool, text) = normalized(q);
    let unfiltered =
        q.credential_id.is_none() && q.model.is_none() && tool.is_none() && q.outcome.is_none() && text.is_none();
    if unfiltered
        && let (Some(total), Some(before)) = (count_by_seq(log, (start, end))?, count_by_seq(log, before_range)?)
    {
        return Ok(AuditCount { total, before, exact: true });
    }
    // One credential or one model and nothing else: its index keys, no entry read.
    let by_index = tool.is_none() && q.outcome.is_none() && text.is_none();
    if by_index && (q.credential_id.is_some() != q.model.is_some()) {
        let total = count_index_keys(log, q, (start, end))?;
        let before = count_index_keys(log, q, before_range)?;
        return Ok(AuditCount { total, before, exact: true });
    }
    let (mut total, mut before, mut examined) = (0u64, 0u64, 0usize);
    let in_before = |id: u64| before_range.0 <= id && id < before_range.1;
    scan(
        log,
        &whole,
        (start, end),
        |entry| {
            total += 1;
            before += u64::from(in_before(entry.id));
            false
        },
        || {
            examined += 1;
            examined >= budget
        },
    )?;
    Ok(AuditCount { total, before, exact: examined < budget })
}

/// The index keys of the query's credential (else model) in ids `[start, end)`.
fn count_index_keys(log: &AuditLog, q: &AuditQuery, (start, end): (u64, u64)) -> StoreResult<u64> {
    if start >= end {
        return Ok(0);
    }
    let store = log.store();
    let mut n = 0;
    let ids: Box<dyn Iterator<Item = StoreResult<u64>>> = match (&q.credential_id, &q.model) {
        (Some(c), _) => {
            Box::new(store.table::<ByCredential>()?.ids_in_range(&credential_prefix(*c), start, end, false))
        }
        (None, Some(m)) => Box::new(store.table::<ByModel>()?.ids_in_range(&model_prefix(m), start, end, false)),
        (None, None) => return Ok(0),
    };
    for id in ids {
        id?;
        n += 1;
    }
    Ok(n)
}

/// Entries in ids `[start, end)` from their places in the hash chain: links
/// are consecutive (one is stored only after the one before it, and
/// retention deletes from the oldest), so the first and the last tell how
/// many lie between. None when the range holds entries from before the
/// chain (they have no place): those are counted one by one.
fn count_by_seq(log: &AuditLog, (start, end): (u64, u64)) -> StoreResult<Option<u64>> {
    if start >= end {
        return Ok(Some(0));
    }
    let entries = log.store().table::<AuditEntry>()?;
    let Some((_, first)) = entries.range_u64(start, end, false).next().transpose()? else { return Ok(Some(0)) };
    let Some((_, last)) = entries.range_u64(start, end, true).next().transpose()? else { return Ok(Some(0)) };
    Ok((first.chained() && last.seq >= first.seq).then(|| last.seq - first.seq + 1))
}
