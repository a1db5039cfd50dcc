//! `wsspec serve --tls-cert/--tls-key`: the fuzzing server over TLS, driven by the
//! reference testee client over `wss://` with the test CA trusted; the verdicts are
//! those over plain TCP, and a client that does not trust the certificate gets no case.

#[path = "../../autobahn/tests/support/certs.rs"]
mod certs;

use std::sync::Arc;
use std::time::Duration;

use certs::TestPki;
use tokio::net::TcpListener;
use tokio::sync::watch;
use wsspec::catalog;
use wsspec::runner::Settings;
use wsspec::serve::{self, ServeOptions, Served, ServedCase};
use wsspec_autobahn::client::{run_all, ClientOptions, WsUrl};
use wsspec_autobahn::io::Timeouts;
use wsspec_autobahn::tls::{ClientTrust, TlsClient, TlsServer};
use wsspec_codec::Limits;
use wsspec_reports::{Policy, Verdict};

const GUARD: Duration = Duration::from_secs(60);

const IDS: [&str; 6] = ["1.1.1", "2.1", "5.1", "6.1.1", "7.1.1", "12.1.1"];

fn cases() -> Vec<ServedCase> {
    catalog::autobahn()
        .iter()
        .filter(|c| IDS.contains(&c.id.as_str()))
        .map(ServedCase::Catalog)
        .collect()
}

/// Serves the cases (over TLS with `pki`), lets the testee client run them all, and
/// returns what the server recorded.
async fn serve_and_run(pki: Option<&TestPki>) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings {
        tls_server: pki.map(|p| TlsServer::from_pem_files(&p.cert, &p.key).unwrap()),
        ..Settings::default()
    };
    let options = ServeOptions {
        cases: cases(),
        settings,
        out: dir.path().join("report"),
        policy: Policy::Strict,
        exit_after_reports: Some(1),
    };
    let (_stop, stop_rx) = watch::channel(false);
    let server = tokio::spawn(serve::serve(
        listener,
        options,
        Arc::new(|_: &_| {}),
        stop_rx,
    ));
    let scheme = if pki.is_some() { "wss" } else { "ws" };
    let client = ClientOptions {
        url: WsUrl::parse(&format!("{scheme}://127.0.0.1:{}", addr.port())).unwrap(),
        agent: "testee".to_owned(),
        deflate: true,
        limits: Limits::default(),
        timeouts: Timeouts::default(),
        connect_timeout: Duration::from_secs(5),
        tls: pki.map(|p| {
            TlsClient::new(&ClientTrust {
                extra_roots: vec![p.ca.clone()],
                insecure: false,
            })
            .unwrap()
        }),
    };
    let count = tokio::time::timeout(GUARD, run_all(&client))
        .await
        .expect("the client run stalled")
        .unwrap();
    assert_eq!(count as usize, IDS.len());
    tokio::time::timeout(GUARD, server)
        .await
        .expect("the server stops after the report")
        .unwrap()
}

fn verdicts(served: &Served) -> Vec<(String, Verdict, Verdict)> {
    served.agents["testee"]
        .iter()
        .map(|r| {
            let d = &r.detail;
            (d.id.clone(), d.behavior.clone(), d.behavior_close.clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_over_tls_gives_the_verdicts_it_gives_over_tcp() {
    let pki = TestPki::new();
    let over_tls = verdicts(&serve_and_run(Some(&pki)).await);
    let over_tcp = verdicts(&serve_and_run(None).await);
    assert_eq!(over_tls.len(), IDS.len());
    assert_eq!(over_tls, over_tcp);
    for (id, behavior, close) in &over_tls {
        assert_eq!(*behavior, Verdict::Ok, "{id}");
        assert_eq!(*close, Verdict::Ok, "{id}");
    }
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_gets_no_case() {
    let pki = TestPki::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        cases: cases(),
        settings: Settings {
            tls_server: Some(TlsServer::from_pem_files(&pki.cert, &pki.key).unwrap()),
            ..Settings::default()
        },
        out: dir.path().join("report"),
        policy: Policy::Strict,
        exit_after_reports: Some(1),
    };
    let (stop, stop_rx) = watch::channel(false);
    let server = tokio::spawn(serve::serve(
        listener,
        options,
        Arc::new(|_: &_| {}),
        stop_rx,
    ));
    let client = ClientOptions {
        url: WsUrl::parse(&format!("wss://127.0.0.1:{}", addr.port())).unwrap(),
        agent: "testee".to_owned(),
        deflate: true,
        limits: Limits::default(),
        timeouts: Timeouts::default(),
        connect_timeout: Duration::from_secs(5),
        tls: Some(TlsClient::new(&ClientTrust::default()).unwrap()),
    };
    let error = tokio::time::timeout(GUARD, run_all(&client))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        format!("{error:#}").starts_with("TLS: certificate not trusted for 127.0.0.1"),
        "{error:#}"
    );
    stop.send(true).unwrap();
    let served = tokio::time::timeout(GUARD, server).await.unwrap().unwrap();
    assert!(served.agents.is_empty());
}
