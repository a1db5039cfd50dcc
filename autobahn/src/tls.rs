//! TLS for `wss://` (RFC 6455 §3, §4.1 step 5): a server side that loads a PEM
//! certificate chain and key, a client side that trusts the webpki roots plus any PEM
//! roots given (or, on request, nothing at all), and handshake errors turned into one
//! line a user can act on ("TLS: certificate not trusted for 127.0.0.1: …").
//!
//! rustls with the *ring* provider: it builds with a C compiler alone (aws-lc-rs needs
//! cmake). The client sends SNI for host names only; for an IP address it sends none
//! (RFC 6066 §3 forbids literal addresses in SNI) and the certificate must carry the
//! address as an IP subject alternative name.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A TLS setup problem: a file that cannot be read or holds no usable certificate or
/// key, or a key that does not match its certificate.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The PEM file could not be read or parsed.
    #[error("cannot read {what} from {path}: {error}")]
    Pem {
        /// "certificates" or "a private key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        error: rustls_pki_types::pem::Error,
    },
    /// The PEM file holds no certificate.
    #[error("{path} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the configuration (e.g. the key does not match the certificate).
    #[error("{0}")]
    Rustls(#[from] rustls::Error),
    /// A root certificate was refused by the trust store.
    #[error("{path}: not a usable CA certificate: {error}")]
    BadRoot {
        /// The file.
        path: PathBuf,
        /// Why.
        error: rustls::Error,
    },
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let pem = |error| TlsSetupError::Pem {
        what: "certificates",
        path: path.to_owned(),
        error,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(pem)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(pem)?;
    if certs.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(certs)
}

/// The server side of `wss://`: a certificate chain and its key.
#[derive(Clone)]
pub struct TlsServer {
    acceptor: tokio_rustls::TlsAcceptor,
}

impl fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsServer")
    }
}

impl TlsServer {
    /// Loads a PEM certificate chain (leaf first) and a PEM private key (PKCS#8,
    /// PKCS#1 or SEC1).
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsServer, TlsSetupError> {
        let chain = read_certificates(cert)?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|error| TlsSetupError::Pem {
            what: "a private key",
            path: key.to_owned(),
            error,
        })?;
        TlsServer::new(chain, key)
    }

    /// A server with this chain (leaf first) and key.
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<TlsServer, TlsSetupError> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        // A WebSocket handshake is HTTP/1.1 (RFC 6455 §4.1); say so to clients that ask.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsServer {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Performs the server side of the TLS handshake on `tcp`.
    pub async fn accept(
        &self,
        tcp: TcpStream,
    ) -> io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
        self.acceptor.accept(tcp).await
    }
}

/// Which server certificates the client side accepts.
#[derive(Debug, Clone, Default)]
pub struct ClientTrust {
    /// PEM files of extra trusted roots (`--ca`), besides the webpki roots.
    pub extra_roots: Vec<PathBuf>,
    /// Accept any certificate (`--insecure`): the connection is encrypted but the
    /// server is not authenticated.
    pub insecure: bool,
}

/// The client side of `wss://`.
#[derive(Clone)]
pub struct TlsClient {
    connector: tokio_rustls::TlsConnector,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsClient")
    }
}

impl TlsClient {
    /// A client that trusts the webpki roots and `trust.extra_roots`, or anything
    /// when `trust.insecure`.
    pub fn new(trust: &ClientTrust) -> Result<TlsClient, TlsSetupError> {
        let provider = provider();
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()?;
        let config = if trust.insecure {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyCertificate { provider }))
                .with_no_client_auth()
        } else {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            for path in &trust.extra_roots {
                for cert in read_certificates(path)? {
                    roots.add(cert).map_err(|error| TlsSetupError::BadRoot {
                        path: path.clone(),
                        error,
                    })?;
                }
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        };
        Ok(TlsClient {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }

    /// Performs the client side of the TLS handshake with `host` (a name or an
    /// address without brackets) over `tcp`. The error is one line starting "TLS:".
    pub async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| format!("TLS: {host:?} is neither a DNS name nor an IP address"))?;
        self.connector
            .connect(name, tcp)
            .await
            .map_err(|e| describe_handshake_error(host, &e))
    }
}

/// One line saying why a TLS handshake with `host` failed, and what to do about an
/// untrusted certificate.
pub fn describe_handshake_error(host: &str, error: &io::Error) -> String {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(cert)) => match cert {
            CertificateError::UnknownIssuer => format!(
                "TLS: certificate not trusted for {host}: unknown issuer \
                 (trust its CA with --ca FILE, or skip verification with --insecure)"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!("TLS: certificate not valid for {host}: {cert}")
            }
            other => format!("TLS: certificate of {host} refused: {other}"),
        },
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("TLS: {host} refused the handshake ({alert:?} alert)")
        }
        Some(
            e @ (rustls::Error::InvalidMessage(_)
            | rustls::Error::InappropriateMessage { .. }
            | rustls::Error::InappropriateHandshakeMessage { .. }),
        ) => format!("TLS: {host} did not answer with TLS ({e}); is it a ws:// server?"),
        Some(other) => format!("TLS: handshake with {host} failed: {other}"),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            format!("TLS: {host} closed the connection during the TLS handshake")
        }
        None => format!("TLS: handshake with {host} failed: {error}"),
    }
}

/// `--insecure`: accepts any certificate but still checks the handshake signatures
/// against it, so the connection is at least encrypted to whoever holds its key.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A client connection over plain TCP (`ws://`) or TLS (`wss://`).
#[derive(Debug)]
pub enum MaybeTlsStream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTlsStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTlsStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTlsStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTlsStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
