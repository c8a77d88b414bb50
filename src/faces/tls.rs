//! Built-in TLS: a rustls server config (ring provider, as the upstream
//! client uses) from a PEM certificate chain and a PEM private key.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;

/// Warn this long before the certificate runs out: time for a renewal.
pub const EXPIRY_WARNING: time::Duration = time::Duration::days(14);

/// Reads the files and builds the server config; the message says which
/// file is wrong and how.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the TLS certificate {} is not valid PEM: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("the TLS certificate file {} holds no CERTIFICATE block", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("cannot read a private key (PKCS#8, PKCS#1 or SEC1 PEM) from {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the TLS certificate and key do not make a usable pair: {e}"))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// When the leaf certificate (the file's first) is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

/// What an admin should know about a certificate's dates, with a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Concern {
    /// Expired or not valid yet: TLS clients refuse it now.
    Unusable(String),
    /// Runs out within [`EXPIRY_WARNING`].
    ExpiresSoon(String),
}

impl Validity {
    /// `None` when nothing is due at `now`.
    pub fn concern(&self, now: OffsetDateTime) -> Option<Concern> {
        let day = |t: OffsetDateTime| t.date().to_string();
        if now > self.not_after {
            Some(Concern::Unusable(format!("the TLS certificate expired on {}", day(self.not_after))))
        } else if now < self.not_before {
            Some(Concern::Unusable(format!("the TLS certificate is not valid before {}", day(self.not_before))))
        } else if self.not_after - now < EXPIRY_WARNING {
            let days = (self.not_after - now).whole_days();
            Some(Concern::ExpiresSoon(format!(
                "the TLS certificate expires in {days} day(s), on {}",
                day(self.not_after)
            )))
        } else {
            None
        }
    }
}

/// Reads the validity period of the first certificate in a PEM file.
pub fn leaf_validity(cert: &Path) -> Result<Validity, String> {
    let leaf = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("cannot read the TLS certificate {}: {e}", cert.display()))?
        .next()
        .ok_or_else(|| format!("the TLS certificate file {} holds no CERTIFICATE block", cert.display()))?
        .map_err(|e| format!("the TLS certificate {} is not valid PEM: {e}", cert.display()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf)
        .map_err(|e| format!("the TLS certificate {} is not a valid X.509 certificate: {e}", cert.display()))?;
    let validity = parsed.validity();
    Ok(Validity { not_before: validity.not_before.to_datetime(), not_after: validity.not_after.to_datetime() })
}
