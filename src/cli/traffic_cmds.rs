//! `alpenglow audit`, `alpenglow sessions` and `alpenglow jobs`: the traffic
//! side of the admin API. Each command asks the running daemon over its
//! admin socket when one answers, else opens the store itself, so `audit
//! export` works with no daemon, also after one was killed with `kill -9`.

use super::CliError;
use super::output::table;
use crate::admin::api::{AuditFields, AuditOrder, EndSession, ListSessions, QueryAudit, RunJob, VerifyAudit};
use crate::admin_socket::AdminClient;
use clap::{Args, Subcommand};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Search the audit log, newest first (--oldest to reverse).
    Query(QueryArgs),
    /// The latest entries; with --follow, new ones as they arrive.
    Tail(TailArgs),
    /// Every matching entry, oldest first, one JSON object per line.
    Export(ExportArgs),
    /// Recompute the hash chain and check every signed checkpoint; exit 1
    /// and name the first broken link (sequence, time) if any.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Start at this checkpoint: a stored checkpoint's sequence number, or a
    /// file holding a checkpoint note (as the journal or `audit status` shows
    /// it). Default: the latest prune checkpoint, else the first entry.
    #[arg(long, value_name = "CHECKPOINT")]
    pub from: Option<String>,
}

#[derive(Debug, Args, Default)]
pub struct Filters {
    /// From this time: RFC 3339, a date (2026-05-01) or an age (15m, 2h, 7d).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Before this time (same forms as --from).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Only this credential (id).
    #[arg(long, value_name = "ID")]
    pub credential: Option<u64>,
    /// Only this model.
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,
    /// Only this tool (`search` or `alpenglow_search`).
    #[arg(long, value_name = "TOOL")]
    pub tool: Option<String>,
    /// Only this outcome: ok, denied, not_found, invalid, rate_limited, upstream_error, unauthenticated.
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Option<String>,
    /// Text in the tool, model, credential, login, IP, session, domain, fields or error.
    #[arg(long, value_name = "TEXT")]
    pub text: Option<String>,
}

impl Filters {
    fn query(&self) -> QueryAudit {
        QueryAudit {
            from: self.from.clone(),
            to: self.to.clone(),
            credential: self.credential,
            model: self.model.clone(),
            tool: self.tool.clone(),
            outcome: self.outcome.clone(),
            text: self.text.clone(),
            ..QueryAudit::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub filters: Filters,
    /// Entries per page (1 - 10,000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Continue after this entry id (the previous page's next_cursor).
    #[arg(long, value_name = "ID")]
    pub cursor: Option<u64>,
    /// Oldest first.
    #[arg(long)]
    pub oldest: bool,
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// How many of the latest entries to show first.
    #[arg(short = 'n', long, default_value_t = 20)]
    pub lines: usize,
    /// Keep printing new entries as they are written (Ctrl-C stops).
    #[arg(short, long)]
    pub follow: bool,
    #[command(flatten)]
    pub filters: Filters,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format (jsonl: one JSON object per line).
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl"])]
    pub format: String,
    #[command(flatten)]
    pub filters: Filters,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// Sessions, most recently active first.
    List {
        /// Also idle, ended and closed sessions.
        #[arg(long)]
        all: bool,
    },
    /// End a session: its next request is refused.
    End { id: String },
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run a job now: audit-cleanup, session-cleanup or rate-limit-cleanup.
    Run { name: String },
}

fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// A missing value as `-`.
fn cell(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

fn entry_line(e: &AuditFields) -> String {
    let who = match (&e.credential, &e.login) {
        (Some(c), _) => c.clone(),
        (_, Some(l)) => l.clone(),
        _ => "-".into(),
    };
    let ids = match (&e.ids, e.id_count) {
        (_, Some(n)) => format!(" ids:{n}"),
        (ids, _) if !ids.is_empty() => format!(" ids:{}", serde_json::to_string(ids).unwrap_or_default()),
        _ => String::new(),
    };
    let error = e.error.as_ref().map(|m| format!(" - {m}")).unwrap_or_default();
    format!(
        "{} {:<7} {:<15} {:<20} {:<24} {}{} {}{}",
        e.time,
        e.face,
        e.ip,
        who,
        e.tool,
        cell(e.model.as_deref()),
        ids,
        e.outcome,
        error
    )
}

pub fn audit(api: &AdminClient, cmd: AuditCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        AuditCommand::Query(q) => {
            let order = if q.oldest { AuditOrder::Oldest } else { AuditOrder::Newest };
            let query =
                QueryAudit { limit: Some(q.limit as u64), cursor: q.cursor, order: Some(order), ..q.filters.query() };
            let page = api.call(query)?;
            if json_out {
                print_json(&page);
            } else {
                for e in &page.entries {
                    println!("{}", entry_line(e.fields()));
                }
                match page.next_cursor {
                    Some(c) => eprintln!("{}; more with --cursor {c}", entries(page.entries.len())),
                    None => eprintln!("{}", entries(page.entries.len())),
                }
            }
            Ok(())
        }
        AuditCommand::Tail(t) => tail(api, t, json_out),
        AuditCommand::Export(x) => export(api, &x.filters),
        AuditCommand::Verify(v) => verify(api, v, json_out),
    }
}

/// `audit verify`: the daemon (or this process) walks the chain.
fn verify(api: &AdminClient, args: VerifyArgs, json_out: bool) -> Result<(), CliError> {
    let from = match args.from {
        Some(text) if !text.trim().is_empty() && !text.trim().bytes().all(|b| b.is_ascii_digit()) => {
            let note = std::fs::read_to_string(&text).map_err(|e| {
                CliError::Invalid(format!("--from {text}: not a sequence number, and cannot read it as a file: {e}"))
            })?;
            Some(note)
        }
        other => other,
    };
    let result = api.call(VerifyAudit { from })?;
    if json_out {
        print_json(&result);
    } else {
        println!("{}", result.summary);
    }
    if result.ok { Ok(()) } else { Err(CliError::Failed("the audit log does not verify".into())) }
}

/// Streams every matching entry, oldest first, a page at a time.
fn export(api: &AdminClient, filters: &Filters) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let cannot = |e: std::io::Error| CliError::Failed(format!("cannot write: {e}"));
    api.export_audit(&filters.query(), &mut out, cannot).map(|_| ())
}

fn tail(api: &AdminClient, t: TailArgs, json_out: bool) -> Result<(), CliError> {
    let latest = api.call(QueryAudit { limit: Some(t.lines.clamp(1, 10_000) as u64), ..t.filters.query() })?;
    let mut entries = latest.entries;
    entries.reverse();
    let show = |e: &crate::admin::api::AuditRecord| {
        if json_out {
            println!("{}", serde_json::to_string(e).unwrap_or_default())
        } else {
            println!("{}", entry_line(e.fields()))
        }
    };
    let mut last = entries.last().map(|e| e.fields().id);
    entries.iter().for_each(show);
    if !t.follow {
        return Ok(());
    }
    // Follow: poll for entries after the last one shown.
    let mut cursor = last.or_else(|| Some(crate::audit::id_at(crate::audit::now_micros())));
    loop {
        let _ = std::io::stdout().flush();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let query = QueryAudit { limit: Some(1000), cursor, order: Some(AuditOrder::Oldest), ..t.filters.query() };
        let page = api.call(query)?;
        for e in &page.entries {
            show(e);
            last = Some(e.fields().id);
        }
        cursor = last.or(cursor);
    }
}

pub fn sessions(api: &AdminClient, cmd: SessionsCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        SessionsCommand::List { all } => {
            let list = api.call(ListSessions { all })?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    let client = format!("{} {}", s.client.name, s.client.version);
                    vec![
                        s.id.clone(),
                        s.state.clone(),
                        s.face.clone(),
                        client.trim().to_string(),
                        s.ip.clone(),
                        cell(s.credential.as_deref()),
                        s.requests.to_string(),
                        s.started_at.clone(),
                        s.last_activity.clone(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                println!("no {}sessions", if all { "" } else { "active " });
            } else {
                table(
                    &["ID", "STATE", "FACE", "CLIENT", "IP", "CREDENTIAL", "REQUESTS", "STARTED", "LAST ACTIVITY"],
                    &rows,
                );
            }
            Ok(())
        }
        SessionsCommand::End { id } => {
            let ended = api.call(EndSession { id })?;
            if json_out {
                print_json(&ended);
            } else {
                println!("session {} ended; its next request is refused", ended.id);
            }
            Ok(())
        }
    }
}

pub fn jobs(api: &AdminClient, cmd: JobsCommand, json_out: bool) -> Result<(), CliError> {
    let JobsCommand::Run { name } = cmd;
    let report = api.call(RunJob { name })?;
    if json_out {
        print_json(&report);
    } else {
        println!("{}: {} ({:.1} ms)", report.job, report.summary, report.elapsed_ms);
    }
    Ok(())
}

/// "1 entry", "2 entries".
fn entries(n: usize) -> String {
    format!("{n} {}", if n == 1 { "entry" } else { "entries" })
}
