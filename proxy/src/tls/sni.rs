//! Picks a listener's certificate from the client's SNI, as nginx picks a `server` block.

use std::collections::hash_map::{Entry as Slot, HashMap};
use std::fmt;
use std::sync::Arc;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use super::load::{normalize, Loaded};
use super::{Entry, TlsError};

/// Certificates indexed by name.
///
/// Lookup order: the exact name (case-insensitive), then a wildcard for the name's parent
/// (`*.example.com` serves `a.example.com`, but neither `a.b.example.com` nor `example.com`),
/// then the default, the first certificate of the list, which also serves clients without SNI.
/// When two certificates claim one name, the earlier one keeps it.
pub struct SniResolver {
    /// `a.example.com` to its certificate.
    exact: HashMap<String, Served>,
    /// `example.com` (from `*.example.com`) to its certificate.
    wildcard: HashMap<String, Served>,
    default: Served,
}

/// A certificate and where it came from, for logs.
#[derive(Clone)]
struct Served {
    entry: Entry,
    key: Arc<CertifiedKey>,
}

// === impl SniResolver ===

impl SniResolver {
    /// Indexes `certificates` by their names; the first is the default.
    pub fn new(certificates: Vec<Loaded>) -> Result<Self, TlsError> {
        let mut certificates = certificates.into_iter();
        let first = certificates.next().ok_or(TlsError::NoCertificates)?;
        let default = Served { entry: first.entry, key: first.key.clone() };
        let mut resolver = Self { exact: HashMap::new(), wildcard: HashMap::new(), default };
        for loaded in std::iter::once(first).chain(certificates) {
            let served = Served { entry: loaded.entry, key: loaded.key };
            if loaded.names.is_empty() && served.entry != resolver.default.entry {
                tracing::warn!(
                    certificate = %served.entry,
                    "certificate has no DNS names and is not the default: it is never served"
                );
            }
            for name in loaded.names {
                resolver.insert(name, &served);
            }
        }
        Ok(resolver)
    }

    fn insert(&mut self, name: String, served: &Served) {
        let (map, key) = match name.strip_prefix("*.") {
            Some(parent) => (&mut self.wildcard, parent.to_owned()),
            None => (&mut self.exact, name.clone()),
        };
        match map.entry(key) {
            Slot::Vacant(slot) => {
                slot.insert(served.clone());
            }
            Slot::Occupied(slot) if slot.get().entry != served.entry => {
                tracing::warn!(
                    certificate = %served.entry,
                    name,
                    served_by = %slot.get().entry,
                    "server name already served by an earlier certificate; ignored here"
                );
            }
            Slot::Occupied(_) => {}
        }
    }

    /// The certificate for SNI `server_name` (`None`: the client sent none).
    pub fn lookup(&self, server_name: Option<&str>) -> &Arc<CertifiedKey> {
        &self.find(server_name).key
    }

    fn find(&self, server_name: Option<&str>) -> &Served {
        let Some(name) = server_name.and_then(normalize) else {
            return &self.default;
        };
        if let Some(served) = self.exact.get(&name) {
            return served;
        }
        if let Some((label, parent)) = name.split_once('.') {
            if !label.is_empty() {
                if let Some(served) = self.wildcard.get(parent) {
                    return served;
                }
            }
        }
        &self.default
    }

    /// Every name indexed, wildcards as `*.parent`, in no order; for tests and diagnostics.
    pub fn names(&self) -> impl Iterator<Item = String> + '_ {
        self.exact.keys().cloned().chain(self.wildcard.keys().map(|parent| format!("*.{parent}")))
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let server_name = client_hello.server_name();
        let served = self.find(server_name);
        tracing::trace!(sni = server_name, certificate = %served.entry, "selected TLS certificate");
        Some(served.key.clone())
    }
}

impl fmt::Debug for SniResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SniResolver")
            .field("exact", &self.exact.len())
            .field("wildcard", &self.wildcard.len())
            .field("default", &self.default.entry)
            .finish()
    }
}
