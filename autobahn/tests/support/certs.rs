//! Test certificates made at test time with rcgen: a CA and a leaf it signed for
//! `localhost` and `127.0.0.1`, as PEM files in a temporary directory. Shared by the
//! autobahn and conformance tests (`#[path]`-included).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA, a leaf certificate it signed, and the leaf's key, on disk.
pub struct TestPki {
    /// The CA certificate (what `--ca` takes).
    pub ca: PathBuf,
    /// The leaf certificate chain (what `--tls-cert` takes).
    pub cert: PathBuf,
    /// The leaf's private key (what `--tls-key` takes).
    pub key: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestPki {
    /// A CA and a leaf for `localhost` and `127.0.0.1`.
    pub fn new() -> TestPki {
        TestPki::for_names(&["localhost", "127.0.0.1"])
    }

    /// A CA and a leaf for `names` (IP addresses become IP subject alternative names).
    pub fn for_names(names: &[&str]) -> TestPki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "wsspec test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();

        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut leaf_params = CertificateParams::new(names).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "wsspec test server");
        let leaf_key = KeyPair::generate().unwrap();
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let leaf_cert = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: String| -> PathBuf {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        TestPki {
            ca: write("ca.pem", ca_cert.pem()),
            cert: write("cert.pem", leaf_cert.pem()),
            key: write("key.pem", leaf_key.serialize_pem()),
            _dir: dir,
        }
    }

    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }
}
