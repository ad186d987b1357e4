//! `@pmFromFile` (alias `@pmf`): like `@pm`, with one phrase per line of a data file, the
//! argument being the file's path (relative paths are looked up beside the rule file, see
//! [`LoadContext`]). A line is a comment when it is empty or when `#` comes after nothing but
//! whitespace; every other line is a phrase, whole (leading and trailing spaces included, as in
//! v3). v3's `https://` downloads are not supported. v3: src/operators/pm_from_file.cc.
//!
//! ```text
//! SecRule REQUEST_FILENAME "@pmFromFile restricted-files.data" "id:1,phase:1,t:lowercase,deny"
//! ```

use super::pm::PhraseMatch;
use super::{LoadContext, Operator, OperatorError};
use crate::transformations::cbytes::is_space;

/// v3's `isComment`.
fn is_comment(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b'#') {
        _ if line.is_empty() => true,
        Some(hash) => line[..hash].iter().all(|&b| is_space(b)),
        None => false,
    }
}

/// The phrases of a data file's content.
pub fn phrases(content: &[u8]) -> Vec<Vec<u8>> {
    let content = content.strip_suffix(b"\n").unwrap_or(content);
    content.split(|&b| b == b'\n').filter(|line| !is_comment(line)).map(<[u8]>::to_vec).collect()
}

/// Builds `@pmFromFile` from its argument.
pub fn compile(argument: &str, cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    if argument.starts_with("https://") {
        return Err(OperatorError::Argument {
            operator: "pmFromFile",
            reason: "downloading data files is not supported".into(),
        });
    }
    let path = cx.resolve(argument);
    let content = std::fs::read(&path).map_err(|source| OperatorError::Io { path, source })?;
    Ok(Box::new(PhraseMatch::new(phrases(&content), "pmFromFile")?))
}
