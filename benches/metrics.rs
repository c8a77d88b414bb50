//! The cost of recording metrics on the request path, and of a scrape:
//! `cargo bench --bench metrics`. Prints one line per measurement.

use alpenglow::metrics;
use std::time::{Duration, Instant};

fn line(name: &str, total: Duration, n: u64) {
    let per = total / n.max(1) as u32;
    let rate = n as f64 / total.as_secs_f64();
    println!("{name:<64} {per:>11.2?} each  {rate:>12.0}/s  ({n} in {total:.2?})");
}

const TOOLS: [&str; 4] = ["alpenglow_search", "alpenglow_read", "alpenglow_create", "alpenglow_aggregate"];

fn main() {
    let m = metrics::global();
    let n = 1_000_000u64;
    let started = Instant::now();
    for i in 0..n {
        m.record_request("jsonrpc", TOOLS[(i % 4) as usize], "ok", Duration::from_micros(3000 + i % 1000));
    }
    line("record_request, 1 thread", started.elapsed(), n);

    let threads = 8u64;
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                for i in 0..n / threads {
                    let face = ["mcp", "rest"][(t % 2) as usize];
                    m.record_request(face, TOOLS[(i % 4) as usize], "ok", Duration::from_micros(3000));
                }
            });
        }
    });
    line("record_request, 8 threads (per call, wall clock / calls)", started.elapsed(), n);

    let started = Instant::now();
    for _ in 0..n {
        m.record_upstream(Duration::from_micros(2500), None);
    }
    line("record_upstream", started.elapsed(), n);

    let scrapes = 1000u64;
    let started = Instant::now();
    let mut bytes = 0;
    for _ in 0..scrapes {
        bytes = m.encode(Some(12)).len();
    }
    line(&format!("encode ({bytes} bytes, 12 series with histograms)"), started.elapsed(), scrapes);
}
