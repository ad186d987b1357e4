//! Macro strings: `%{tx.anomaly_score}`, `%{MATCHED_VAR}`, parsed once at load time and
//! expanded per transaction against whatever implements [`Resolve`].
//!
//! A macro names a variable (`MATCHED_VAR`) or a collection member (`tx.score`,
//! `REQUEST_HEADERS.host`). Names are case-insensitive: they are stored upper case, keys lower
//! case, as ModSecurity looks them up. Text that is not a well-formed macro (`%{` with no `}`,
//! `%{}`) stays literal.

use std::borrow::Cow;

/// Looks up the value a macro names. Implemented by the transaction.
pub trait Resolve {
    /// `name` is upper case (`TX`, `MATCHED_VAR`); `key` is lower case when present.
    /// `None` when the variable does not exist; it then expands to nothing.
    fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>>;
}

/// One piece of a macro string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Bytes copied as they are.
    Literal(Vec<u8>),
    /// `%{NAME}` or `%{NAME.key}`.
    Variable {
        /// Upper-cased variable or collection name.
        name: String,
        /// Lower-cased key within the collection.
        key: Option<String>,
    },
}

/// A string that may contain macros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroString {
    raw: String,
    parts: Vec<Part>,
}

impl MacroString {
    /// Splits `text` into literals and macros. Never fails: malformed macros stay literal.
    pub fn parse(text: &str) -> Self {
        let mut parts = Vec::new();
        let mut literal = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("%{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let inner = after[..end].trim();
            if inner.is_empty() || inner.contains('{') {
                literal.extend_from_slice(&rest.as_bytes()[..start + 2]);
                rest = after;
                continue;
            }
            literal.extend_from_slice(&rest.as_bytes()[..start]);
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            let (name, key) = match inner.split_once('.') {
                Some((name, key)) => (name, Some(key.to_ascii_lowercase())),
                None => (inner, None),
            };
            parts.push(Part::Variable { name: name.to_ascii_uppercase(), key });
            rest = &after[end + 1..];
        }
        literal.extend_from_slice(rest.as_bytes());
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Self { raw: text.to_owned(), parts }
    }

    /// The text as written in the rule.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The parsed pieces.
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// True when the string holds no macro, so it expands to the same bytes every time.
    pub fn is_constant(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// The bytes of a constant string; `None` when it holds a macro.
    pub fn constant(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [] => Some(b""),
            [Part::Literal(bytes)] => Some(bytes),
            _ => None,
        }
    }

    /// Expands every macro; variables that do not exist expand to nothing.
    pub fn expand<'a>(&'a self, resolver: &dyn Resolve) -> Cow<'a, [u8]> {
        if let Some(bytes) = self.constant() {
            return Cow::Borrowed(bytes);
        }
        let mut out = Vec::new();
        self.expand_into(resolver, &mut out);
        Cow::Owned(out)
    }

    /// Appends the expansion to `out` (a buffer reused across expansions allocates nothing).
    pub fn expand_into(&self, resolver: &dyn Resolve, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Literal(bytes) => out.extend_from_slice(bytes),
                Part::Variable { name, key } => {
                    if let Some(value) = resolver.resolve(name, key.as_deref()) {
                        out.extend_from_slice(&value);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Resolve for Fixed {
        fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
            match (name, key) {
                ("TX", Some("score")) => Some(Cow::Borrowed(b"5")),
                ("MATCHED_VAR", None) => Some(Cow::Borrowed(b"<script>")),
                _ => None,
            }
        }
    }

    #[test]
    fn expands_names_case_insensitively() {
        let m = MacroString::parse("score=%{TX.Score} at %{matched_var}; %{tx.none}!");
        assert!(!m.is_constant());
        assert_eq!(&*m.expand(&Fixed), b"score=5 at <script>; !");
    }

    #[test]
    fn malformed_macros_stay_literal() {
        for text in ["100%", "%{", "%{}", "a %{b", "%{%{tx.score}"] {
            let m = MacroString::parse(text);
            let expanded = m.expand(&Fixed).into_owned();
            if text == "%{%{tx.score}" {
                assert_eq!(expanded, b"%{5");
            } else {
                assert_eq!(expanded, text.as_bytes(), "{text}");
            }
        }
        assert_eq!(MacroString::parse("plain").constant(), Some(&b"plain"[..]));
        assert_eq!(MacroString::parse("").constant(), Some(&b""[..]));
    }
}
