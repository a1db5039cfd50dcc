//! The reference testee client: drives a fuzzing server (`wstest -m fuzzingserver` or
//! `wsspec serve`) through its URLs — `/getCaseCount`, `/runCase?case=N&agent=A` (echo
//! every message until closed), `/updateReports?agent=A`.

use std::io;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;
use wsspec_codec::connection::{Config, Connection, Event};
use wsspec_codec::deflate::{negotiate_client, DeflateOffer};
use wsspec_codec::frame::Role;
use wsspec_codec::handshake::{ClientRequest, ResponseParser};
use wsspec_codec::message::Message;
use wsspec_codec::Limits;

use crate::io::{drive, Timeouts};
use crate::tls::{MaybeTlsStream, TlsClient};

/// A `ws://host:port/path` or `wss://host:port/path` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    /// `wss://`: TLS.
    pub secure: bool,
    /// Host name or address, without brackets.
    pub host: String,
    /// Port (80, or 443 for `wss://`, when the URL has none).
    pub port: u16,
    /// Path prefix without the trailing slash (empty for the root).
    pub path: String,
}

impl WsUrl {
    /// Parses `ws://HOST[:PORT][/PATH]` or `wss://HOST[:PORT][/PATH]`.
    pub fn parse(url: &str) -> anyhow::Result<WsUrl> {
        let (secure, rest) = if let Some(rest) = url.strip_prefix("ws://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("wss://") {
            (true, rest)
        } else {
            bail!("{url:?} is not a ws:// or wss:// URL");
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let (h, after) = stripped
                .split_once(']')
                .ok_or_else(|| anyhow!("{url:?}: unclosed '[' in the host"))?;
            (h, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            bail!("{url:?} has no host");
        }
        let port = match port {
            Some(p) => p
                .parse()
                .with_context(|| format!("{url:?}: port {p:?} is not a number from 0 to 65535"))?,
            None if secure => 443,
            None => 80,
        };
        Ok(WsUrl {
            secure,
            host: host.to_owned(),
            port,
            path: path.to_owned(),
        })
    }

    /// The `Host` header value: `host:port`, brackets around an IPv6 address.
    pub fn host_header(&self) -> String {
        wsspec_codec::handshake::host_header(&self.host, self.port)
    }
}

/// How the testee client behaves.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The fuzzing server.
    pub url: WsUrl,
    /// The agent name under which results are recorded.
    pub agent: String,
    /// Offer permessage-deflate.
    pub deflate: bool,
    /// Size limits per connection.
    pub limits: Limits,
    /// Wait limits per connection.
    pub timeouts: Timeouts,
    /// TCP connect timeout (the TLS handshake counts against the handshake timeout).
    pub connect_timeout: Duration,
    /// The TLS client for a `wss://` URL.
    pub tls: Option<TlsClient>,
}

/// Runs every case the server has, then asks it to write the reports. Returns the case
/// count.
pub async fn run_all(options: &ClientOptions) -> anyhow::Result<u32> {
    let count = case_count(options).await?;
    for case in 1..=count {
        let path = format!(
            "/runCase?case={case}&agent={}",
            query_escape(&options.agent)
        );
        run_echo(options, &path)
            .await
            .with_context(|| format!("case {case} of {count}"))?;
    }
    let path = format!("/updateReports?agent={}", query_escape(&options.agent));
    run_echo(options, &path)
        .await
        .context("asking the server to write the reports")?;
    Ok(count)
}

/// Asks `/getCaseCount`: the server sends the count as one text message.
pub async fn case_count(options: &ClientOptions) -> anyhow::Result<u32> {
    let (mut stream, mut conn, rest) = connect(options, "/getCaseCount").await?;
    let mut count = None;
    drive(
        &mut stream,
        &mut conn,
        &rest,
        options.timeouts,
        |_, message| {
            if let Message::Text(text) = message {
                count = text.trim().parse::<u32>().ok();
            }
        },
    )
    .await?;
    count.ok_or_else(|| anyhow!("the server did not send a case count on /getCaseCount"))
}

/// Opens `path` and echoes every message until the connection ends.
async fn run_echo(options: &ClientOptions, path: &str) -> anyhow::Result<()> {
    let (mut stream, mut conn, rest) = connect(options, path).await?;
    drive(
        &mut stream,
        &mut conn,
        &rest,
        options.timeouts,
        |conn, message| {
            let _ = conn.send_message(&message);
        },
    )
    .await?;
    // Drain events so a protocol error in the case shows up in debugging output.
    while let Some(event) = conn.next_event() {
        if let Event::ProtocolError(e) = event {
            eprintln!("testee-client: {path}: failed the connection: {e}");
        }
    }
    Ok(())
}

/// Connects, performs the opening handshake and returns the stream, the connection and
/// the bytes that arrived after the handshake.
async fn connect(
    options: &ClientOptions,
    path: &str,
) -> anyhow::Result<(MaybeTlsStream, Connection, Vec<u8>)> {
    let url = &options.url;
    let addr = (url.host.as_str(), url.port);
    let tcp = match timeout(options.connect_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => bail!("cannot connect to {}: {e}", url.host_header()),
        Err(_) => bail!("connecting to {} timed out", url.host_header()),
    };
    tcp.set_nodelay(true)?;
    let mut stream = match (url.secure, &options.tls) {
        (false, _) => MaybeTlsStream::Plain(tcp),
        (true, None) => bail!(
            "{} is a wss:// URL but no TLS client was set up",
            url.host_header()
        ),
        (true, Some(tls)) => {
            match timeout(options.timeouts.handshake, tls.connect(&url.host, tcp)).await {
                Ok(Ok(s)) => MaybeTlsStream::Tls(Box::new(s)),
                Ok(Err(problem)) => bail!("{problem}"),
                Err(_) => bail!("TLS: the handshake with {} timed out", url.host_header()),
            }
        }
    };
    let mut request = ClientRequest::new(url.host_header(), format!("{}{path}", url.path));
    request
        .extra_headers
        .push(("User-Agent".into(), options.agent.clone()));
    // Like Autobahn's own testee: no context-takeover demands, and any client window
    // size the server asks for is fine.
    let offer = DeflateOffer::new().with_client_max_window_bits(None);
    if options.deflate {
        request.extensions.push(offer.to_extension());
    }
    stream.write_all(&request.to_bytes()).await?;
    let mut parser = ResponseParser::new(&request, &options.limits);
    let mut buf = [0u8; 4096];
    let handshake = async {
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return Err(anyhow!(
                    "the server closed the connection during the handshake"
                ));
            }
            if let Some(done) = parser.feed(&buf[..n])? {
                return Ok(done);
            }
        }
    };
    let (response, rest) = timeout(options.timeouts.handshake, handshake)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "handshake timed out"))??;
    let deflate = match response
        .extensions
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case("permessage-deflate"))
    {
        Some(accepted) => Some(negotiate_client(accepted, &[offer])?),
        None => None,
    };
    let config = Config {
        limits: options.limits,
        deflate,
        deflate_level: None,
    };
    Ok((stream, Connection::new(Role::Client, config), rest))
}

/// Percent-encodes what may not appear raw in a query value.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_urls() {
        let u = WsUrl::parse("ws://127.0.0.1:9001").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 9001, "")
        );
        assert!(!u.secure);
        let u = WsUrl::parse("wss://localhost/x").unwrap();
        assert!(u.secure);
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("localhost", 443, "/x")
        );
        let u = WsUrl::parse("ws://[::1]:80/base/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 80, "/base")
        );
        assert!(WsUrl::parse("http://x").is_err());
        assert!(WsUrl::parse("ws://host:99999").is_err());
        assert!(WsUrl::parse("ws://:80").is_err());
    }

    #[test]
    fn escapes_agent_names_in_queries() {
        assert_eq!(query_escape("wsspec/0.1 x&y"), "wsspec/0.1%20x%26y");
    }
}
