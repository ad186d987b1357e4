//! Reading config files: YAML into [`Config`], relative paths resolved, then validated.

use std::path::{Path, PathBuf};

use crate::validate::validate;
use crate::{Config, Problems, Snapshot};

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The YAML did not parse into the config types (syntax, unknown field, wrong type).
    #[error("{origin}: {message}")]
    Parse {
        /// File name or `<string>`.
        origin: String,
        /// What the parser said, with line and column.
        message: String,
    },
    /// The config parsed but has semantic problems; every one is listed.
    #[error("{origin}: {} problem(s):\n{problems}", problems.len())]
    Invalid {
        /// File name or `<string>`.
        origin: String,
        /// Every problem.
        problems: Problems,
    },
}

/// Reads, parses and validates the config file at `path`. Relative certificate and WAF rule paths are
/// taken relative to the file's directory.
pub fn load_file(path: &Path) -> Result<Snapshot, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_owned(), source })?;
    let base = path.parent().unwrap_or(Path::new("."));
    load_with_base(&text, &path.display().to_string(), Some(base))
}

/// Parses and validates a config held in a string; relative paths stay as they are.
pub fn load_str(text: &str) -> Result<Snapshot, LoadError> {
    load_with_base(text, "<string>", None)
}

fn load_with_base(text: &str, origin: &str, base: Option<&Path>) -> Result<Snapshot, LoadError> {
    let mut config = parse(text, origin)?;
    if let Some(base) = base {
        resolve_paths(&mut config, base);
    }
    validate(&config).map_err(|problems| LoadError::Invalid { origin: origin.to_owned(), problems })?;
    Ok(Snapshot::from_validated(config))
}

/// Parses YAML without validating.
pub fn parse(text: &str, origin: &str) -> Result<Config, LoadError> {
    // An empty document is an empty config, not an error.
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_yaml_ng::from_str(text).map_err(|e| LoadError::Parse { origin: origin.to_owned(), message: e.to_string() })
}

fn resolve_paths(config: &mut Config, base: &Path) {
    let fix = |p: &mut Option<PathBuf>| {
        if let Some(path) = p {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        }
    };
    for l in &mut config.listeners {
        if let Some(tls) = &mut l.tls {
            for c in &mut tls.certificates {
                fix(&mut c.cert);
                fix(&mut c.key);
            }
        }
    }
    for w in &mut config.waf {
        for r in &mut w.rules {
            if Path::new(r.as_str()).is_relative() {
                *r = base.join(&*r).to_string_lossy().into_owned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mutated configs are refused with an error or accepted, never a panic.
    #[test]
    fn mutated_configs_never_panic() {
        let seed = include_str!("../../deploy/examples/edge.yaml");
        let mut state: u64 = 0x9e3779b97f4a7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"{}[]:,-\"' \n\t#&*!|>%@`0123456789abcxyz.";
        let (mut ok, mut err) = (0, 0);
        for _ in 0..2000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..(1 + next() % 4) {
                let i = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[i] = alphabet[(next() % alphabet.len() as u64) as usize],
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, alphabet[(next() % alphabet.len() as u64) as usize]),
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            match load_str(&text) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    err += 1;
                }
            }
        }
        // The mutations must exercise both outcomes to mean anything.
        assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
    }
}
