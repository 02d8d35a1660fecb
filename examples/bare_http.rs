//! The bare-HTTP ceiling for the like benchmark: the same stack as b24im
//! (tokio multi-thread, axum, hyper HTTP/1.1) answering a constant body,
//! with no parsing, no auth and no storage. See bench/like.sh.

use axum::routing::any;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18181".to_owned());
    let app = Router::new().route(
        "/{*rest}",
        any(|| async {
            (
                [("content-type", "application/json; charset=utf-8")],
                r#"{"result":true}"#,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("bare http on {addr}");
    axum::serve(listener, app).await
}
