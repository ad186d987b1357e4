//! The ignore list: tests not run, each with the reason why.
//!
//! ```yaml
//! ignore:
//!   - test: 920100-4
//!     reason: Apache refuses CONNECT to a host without port; rampart forwards it.
//! ```

use super::TestId;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why an ignore list is unusable. Every problem is reported, with its entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IgnoreError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not YAML of the expected shape.
    #[error("{path}: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's complaint.
        source: serde_yaml_ng::Error,
    },
    /// Entries are wrong: bad ids, missing or multi-line reasons, duplicates.
    #[error("{path}: {}", problems.join("; "))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// One message per problem, naming the entry (`ignore[3].reason: empty`).
        problems: Vec<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    ignore: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    test: String,
    reason: String,
}

/// Test ids to skip, each with its one-line reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreList {
    entries: BTreeMap<TestId, String>,
}

impl IgnoreList {
    /// Reads and validates an ignore list file.
    pub fn load(path: &Path) -> Result<IgnoreList, IgnoreError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| IgnoreError::Io { path: path.to_path_buf(), source })?;
        Self::parse(&text).map_err(|e| match e {
            ParseError::Yaml(source) => IgnoreError::Yaml { path: path.to_path_buf(), source },
            ParseError::Invalid(problems) => IgnoreError::Invalid { path: path.to_path_buf(), problems },
        })
    }

    /// Parses ignore list text; see [`IgnoreList::load`].
    fn parse(text: &str) -> Result<IgnoreList, ParseError> {
        let file: File = serde_yaml_ng::from_str(text).map_err(ParseError::Yaml)?;
        let mut problems = Vec::new();
        let mut entries = BTreeMap::new();
        for (index, entry) in file.ignore.into_iter().enumerate() {
            let reason = entry.reason.trim();
            if reason.is_empty() {
                problems.push(format!("ignore[{index}].reason: empty"));
            } else if reason.contains('\n') {
                problems.push(format!("ignore[{index}].reason: must be one line"));
            }
            match entry.test.trim().parse::<TestId>() {
                Ok(id) => {
                    if entries.insert(id, reason.to_owned()).is_some() {
                        problems.push(format!("ignore[{index}].test: {id} is listed twice"));
                    }
                }
                Err(e) => problems.push(format!("ignore[{index}].test: {e}")),
            }
        }
        if problems.is_empty() {
            Ok(IgnoreList { entries })
        } else {
            Err(ParseError::Invalid(problems))
        }
    }

    /// The reason `id` is ignored, if it is.
    pub fn reason(&self, id: TestId) -> Option<&str> {
        self.entries.get(&id).map(String::as_str)
    }

    /// The ignored ids, in order.
    pub fn ids(&self) -> impl Iterator<Item = TestId> + '_ {
        self.entries.keys().copied()
    }

    /// Adds an entry (for building lists in code).
    pub fn insert(&mut self, id: TestId, reason: &str) {
        self.entries.insert(id, reason.to_owned());
    }
}

impl std::str::FromStr for IgnoreList {
    type Err = String;

    /// Parses ignore list text; the error lists every problem.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text).map_err(|e| match e {
            ParseError::Yaml(e) => e.to_string(),
            ParseError::Invalid(problems) => problems.join("; "),
        })
    }
}

#[derive(Debug)]
enum ParseError {
    Yaml(serde_yaml_ng::Error),
    Invalid(Vec<String>),
}
