//! The limiter's promises: never more than the limit in any 60 s, under
//! concurrency too; refunds; persistence across a restart; purging.

use super::*;
use std::sync::Arc;

fn ip() -> Subject {
    Subject::Ip("192.0.2.7".parse().unwrap())
}

#[test]
fn never_more_than_the_limit_in_any_sixty_seconds() {
    let limiter = Limiter::new(None);
    let limit = 25;
    // Deterministic pseudo-random arrivals over 5 minutes.
    let mut t = 1_000_000u64;
    let mut seed = 12345u64;
    let mut accepted = Vec::new();
    for _ in 0..5_000 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        t += (seed >> 33) % 120;
        if matches!(limiter.acquire_at(&ip(), Budget::General, limit, t), Decision::Allowed { .. }) {
            accepted.push(t);
        }
    }
    for (i, start) in accepted.iter().enumerate() {
        let in_window = accepted[i..].iter().take_while(|a| **a < start + WINDOW_MS).count();
        assert!(in_window <= limit as usize, "{in_window} hits within 60 s of {start}");
    }
    // And it is not needlessly strict: the limit is reached in each minute.
    assert!(accepted.len() >= 4 * limit as usize, "{}", accepted.len());
}

#[test]
fn refusal_says_when_to_retry_and_limit_changes_apply_at_once() {
    let limiter = Limiter::new(None);
    let t0 = 10_000_000;
    for i in 0..3 {
        assert!(matches!(limiter.acquire_at(&ip(), Budget::General, 3, t0 + i), Decision::Allowed { .. }));
    }
    match limiter.acquire_at(&ip(), Budget::General, 3, t0 + 50) {
        Decision::Limited { status, retry_after_ms, reset_at_unix } => {
            assert_eq!(status.remaining, 0);
            assert!(retry_after_ms > 59_000 && retry_after_ms <= 60_100, "{retry_after_ms}");
            assert_eq!(reset_at_unix, (t0 + 50 + retry_after_ms).div_ceil(1000));
        }
        other => panic!("{other:?}"),
    }
    // Raised limit: room at once. Lowered: refused at once.
    assert!(matches!(limiter.acquire_at(&ip(), Budget::General, 4, t0 + 60), Decision::Allowed { .. }));
    assert!(matches!(limiter.acquire_at(&ip(), Budget::General, 2, t0 + 70), Decision::Limited { .. }));
    // Budgets are separate.
    assert!(matches!(limiter.acquire_at(&ip(), Budget::Aggregate, 1, t0 + 80), Decision::Allowed { .. }));
    assert!(matches!(limiter.acquire_at(&Subject::Credential(1), Budget::General, 1, t0), Decision::Allowed { .. }));
}

#[test]
fn exact_under_sixty_four_threads() {
    let limiter = Arc::new(Limiter::new(None));
    let passed = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let threads: Vec<_> = (0..64)
        .map(|_| {
            let (limiter, passed) = (limiter.clone(), passed.clone());
            std::thread::spawn(move || {
                for _ in 0..100 {
                    if let Decision::Allowed { .. } = limiter.acquire(&Subject::User(9), Budget::General, 1000) {
                        passed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(passed.load(std::sync::atomic::Ordering::SeqCst), 1000);
}

#[test]
fn a_released_hit_is_given_back() {
    let limiter = Limiter::new(None);
    let Decision::Allowed { ticket, .. } = limiter.acquire_at(&ip(), Budget::General, 1, 5_000) else { panic!() };
    assert!(matches!(limiter.acquire_at(&ip(), Budget::General, 1, 5_001), Decision::Limited { .. }));
    limiter.release(&ticket);
    assert!(matches!(limiter.acquire_at(&ip(), Budget::General, 1, 5_002), Decision::Allowed { .. }));
}

#[test]
fn counters_survive_a_restart_and_expired_ones_are_purged() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        let limiter = Limiter::new(Some(store.clone()));
        for _ in 0..5 {
            assert!(matches!(limiter.acquire(&Subject::Credential(3), Budget::General, 5), Decision::Allowed { .. }));
        }
        assert_eq!(limiter.persist().unwrap(), 1);
        // An old window that the cleanup must remove.
        let old = StoredWindow { buckets: vec![(1_000, 1)] };
        store.table::<StoredWindow>().unwrap().insert("all:cred:4", &old).unwrap();
        store.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let limiter = Limiter::new(Some(store));
    assert!(matches!(limiter.acquire(&Subject::Credential(3), Budget::General, 5), Decision::Limited { .. }));
    assert_eq!(limiter.status(&Subject::Credential(3), Budget::General, 5).remaining, 0);
    let report = limiter.purge_expired().unwrap();
    assert_eq!(report.stored, 1, "{report:?}");
    assert_eq!(report.in_memory, 0);
    assert!(matches!(limiter.acquire(&Subject::Credential(3), Budget::General, 5), Decision::Limited { .. }));
}

#[test]
fn rate_slot_carries_the_latest_status() {
    let slot = RateSlot::default();
    assert_eq!(slot.get(), None);
    let status = RateStatus { limit: 5, remaining: 4, reset_secs: 60 };
    slot.set(status);
    assert_eq!(slot.clone().get(), Some(status));
}

#[test]
fn ipv6_clients_are_counted_by_their_64_network() {
    let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let same_host_other_address: IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
    let next_network: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(budget_ip(one), budget_ip(same_host_other_address));
    assert_eq!(budget_ip(one), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
    assert_ne!(budget_ip(one), budget_ip(next_network));
    let v4: IpAddr = "192.0.2.7".parse().unwrap();
    assert_eq!(budget_ip(v4), v4);
    assert_eq!(budget_ip("::ffff:192.0.2.7".parse().unwrap()), v4);

    // Rotating addresses inside one /64 spends one budget.
    let limiter = Limiter::new(None);
    for last in 0..3u16 {
        let address = std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, last);
        let subject = Subject::Ip(budget_ip(IpAddr::V6(address)));
        assert!(matches!(limiter.acquire(&subject, Budget::General, 2), Decision::Allowed { .. }) == (last < 2));
    }
}

#[test]
fn memory_follows_the_callers_of_the_last_minute_not_every_address_ever_seen() {
    let limiter = Limiter::new(None);
    let address = |round: u32, i: u32| Subject::Ip(std::net::Ipv4Addr::from((10 << 24) + round * 100_000 + i).into());
    let t0 = 50_000_000;
    // One caller spends its whole budget; it must stay refused through the sweeps.
    let busy = Subject::Ip("192.0.2.99".parse().unwrap());
    for _ in 0..3 {
        assert!(matches!(limiter.acquire_at(&busy, Budget::General, 3, t0), Decision::Allowed { .. }));
    }
    // Five waves of 20,000 new addresses, a minute and a second apart.
    for round in 0..5 {
        let now = t0 + u64::from(round) * 61_000;
        for i in 0..20_000 {
            limiter.acquire_at(&address(round, i), Budget::General, 10, now);
        }
        if round == 0 {
            assert!(matches!(limiter.acquire_at(&busy, Budget::General, 3, now + 1), Decision::Limited { .. }));
        }
    }
    // Without sweeping this would be 100,001 windows.
    assert!(limiter.len() <= 2 * 20_000 + SHARDS * MIN_SWEEP, "{} windows held", limiter.len());
    // The last wave is intact: each of its callers has its hit counted.
    let last_wave = t0 + 4 * 61_000;
    for i in [0, 123, 19_999] {
        let decision = limiter.acquire_at(&address(4, i), Budget::General, 1, last_wave + 1);
        assert!(matches!(decision, Decision::Limited { .. }), "{decision:?}");
    }
}
