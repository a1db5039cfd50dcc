//! `echo-server --listen 127.0.0.1:PORT [--no-deflate]`: the reference echo server.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use wsspec_autobahn::echo::{bind_and_serve, EchoOptions};

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
    let options = EchoOptions {
        deflate: !args.no_deflate,
        ..EchoOptions::default()
    };
    let result = bind_and_serve(args.listen, options, |addr| {
        println!("echo-server listening on ws://{addr}");
    })
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo-server: cannot serve on {}: {e}", args.listen);
            ExitCode::FAILURE
        }
    }
}
