//! A node's connections to PostgreSQL: TLS with libpq's `sslmode`, against
//! this machine's server and its own certificate (`ssl_cert_file`; skipped,
//! with a word, when the server has TLS off or the certificate cannot be
//! read), and the pool's bound (`--database-pool`).

use std::sync::Arc;

use b24im::store::postgres::{DEFAULT_POOL, DEFAULT_WAIT};
use b24im::store::Store;

use serde_json::json;

use crate::cli::{call, Server};
use crate::helpers::TestData;

fn open(data: &TestData, url: &str) -> Result<Arc<dyn Store>, String> {
    b24im::store::open(Some(url), DEFAULT_POOL, DEFAULT_WAIT, data.path())
        .map_err(|e| e.to_string())
}

/// Opens a store on `url`, uses it, and says how its connections are encrypted.
async fn encrypted(data: &TestData, app: &str, url: &str) -> Vec<bool> {
    let store = open(data, url).unwrap_or_else(|e| panic!("{app}: {e}"));
    store
        .user_count()
        .await
        .expect("a query over the connection");
    let seen = data.connections_ssl(app);
    assert!(!seen.is_empty(), "{app}: no connection seen");
    seen
}

#[tokio::test]
async fn sslmode_decides_encryption_and_what_is_checked() {
    let Some(data) = TestData::new() else {
        return;
    };
    let (on, cert) = data.server_tls();
    let Some(cert) = cert.filter(|_| on) else {
        eprintln!(
            "TLS to PostgreSQL SKIPPED: the server has ssl off or its certificate is unreadable"
        );
        return;
    };
    let url = |host: &str, app: &str, extra: &str| data.database_url(host, app, extra);

    // prefer (the default) and require encrypt; disable does not.
    let default = encrypted(&data, "tls_default", &url("127.0.0.1", "tls_default", "")).await;
    assert!(default.iter().all(|&s| s), "prefer: {default:?}");
    let required = url("127.0.0.1", "tls_require", "sslmode=require");
    let required = encrypted(&data, "tls_require", &required).await;
    assert!(required.iter().all(|&s| s), "require: {required:?}");
    let plain = url("127.0.0.1", "tls_disable", "sslmode=disable");
    let plain = encrypted(&data, "tls_disable", &plain).await;
    assert!(plain.iter().all(|&s| !s), "disable: {plain:?}");

    // The server's own certificate as the root; it names `localhost` only.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root.pem");
    std::fs::write(&root, &cert).expect("write root");
    let root = root.display().to_string();

    let ca = format!("sslmode=verify-ca&sslrootcert={root}");
    let checked = encrypted(
        &data,
        "tls_verify_ca",
        &url("127.0.0.1", "tls_verify_ca", &ca),
    )
    .await;
    assert!(checked.iter().all(|&s| s), "verify-ca: {checked:?}");

    let full = format!("sslmode=verify-full&sslrootcert={root}");
    let wrong_name = open(&data, &url("127.0.0.1", "tls_full_ip", &full));
    match wrong_name {
        Err(e) => assert!(e.contains("certificate"), "verify-full by IP: {e}"),
        Ok(_) => eprintln!("verify-full by IP: the server's certificate names 127.0.0.1 too"),
    }
    let by_name = encrypted(&data, "tls_full", &url("localhost", "tls_full", &full)).await;
    assert!(by_name.iter().all(|&s| s), "verify-full: {by_name:?}");

    // A root that did not sign the server's certificate: refused, nothing opened.
    let stranger = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
        .expect("a stranger's certificate");
    let other = dir.path().join("other.pem");
    std::fs::write(&other, stranger.cert.pem()).expect("write other root");
    let other = format!("sslmode=verify-ca&sslrootcert={}", other.display());
    let refused = open(&data, &url("127.0.0.1", "tls_stranger", &other));
    let e = refused
        .err()
        .expect("a root that did not sign it is refused");
    assert!(e.contains("certificate"), "{e}");
    assert!(data.connections_ssl("tls_stranger").is_empty());

    // A mode libpq has and b24im does not: a clear error, no connection.
    let allow = open(&data, &url("127.0.0.1", "tls_allow", "sslmode=allow"));
    let e = allow.err().expect("sslmode=allow is refused");
    assert!(e.contains("sslmode=allow is not supported"), "{e}");
}

/// `--database-pool`: a node keeps at most that many connections (and its
/// listener), however many requests wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_pool_size_bounds_a_nodes_connections() {
    let Some(data) = TestData::new() else {
        return;
    };
    let connections_after_a_burst = |app: &'static str, pool: usize| {
        let url = data.database_url("127.0.0.1", app, "sslmode=disable");
        let data = &data;
        async move {
            let store =
                b24im::store::open(Some(&url), pool, DEFAULT_WAIT, data.path()).expect("open");
            let burst = (0..200).map(|_| store.user_count());
            for counted in futures_util::future::join_all(burst).await {
                counted.expect("every request is served");
            }
            data.connections_ssl(app).len()
        }
    };
    // The default opens more than two under this burst (else the test could
    // not tell); a pool of two stays at two plus the listener.
    let wide = connections_after_a_burst("pool_default", DEFAULT_POOL).await;
    assert!(wide > 3, "the burst opened only {wide} connections");
    let narrow = connections_after_a_burst("pool_two", 2).await;
    assert!(narrow <= 3, "{narrow} connections with a pool of two");
}

/// The binary: `--database-pool 2` bounds a serving node's connections (two
/// for reads, the group-committing writers' and the listener's) while
/// twenty requests over HTTP wait on a locked table, and the default
/// `sslmode` encrypts them when the server offers TLS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_keeps_waiting_requests_within_its_pool_over_tls() {
    let Some(data) = TestData::new() else {
        return;
    };
    let (tls_on, _) = data.server_tls();
    let node = Server::start_with(&data, &["--https-listen", "off", "--database-pool", "2"]);
    let admin = node.webhook.clone().expect("the node creates the admin");
    let (status, chat) = call(&admin, "im.chat.add", json!({"TITLE": "waiting"})).await;
    assert_eq!(status, 200, "{chat}");
    let chat = chat["result"].clone();

    let release = data.lock_table("chat_members");
    let reads: Vec<_> = (0..20)
        .map(|_| {
            let admin = admin.clone();
            let chat = chat.clone();
            tokio::spawn(async move {
                call(&admin, "im.chat.user.list", json!({"CHAT_ID": chat})).await
            })
        })
        .collect();
    // Every pooled connection the node will open is opened by now.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let connections = data.connections_ssl(&data.app_name());
    drop(release);
    for read in reads {
        let (status, body) = read.await.expect("request task");
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        connections.len(),
        2 + b24im::store::postgres::WRITERS + 1,
        "{connections:?}: a pool of two, the writers and the listener"
    );
    if tls_on {
        assert!(connections.iter().all(|&s| s), "{connections:?}");
    }
}
