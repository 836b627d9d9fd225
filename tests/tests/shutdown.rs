//! Graceful shutdown: in-flight requests finish; the real binary exits
//! cleanly on SIGTERM.

use std::time::Duration;

use axum::routing::get;

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_is_signalled() {
    let router = axum::Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "done"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gateway::http::serve_until(listener, router, async move {
        let _ = stopped.await;
    }));
    let slow = tokio::spawn(async move { reqwest::get(format!("http://{addr}/slow")).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).expect("signal shutdown");
    let resp = slow
        .await
        .expect("join")
        .expect("the in-flight request completes");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "done");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops after draining")
        .expect("join")
        .expect("clean exit");
    assert!(
        reqwest::get(format!("http://{addr}/slow")).await.is_err(),
        "no new connections after shutdown"
    );
}
