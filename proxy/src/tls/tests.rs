//! Unit tests for certificate loading, its error messages, and SNI lookup.

use super::*;

#[allow(dead_code)]
#[path = "../../tests/integration/support/tls.rs"]
mod fixtures;

use fixtures::{Ca, Leaf};

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn tls(certificates: Vec<model::Certificate>) -> model::ListenerTls {
    model::ListenerTls { certificates }
}

fn inline(cert_pem: &str, key_pem: &str) -> model::Certificate {
    model::Certificate {
        cert: None,
        key: None,
        cert_pem: Some(cert_pem.to_owned()),
        key_pem: Some(key_pem.to_owned()),
        server_names: vec![],
    }
}

fn error(certificates: Vec<model::Certificate>) -> String {
    server_config(&tls(certificates), true).unwrap_err().to_string()
}

/// The leaf whose chain `resolver` serves for `sni`.
fn served<'r>(resolver: &'r SniResolver, sni: Option<&str>) -> &'r [u8] {
    resolver.lookup(sni).cert[0].as_ref()
}

// === server_config ===

#[test]
fn config_offers_alpn_and_tickets() {
    let ca = Ca::new();
    let listener = tls(vec![ca.issue(&["a.example.com"]).inline()]);
    let h2 = server_config(&listener, true).unwrap();
    assert_eq!(h2.alpn_protocols, vec![b"h2".to_vec(), b"http/1.1".to_vec()]);
    assert!(h2.ticketer.enabled());
    let h1 = server_config(&listener, false).unwrap();
    assert_eq!(h1.alpn_protocols, vec![b"http/1.1".to_vec()]);
}

// === Loading ===

#[test]
fn loads_files_and_inline_pem() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let leaf = ca.issue(&["a.example.com", "*.b.example.com"]);
    for (i, cert) in [leaf.files(dir.path(), "a"), leaf.inline()].iter().enumerate() {
        let loaded = load_certificate(Entry(i), cert, &provider()).unwrap();
        assert_eq!(loaded.key.cert.len(), 2, "leaf and CA");
        assert_eq!(loaded.key.cert[0], leaf.der);
        assert_eq!(loaded.names, ["a.example.com", "*.b.example.com"]);
    }
}

#[test]
fn loads_ec_sec1_p384_and_ed25519_keys() {
    let ca = Ca::new();
    let leaf = ca.issue(&["sec1.example.com"]);
    let sec1 = pem("EC PRIVATE KEY", sec1_from_pkcs8(&leaf.key_der));
    load_certificate(Entry(0), &inline(&leaf.cert_pem, &sec1), &provider()).unwrap();
    for alg in [&rcgen::PKCS_ECDSA_P384_SHA384, &rcgen::PKCS_ED25519] {
        let leaf = ca.issue_with(&["k.example.com"], rcgen::KeyPair::generate_for(alg).unwrap());
        load_certificate(Entry(0), &leaf.inline(), &provider()).unwrap();
    }
}

#[test]
fn certificate_without_names_is_the_default() {
    let ca = Ca::new();
    let anonymous = ca.issue(&[]);
    let named = ca.issue(&["a.example.com"]);
    let resolver = resolver(&tls(vec![anonymous.inline(), named.inline()]), &provider()).unwrap();
    assert_eq!(served(&resolver, None), anonymous.der.as_ref());
    assert_eq!(served(&resolver, Some("a.example.com")), named.der.as_ref());
}

#[test]
fn configured_server_names_are_checked_and_lowered() {
    let ca = Ca::new();
    let mut cert = ca.issue(&["a.example.com"]).inline();
    cert.server_names = vec!["Alias.Example.com.".into(), "*.Wild.example.com".into()];
    let loaded = load_certificate(Entry(0), &cert, &provider()).unwrap();
    assert_eq!(loaded.names, ["alias.example.com", "*.wild.example.com"]);
    for bad in ["a*.example.com", "*.*.example.com", "", "a..b"] {
        cert.server_names = vec!["ok.example.com".into(), bad.into()];
        assert_eq!(error(vec![cert.clone()]), format!("certificates[0].server_names[1]: invalid name {bad:?}"));
    }
}

// === Errors ===

#[test]
fn error_missing_file_names_entry_field_and_path() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let good = ca.issue(&["a.example.com"]).files(dir.path(), "a");
    let mut missing = good.clone();
    missing.key = Some(dir.path().join("nope.key"));
    let msg = error(vec![good, missing]);
    let want = format!("certificates[1].key: {}: ", dir.path().join("nope.key").display());
    assert!(msg.starts_with(&want), "{msg}");
    assert!(msg.ends_with(": file not found"), "{msg}");
}

#[test]
fn error_empty_pem() {
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let leaf = ca.issue(&["a.example.com"]);
    let mut cert = leaf.files(dir.path(), "a");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    cert.cert = Some(empty.clone());
    assert_eq!(
        error(vec![leaf.inline(), cert.clone()]),
        format!("certificates[1].cert: {}: no certificate found in PEM", empty.display())
    );
    assert_eq!(error(vec![inline("", &leaf.key_pem)]), "certificates[0].cert_pem: no certificate found in PEM");
    // A key where the chain belongs is no chain either.
    assert_eq!(
        error(vec![inline(&leaf.key_pem, &leaf.key_pem)]),
        "certificates[0].cert_pem: no certificate found in PEM"
    );
    assert_eq!(
        error(vec![inline(&leaf.cert_pem, &leaf.cert_pem)]),
        "certificates[0].key_pem: no private key found in PEM (expected PKCS#8, PKCS#1 RSA or SEC1 EC)"
    );
}

#[test]
fn error_key_not_matching_certificate() {
    let ca = Ca::new();
    let a = ca.issue(&["a.example.com"]);
    let b = ca.issue(&["b.example.com"]);
    let msg = error(vec![a.inline(), inline(&a.cert_pem, &b.key_pem)]);
    assert_eq!(msg, "certificates[1]: private key does not match certificate");
}

#[test]
fn error_garbage_key() {
    let ca = Ca::new();
    let leaf = ca.issue(&["a.example.com"]);
    let garbage = pem("PRIVATE KEY", b"not a key at all".to_vec());
    let msg = error(vec![inline(&leaf.cert_pem, &garbage)]);
    assert_eq!(
        msg,
        "certificates[0].key_pem: unusable private key: failed to parse private key as RSA, ECDSA, or EdDSA"
    );
    let bad_base64 = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
    let msg = error(vec![inline(&leaf.cert_pem, bad_base64)]);
    assert!(msg.starts_with("certificates[0].key_pem: malformed PEM: "), "{msg}");
    let truncated = "-----BEGIN PRIVATE KEY-----\nAAAA\n";
    let msg = error(vec![inline(&leaf.cert_pem, truncated)]);
    assert_eq!(msg, "certificates[0].key_pem: malformed PEM: no \"-----END PRIVATE KEY-----\" line");
}

#[test]
fn error_garbage_certificate() {
    let ca = Ca::new();
    let leaf = ca.issue(&["a.example.com"]);
    let garbage = pem("CERTIFICATE", b"not a certificate".to_vec());
    let msg = error(vec![inline(&garbage, &leaf.key_pem)]);
    assert!(msg.starts_with("certificates[0].cert_pem: invalid leaf certificate: "), "{msg}");
}

#[test]
fn error_no_certificates() {
    assert_eq!(error(vec![]), "certificates: at least one certificate is required");
}

// === SNI lookup ===

struct Four {
    default: Leaf,
    a: Leaf,
    wild: Leaf,
    resolver: SniResolver,
}

fn four() -> Four {
    let ca = Ca::new();
    let default = ca.issue(&["default.example.com"]);
    let a = ca.issue(&["a.example.com"]);
    let wild = ca.issue(&["*.wild.example.com"]);
    // Claims names the earlier certificates already serve: the earlier ones keep them.
    let late = ca.issue(&["a.example.com", "*.wild.example.com", "late.example.com"]);
    let certs = vec![default.inline(), a.inline(), wild.inline(), late.inline()];
    let resolver = resolver(&tls(certs), &provider()).unwrap();
    Four { default, a, wild, resolver }
}

#[test]
fn exact_names_ignore_case_and_trailing_dot() {
    let f = four();
    for name in ["a.example.com", "A.EXAMPLE.com", "a.example.com."] {
        assert_eq!(served(&f.resolver, Some(name)), f.a.der.as_ref(), "{name}");
    }
}

#[test]
fn wildcard_covers_one_label() {
    let f = four();
    assert_eq!(served(&f.resolver, Some("x.wild.example.com")), f.wild.der.as_ref());
    assert_eq!(served(&f.resolver, Some("X.Wild.Example.Com")), f.wild.der.as_ref());
    for name in ["x.y.wild.example.com", "wild.example.com", ".wild.example.com"] {
        assert_eq!(served(&f.resolver, Some(name)), f.default.der.as_ref(), "{name}");
    }
}

#[test]
fn unknown_or_no_sni_gets_the_first_certificate() {
    let f = four();
    for sni in [None, Some("unknown.example.org"), Some(""), Some("com")] {
        assert_eq!(served(&f.resolver, sni), f.default.der.as_ref(), "{sni:?}");
    }
}

#[test]
fn first_certificate_claiming_a_name_wins() {
    let f = four();
    assert_eq!(served(&f.resolver, Some("a.example.com")), f.a.der.as_ref());
    assert_eq!(served(&f.resolver, Some("x.wild.example.com")), f.wild.der.as_ref());
    assert_ne!(served(&f.resolver, Some("late.example.com")), f.default.der.as_ref());
    let mut names: Vec<_> = f.resolver.names().collect();
    names.sort();
    assert_eq!(names, ["*.wild.example.com", "a.example.com", "default.example.com", "late.example.com"]);
}

#[test]
fn debug_shows_no_key_material() {
    let f = four();
    let shown = format!("{:?}", f.resolver);
    assert_eq!(shown, "SniResolver { exact: 3, wildcard: 1, default: Entry(0) }");
}

// === Helpers ===

/// The SEC1 `ECPrivateKey` inside a PKCS#8 `PrivateKeyInfo` (its `privateKey` OCTET STRING).
fn sec1_from_pkcs8(pkcs8: &[u8]) -> Vec<u8> {
    let info = der_value(pkcs8, 0x30);
    let (_version, rest) = der_split(info);
    let (_algorithm, rest) = der_split(rest);
    der_value(rest, 0x04).to_vec()
}

/// The contents of the DER element at the start of `der`, which must have `tag`.
fn der_value(der: &[u8], tag: u8) -> &[u8] {
    assert_eq!(der[0], tag);
    let (len, header) = der_len(der);
    &der[header..header + len]
}

/// The first DER element and what follows it.
fn der_split(der: &[u8]) -> (&[u8], &[u8]) {
    let (len, header) = der_len(der);
    der.split_at(header + len)
}

/// Length of the element at the start of `der`, and the size of its tag and length.
fn der_len(der: &[u8]) -> (usize, usize) {
    match der[1] {
        n if n < 0x80 => (n as usize, 2),
        n => {
            let count = (n & 0x7f) as usize;
            let len = der[2..2 + count].iter().fold(0, |acc, &b| (acc << 8) | b as usize);
            (len, 2 + count)
        }
    }
}

/// `der` as a PEM section labelled `label`.
fn pem(label: &str, der: Vec<u8>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<_> = b64.as_bytes().chunks(64).map(|l| std::str::from_utf8(l).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}
