//! Operator arguments that may hold macros: constant ones are kept as bytes, others expanded
//! per evaluation, without a copy when the argument is a single macro (`%{tx.allowed_methods}`).

use std::borrow::Cow;

use crate::macros::{MacroString, Part, Resolve};

/// An operator argument as written in the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Argument {
    /// No macro: the same bytes every time.
    Constant(Vec<u8>),
    /// Holds at least one macro.
    Macro(MacroString),
}

impl Argument {
    /// Parses `text`; `%{...}` macros are recognized as [`MacroString`] does.
    pub fn parse(text: &str) -> Self {
        let parsed = MacroString::parse(text);
        match parsed.constant() {
            Some(bytes) => Self::Constant(bytes.to_vec()),
            None => Self::Macro(parsed),
        }
    }

    /// The bytes of a constant argument.
    pub fn constant(&self) -> Option<&[u8]> {
        match self {
            Self::Constant(bytes) => Some(bytes),
            Self::Macro(_) => None,
        }
    }

    /// The argument's value for this evaluation.
    pub fn expand<'a>(&'a self, resolver: &'a dyn Resolve) -> Cow<'a, [u8]> {
        match self {
            Self::Constant(bytes) => Cow::Borrowed(bytes),
            Self::Macro(macro_string) => match macro_string.parts() {
                [Part::Variable { name, key }] => resolver.resolve(name, key.as_deref()).unwrap_or(Cow::Borrowed(b"")),
                _ => macro_string.expand(resolver),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tx;
    impl Resolve for Tx {
        fn resolve(&self, name: &str, key: Option<&str>) -> Option<Cow<'_, [u8]>> {
            (name == "TX" && key == Some("methods")).then_some(Cow::Borrowed(b"GET POST"))
        }
    }

    #[test]
    fn constants_and_macros() {
        assert_eq!(Argument::parse("abc").constant(), Some(&b"abc"[..]));
        let single = Argument::parse("%{tx.methods}");
        assert!(matches!(single.expand(&Tx), Cow::Borrowed(b"GET POST")));
        assert_eq!(&*Argument::parse(".%{TX.METHODS}!").expand(&Tx), b".GET POST!");
        assert_eq!(&*Argument::parse("%{tx.none}").expand(&Tx), b"");
    }
}
