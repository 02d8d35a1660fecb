//! TLS to PostgreSQL, with libpq's meanings of `sslmode`:
//!
//! - `disable`: plain TCP;
//! - `prefer` (the default, as in libpq) and `require`: encrypted, the
//!   server's certificate not checked (`prefer` falls back to plain TCP when
//!   the server offers no TLS, `require` fails);
//! - `verify-ca`: the certificate must chain to a root in `sslrootcert`;
//! - `verify-full`: and name the host connected to.
//!
//! `sslrootcert` is a PEM file, or `system` for the Mozilla root list that
//! ships with b24im (webpki-roots); unset, libpq's `~/.postgresql/root.crt`.
//!
//! The `postgres` crate knows only three of these modes and no
//! `sslrootcert`, so both are taken out of the URL before it parses the rest.

use std::path::PathBuf;
use std::sync::Arc;

use pki_types::pem::PemObject;
use pki_types::{CertificateDer, ServerName, UnixTime};
use postgres::config::SslMode as WireMode;
use postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::{
    self, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(raw: &str) -> Result<Self, String> {
        Ok(match raw {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other} is not supported \
                     (disable, prefer, require, verify-ca, verify-full)"
                ))
            }
        })
    }
}

/// How long a reader or writer keeps trying to reach the database, unless
/// told (`--database-wait`).
pub const DEFAULT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A parsed connection string and the TLS connector its `sslmode` asks for.
#[derive(Clone)]
pub struct Target {
    pub config: Config,
    pub tls: MakeRustlsConnect,
    /// How long a reader or writer keeps trying to reach the database (and
    /// to learn a lost commit's fate) before it answers that it cannot.
    pub wait: std::time::Duration,
}

impl Target {
    /// A new connection, over TLS as `sslmode` asks.
    pub fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        self.config.connect(self.tls.clone())
    }

    /// [`Target::connect`], given up after `within`. Setting a connection
    /// up (TCP, TLS, the backend's start) has no bound of its own: a
    /// database slow to start backends (a checkpoint flushing many files)
    /// would hold a reader or writer, and its callers, indefinitely. The
    /// attempt runs in a thread of its own (connections are made rarely);
    /// one that completes after the bound is closed.
    pub fn connect_within(&self, within: std::time::Duration) -> Result<postgres::Client, String> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let target = self.clone();
        std::thread::Builder::new()
            .name("b24im-pg-connect".into())
            .spawn(move || {
                let _ = tx.send(target.connect());
            })
            .map_err(|e| format!("cannot start a connection: {e}"))?;
        match rx.recv_timeout(within) {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no connection within {} ms", within.as_millis())),
        }
    }
}

/// Parses a `postgres://` URL with libpq's `sslmode` and `sslrootcert`.
pub fn parse(url: &str) -> Result<Target, String> {
    let options = take_tls_options(url);
    let mut config: Config =
        options
            .rest
            .parse()
            .map_err(|e: postgres::Error| match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            })?;
    let mode = options
        .mode
        .as_deref()
        .map_or(Ok(SslMode::Prefer), SslMode::parse)?;
    config.ssl_mode(match mode {
        SslMode::Disable => WireMode::Disable,
        SslMode::Prefer => WireMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => WireMode::Require,
    });
    let tls = MakeRustlsConnect::new(client_config(mode, options.root_cert.as_deref())?);
    Ok(Target {
        config,
        tls,
        wait: DEFAULT_WAIT,
    })
}

fn client_config(mode: SslMode, root_cert: Option<&str>) -> Result<ClientConfig, String> {
    let provider = Arc::new(crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match mode {
        SslMode::VerifyFull => builder
            .with_root_certificates(roots(root_cert)?)
            .with_no_client_auth(),
        SslMode::Disable | SslMode::Prefer | SslMode::Require | SslMode::VerifyCa => {
            let chain = match mode {
                SslMode::VerifyCa => Some(
                    WebPkiServerVerifier::builder_with_provider(
                        Arc::new(roots(root_cert)?),
                        Arc::clone(&provider),
                    )
                    .build()
                    .map_err(|e| e.to_string())?,
                ),
                _ => None,
            };
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient { provider, chain }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

/// The roots `sslrootcert` names.
fn roots(root_cert: Option<&str>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    if root_cert == Some("system") {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    }
    let path = match root_cert {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".postgresql/root.crt"))
            .ok_or("sslrootcert is not set and there is no HOME for ~/.postgresql/root.crt")?,
    };
    let certs = CertificateDer::pem_file_iter(&path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
    let (added, _) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "sslrootcert {}: no certificate in it",
            path.display()
        ));
    }
    Ok(store)
}

/// The checks libpq makes short of `verify-full`. Without `chain`
/// (`prefer`, `require`): the handshake is checked, the certificate is not.
/// With it (`verify-ca`): the certificate must chain to a root, whatever host
/// it names (the WebPKI verifier checks the chain first, so a name error means
/// the chain held).
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The URL without `sslmode` and `sslrootcert`, and their values.
#[derive(Debug, PartialEq)]
struct TlsOptions {
    rest: String,
    mode: Option<String>,
    root_cert: Option<String>,
}

fn take_tls_options(url: &str) -> TlsOptions {
    let mut options = TlsOptions {
        rest: url.to_owned(),
        mode: None,
        root_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return options;
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match decode(key).as_str() {
                "sslmode" => options.mode = Some(decode(value)),
                "sslrootcert" => options.root_cert = Some(decode(value)),
                _ => return true,
            }
            false
        })
        .collect();
    options.rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    options
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(s: &str) -> (String, Option<String>, Option<String>) {
        let o = take_tls_options(s);
        (o.rest, o.mode, o.root_cert)
    }

    #[test]
    fn urls_lose_sslmode_and_sslrootcert_and_keep_the_rest() {
        assert_eq!(
            options("postgres://u:p@db:5432/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&options=-csearch_path%3Dy"),
            (
                "postgres://u:p@db:5432/x?options=-csearch_path%3Dy".into(),
                Some("verify-full".into()),
                Some("/etc/ca.pem".into())
            )
        );
        assert_eq!(
            options("postgresql://db/x?sslmode=require"),
            ("postgresql://db/x".into(), Some("require".into()), None)
        );
        assert_eq!(
            options("postgres://db/x"),
            ("postgres://db/x".into(), None, None)
        );
    }

    #[test]
    fn modes_are_libpqs() {
        for (raw, mode) in [
            ("disable", SslMode::Disable),
            ("prefer", SslMode::Prefer),
            ("require", SslMode::Require),
            ("verify-ca", SslMode::VerifyCa),
            ("verify-full", SslMode::VerifyFull),
        ] {
            assert_eq!(SslMode::parse(raw), Ok(mode));
        }
        assert!(parse("postgres://db/x?sslmode=allow").is_err());
        let default = parse("postgres://db/x")
            .ok()
            .map(|t| t.config.get_ssl_mode());
        assert_eq!(default, Some(WireMode::Prefer));
        let full = parse("postgres://db/x?sslmode=verify-full&sslrootcert=system");
        assert_eq!(
            full.ok().map(|t| t.config.get_ssl_mode()),
            Some(WireMode::Require)
        );
        assert!(parse("postgres://db/x?sslmode=verify-full&sslrootcert=/nonexistent.pem").is_err());
    }
}
