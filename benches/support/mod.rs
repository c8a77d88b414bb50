//! What more than one bench reads off the machine (Linux `/proc`), shared
//! with `#[path = "support/mod.rs"] mod support;`.

#![allow(dead_code)]

/// (VmRSS, VmHWM) of a process, in KiB.
pub fn rss(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// The 1, 5 and 15 minute load averages, printed beside every figure.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
