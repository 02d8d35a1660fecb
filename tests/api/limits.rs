//! The limits a public server needs (docs/security.md), each tried as a
//! hostile or careless client would: slow and idle connections, declared
//! and slow bodies, a flood of connections, request intensity and the
//! accumulated run time of a method.

use std::time::{Duration, Instant};

use b24im::config::{Limits, RateLimit};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

fn addr(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection or `within` passes; whether
/// it closed, and what it sent.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> (bool, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (true, String::from_utf8_lossy(&got).into()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (false, String::from_utf8_lossy(&got).into()),
        }
    }
}

fn short(header: u64, body: u64) -> Limits {
    Limits {
        header_timeout: Duration::from_secs(header),
        body_timeout: Duration::from_secs(body),
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_slowloris_client_is_cut_off_at_the_header_timeout() {
    let Some(app) = TestApp::spawn_with_limits(short(1, 30)).await else {
        return;
    };
    let mut slow = TcpStream::connect(addr(&app)).await.unwrap();
    let started = Instant::now();
    let head = b"POST /rest/server.time HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa";
    let mut closed = false;
    for byte in head {
        // A byte every 100 ms: never idle, never done.
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    if !closed {
        closed = closed_within(&mut slow, Duration::from_secs(2)).await.0;
    }
    assert!(
        closed,
        "a head trickling in for {:?} was not cut off",
        started.elapsed()
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    // The server still answers everyone else.
    app.ok(&app.admin, "server.time", json!({})).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let Some(app) = TestApp::spawn_with_limits(short(1, 30)).await else {
        return;
    };
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    conn.write_all(b"GET /rest/server.time HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, then the connection idles and is closed.
    let (closed, got) = closed_within(&mut conn, Duration::from_secs(3)).await;
    assert!(got.starts_with("HTTP/1.1 401"), "{got}");
    assert!(closed, "an idle keep-alive connection stayed open");
}

#[tokio::test]
async fn a_declared_oversize_body_is_refused_before_it_is_sent() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    conn.write_all(
        b"POST /rest/server.time HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n",
    )
    .await
    .unwrap();
    // Not a byte of the body: the answer comes at once.
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(3), conn.read(&mut buf))
        .await
        .expect("an answer without waiting for the body")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("REQUEST_TOO_LARGE"), "{text}");
}

#[tokio::test]
async fn a_body_that_stalls_times_out_with_408() {
    let Some(app) = TestApp::spawn_with_limits(short(30, 1)).await else {
        return;
    };
    let mut conn = TcpStream::connect(addr(&app)).await.unwrap();
    conn.write_all(
        b"POST /rest/server.time HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":",
    )
    .await
    .unwrap();
    let (_, got) = closed_within(&mut conn, Duration::from_secs(4)).await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("REQUEST_TIMEOUT"), "{got}");
}

#[tokio::test]
async fn beyond_the_connection_cap_new_connections_wait_and_open_ones_work() {
    let limits = Limits {
        max_connections: 4,
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    // Four connections take every place (reqwest's own pool may hold some too,
    // so these are raw and the checks below go over them).
    let mut open = Vec::new();
    for _ in 0..4 {
        let mut c = TcpStream::connect(addr(&app)).await.unwrap();
        c.write_all(b"GET /rest/server.time HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 1024];
        let n = c.read(&mut buf).await.unwrap();
        assert!(n > 0);
        open.push(c);
    }
    // A fifth is accepted by the kernel but not served...
    let mut waiting = TcpStream::connect(addr(&app)).await.unwrap();
    waiting
        .write_all(b"GET /rest/server.time HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf))
            .await
            .is_err(),
        "served beyond the cap"
    );
    // ...while the open ones keep working.
    open[0]
        .write_all(b"GET /rest/server.time HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), open[0].read(&mut buf))
        .await
        .expect("an open connection answers")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 401"));
    // One place frees up: the waiting one is served.
    drop(open.pop());
    let n = tokio::time::timeout(Duration::from_secs(3), waiting.read(&mut buf))
        .await
        .expect("served once a place freed up")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 401"));
}

#[tokio::test]
async fn request_intensity_is_a_leaky_bucket_per_webhook() {
    let limits = Limits {
        rate: Some(RateLimit {
            threshold: 5.0,
            drain: 1.0,
        }),
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    let other = app.user("Other", "").await;
    let mut statuses = Vec::new();
    // On PostgreSQL requests alternate between two nodes, a bucket each.
    let tries = if crate::POSTGRES { 13 } else { 7 };
    for _ in 0..tries {
        let (status, body) = app.call(&app.admin, "server.time", json!({})).await;
        statuses.push(status);
        if status == 503 {
            assert_eq!(body["error"], "QUERY_LIMIT_EXCEEDED", "{body}");
            assert_eq!(body["error_description"], "Too many requests");
        }
    }
    // A burst up to the threshold goes through; then 503. (On PostgreSQL
    // the two nodes keep a bucket each, so up to twice as many pass.)
    let passed = statuses.iter().filter(|s| **s == 200).count();
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!((5..=6).contains(&passed) || crate::POSTGRES, "{statuses:?}");
    // Another webhook has its own bucket.
    app.ok(&other, "server.time", json!({})).await;
    // The bucket drains: a second later one more request passes.
    tokio::time::sleep(Duration::from_millis(
        1100 * if crate::POSTGRES { 2 } else { 1 },
    ))
    .await;
    app.ok(&app.admin, "server.time", json!({})).await;
}

#[tokio::test]
async fn operating_accounts_each_method_and_blocks_past_the_limit() {
    // A limit so small that one call passes it.
    let limits = Limits {
        operating_limit: Some(1e-9),
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    let (status, body) = app.call(&app.admin, "server.time", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let time = &body["time"];
    assert!(time["operating"].as_f64().unwrap() > 0.0, "{time}");
    let reset = time["operating_reset_at"].as_i64().unwrap();
    let start = time["start"].as_f64().unwrap() as i64;
    assert!((start..=start + 601).contains(&reset), "{time}");
    // The next call of that method is refused for this webhook (on
    // PostgreSQL, once the node that served the first is asked again)...
    let mut refused = None;
    for _ in 0..4 {
        let (status, body) = app.call(&app.admin, "server.time", json!({})).await;
        if status == 429 {
            refused = Some(body);
            break;
        }
    }
    let refused = refused.expect("server.time refused past the limit");
    assert_eq!(refused["error"], "OPERATION_TIME_LIMIT", "{refused}");
    // ...while other methods and other webhooks still run.
    let (status, _) = app.call(&app.admin, "profile", json!({})).await;
    assert_eq!(status, 200);
    let other = app.user("Other", "").await;
    let (status, _) = app.call(&other, "server.time", json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn operating_grows_with_each_call_without_a_limit() {
    let Some(app) = TestApp::spawn().await else {
        return;
    };
    let mut last = 0.0;
    let mut grew = 0;
    for _ in 0..6 {
        let (_, body) = app.call(&app.admin, "im.user.get", json!({})).await;
        let op = body["time"]["operating"].as_f64().unwrap();
        if op > last {
            grew += 1;
        }
        last = last.max(op);
    }
    // Two nodes on PostgreSQL: each grows its own account.
    assert!(grew >= 3, "operating did not accumulate");
    // batch itself is not accounted; its commands are.
    let (_, body) = app
        .call(&app.admin, "batch", json!({"cmd": {"a": "im.user.get"}}))
        .await;
    assert_eq!(body["time"]["operating"], json!(0.0), "{body}");
    let inner: &Value = &body["result"]["result_time"]["a"];
    assert!(inner.is_object(), "{body}");
}

#[tokio::test]
async fn users_per_call_are_limited() {
    let limits = Limits {
        max_users_per_call: 10,
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    let many: Vec<i64> = (1..=11).collect();
    let (status, body) = app
        .call(
            &app.admin,
            "im.chat.add",
            json!({"TITLE": "big", "USERS": many}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("TOO_MANY_USERS")),
        "{body}"
    );
    let chat = app.chat(&app.admin, &[]).await;
    let (status, body) = app
        .call(
            &app.admin,
            "im.chat.user.add",
            json!({"CHAT_ID": chat, "USERS": many}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("TOO_MANY_USERS")),
        "{body}"
    );
    // Nothing was written: the chat has its owner alone.
    let members = app
        .ok(&app.admin, "im.chat.user.list", json!({"CHAT_ID": chat}))
        .await;
    assert_eq!(members, json!([app.admin.user]));
    let ten: Vec<i64> = vec![app.admin.user; 10];
    app.ok(
        &app.admin,
        "im.chat.add",
        json!({"TITLE": "ok", "USERS": ten}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_does_not_shut_others_out_for_long() {
    let limits = Limits {
        max_connections: 32,
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    // 200 connections that never send a byte: each holds a place until the
    // header timeout closes it; the rest wait in the backlog.
    let mut flood = Vec::new();
    for _ in 0..200 {
        flood.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    let started = Instant::now();
    let (status, _) = tokio::time::timeout(
        Duration::from_secs(15),
        app.call(&app.admin, "server.time", json!({})),
    )
    .await
    .expect("a real client got through the flood");
    assert_eq!(status, 200);
    eprintln!(
        "served through a flood of 200 idle connections after {:?}",
        started.elapsed()
    );
    // The flood was cut: every connection was closed by the server.
    let mut closed = 0;
    for mut c in flood {
        if closed_within(&mut c, Duration::from_secs(10)).await.0 {
            closed += 1;
        }
    }
    assert_eq!(closed, 200);
}

/// A flood from one address (connections that never send a byte, far more
/// than its share) costs a client at another address nothing: it is
/// answered within a second. The flood's connections beyond its address's
/// cap are closed at once, the rest once they have stayed silent for the
/// first-request timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_costs_another_address_nothing() {
    let limits = Limits {
        max_connections: 64,
        max_connections_per_address: 16,
        first_request_timeout: Duration::from_secs(2),
        ..Limits::default()
    };
    let Some(app) = TestApp::spawn_with_limits(limits).await else {
        return;
    };
    let mut flood = Vec::new();
    for _ in 0..500 {
        flood.push(TcpStream::connect(addr(&app)).await.unwrap());
    }
    // Another machine, as far as the server can tell: 127.0.0.2.
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for _ in 0..5 {
        let started = Instant::now();
        let res = other
            .post(format!("{}server.time", app.admin.url))
            .send()
            .await
            .expect("answered within a second through the flood");
        assert_eq!(res.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    // Beyond its 16, the flood was closed at once; the 16 after 2 s.
    let mut closed_at_once = 0;
    for c in flood.iter_mut() {
        if closed_within(c, Duration::from_millis(10)).await.0 {
            closed_at_once += 1;
        }
    }
    assert!(
        closed_at_once >= 500 - 16,
        "{closed_at_once} of 500 closed at once"
    );
    let mut closed = 0;
    let mut open_ones = Vec::new();
    for (i, mut c) in flood.into_iter().enumerate() {
        if closed_within(&mut c, Duration::from_secs(5)).await.0 {
            closed += 1;
        } else {
            open_ones.push((i, c.local_addr().unwrap()));
        }
    }
    assert_eq!(closed, 500, "open: {open_ones:?}");
}
