//! Built-in TLS: `alpenglow serve` with `[tls]` answers a real rustls client
//! that trusts only a test CA (generated here with rcgen), refuses plain
//! HTTP on that port, and after the files are replaced and SIGHUP sent,
//! new connections get the new certificate; a broken key on reload keeps
//! the old one.

use crate::common::serve;

use rustls_pki_types::{CertificateDer, ServerName};
use serve::Serve;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Ca {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Ca {
    fn new() -> Ca {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "Alpenglow test CA");
        Ca { issuer: rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap() }
    }

    /// A server certificate for localhost and 127.0.0.1: (cert PEM, key PEM, cert DER).
    fn server(&self, name: &str) -> (String, String, Vec<u8>) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem(), cert.der().to_vec())
    }
}

fn write_pair(dir: &Path, (cert, key, _): &(String, String, Vec<u8>)) {
    std::fs::write(dir.join("cert.pem"), cert).unwrap();
    std::fs::write(dir.join("key.pem"), key).unwrap();
}

/// GET `path` over TLS trusting only `ca`; returns the server's leaf
/// certificate and the raw HTTP response.
fn https_get(addr: SocketAddr, ca: &Ca, path: &str) -> (Vec<u8>, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(ca.issuer.der().to_vec())).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("TLS handshake");
        let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
        let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tls.write_all(request.as_bytes()).await.unwrap();
        let mut response = Vec::new();
        // Closing without close_notify is fine for a Connection: close response.
        let _ = tls.read_to_end(&mut response).await;
        (leaf, String::from_utf8_lossy(&response).into_owned())
    })
}

#[test]
fn tls_handshake_with_a_test_ca_and_certificate_reload_on_sighup() {
    let root = tempfile::tempdir().unwrap();
    let ca = Ca::new();
    let first = ca.server("first");
    write_pair(root.path(), &first);
    let config = format!(
        "listen = \"127.0.0.1:0\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        root.path().join("cert.pem").display(),
        root.path().join("key.pem").display()
    );
    let mut serve = Serve::start(root.path(), &config);
    assert!(serve.logs().iter().any(|e| e["message"].as_str().unwrap().starts_with("serving on https://")));

    let (leaf, response) = https_get(serve.addr, &ca, "/healthz");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"process\":\"up\""), "{response}");
    assert_eq!(leaf, first.2, "the configured certificate is served");

    // Plain HTTP on the TLS port gets no HTTP answer.
    {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(serve.addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut plain = Vec::new();
        let _ = s.read_to_end(&mut plain);
        assert!(!plain.starts_with(b"HTTP/1.1"), "plain HTTP answered on the TLS port");
    }

    // A renewed certificate at the same paths, then SIGHUP: new connections get it.
    let second = ca.server("second");
    write_pair(root.path(), &second);
    serve.signal(libc::SIGHUP);
    let reloaded = serve.wait_for_log(|e| e["message"] == "SIGHUP: configuration reloaded");
    assert!(reloaded["applied"].as_str().unwrap().contains("tls"), "{reloaded}");
    let (leaf, response) = https_get(serve.addr, &ca, "/healthz");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert_eq!(leaf, second.2, "the reloaded certificate is served");

    // A broken key: the reload says so and the running certificate stays.
    std::fs::write(root.path().join("key.pem"), "not a key").unwrap();
    serve.signal(libc::SIGHUP);
    let error = serve.wait_for_log(|e| e["message"].as_str().unwrap().contains("TLS certificate was not reloaded"));
    assert!(error["error"].as_str().unwrap().contains("key.pem"), "{error}");
    let (leaf, _) = https_get(serve.addr, &ca, "/healthz");
    assert_eq!(leaf, second.2);
}

#[test]
fn a_bad_certificate_stops_the_start_with_the_file_named() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("cert.pem"), "nothing here").unwrap();
    std::fs::write(root.path().join("key.pem"), "nothing here").unwrap();
    let config = format!(
        "listen = \"127.0.0.1:0\"\n[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        root.path().join("cert.pem").display(),
        root.path().join("key.pem").display()
    );
    std::fs::write(root.path().join("alpenglow.toml"), config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_alpenglow"))
        .arg("--config")
        .arg(root.path().join("alpenglow.toml"))
        .arg("--data-dir")
        .arg(root.path().join("data"))
        .arg("serve")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cert.pem") && stderr.contains("no CERTIFICATE"), "{stderr}");
}
