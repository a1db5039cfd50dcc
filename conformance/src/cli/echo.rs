//! `wsspec echo --listen ADDR`: the reference echo server (RFC 6455 with
//! permessage-deflate), for trying clients and as a known-good peer.

use anyhow::Context;
use wsspec_autobahn::echo::{bind_and_serve, EchoOptions};

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
}

/// Runs `wsspec echo` until interrupted.
pub fn run(args: &EchoArgs) -> anyhow::Result<u8> {
    let options = EchoOptions {
        deflate: !args.no_deflate,
        deflate_level: args.deflate_level,
        ..EchoOptions::default()
    };
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let listen = args.listen;
        let ready =
            |addr: std::net::SocketAddr| eprintln!("wsspec: echo server listening on ws://{addr}");
        tokio::select! {
            result = bind_and_serve(listen, options, ready) => {
                result.with_context(|| format!("cannot serve on {listen}"))?;
            }
            _ = tokio::signal::ctrl_c() => eprintln!("wsspec: echo server stopped"),
        }
        anyhow::Ok(())
    })?;
    Ok(super::EXIT_PASS)
}
