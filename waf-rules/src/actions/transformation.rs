//! The transformation names libmodsecurity v3 accepts after `t:`. Only the names are checked
//! here; the transformations themselves live in [`crate::transformations`].

/// Canonical transformation names (as the ModSecurity reference spells them).
pub const TRANSFORMATIONS: &[&str] = &[
    "base64Decode",
    "base64DecodeExt",
    "base64Encode",
    "cmdLine",
    "compressWhitespace",
    "cssDecode",
    "escapeSeqDecode",
    "hexDecode",
    "hexEncode",
    "htmlEntityDecode",
    "jsDecode",
    "length",
    "lowercase",
    "md5",
    "none",
    "normalizePath",
    "normalizePathWin",
    "parityEven7bit",
    "parityOdd7bit",
    "parityZero7bit",
    "removeComments",
    "removeCommentsChar",
    "removeNulls",
    "removeWhitespace",
    "replaceComments",
    "replaceNulls",
    "sha1",
    "sqlHexDecode",
    "trim",
    "trimLeft",
    "trimRight",
    "uppercase",
    "urlDecode",
    "urlDecodeUni",
    "urlEncode",
    "utf8toUnicode",
];

/// Other spellings libmodsecurity accepts, with the canonical name they stand for.
const ALIASES: &[(&str, &str)] = &[("normalisePath", "normalizePath"), ("normalisePathWin", "normalizePathWin")];

/// The canonical name for `name` (matched ASCII case-insensitively, as libmodsecurity does).
pub fn canonical_transformation(name: &str) -> Option<&'static str> {
    TRANSFORMATIONS
        .iter()
        .copied()
        .find(|t| t.eq_ignore_ascii_case(name))
        .or_else(|| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(name)).map(|(_, t)| *t))
}
