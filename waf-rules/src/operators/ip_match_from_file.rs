//! `@ipMatchFromFile` (alias `@ipMatchF`): like `@ipMatch`, with the list read from a data file
//! (one or more comma-separated items per line, `#` comments), the argument being its path
//! (relative paths are looked up beside the rule file, see [`LoadContext`]). v3's `https://`
//! downloads are not supported. v3: src/operators/ip_match_from_file.cc.
//!
//! ```text
//! SecRule REMOTE_ADDR "@ipMatchFromFile blocked-ips.txt" "id:1,phase:1,deny"
//! ```

use super::ip_match::{IpMatch, IpSet};
use super::{LoadContext, Operator, OperatorError};

/// Builds `@ipMatchFromFile` from its argument.
pub fn compile(argument: &str, cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    if argument.starts_with("https://") {
        return Err(OperatorError::Argument {
            operator: "ipMatchFromFile",
            reason: "downloading data files is not supported".into(),
        });
    }
    let path = cx.resolve(argument);
    let content = std::fs::read(&path).map_err(|source| OperatorError::Io { path, source })?;
    let mut set = IpSet::new();
    set.add_list(&String::from_utf8_lossy(&content), "ipMatchFromFile")?;
    Ok(Box::new(IpMatch::new(set)))
}
