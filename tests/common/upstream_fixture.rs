//! A scripted fake Odoo for the upstream client tests: a hyper HTTP/1 server
//! on loopback that answers queued canned responses in order and records
//! every request it receives, so a test checks both directions over real HTTP.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Canned { status, content_type: "application/json; charset=utf-8".into(), body: body.to_string().into_bytes() }
    }

    pub fn xml(body: &str) -> Self {
        Canned { status: 200, content_type: "text/xml; charset=utf-8".into(), body: body.as_bytes().to_vec() }
    }
}

#[derive(Clone)]
pub struct FakeOdoo {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<Canned>>>,
    /// Each answer waits this long (to observe concurrency).
    delay: Duration,
    connections: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl FakeOdoo {
    /// Starts serving on 127.0.0.1 (an ephemeral port) with these answers.
    pub async fn start(answers: Vec<Canned>) -> FakeOdoo {
        Self::start_with_delay(answers, Duration::ZERO).await
    }

    pub async fn start_with_delay(answers: Vec<Canned>, delay: Duration) -> FakeOdoo {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let fake = FakeOdoo {
            addr,
            seen: Arc::default(),
            script: Arc::new(Mutex::new(answers.into())),
            delay,
            connections: Arc::default(),
            in_flight: Arc::default(),
            max_in_flight: Arc::default(),
        };
        let state = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                state.connections.fetch_add(1, Ordering::SeqCst);
                let state = state.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.answer(req).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
        fake
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The most requests ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let resp = self.answer_inner(req).await;
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        resp
    }

    async fn answer_inner(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let path = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        self.seen.lock().expect("lock").push(Seen { method: parts.method.to_string(), path, headers, body });
        let canned = self.script.lock().expect("lock").pop_front().unwrap_or(Canned {
            status: 500,
            content_type: "text/plain".into(),
            body: b"fake Odoo: no scripted answer left".to_vec(),
        });
        Response::builder()
            .status(canned.status)
            .header("content-type", canned.content_type)
            .body(Full::new(Bytes::from(canned.body)))
            .expect("valid response")
    }
}

/// A server that accepts connections and never answers (for timeout tests).
/// Returns its address; the accepted sockets are kept open until the test ends.
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = l.local_addr().expect("local addr");
    drop(l);
    addr
}
