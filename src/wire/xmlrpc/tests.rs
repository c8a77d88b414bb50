//! Codec tests against the real Odoo 19 and 17 XML-RPC recordings.

use super::*;

const DIRS: [(&str, Dialect); 2] =
    [("/work/shared/odoo-wire/xmlrpc", Dialect::Odoo19), ("/work/shared/odoo-wire-17/xmlrpc", Dialect::Stdlib)];

/// The recorder replaced key strings by `<admin-key>` without escaping them,
/// which is not well-formed XML; put the escaped form back.
fn unplaceholder(body: &str) -> String {
    body.replace("<admin-key>", "&lt;admin-key&gt;").replace("<user-key>", "&lt;user-key&gt;")
}

fn recordings() -> Vec<(String, Dialect, serde_json::Value)> {
    let mut out = Vec::new();
    for (dir, dialect) in DIRS {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).expect("readable recording");
            let json: serde_json::Value = serde_json::from_str(&text).expect("recording is JSON");
            out.push((path.display().to_string(), dialect, json));
        }
    }
    out
}

#[test]
fn recorded_requests_parse_and_reencode_byte_for_byte() {
    let recs = recordings();
    assert!(recs.len() > 100, "recordings missing: {}", recs.len());
    for (name, _, rec) in &recs {
        let body = rec["request"]["body"].as_str().expect("xml body");
        if name.ends_with("error_malformed_xml.json") {
            assert!(parse_call(body).is_err(), "{name}");
            continue;
        }
        let body = unplaceholder(body);
        let call = parse_call(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(encode_call(&call), body, "{name}");
    }
}

#[test]
fn recorded_responses_parse_and_reencode_byte_for_byte() {
    let mut faults = 0;
    for (name, dialect, rec) in recordings() {
        let body = rec["response"]["body"].as_str().expect("xml body");
        let resp = parse_response(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let MethodResponse::Fault(f) = &resp {
            faults += 1;
            match &f.code {
                FaultCode::Int(c) => assert!((1..=4).contains(c), "{name}"),
                FaultCode::Str(s) => assert!(s.starts_with("warning -- AccessError"), "{name}"),
            }
        }
        assert_eq!(encode_response(&resp, dialect), body, "{name}");
    }
    assert!(faults > 40, "faults seen: {faults}");
}

#[test]
fn recorded_response_matches_jsonrpc_result() {
    // The same operation over JSON-RPC gives the JSON the XML-RPC value must convert to.
    for dir in ["/work/shared/odoo-wire", "/work/shared/odoo-wire-17"] {
        for op in
            ["partner_read", "partner_fields_get", "sale_order_read_group", "partner_search_read_user_default_fields"]
        {
            let read = |p: &str| -> serde_json::Value {
                serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{p}/{op}.json")).expect("file"))
                    .expect("json")
            };
            let xml = read("xmlrpc");
            let json = read("jsonrpc");
            let Ok(MethodResponse::Success(v)) = parse_response(xml["response"]["body"].as_str().expect("str")) else {
                panic!("{op}: not a success");
            };
            assert_eq!(v.into_json(), json["response"]["body"]["result"], "{dir} {op}");
        }
    }
}

#[test]
fn fault_codes_int_and_legacy_string() {
    let legacy = std::fs::read_to_string("/work/shared/odoo-wire/xmlrpc/error_legacy_endpoint_access.json").expect("f");
    let rec: serde_json::Value = serde_json::from_str(&legacy).expect("json");
    let Ok(MethodResponse::Fault(f)) = parse_response(rec["response"]["body"].as_str().expect("s")) else {
        panic!("not a fault")
    };
    assert!(matches!(f.code, FaultCode::Str(ref s) if s.contains("not allowed to modify")));
    assert_eq!(f.string, "");
}

#[test]
fn escaping_round_trips() {
    let v = Value::Struct(vec![(
        "a<&>".into(),
        Value::Array(vec![Value::String("x < y && z > \"w\" 'q'\r\n\ttab".into()), Value::String("  spaced  ".into())]),
    )]);
    let call = MethodCall { method: "m".into(), params: vec![v] };
    let body = encode_call(&call);
    assert!(body.contains("a&lt;&amp;&gt;"));
    assert_eq!(parse_call(&body).expect("parse"), call);
    // Entities and char refs, CDATA.
    let r = parse_response(
        "<methodResponse><params><param><value><string>&#65;&#x42;&quot;&apos;<![CDATA[<c>]]></string></value></param></params></methodResponse>",
    )
    .expect("parse");
    assert_eq!(r, MethodResponse::Success(Value::String("AB\"'<c>".into())));
}

#[test]
fn control_characters_are_dropped() {
    let call = MethodCall { method: "m".into(), params: vec![Value::String("a\u{1}b\u{0}c".into())] };
    assert_eq!(parse_call(&encode_call(&call)).expect("parse").params, vec![Value::String("abc".into())]);
}

#[test]
fn untyped_value_is_string_and_nil_and_i8() {
    let body = "<?xml version='1.0'?><methodCall><methodName>x</methodName><params>\
        <param><value> raw text </value></param>\
        <param><value/></param>\
        <param><value><nil/></value></param>\
        <param><value><i8>9007199254740993</i8></value></param>\
        <param><value><i4>-7</i4></value></param>\
        <param><value><double>-1.5e3</double></value></param>\
        <param><value><dateTime.iso8601>20260101T10:00:00</dateTime.iso8601></value></param>\
        <param><value><base64>aGVs\n bG8=</base64></value></param>\
        <param><value><boolean>0</boolean></value></param>\
        </params></methodCall>";
    let call = parse_call(body).expect("parse");
    assert_eq!(
        call.params,
        vec![
            Value::String(" raw text ".into()),
            Value::String(String::new()),
            Value::Nil,
            Value::Int(9_007_199_254_740_993),
            Value::Int(-7),
            Value::Double(-1500.0),
            Value::DateTime("20260101T10:00:00".into()),
            Value::Base64("aGVsbG8=".into()),
            Value::Bool(false),
        ]
    );
    let re = encode_call(&call);
    assert!(re.contains("<i8>9007199254740993</i8>"));
    assert!(re.contains("<value><nil/></value>"));
    assert_eq!(parse_call(&re).expect("reparse"), {
        let mut c = call.clone();
        c.params[1] = Value::String(String::new());
        c
    });
}

#[test]
fn depth_is_bounded() {
    let deep = |n: usize| {
        let mut s = String::from("<methodResponse><params><param>");
        s.push_str(&"<value><array><data>".repeat(n));
        s.push_str(&"</data></array></value>".repeat(n));
        s.push_str("</param></params></methodResponse>");
        s
    };
    assert!(parse_response(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(parse_response(&deep(MAX_DEPTH + 1)), Err(XmlRpcError::TooDeep));
    // Far deeper input fails in the tree builder, before any recursion.
    assert_eq!(parse_response(&deep(100_000)), Err(XmlRpcError::TooDeep));
}

#[test]
fn malformed_inputs_are_errors_not_panics() {
    for body in [
        "",
        "<methodCall><oops",
        "<methodResponse></methodResponse>",
        "<methodResponse><params></params></methodResponse>",
        "<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>",
        "<methodResponse><params><param><value><boolean>2</boolean></value></param></params></methodResponse>",
        "<methodResponse><params><param><value><foo/></value></param></params></methodResponse>",
        "<methodResponse><fault><value><struct></struct></value></fault></methodResponse>",
        "<!DOCTYPE x [<!ENTITY a 'b'>]><methodResponse/>",
        "<methodResponse><params><param><value><string>&bogus;</string></value></param></params></methodResponse>",
        "<methodResponse/><methodResponse/>",
    ] {
        assert!(parse_response(body).is_err(), "{body}");
    }
    assert!(parse_call("<methodCall><params/></methodCall>").is_err());
}

#[test]
fn json_conversion() {
    let j = serde_json::json!({"a": [1, 2.5, true, null, "s", {"b": u64::MAX}], "c": -3});
    let v = Value::from_json(&j);
    assert_eq!(v.member("c"), Some(&Value::Int(-3)));
    let back = v.into_json();
    assert_eq!(back["a"][1], serde_json::json!(2.5));
    assert_eq!(back["a"][3], serde_json::Value::Null);
    assert_eq!(back["a"][5]["b"], serde_json::json!(u64::MAX as f64));
}

#[test]
fn float_repr_matches_python() {
    for (f, s) in
        [(0.0, "0.0"), (1072.5, "1072.5"), (1e16, "1e+16"), (1.5e-7, "1.5e-07"), (-2.0, "-2.0"), (0.0001, "0.0001")]
    {
        assert_eq!(py_float_repr(f), s);
    }
}
