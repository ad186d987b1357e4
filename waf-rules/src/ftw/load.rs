//! Loading test files and overrides files from disk, normalised as go-ftw does after loading.

use super::schema::{Output, OverridesFile, Test, TestFile};
use super::TestId;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why tests could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file is not valid YAML of the expected shape.
    #[error("{path}: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's complaint, with line and column.
        source: serde_yaml_ng::Error,
    },
    /// A file has tests but no `rule_id`, and its name holds no number.
    #[error("{path}: no rule_id and no rule number in the file name")]
    NoRuleId {
        /// The file.
        path: PathBuf,
    },
    /// Two tests have the same id.
    #[error("{path}: test {id} is defined twice")]
    DuplicateTest {
        /// The second file defining it.
        path: PathBuf,
        /// The repeated id.
        id: TestId,
    },
    /// The directory holds no test at all.
    #[error("{path}: no tests found")]
    NoTests {
        /// The directory.
        path: PathBuf,
    },
}

/// One test case ready to run.
#[derive(Debug, Clone)]
pub struct Case {
    /// `RULE-TEST`.
    pub id: TestId,
    /// The file it came from.
    pub file: PathBuf,
    /// The test with go-ftw's post-load defaults applied.
    pub test: Test,
}

/// All test cases of a directory, in file-name order.
#[derive(Debug, Clone, Default)]
pub struct Suite {
    /// The cases.
    pub cases: Vec<Case>,
    /// How many files were read.
    pub files: usize,
    seen: HashSet<TestId>,
}

impl Suite {
    /// Loads every `*.yaml` file under `dir`, recursively, as go-ftw's `dir/**/*.yaml` glob does
    /// (so `*.yml` files are not part of the suite).
    pub fn load_dir(dir: &Path) -> Result<Suite, LoadError> {
        let mut paths = Vec::new();
        collect_yaml(dir, &mut paths)?;
        paths.sort();
        let mut suite = Suite::default();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io { path: path.clone(), source })?;
            suite.add_file(&path, &text)?;
        }
        if suite.cases.is_empty() {
            return Err(LoadError::NoTests { path: dir.to_path_buf() });
        }
        Ok(suite)
    }

    /// Adds the tests of one file's text; `path` names it in errors and supplies a missing rule id.
    pub fn add_file(&mut self, path: &Path, text: &str) -> Result<(), LoadError> {
        let file: Option<TestFile> =
            serde_yaml_ng::from_str(text).map_err(|source| LoadError::Yaml { path: path.to_path_buf(), source })?;
        self.files += 1;
        let Some(file) = file else { return Ok(()) };
        if file.tests.is_empty() {
            return Ok(());
        }
        let rule = match file.rule_id {
            0 => rule_from_name(path).ok_or_else(|| LoadError::NoRuleId { path: path.to_path_buf() })?,
            id => id,
        };
        for (index, mut test) in file.tests.into_iter().enumerate() {
            if test.test_id == 0 {
                test.test_id = index as u64 + 1;
            }
            for stage in &mut test.stages {
                normalize_output(&mut stage.output);
            }
            let id = TestId { rule, test: test.test_id };
            if !self.seen.insert(id) {
                return Err(LoadError::DuplicateTest { path: path.to_path_buf(), id });
            }
            self.cases.push(Case { id, file: path.to_path_buf(), test });
        }
        Ok(())
    }
}

/// Reads an overrides file (`httpd-overrides.yaml`).
pub fn load_overrides(path: &Path) -> Result<OverridesFile, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io { path: path.to_path_buf(), source })?;
    let mut file: OverridesFile =
        serde_yaml_ng::from_str(&text).map_err(|source| LoadError::Yaml { path: path.to_path_buf(), source })?;
    for entry in &mut file.test_overrides {
        normalize_output(&mut entry.output);
    }
    Ok(file)
}

/// go-ftw's `postProcessLogContains`: the deprecated `log_contains` / `no_log_contains` become
/// `log.match_regex` / `log.no_match_regex` when those (and the id lists) are not given.
pub(super) fn normalize_output(output: &mut Output) {
    if let Some(text) = output.log_contains.as_ref().filter(|t| !t.is_empty()) {
        if output.log.expect_ids.is_empty() && output.log.match_regex.as_deref().unwrap_or("").is_empty() {
            output.log.match_regex = Some(text.clone());
        }
    }
    if let Some(text) = output.no_log_contains.as_ref().filter(|t| !t.is_empty()) {
        if output.log.no_expect_ids.is_empty() && output.log.no_match_regex.as_deref().unwrap_or("").is_empty() {
            output.log.no_match_regex = Some(text.clone());
        }
    }
}

/// The first run of digits in the file name (`920100.yaml` → 920100).
fn rule_from_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let digits: String = name[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io { path: dir.to_path_buf(), source })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| LoadError::Io { path: path.clone(), source })?;
        if kind.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
    Ok(())
}
