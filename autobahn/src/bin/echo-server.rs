//! `echo-server --listen 127.0.0.1:PORT [--no-deflate] [--tls-cert FILE --tls-key FILE]`:
//! the reference echo server. SIGINT/SIGTERM close every connection with 1001 and
//! exit 0 after at most the grace period.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tokio::sync::watch;
use wsspec_autobahn::echo::{bind_and_serve_until, termination_signal, EchoOptions};
use wsspec_autobahn::io::Timeouts;
use wsspec_autobahn::tls::TlsServer;

/// Echoes every WebSocket message (RFC 6455 and hixie-76) until stopped.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:9001")]
    listen: SocketAddr,
    /// Do not accept permessage-deflate offers.
    #[arg(long)]
    no_deflate: bool,
    /// Serve wss:// with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Ping every connection when it opens and then every SECS (0: never; the
    /// default, so wstest's wire logs are unchanged).
    #[arg(long, value_name = "SECS", default_value_t = 0)]
    ping_interval: u64,
    /// Close a connection with 1001 after SECS with nothing received (0: never).
    #[arg(long, value_name = "SECS", default_value_t = 1200)]
    idle_timeout: u64,
    /// Serve at most N connections at once; more get HTTP 503 (default: no limit).
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// On SIGINT/SIGTERM, wait up to SECS for connections to close.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    grace: u64,
}

fn seconds(secs: u64) -> Option<Duration> {
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match TlsServer::from_pem_files(cert, key) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("echo-server: {e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    let scheme = if tls.is_some() { "wss" } else { "ws" };
    let options = EchoOptions {
        deflate: !args.no_deflate,
        tls,
        max_connections: args.max_connections,
        grace: Duration::from_secs(args.grace),
        timeouts: Timeouts {
            ping_interval: seconds(args.ping_interval),
            idle: seconds(args.idle_timeout),
            ..Timeouts::default()
        },
        ..EchoOptions::default()
    };
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        if termination_signal().await.is_ok() {
            let _ = stop.send(true);
        }
    });
    let result = bind_and_serve_until(args.listen, options, shutdown, |addr| {
        println!("echo-server listening on {scheme}://{addr}");
    })
    .await;
    match result {
        Ok(stopped) => {
            println!(
                "echo-server: stopped; {} connections sent 1001, {} dropped after the grace period",
                stopped.open, stopped.abandoned
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("echo-server: cannot serve on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}
