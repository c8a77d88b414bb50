use super::*;
use serde_json::json;

#[test]
fn requests_travel_as_op_and_args_and_read_back_the_same() {
    let request = Request::from(SetSetting { key: "max_search_limit".into(), value: "2000".into() });
    let line = request.to_line();
    assert_eq!(
        serde_json::from_str::<Value>(&line).unwrap(),
        json!({"op": "settings.set", "args": {"key": "max_search_limit", "value": "2000"}})
    );
    assert_eq!(Request::from_line(&line).unwrap(), request);
    // Arguments that are all optional may be left out, or be null.
    for line in [r#"{"op": "sessions.list"}"#, r#"{"op": "sessions.list", "args": null}"#] {
        assert_eq!(Request::from_line(line).unwrap(), Request::ListSessions(ListSessions { all: false }));
    }
    assert_eq!(Request::from_line(r#"{"op": "ping", "args": {}}"#).unwrap(), Request::Ping(Ping {}));
}

#[test]
fn refusals_say_what_was_wrong() {
    let refused = |line: &str| Request::from_line(line).unwrap_err();
    assert!(refused("not json").message.starts_with("a request must be one JSON object per line"));
    assert!(refused(r#"{"args": {}}"#).message.contains(r#"a request needs "op""#));
    let unknown = refused(r#"{"op": "frobnicate"}"#);
    assert!(unknown.message.starts_with(r#"unknown operation "frobnicate"; known: ping, status,"#), "{unknown}");
    assert!(unknown.message.contains("backup.audit_page"), "{unknown}");
    let missing = refused(r#"{"op": "settings.set", "args": {"key": "x"}}"#);
    assert!(missing.message.starts_with("settings.set: ") && missing.message.contains("value"), "{missing}");
    assert!(refused(r#"{"op": "status", "args": [1]}"#).message.contains("args must be a JSON object"));
    assert!(
        [unknown, missing].iter().all(|e| e.kind == ErrorKind::Invalid),
        "a request that cannot be read is the caller's input"
    );
}

#[test]
fn every_operation_is_named_once() {
    let names = Request::names();
    assert_eq!(names.len(), 35, "{names:?}");
    let mut unique = names.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len());
    for name in names {
        // Each name reads as its operation: an unknown one would be refused as such.
        let read = Request::from_line(&json!({"op": name, "args": {}}).to_string());
        assert!(!read.is_err_and(|e| e.message.starts_with("unknown operation")), "{name}");
    }
}

#[test]
fn a_resource_patch_tells_absent_from_null() {
    let read = |args: Value| match Request::from_line(&json!({"op": "resources.edit", "args": args}).to_string()) {
        Ok(Request::EditResource(edit)) => edit.patch.company_id,
        other => panic!("{other:?}"),
    };
    assert_eq!(read(json!({"resource": "1", "patch": {}})), None);
    assert_eq!(read(json!({"resource": "1", "patch": {"company_id": null}})), Some(None));
    assert_eq!(read(json!({"resource": "1", "patch": {"company_id": 3}})), Some(Some(3)));
    // And writes them back the same way.
    let all_companies = ResourcePatch { company_id: Some(None), ..ResourcePatch::default() };
    assert_eq!(serde_json::to_value(&all_companies).unwrap(), json!({"company_id": null}));
    assert_eq!(serde_json::to_value(ResourcePatch::default()).unwrap(), json!({}));
}

#[test]
fn audit_numbers_may_come_as_text_and_keys_never_show_in_debug() {
    let line = r#"{"op": "audit.query", "args": {"credential": "7", "limit": 5, "order": "oldest"}}"#;
    let Ok(Request::QueryAudit(query)) = Request::from_line(line) else { panic!() };
    assert_eq!((query.credential, query.limit, query.order), (Some(7), Some(5), Some(AuditOrder::Oldest)));
    let refused = Request::from_line(r#"{"op": "audit.query", "args": {"credential": "seven"}}"#).unwrap_err();
    assert!(refused.message.contains("\"seven\" is not a whole number"), "{refused}");
    let key = "5f3c9a7e1b2d4f6a8c0e1f2a3b4c5d6e7f809a1b";
    let create = Request::from(CreateCredential { key: SecretText(key.into()), ..CreateCredential::default() });
    assert!(!format!("{create:?}").contains(key));
    assert!(create.to_line().contains(key), "the socket carries it to the daemon");
}

#[test]
fn replies_are_ok_or_a_typed_error_and_answers_read_leniently() {
    let ok: Reply<Value> = serde_json::from_str(r#"{"ok": {"alpenglow": "1.0"}}"#).unwrap();
    let pong = decode::<Ping>(ok.into()).unwrap();
    assert_eq!(pong, Pong { alpenglow: "1.0".into(), mode: String::new() }, "a missing field is its default");
    let refused: Reply<Value> = serde_json::from_str(r#"{"error": {"kind": "not_found", "message": "no"}}"#).unwrap();
    assert_eq!(ApiResult::from(refused).unwrap_err(), ApiError { kind: ErrorKind::NotFound, message: "no".into() });
    let unknown: Reply<Value> = serde_json::from_str(r#"{"error": {"kind": "exploded"}}"#).unwrap();
    let e = ApiResult::from(unknown).unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Failed, "the daemon refused without a message"));
    assert_eq!(
        serde_json::to_value(Reply::<Value>::Error(ApiError::invalid("x"))).unwrap(),
        json!({"error": {"kind": "invalid", "message": "x"}})
    );
}

#[test]
fn an_audit_record_keeps_the_entry_as_exported() {
    let json = json!({"time": "2026-11-27T10:00:05Z", "tool": "alpenglow_search", "future_field": [1]});
    let record: AuditRecord = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(record.fields().tool, "alpenglow_search");
    assert_eq!(serde_json::to_value(&record).unwrap(), json, "written back as it came, in its order");
}

#[test]
fn who_decides_an_approval_is_never_read_from_the_wire() {
    let line = r#"{"op": "approvals.approve", "args": {"id": 7, "reason": "ok", "actor": "mallory"}}"#;
    let Request::ApproveApproval(call) = Request::from_line(line).unwrap() else { panic!("approvals.approve") };
    assert_eq!((call.id, call.reason.as_deref(), call.actor.as_str()), (7, Some("ok"), ""));
    let sent = Request::from(DenyApproval { id: 7, reason: None, actor: "me".into() }).to_line();
    assert!(!sent.contains("actor"), "{sent}");
}
