//! `wsspec echo --listen ADDR`: the reference echo server (RFC 6455 with
//! permessage-deflate), for trying clients and as a known-good peer; `ws://`, or
//! `wss://` with `--tls-cert`/`--tls-key`. Unlike the Autobahn testee it keeps
//! connections alive by default (a ping at open and every 30 s; 75 s without a byte
//! from the peer closes with 1001), and on SIGINT/SIGTERM it closes every connection
//! with 1001 and exits 0 within the grace period.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use wsspec_autobahn::echo::{bind_and_serve_until, termination_signal, EchoOptions};
use wsspec_autobahn::io::Timeouts;
use wsspec_autobahn::tls::TlsServer;

/// Arguments of `wsspec echo`.
#[derive(Debug, clap::Args)]
pub struct EchoArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Refuse permessage-deflate.
    #[arg(long)]
    pub no_deflate: bool,
    /// zlib level (0–9) of the echoed messages when permessage-deflate is agreed.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=9))]
    pub deflate_level: u32,
    /// Serve wss:// with this PEM certificate chain (leaf first; needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Ping every connection when it opens and then every SECS (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub ping_interval: u64,
    /// Close a connection with 1001 when nothing (no data, no pong) arrived for SECS,
    /// and drop it if the close is not answered (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 75)]
    pub idle_timeout: u64,
    /// Serve at most N connections at once; more get HTTP 503 before the upgrade
    /// (default: no limit).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// On SIGINT/SIGTERM, how long open connections get to finish their closing
    /// handshake after the 1001 before the server exits anyway.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub grace: u64,
}

fn seconds(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// The echo server's options from the command line.
pub fn options(args: &EchoArgs) -> anyhow::Result<EchoOptions> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsServer::from_pem_files(cert, key)?),
        _ => None,
    };
    Ok(EchoOptions {
        deflate: !args.no_deflate,
        deflate_level: args.deflate_level,
        tls,
        max_connections: args.max_connections.map(|n| n as usize),
        grace: Duration::from_secs(args.grace),
        timeouts: Timeouts {
            ping_interval: seconds(args.ping_interval),
            idle: seconds(args.idle_timeout),
            ..Timeouts::default()
        },
        ..EchoOptions::default()
    })
}

/// Runs `wsspec echo` until SIGINT or SIGTERM.
pub fn run(args: &EchoArgs) -> anyhow::Result<u8> {
    let options = options(args)?;
    let scheme = if options.tls.is_some() { "wss" } else { "ws" };
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let listen = args.listen;
        let (stop, shutdown) = watch::channel(false);
        tokio::spawn(async move {
            if termination_signal().await.is_ok() {
                eprintln!("wsspec: echo server stopping: closing every connection with 1001");
                let _ = stop.send(true);
            }
        });
        let ready = |addr: std::net::SocketAddr| {
            eprintln!("wsspec: echo server listening on {scheme}://{addr}")
        };
        let stopped = bind_and_serve_until(listen, options, shutdown, ready)
            .await
            .with_context(|| format!("cannot serve on {listen}"))?;
        eprintln!(
            "wsspec: echo server stopped ({} connections were open, {} dropped after the grace period)",
            stopped.open, stopped.abandoned
        );
        anyhow::Ok(())
    })?;
    Ok(super::EXIT_PASS)
}
