//! Slow, idle and too many connections against the real `alpenglow serve`:
//! a request head sent a byte at a time, a body that never comes, a
//! declared body over the limit, idle keep-alive connections, more
//! connections than `max_connections`, and a process out of descriptors.
//! The `[http]` limits are set short in the config file, so each test waits
//! on the server closing or answering, never on a fixed sleep.

use crate::common::http;
use crate::common::serve::Serve;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn serve_with(root: &std::path::Path, http_section: &str) -> Serve {
    Serve::start(root, &format!("listen = \"127.0.0.1:0\"\n\n[http]\n{http_section}\n"))
}

/// Reads until the server closes the connection (EOF or a reset); returns
/// what came and how long it took, or None if it stayed open past `bound`.
fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    stream.set_read_timeout(Some(bound)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some((got, started.elapsed())),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return None,
            Err(_) => return Some((got, started.elapsed())),
        }
    }
}

fn status_of(raw: &[u8]) -> Option<u16> {
    std::str::from_utf8(raw).ok()?.split_whitespace().nth(1)?.parse().ok()
}

fn healthz(addr: SocketAddr) -> u16 {
    http::request_with_timeout(addr, "GET", "/healthz", &[], b"", Duration::from_secs(5)).map(|r| r.status).unwrap_or(0)
}

#[test]
fn request_heads_sent_a_byte_at_a_time_lose_their_connection() {
    let root = tempfile::tempdir().unwrap();
    let serve = serve_with(root.path(), "header_read_timeout_seconds = 1");
    let mut slow: Vec<Option<TcpStream>> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(serve.addr).unwrap();
            s.write_all(b"POST /alpenglow/mcp HTTP/1.1\r\n").unwrap();
            s.set_nonblocking(true).unwrap();
            Some(s)
        })
        .collect();
    let started = Instant::now();
    let header = b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    let mut sent = 0;
    // A slow client's pace, one byte per connection every 100 ms, for at most 10 s.
    while slow.iter().any(Option::is_some) && started.elapsed() < Duration::from_secs(10) {
        for slot in slow.iter_mut() {
            let Some(stream) = slot else { continue };
            let mut probe = [0u8; 1];
            let closed = match stream.read(&mut probe) {
                Ok(0) => true,
                Ok(_) => false,
                Err(e) => e.kind() != ErrorKind::WouldBlock,
            };
            if closed || stream.write(&header[sent % header.len()..][..1]).is_err() {
                *slot = None;
            }
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let open = slow.iter().filter(|s| s.is_some()).count();
    assert_eq!(open, 0, "{open} of 40 slow request heads still hold a connection after {:?}", started.elapsed());
    assert_eq!(healthz(serve.addr), 200);
}

#[test]
fn a_body_that_does_not_arrive_gets_408() {
    let root = tempfile::tempdir().unwrap();
    let serve = serve_with(root.path(), "body_read_timeout_seconds = 1");
    let mut stream = TcpStream::connect(serve.addr).unwrap();
    let head =
        "POST /alpenglow/mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(b"{\"jsonrpc\":").unwrap();
    let (raw, took) = read_until_closed(&mut stream, Duration::from_secs(10)).expect("the server gave up on the body");
    assert_eq!(status_of(&raw), Some(408), "{}", String::from_utf8_lossy(&raw));
    assert!(String::from_utf8_lossy(&raw).contains("body_read_timeout_seconds"));
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_declared_body_over_the_limit_gets_413_at_once() {
    let root = tempfile::tempdir().unwrap();
    // The body timeout is long: an answer within seconds did not wait for the body.
    let serve = serve_with(root.path(), "body_read_timeout_seconds = 600");
    for path in ["/alpenglow/mcp", "/alpenglow/api/models/res.partner/records"] {
        let mut stream = TcpStream::connect(serve.addr).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).unwrap();
        let (raw, _) = read_until_closed(&mut stream, Duration::from_secs(10)).expect("413 without the body");
        let text = String::from_utf8_lossy(&raw);
        assert_eq!(status_of(&raw), Some(413), "{path}: {text}");
        assert!(text.contains("request body too large: at most 1048576 bytes"), "{text}");
    }
}

#[test]
fn idle_keep_alive_connections_are_closed() {
    let root = tempfile::tempdir().unwrap();
    let serve = serve_with(root.path(), "idle_timeout_seconds = 1\nheader_read_timeout_seconds = 30");
    let mut stream = TcpStream::connect(serve.addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    // The answer comes, the connection stays for the next request, then goes.
    let (raw, took) = read_until_closed(&mut stream, Duration::from_secs(10)).expect("the idle connection was closed");
    assert_eq!(status_of(&raw), Some(200));
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "closed after {took:?}");
}

#[test]
fn connections_past_the_cap_are_refused_clearly() {
    let root = tempfile::tempdir().unwrap();
    let serve = serve_with(root.path(), "max_connections = 8\nidle_timeout_seconds = 60");
    // Eight kept-alive connections, each served once, so the server holds them.
    let mut held: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut s = TcpStream::connect(serve.addr).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            assert_eq!(status_of(&buf[..n]), Some(200));
            s
        })
        .collect();
    let refused = http::request_with_timeout(serve.addr, "GET", "/healthz", &[], b"", Duration::from_secs(10)).unwrap();
    assert_eq!(refused.status, 503, "{}", refused.text());
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["error"]["code"], "too_many_connections");
    assert!(refused.text().contains("maximum of 8 connections (max_connections)"), "{}", refused.text());
    // One goes: a new client gets in.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    while healthz(serve.addr) != 200 {
        assert!(Instant::now() < deadline, "no room after a connection closed");
    }
}

/// User and system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn out_of_descriptors_the_accept_loop_backs_off_and_logs_once() {
    let root = tempfile::tempdir().unwrap();
    let mut serve = serve_with(root.path(), "header_read_timeout_seconds = 60\nidle_timeout_seconds = 60");
    let pid = serve.child.id();
    // Lower the running daemon's open-file limit (after it sized its cap),
    // so descriptors run out before the connection cap is reached.
    let open_now = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count() as u64;
    let limit = libc::rlimit { rlim_cur: open_now + 10, rlim_max: open_now + 10 };
    // SAFETY: prlimit on our own child with a valid struct; no memory effects.
    let lowered = unsafe { libc::prlimit(pid as i32, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
    if lowered != 0 {
        eprintln!("SKIPPED out_of_descriptors...: prlimit on the daemon failed ({})", std::io::Error::last_os_error());
        return;
    }
    let clients: Vec<TcpStream> = (0..30).map(|_| TcpStream::connect(serve.addr).unwrap()).collect();
    serve.wait_for_log(|e| e["message"].as_str().is_some_and(|m| m.starts_with("cannot accept connections")));
    // Out of descriptors with clients waiting: the loop must sleep, not spin.
    let (before, started) = (cpu_ticks(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(pid) - before;
    let ticks_per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let share = used as f64 / ticks_per_s / started.elapsed().as_secs_f64();
    assert!(share < 0.2, "the daemon used {:.0}% of a core while out of descriptors", share * 100.0);
    let warnings = serve
        .logs()
        .iter()
        .filter(|e| e["message"].as_str().is_some_and(|m| m.starts_with("cannot accept connections")))
        .count();
    assert_eq!(warnings, 1, "logged once while it lasts");

    drop(clients);
    let deadline = Instant::now() + Duration::from_secs(10);
    while healthz(serve.addr) != 200 {
        assert!(Instant::now() < deadline, "the daemon does not accept again");
    }
    serve.wait_for_log(|e| e["message"].as_str() == Some("accepting connections again"));
}
