//! XML-RPC at `/xmlrpc/2/<service>` (int fault codes 1-4) and the legacy
//! `/xmlrpc/<service>` (string fault codes such as
//! `"warning -- AccessError\n\n<message>"`), always HTTP 200. Values are
//! decoded and encoded by the crate's shared codec, [`crate::wire::xmlrpc`];
//! the dispatch is the JSON-RPC one.

use super::error::{Kind, OdooError};
use super::jsonrpc::dispatch;
use super::server::{HttpRequest, Resp, response};
use super::{OdooVersion, Shared};
use crate::wire::xmlrpc::{Dialect, Fault, FaultCode, MethodResponse, Value, encode_response, parse_call};

const XML: &str = "text/xml; charset=utf-8";

fn fault(err: &OdooError, legacy: bool) -> MethodResponse {
    if legacy {
        let (code, string) = err.legacy_fault();
        MethodResponse::Fault(Fault { code: FaultCode::Str(code), string })
    } else {
        let (code, string) = err.xmlrpc_fault();
        MethodResponse::Fault(Fault { code: FaultCode::Int(code), string })
    }
}

pub fn handle(shared: &Shared, req: &HttpRequest, service: &str, legacy: bool) -> Resp {
    let dialect = match shared.version {
        OdooVersion::V19 => Dialect::Odoo19,
        OdooVersion::V16 | OdooVersion::V17 => Dialect::Stdlib,
    };
    let answer = |resp: MethodResponse| response(200, XML, encode_response(&resp, dialect));
    let text = String::from_utf8_lossy(&req.body);
    let call = match parse_call(&text) {
        Ok(call) => call,
        Err(e) => {
            let err = OdooError::new(Kind::Exception, format!("xml.parsers.expat.ExpatError: {e}"));
            return answer(fault(&err, legacy));
        }
    };
    let args: Vec<serde_json::Value> = call.params.into_iter().map(Value::into_json).collect();
    match dispatch(shared, service, &call.method, args) {
        Ok(value) => answer(MethodResponse::Success(Value::from_json(&value))),
        Err(err) => answer(fault(&err, legacy)),
    }
}
