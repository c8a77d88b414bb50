//! `alpenglow audit`, `alpenglow sessions` and `alpenglow jobs`: the traffic
//! side of the admin API. Each command asks the running daemon over its
//! admin socket when one answers, else opens the store itself, so `audit
//! export` works with no daemon, also after one was killed with `kill -9`.

use super::CliError;
use super::output::table;
use crate::admin::AdminService;
use crate::admin::traffic;
use crate::admin_socket::{ErrorKind, SocketClient};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Search the audit log, newest first (--oldest to reverse).
    Query(QueryArgs),
    /// The latest entries; with --follow, new ones as they arrive.
    Tail(TailArgs),
    /// Every matching entry, oldest first, one JSON object per line.
    Export(ExportArgs),
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
    fn to_args(&self) -> Value {
        json!({
            "from": self.from, "to": self.to, "credential": self.credential, "model": self.model,
            "tool": self.tool, "outcome": self.outcome, "text": self.text,
        })
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

/// Where the calls go: the daemon's socket, or a store opened here.
pub enum Api {
    Socket(SocketClient),
    Local(AdminService),
}

impl Api {
    pub fn call(&self, op: &str, args: Value) -> Result<Value, CliError> {
        match self {
            Api::Socket(client) => client.request(op, args).map_err(|e| match e.kind {
                ErrorKind::Failed => CliError::Failed(e.message),
                _ => CliError::Invalid(e.message),
            }),
            Api::Local(admin) => match traffic::dispatch(admin, op, &args) {
                Some(result) => result.map_err(CliError::from),
                None => Err(CliError::Failed(format!("unknown operation {op}"))),
            },
        }
    }
}

fn print_json(value: &Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn entry_line(e: &Value) -> String {
    let who = match (&e["credential"], &e["login"]) {
        (Value::String(c), _) => c.clone(),
        (_, Value::String(l)) => l.clone(),
        _ => "-".into(),
    };
    let ids = match (&e["ids"], &e["id_count"]) {
        (_, Value::Number(n)) => format!(" ids:{n}"),
        (Value::Array(a), _) if !a.is_empty() => format!(" ids:{}", Value::Array(a.clone())),
        _ => String::new(),
    };
    let error = e["error"].as_str().map(|m| format!(" - {m}")).unwrap_or_default();
    format!(
        "{} {:<7} {:<15} {:<20} {:<24} {}{} {}{}",
        cell(&e["time"]),
        cell(&e["face"]),
        cell(&e["ip"]),
        who,
        cell(&e["tool"]),
        cell(&e["model"]),
        ids,
        cell(&e["outcome"]),
        error
    )
}

fn with(mut args: Value, extra: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (args.as_object_mut(), extra) {
        a.extend(b);
    }
    args
}

pub fn audit(api: &Api, cmd: AuditCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        AuditCommand::Query(q) => {
            let order = if q.oldest { "oldest" } else { "newest" };
            let args = with(q.filters.to_args(), json!({"limit": q.limit, "cursor": q.cursor, "order": order}));
            let page = api.call("audit.query", args)?;
            if json_out {
                print_json(&page);
            } else {
                let entries = page["entries"].as_array().cloned().unwrap_or_default();
                for e in &entries {
                    println!("{}", entry_line(e));
                }
                match page["next_cursor"].as_u64() {
                    Some(c) => eprintln!("{} entries; more with --cursor {c}", entries.len()),
                    None => eprintln!("{} entries", entries.len()),
                }
            }
            Ok(())
        }
        AuditCommand::Tail(t) => tail(api, t, json_out),
        AuditCommand::Export(x) => export(api, &x.filters),
    }
}

/// Streams every matching entry, oldest first, a page at a time.
fn export(api: &Api, filters: &Filters) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let cannot = |e: std::io::Error| CliError::Failed(format!("cannot write: {e}"));
    traffic::export_jsonl(&filters.to_args(), |args| api.call("audit.query", args), &mut out, cannot).map(|_| ())
}

fn tail(api: &Api, t: TailArgs, json_out: bool) -> Result<(), CliError> {
    let latest = api.call("audit.query", with(t.filters.to_args(), json!({"limit": t.lines.clamp(1, 10_000)})))?;
    let mut entries = latest["entries"].as_array().cloned().unwrap_or_default();
    entries.reverse();
    let show = |e: &Value| if json_out { println!("{e}") } else { println!("{}", entry_line(e)) };
    let mut last = entries.last().and_then(|e| e["id"].as_u64());
    entries.iter().for_each(show);
    if !t.follow {
        return Ok(());
    }
    // Follow: poll for entries after the last one shown.
    let mut cursor = last.or_else(|| Some(crate::audit::id_at(crate::audit::now_micros())));
    loop {
        let _ = std::io::stdout().flush();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let args = with(t.filters.to_args(), json!({"limit": 1000, "cursor": cursor, "order": "oldest"}));
        let page = api.call("audit.query", args)?;
        for e in page["entries"].as_array().into_iter().flatten() {
            show(e);
            last = e["id"].as_u64();
        }
        cursor = last.or(cursor);
    }
}

pub fn sessions(api: &Api, cmd: SessionsCommand, json_out: bool) -> Result<(), CliError> {
    match cmd {
        SessionsCommand::List { all } => {
            let list = api.call("sessions.list", json!({"all": all}))?;
            if json_out {
                print_json(&list);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    let client =
                        format!("{} {}", cell(&s["client"]["name"]), s["client"]["version"].as_str().unwrap_or(""));
                    vec![
                        cell(&s["id"]),
                        cell(&s["state"]),
                        cell(&s["face"]),
                        client.trim().to_string(),
                        cell(&s["ip"]),
                        cell(&s["credential"]),
                        cell(&s["requests"]),
                        cell(&s["started_at"]),
                        cell(&s["last_activity"]),
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
            let ended = api.call("sessions.end", json!({"id": id}))?;
            if json_out {
                print_json(&ended);
            } else {
                println!("session {} ended; its next request is refused", cell(&ended["id"]));
            }
            Ok(())
        }
    }
}

pub fn jobs(api: &Api, cmd: JobsCommand, json_out: bool) -> Result<(), CliError> {
    let JobsCommand::Run { name } = cmd;
    let report = api.call("jobs.run", json!({"name": name}))?;
    if json_out {
        print_json(&report);
    } else {
        println!(
            "{}: {} ({:.1} ms)",
            cell(&report["job"]),
            cell(&report["summary"]),
            report["elapsed_ms"].as_f64().unwrap_or(0.0)
        );
    }
    Ok(())
}
