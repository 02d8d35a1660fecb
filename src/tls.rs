//! HTTPS: the local certificate authority b24im creates on first start, the
//! server certificate it signs, and a listener that hands axum connections
//! whose TLS handshake has completed.
//!
//! Both official SDKs refuse plain http (b24pysdk builds `https://` URLs,
//! b24jssdk rejects an `http://` webhook), so a local server needs a
//! certificate those clients can be told to trust. The CA and the server
//! certificate live in `<data>/tls/`; keys are written with mode 0600 and the
//! files are reused on every restart. The server certificate is reissued (by
//! the same CA) when the requested names change or it nears its expiry.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pki_types::pem::PemObject;
use pki_types::{CertificateDer, PrivateKeyDer};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::listen::{accept_loop, Accepted, Gate};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up: a message that names the file or step.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

type Result<T> = std::result::Result<T, TlsError>;

/// `context` / `with_context` for this module's errors: "what: cause".
trait Context<T> {
    fn context(self, what: &str) -> Result<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
    fn context(self, what: &str) -> Result<T> {
        self.map_err(|e| TlsError(format!("{what}: {e}")))
    }

    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| TlsError(format!("{}: {e}", what())))
    }
}

/// Where the generated files live inside the data directory.
pub const TLS_DIR: &str = "tls";
const CA_CERT: &str = "ca.pem";
const CA_KEY: &str = "ca-key.pem";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
const SERVER_META: &str = "server.json";

const CA_YEARS: i64 = 10;
const SERVER_DAYS: i64 = 825;
/// A server certificate closer than this to its end is reissued at start.
const RENEW_BEFORE_DAYS: i64 = 30;
/// A client that connects and never finishes its handshake is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the certificate comes from.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// b24im's own CA in `<data>/tls/`, with these names beside the defaults.
    Generated { extra_names: Vec<String> },
    /// The operator's certificate chain and key (PEM).
    Files { cert: PathBuf, key: PathBuf },
}

/// The certificate to serve and, for a generated one, the CA that signed it.
pub struct TlsMaterial {
    pub config: Arc<ServerConfig>,
    /// The CA certificate clients should trust; `None` for operator files.
    pub ca_cert: Option<PathBuf>,
}

/// Loads or creates the certificate for `source`.
pub fn load(data_dir: &Path, source: &CertSource) -> Result<TlsMaterial> {
    let (chain, key, ca_cert) = match source {
        CertSource::Files { cert, key } => (read_chain(cert)?, read_key(key)?, None),
        CertSource::Generated { extra_names } => {
            let dir = data_dir.join(TLS_DIR);
            let names = server_names(extra_names);
            ensure_generated(&dir, &names)?;
            (
                read_chain(&dir.join(SERVER_CERT))?,
                read_key(&dir.join(SERVER_KEY))?,
                Some(dir.join(CA_CERT)),
            )
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the TLS certificate and key do not match or are not supported")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        config: Arc::new(config),
        ca_cert,
    })
}

/// The subject alternative names of a generated server certificate: the
/// loopback addresses, `localhost`, and whatever the operator adds.
fn server_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
    for n in extra {
        let n = n.trim().to_ascii_lowercase();
        if !n.is_empty() && !names.contains(&n) {
            names.push(n);
        }
    }
    names
}

#[derive(Serialize, Deserialize, PartialEq)]
struct ServerMeta {
    names: Vec<String>,
    not_after: i64,
}

fn ensure_generated(dir: &Path, names: &[String]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let now = chrono::Utc::now().timestamp();
    let ca_key = if dir.join(CA_CERT).exists() && dir.join(CA_KEY).exists() {
        let pem = std::fs::read_to_string(dir.join(CA_KEY)).context("reading the CA key")?;
        KeyPair::from_pem(&pem).context("the CA key in the data directory is unreadable")?
    } else {
        let key = KeyPair::generate().context("generating the CA key")?;
        let mut params = ca_params(&key);
        params.not_before = offset(now - 86_400)?;
        params.not_after = offset(now + CA_YEARS * 365 * 86_400)?;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).context("signing the CA")?;
        write_private(&dir.join(CA_KEY), &key.serialize_pem())?;
        std::fs::write(dir.join(CA_CERT), cert.pem()).context("writing the CA certificate")?;
        // A new CA makes any older server certificate useless.
        let _ = std::fs::remove_file(dir.join(SERVER_META));
        key
    };

    let meta: Option<ServerMeta> = std::fs::read(dir.join(SERVER_META))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let fresh = matches!(&meta, Some(m) if m.names == names
        && m.not_after - now > RENEW_BEFORE_DAYS * 86_400)
        && dir.join(SERVER_CERT).exists()
        && dir.join(SERVER_KEY).exists();
    if fresh {
        return Ok(());
    }

    let issuer = Issuer::new(ca_params(&ca_key), &ca_key);
    let key = KeyPair::generate().context("generating the server key")?;
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.subject_alt_names = names
        .iter()
        .map(|n| match n.parse::<IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => n
                .clone()
                .try_into()
                .map(SanType::DnsName)
                .with_context(|| format!("{n:?} is not a valid TLS name")),
        })
        .collect::<Result<_>>()?;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    params.serial_number = Some(random_serial());
    let not_after = now + SERVER_DAYS * 86_400;
    params.not_before = offset(now - 86_400)?;
    params.not_after = offset(not_after)?;
    let cert = params
        .signed_by(&key, &issuer)
        .context("signing the server certificate")?;
    write_private(&dir.join(SERVER_KEY), &key.serialize_pem())?;
    std::fs::write(dir.join(SERVER_CERT), cert.pem()).context("writing the server certificate")?;
    let meta = ServerMeta {
        names: names.to_vec(),
        not_after,
    };
    std::fs::write(
        dir.join(SERVER_META),
        serde_json::to_vec_pretty(&meta).context("encoding the certificate metadata")?,
    )
    .context("writing the server certificate's metadata")?;
    Ok(())
}

/// The CA's parameters. They are rebuilt the same way from its key whenever a
/// server certificate is signed, so the issuer name and key identifier match.
fn ca_params(key: &KeyPair) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "b24im");
    // A per-CA suffix, so two data directories' CAs are told apart in a trust store.
    let id: String = params
        .key_identifier(key)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    dn.push(DnType::CommonName, format!("b24im local CA {id}"));
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7f; // positive
    SerialNumber::from_slice(&bytes)
}

fn offset(unix: i64) -> Result<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp(unix).context("certificate date")
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, pem: &str) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot protect {}", path.display()))?;
    }
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the certificate {}", path.display()))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .with_context(|| format!("{} is not a PEM certificate chain", path.display()))?;
    if chain.is_empty() {
        return Err(TlsError(format!("{} holds no certificate", path.display())));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>> {
    PrivateKeyDer::from_pem_file(path)
        .with_context(|| format!("cannot read a PEM private key from {}", path.display()))
}

/// An HTTPS listener: TCP connections whose TLS handshake has finished.
///
/// Handshakes run in their own tasks, so one slow or silent client never
/// holds up the others; the server takes the ones that succeeded.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    local: SocketAddr,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<Self> {
        let local = tcp.local_addr()?;
        Ok(TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            local,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Starts accepting under `gate` (see `listen.rs`); each connection's
    /// handshake runs in its own task, within [`HANDSHAKE_TIMEOUT`].
    pub fn start(self, gate: Arc<Gate>) -> TlsIncoming {
        let TlsListener { tcp, acceptor, .. } = self;
        let ready = accept_loop(tcp, gate, move |stream: TcpStream, peer| {
            let acceptor = acceptor.clone();
            async move {
                let _ = stream.set_nodelay(true);
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => Some(tls),
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        None
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        None
                    }
                }
            }
        });
        TlsIncoming { ready }
    }
}

/// The connections of a started [`TlsListener`], handshakes done.
pub struct TlsIncoming {
    ready: mpsc::Receiver<Accepted<TlsStream<TcpStream>>>,
}

impl crate::listen::Incoming for TlsIncoming {
    type Io = TlsStream<TcpStream>;

    async fn accept(&mut self) -> Accepted<Self::Io> {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ends only when this side is dropped.
            None => std::future::pending().await,
        }
    }
}

/// The default HTTPS address.
pub const DEFAULT_HTTPS_LISTEN: &str = "127.0.0.1:8443";

/// `--https-listen`: an address, or `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpsListen(pub Option<SocketAddr>);

pub fn parse_https_listen(s: &str) -> std::result::Result<HttpsListen, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(HttpsListen(None));
    }
    s.parse::<SocketAddr>()
        .map(|a| HttpsListen(Some(a)))
        .map_err(|e| format!("{s:?} is neither an address (127.0.0.1:8443) nor `off`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_the_defaults_and_drop_duplicates() {
        let n = server_names(&["Example.test".into(), "localhost".into(), " ".into()]);
        assert_eq!(n, ["127.0.0.1", "::1", "localhost", "example.test"]);
    }

    #[test]
    fn https_listen_accepts_off() {
        assert_eq!(parse_https_listen("off"), Ok(HttpsListen(None)));
        assert!(parse_https_listen("127.0.0.1:8443").unwrap().0.is_some());
        assert!(parse_https_listen("nowhere").is_err());
    }

    #[test]
    fn generated_files_are_reused_and_keys_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let source = CertSource::Generated {
            extra_names: vec![],
        };
        load(dir.path(), &source).unwrap();
        let tls = dir.path().join(TLS_DIR);
        let first = std::fs::read(tls.join(SERVER_CERT)).unwrap();
        load(dir.path(), &source).unwrap();
        assert_eq!(first, std::fs::read(tls.join(SERVER_CERT)).unwrap());
        #[cfg(unix)]
        for key in [CA_KEY, SERVER_KEY] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(tls.join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
        // A new name reissues the server certificate, with the same CA.
        let ca = std::fs::read(tls.join(CA_CERT)).unwrap();
        let more = CertSource::Generated {
            extra_names: vec!["b24im.localhost".into()],
        };
        load(dir.path(), &more).unwrap();
        assert_ne!(first, std::fs::read(tls.join(SERVER_CERT)).unwrap());
        assert_eq!(ca, std::fs::read(tls.join(CA_CERT)).unwrap());
    }
}
