//! Backup and restore of a store with many audit entries, through the real
//! binary: `cargo bench --bench backup` (ALPENGLOW_BENCH_AUDIT=N entries,
//! default 200000). Prints time and peak memory (max RSS) of each command,
//! and of the daemon serving a backup over its admin socket.

use alpenglow::admin::AdminService;
use alpenglow::audit::AuditEntry;
use alpenglow::config::ResourceDraft;
use alpenglow::store::Store;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary measured: this build's, or another release's (ALPENGLOW_BENCH_BIN) for comparison.
fn bin() -> String {
    std::env::var("ALPENGLOW_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_alpenglow").to_string())
}

/// Runs `alpenglow --data-dir DIR ARGS...`; its wall time and peak RSS in KiB.
/// The peak is VmHWM sampled every 2 ms (wait4's ru_maxrss would not do: Linux
/// carries the forking parent's peak across exec into the child's).
fn run(dir: &Path, args: &[&str]) -> (Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(bin()).arg("--data-dir").arg(dir).args(args).stdout(Stdio::null()).spawn().unwrap();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak = peak.max(peak_rss(child.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(2));
    };
    assert!(status.success(), "alpenglow {args:?} failed ({status})");
    (started.elapsed(), peak)
}

/// VmHWM (peak RSS) of a running process, in KiB.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn line(name: &str, took: Duration, rss_kib: u64) {
    println!("{name:<58} {took:>10.2?}  peak RSS {:>7.1} MiB", rss_kib as f64 / 1024.0);
}

fn main() {
    let n: usize = std::env::var("ALPENGLOW_BENCH_AUDIT").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    {
        let started = Instant::now();
        let admin = AdminService::new(Store::open(&data).unwrap(), Default::default());
        admin.add_resources(vec![ResourceDraft::new("res.partner", false)]).unwrap();
        let audit = admin.audit();
        for i in 0..n {
            let mut entry = AuditEntry::new("mcp", "127.0.0.1".into(), "alpenglow_search");
            entry.model = Some(["res.partner", "sale.order", "product.product"][i % 3].into());
            entry.credential_id = Some(1 + (i % 4) as u64);
            entry.domain = Some(format!("[[\"name\", \"ilike\", \"customer {i}\"]]"));
            audit.append(entry).unwrap();
        }
        admin.store().flush().unwrap();
        println!("store with {n} audit entries written in {:.2?}", started.elapsed());
    }

    // What any command costs that opens the store: the floor for the figures below.
    let (took, rss) = run(&data, &["settings", "show"]);
    line("settings show, no daemon (for comparison)", took, rss);

    let file = root.path().join("backup.jsonl");
    let file_arg = file.to_str().unwrap();
    let (took, rss) = run(&data, &["backup", file_arg, "--with-audit"]);
    let size = std::fs::metadata(&file).unwrap().len();
    line(&format!("backup, no daemon ({n} entries, {:.1} MiB file)", size as f64 / 1048576.0), took, rss);

    // Through a daemon: the demo serves the same directory.
    let mut demo = Command::new(bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["demo", "--listen", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    BufReader::new(demo.stdout.take().unwrap()).read_line(&mut String::new()).unwrap();
    let daemon_before = peak_rss(demo.id()).unwrap();
    let (took, rss) = run(&data, &["backup", file_arg, "--with-audit"]);
    let daemon_after = peak_rss(demo.id()).unwrap();
    line("backup through the daemon's socket: the CLI", took, rss);
    println!(
        "{:<58} peak RSS {:.1} MiB before, {:.1} MiB after",
        "  the daemon serving it",
        daemon_before as f64 / 1024.0,
        daemon_after as f64 / 1024.0
    );
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(demo.id() as i32, libc::SIGTERM) };
    demo.wait().unwrap();

    let fresh = root.path().join("fresh");
    let (took, rss) = run(&fresh, &["restore", file_arg]);
    line(&format!("restore into a fresh directory ({n} entries)"), took, rss);
}
