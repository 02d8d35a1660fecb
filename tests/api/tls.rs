//! HTTPS: the generated CA is the only thing a client needs to trust, the
//! certificate survives a restart, and an operator's own certificate is served.

use std::path::Path;

use crate::helpers::TestData;

use serde_json::Value;

use crate::cli::Server;

/// A client that trusts exactly one CA (no system roots) and reports the
/// server's certificate.
fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).unwrap())
        .tls_info(true)
        .build()
        .unwrap()
}

/// Calls `server.time` over HTTPS and returns the server's leaf certificate (DER).
async fn leaf_certificate(client: &reqwest::Client, url: &str) -> Vec<u8> {
    let res = client.get(url).send().await.unwrap();
    let info = res
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .unwrap()
        .to_vec();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body["result"].is_string(), "{body}");
    info
}

fn https_hook(server: &Server) -> String {
    let hook = server.webhook.as_ref().unwrap();
    let path = &hook[hook.find("/rest/").unwrap()..];
    format!("{}{path}", server.https_base)
}

#[tokio::test]
async fn first_start_prints_both_urls_and_the_ca() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    assert!(
        server.https_base.starts_with("https://127.0.0.1:"),
        "{:?}",
        server.banner
    );
    let https_line = server.banner.iter().any(|l| {
        l.trim()
            .starts_with(&format!("{}/rest/1/", server.https_base))
    });
    assert!(https_line, "{:?}", server.banner);
    let ca = server.ca.clone().unwrap();
    assert!(Path::new(&ca).is_absolute(), "{ca}");
    for var in [
        "NODE_EXTRA_CA_CERTS=",
        "REQUESTS_CA_BUNDLE=",
        "SSL_CERT_FILE=",
    ] {
        assert!(
            server
                .banner
                .iter()
                .any(|l| l.contains(&format!("{var}{ca}"))),
            "{var} missing in {:?}",
            server.banner
        );
    }
    // One line to paste for the README's examples, with the same values.
    let webhook = server.webhook.clone().unwrap();
    let want = format!(
        "export B24IM_URL={} B24IM_HOOK={webhook} B24IM_HTTPS_HOOK={} B24IM_CA={ca}",
        server.base,
        webhook.replace(&server.base, &server.https_base)
    );
    assert!(
        server.banner.iter().any(|l| l.trim() == want),
        "{want} missing in {:?}",
        server.banner
    );
    // Later starts have no webhook to show, and say the rest.
    drop(server);
    let again = Server::start(&dir);
    let want = format!("export B24IM_URL={} B24IM_CA={ca}", again.base);
    assert!(
        again.banner.iter().any(|l| l.trim() == want),
        "{want} missing in {:?}",
        again.banner
    );
}

#[tokio::test]
async fn handshake_trusts_only_the_generated_ca_and_survives_a_restart() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start(&dir);
    let ca = std::fs::read(server.ca.as_ref().unwrap()).unwrap();
    let url = format!("{}server.time", https_hook(&server));

    let trusting = client_trusting(&ca);
    let first = leaf_certificate(&trusting, &url).await;

    // A client that trusts nothing of ours refuses the handshake.
    let stranger = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .build()
        .unwrap();
    let err = stranger.get(&url).send().await.unwrap_err();
    assert!(err.is_connect(), "{err:?}");

    // `localhost` is in the certificate too.
    let by_name = url.replace("127.0.0.1", "localhost");
    leaf_certificate(&trusting, &by_name).await;

    // The same CA and certificate after a restart on the same data directory.
    let hook = server.webhook.clone().unwrap();
    drop(server);
    let mut again = Server::start(&dir);
    again.webhook = Some(hook);
    assert_eq!(std::fs::read(again.ca.as_ref().unwrap()).unwrap(), ca);
    let url = format!("{}server.time", https_hook(&again));
    assert_eq!(leaf_certificate(&trusting, &url).await, first);
}

#[tokio::test]
async fn the_operators_own_certificate_is_served() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    let Some(dir) = TestData::new() else {
        return;
    };
    // The operator's CA and a certificate it issued for 127.0.0.1.
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let cert_path = dir.path().join("mine.pem");
    let key_path = dir.path().join("mine-key.pem");
    std::fs::write(&cert_path, leaf.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();

    let data = dir.path();
    let server = Server::start_with(
        &dir,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(
        server.ca.is_none(),
        "no generated CA is announced: {:?}",
        server.banner
    );
    assert!(!data.join("tls").exists(), "nothing is generated");
    let url = format!("{}server.time", https_hook(&server));
    let served = leaf_certificate(&client_trusting(ca_cert.pem().as_bytes()), &url).await;
    assert_eq!(served, leaf.der().to_vec());
}

#[tokio::test]
async fn https_off_serves_http_only() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let server = Server::start_with(&dir, &["--https-listen", "off"]);
    assert!(server.https_base.is_empty(), "{:?}", server.banner);
    assert!(server.ca.is_none());
    let hook = server.webhook.clone().unwrap();
    let res = reqwest::get(format!("{hook}server.time")).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_bad_certificate_file_is_a_clear_startup_error() {
    let Some(dir) = TestData::new() else {
        return;
    };
    let bogus = dir.path().join("bogus.pem");
    std::fs::write(&bogus, "not a certificate").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_b24im"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--https-listen",
            "127.0.0.1:0",
        ])
        .arg("--tls-cert")
        .arg(&bogus)
        .arg("--tls-key")
        .arg(&bogus)
        .args(dir.args())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bogus.pem"), "{err}");
}
