//! `testee-client --url ws://127.0.0.1:PORT --agent NAME`: runs every case of a fuzzing
//! server, echoing each message, then asks it to write the reports.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wsspec_autobahn::client::{run_all, ClientOptions, WsUrl};
use wsspec_autobahn::io::Timeouts;
use wsspec_autobahn::tls::{ClientTrust, TlsClient};
use wsspec_codec::Limits;

/// Drives `wstest -m fuzzingserver` (or `wsspec serve`) as an echoing client.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The fuzzing server, e.g. ws://127.0.0.1:9001 or wss://localhost:9001.
    #[arg(long)]
    url: String,
    /// Agent name under which the results are recorded.
    #[arg(long, default_value = "wsspec-testee-client")]
    agent: String,
    /// Do not offer permessage-deflate.
    #[arg(long)]
    no_deflate: bool,
    /// For wss://: also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    ca: Vec<PathBuf>,
    /// For wss://: accept any server certificate (encrypted, not authenticated).
    #[arg(long)]
    insecure: bool,
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
    let url = match WsUrl::parse(&args.url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("testee-client: {e:#}");
            return ExitCode::from(2);
        }
    };
    let tls = if url.secure {
        if args.insecure {
            eprintln!(
                "testee-client: warning: --insecure: the server's certificate is not verified"
            );
        }
        let trust = ClientTrust {
            extra_roots: args.ca,
            insecure: args.insecure,
        };
        match TlsClient::new(&trust) {
            Ok(tls) => Some(tls),
            Err(e) => {
                eprintln!("testee-client: {e}");
                return ExitCode::from(2);
            }
        }
    } else {
        None
    };
    let options = ClientOptions {
        tls,
        url,
        agent: args.agent,
        deflate: !args.no_deflate,
        limits: Limits::default(),
        timeouts: Timeouts::default(),
        connect_timeout: Duration::from_secs(5),
    };
    match run_all(&options).await {
        Ok(count) => {
            println!("testee-client: ran {count} cases as {:?}", options.agent);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("testee-client: {e:#}");
            ExitCode::FAILURE
        }
    }
}
