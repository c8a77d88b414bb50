use super::*;

fn queue() -> (tempfile::TempDir, Approvals) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, Approvals::new(store))
}

fn pending(q: &Approvals, now: i64) -> Approval {
    q.create(NewApproval {
        rule: ApprovalRule::Admin,
        tool: "alpenglow_delete".into(),
        params: r#"{"model":"res.partner","ids":[1]}"#.into(),
        model: "res.partner".into(),
        operation_hash: operation_hash("x"),
        summary: "delete 1 res.partner record (ids 1)".into(),
        record_count: 1,
        requester: Requester {
            credential_id: Some(3),
            credential_label: Some("bot".into()),
            uid: 2,
            login: "admin".into(),
            face: "mcp".into(),
            client_ip: "127.0.0.1".into(),
        },
        now_us: now,
        ttl_us: 1_000,
    })
    .unwrap()
}

fn decision(approved: bool, at_us: i64) -> Decision {
    Decision { approved, by: "test".into(), by_admin: true, at_us, reason: Some("why".into()) }
}

#[test]
fn an_approval_runs_once_and_its_states_move_one_way() {
    let (_dir, q) = queue();
    let a = pending(&q, 100);
    assert_eq!(a.state, State::Pending);
    assert!(q.claim(a.id, 150).unwrap_err().to_string().contains("pending, not approved"));
    let approved = q.decide(a.id, decision(true, 200), 1_000).unwrap();
    assert_eq!((approved.state, approved.expires_us), (State::Approved, 1_200));
    assert!(q.decide(a.id, decision(false, 210), 1_000).unwrap_err().to_string().contains("already decided"));
    assert_eq!(q.claim(a.id, 300).unwrap().state, State::Running);
    // A second claim (a replay, or a race) is refused.
    assert!(q.claim(a.id, 301).unwrap_err().to_string().contains("running, not approved"));
    assert_eq!(q.finish(a.id, Ok(()), 400).unwrap().state, State::Done);
    assert!(q.claim(a.id, 500).unwrap_err().to_string().contains("done, not approved"));
    assert!(matches!(q.get(999), Err(ApprovalError::NotFound(999))));
}

#[test]
fn concurrent_claims_let_exactly_one_through() {
    let (_dir, q) = queue();
    let a = pending(&q, 100);
    q.decide(a.id, decision(true, 200), 1_000_000).unwrap();
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8).map(|_| s.spawn(|| q.claim(a.id, 300).is_ok())).collect();
        handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum()
    });
    assert_eq!(wins, 1);
}

#[test]
fn expiry_refuses_decisions_and_runs_and_the_cleanup_marks_and_deletes() {
    let (_dir, q) = queue();
    let late = pending(&q, 100);
    assert_eq!(late.state_at(1_099), State::Pending);
    assert_eq!(late.state_at(1_100), State::Expired);
    assert!(q.decide(late.id, decision(true, 1_100), 1_000).unwrap_err().to_string().contains("expired"));
    let approved = pending(&q, 100);
    q.decide(approved.id, decision(true, 500), 1_000).unwrap();
    assert!(q.claim(approved.id, 1_500).unwrap_err().to_string().contains("expired, not approved"));
    let denied = pending(&q, 100);
    q.decide(denied.id, decision(false, 200), 1_000).unwrap();
    assert_eq!(q.list(false, 1_600).unwrap().len(), 0);
    assert_eq!(q.list(true, 1_600).unwrap().len(), 3);
    assert_eq!(q.cleanup(1_600).unwrap(), (2, 0));
    assert_eq!(q.get(late.id).unwrap().state, State::Expired);
    assert_eq!(q.get(denied.id).unwrap().state, State::Denied);
    assert_eq!(q.cleanup(100 + RETENTION_MICROS + 1).unwrap(), (0, 3));
    assert!(q.list(true, 0).unwrap().is_empty());
}
