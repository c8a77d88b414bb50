//! Sessions: streams per client, timeout to idle, admin termination.

use super::*;

fn info(ip: &str) -> SessionInfo {
    SessionInfo {
        face: "jsonrpc".into(),
        client_name: "bridge".into(),
        client_version: "1.0".into(),
        protocol: None,
        ip: ip.into(),
        credential_id: Some(3),
        credential_label: Some("Demo admin".into()),
        uid: Some(2),
    }
}

fn open() -> (tempfile::TempDir, Sessions) {
    let dir = tempfile::tempdir().unwrap();
    let sessions = Sessions::new(Store::open(dir.path()).unwrap());
    (dir, sessions)
}

#[test]
fn a_stream_is_one_session_per_client_and_ip() {
    let (_dir, sessions) = open();
    let a = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    let b = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    assert_eq!(a.id, b.id);
    assert_eq!(b.request_count, 2);
    let other = sessions.touch_stream(&info("10.0.0.2")).unwrap();
    assert_ne!(other.id, a.id);
    assert_eq!(sessions.list(false).unwrap().len(), 2);
}

#[test]
fn timeout_marks_idle_and_activity_wakes_it() {
    let (_dir, sessions) = open();
    let s = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    let fresh = sessions.touch_stream(&info("10.0.0.9")).unwrap();
    let now = OffsetDateTime::now_utc();
    assert_eq!(sessions.mark_idle(time::Duration::minutes(30), now).unwrap(), 0);
    // Forty minutes on, only sessions untouched since then go idle.
    sessions.touch(&fresh.id).unwrap();
    let later = s.last_activity + time::Duration::minutes(40);
    assert_eq!(sessions.mark_idle(time::Duration::minutes(30), later).unwrap(), 2);
    assert_eq!(sessions.get(&s.id).unwrap().state, SessionState::Idle);
    assert!(sessions.list(false).unwrap().is_empty());
    assert_eq!(sessions.touch(&s.id).unwrap().state, SessionState::Active);
}

#[test]
fn an_ended_session_refuses_its_next_request_clearly() {
    let (_dir, sessions) = open();
    let mcp = sessions.open("abc", &SessionInfo { face: "mcp".into(), ..info("10.0.0.1") }).unwrap();
    assert_eq!(mcp.kind, SessionKind::Mcp);
    sessions.touch("abc").unwrap();
    sessions.end("abc").unwrap();
    assert!(sessions.is_ended("abc").unwrap());
    let err = sessions.touch("abc").unwrap_err().to_string();
    assert!(err.contains("ended by an administrator"), "{err}");

    let stream = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    sessions.end(&stream.id).unwrap();
    assert!(matches!(sessions.touch_stream(&info("10.0.0.1")), Err(SessionError::Ended(_))));
    // The request after the refusal starts a new session.
    let next = sessions.touch_stream(&info("10.0.0.1")).unwrap();
    assert_ne!(next.id, stream.id);
    assert!(matches!(sessions.end("nope"), Err(SessionError::NotFound(_))));
}

#[test]
fn a_session_stored_by_the_previous_release_reads_and_updates() {
    let (_dir, sessions) = open();
    let started = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
    let expected_info = SessionInfo { face: "mcp".into(), protocol: Some("2025-06-18".into()), ..info("10.0.0.1") };
    let known = expected_info.clone();
    let old = SessionV1 {
        id: "4f1c".into(),
        kind: SessionKind::Mcp,
        face: known.face,
        started_at: started,
        last_activity: started,
        client_name: known.client_name,
        client_version: known.client_version,
        protocol: known.protocol,
        ip: known.ip,
        credential_id: known.credential_id,
        credential_label: known.credential_label,
        uid: known.uid,
        request_count: 7,
        state: SessionState::Idle,
        ended_at: None,
    };
    let mut bytes = vec![1u8];
    bytes.extend(bincode::serde::encode_to_vec(&old, bincode::config::standard()).unwrap());
    sessions.store.insert_raw("sessions", &[(b"4f1c".to_vec(), bytes)]).unwrap();

    let read = sessions.get("4f1c").unwrap();
    assert_eq!((read.info, read.request_count, read.state), (expected_info.clone(), 7, SessionState::Idle));
    // A request rewrites it in the current layout, and it still reads.
    let touched = sessions.touch("4f1c").unwrap();
    assert_eq!((touched.request_count, touched.state), (8, SessionState::Active));
    assert_eq!(sessions.get("4f1c").unwrap().info, expected_info);
}
