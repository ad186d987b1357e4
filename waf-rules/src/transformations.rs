//! Transformations (`t:lowercase`, `t:urlDecodeUni`, ...): pure byte functions applied to a value
//! before the operator sees it, faithful byte for byte to libmodsecurity v3 (3.0.14).
//!
//! Every transformation is a [`TransformFn`]: it borrows its input when it leaves it unchanged,
//! so a chain of transformations over a clean value allocates nothing. [`Registry::with_builtin`]
//! maps the names SecLang accepts (case-insensitively, as v3's lexer does) to them.
//!
//! # `t:none`
//! `none` is not a function: in a rule it drops every transformation listed before it, including
//! those inherited from `SecDefaultAction`. [`Registry::get`] answers [`Lookup::Reset`] for it and
//! the engine clears the list it is building; [`apply_all`] never sees it.
//!
//! # Organization
//! One file per transformation (variants of one algorithm share a file):
//! - decoders: [`url_decode`], [`url_decode_uni`], [`js_decode`], [`css_decode`],
//!   [`html_entity_decode`], [`escape_seq_decode`], [`hex_decode`], [`sql_hex_decode`],
//!   [`base64_decode`], [`base64_decode_ext`], [`utf8_to_unicode`].
//! - encoders and digests: [`url_encode`], [`hex_encode`], [`base64_encode`], [`md5`], [`sha1`],
//!   [`length`].
//! - normalizers: [`lowercase`], [`uppercase`], [`cmd_line`], [`compress_whitespace`],
//!   [`remove_whitespace`], [`remove_nulls`], [`replace_nulls`], [`trim`], [`parity`],
//!   [`normalize_path`].
//! - comments: [`remove_comments`], [`remove_comments_char`], [`replace_comments`].
//! - [`cbytes`]: the C-library byte helpers (`isspace`, `x2c`, ...) the ports share.
//! - [`bounds`]: what each transformation may do to the set of bytes of a value, so that the
//!   engine can skip rules without transforming (see [`Transformation::bound`]).

pub mod base64_decode;
pub mod base64_decode_ext;
pub mod base64_encode;
pub mod bounds;
pub mod cbytes;
pub mod cmd_line;
pub mod compress_whitespace;
pub mod css_decode;
pub mod escape_seq_decode;
pub mod hex_decode;
pub mod hex_encode;
pub mod html_entity_decode;
pub mod js_decode;
pub mod length;
pub mod lowercase;
pub mod md5;
pub mod normalize_path;
pub mod parity;
pub mod remove_comments;
pub mod remove_comments_char;
pub mod remove_nulls;
pub mod remove_whitespace;
pub mod replace_comments;
pub mod replace_nulls;
pub mod sha1;
pub mod sql_hex_decode;
pub mod trim;
pub mod uppercase;
pub mod url_decode;
pub mod url_decode_uni;
pub mod url_encode;
pub mod utf8_to_unicode;

#[cfg(test)]
pub(crate) mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

pub use self::bounds::Bound;
use crate::operators::ByteSet;

/// A transformation: returns the input borrowed when it changes nothing.
pub type TransformFn = for<'a> fn(&'a [u8]) -> Cow<'a, [u8]>;

/// A bound on the bytes a transformation's output holds, from the bytes of its input; see
/// [`Transformation::bound`].
pub type BoundFn = fn(ByteSet) -> Bound;

/// A named transformation function, cheap to copy into a rule.
#[derive(Clone, Copy)]
pub struct Transformation {
    name: &'static str,
    func: TransformFn,
    bound: BoundFn,
}

impl Transformation {
    /// Wraps `func` under its canonical `name` (the spelling v3's documentation uses). Its
    /// output may hold any byte ([`bounds::unknown`]).
    pub const fn new(name: &'static str, func: TransformFn) -> Self {
        Self { name, func, bound: bounds::unknown }
    }

    /// [`new`](Self::new) with a bound on its output's bytes.
    pub const fn with_bound(name: &'static str, func: TransformFn, bound: BoundFn) -> Self {
        Self { name, func, bound }
    }

    /// The bytes the outputs may hold when the inputs hold only `input`'s, and whether that
    /// is exact: then the outputs of any values whose bytes together are `input` together
    /// hold exactly those bytes. Never smaller than the truth.
    pub fn bound(&self, input: ByteSet) -> Bound {
        (self.bound)(input)
    }

    /// The canonical name, e.g. `urlDecodeUni` (also for an alias such as `normalisePath`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Applies the transformation.
    pub fn apply<'a>(&self, input: &'a [u8]) -> Cow<'a, [u8]> {
        (self.func)(input)
    }
}

impl fmt::Debug for Transformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t:{}", self.name)
    }
}

/// What a `t:` name stands for.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// `t:none`: the engine drops the transformations collected so far.
    Reset,
    /// A transformation to append to the rule's list.
    Apply(Transformation),
}

/// Errors building a [`Registry`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two entries share a name (compared case-insensitively).
    #[error("transformation name `{0}` is registered twice")]
    Duplicate(String),
}

/// The transformations a rule set may name. Built once, read-only afterwards.
#[derive(Debug, Default)]
pub struct Registry {
    by_name: HashMap<String, Lookup>,
}

/// Every name v3's SecLang lexer accepts, with the function it maps to and its bound.
pub(crate) const BUILTIN: &[(&str, TransformFn, BoundFn)] = &[
    ("base64Decode", base64_decode::base64_decode, bounds::unknown),
    ("base64DecodeExt", base64_decode_ext::base64_decode_ext, bounds::unknown),
    ("base64Encode", base64_encode::base64_encode, bounds::unknown),
    ("cmdLine", cmd_line::cmd_line, bounds::cmd_line),
    ("compressWhitespace", compress_whitespace::compress_whitespace, bounds::compress_whitespace),
    ("cssDecode", css_decode::css_decode, bounds::backslash_escapes),
    ("escapeSeqDecode", escape_seq_decode::escape_seq_decode, bounds::backslash_escapes),
    ("hexDecode", hex_decode::hex_decode, bounds::unknown),
    ("hexEncode", hex_encode::hex_encode, bounds::hex_encode),
    ("htmlEntityDecode", html_entity_decode::html_entity_decode, bounds::html_entity_decode),
    ("jsDecode", js_decode::js_decode, bounds::backslash_escapes),
    ("length", length::length, bounds::length),
    ("lowercase", lowercase::lowercase, bounds::lowercase),
    ("md5", md5::md5, bounds::unknown),
    ("normalizePath", normalize_path::normalize_path, bounds::normalize_path),
    ("normalizePathWin", normalize_path::normalize_path_win, bounds::normalize_path_win),
    ("parityEven7bit", parity::parity_even_7bit, bounds::unknown),
    ("parityOdd7bit", parity::parity_odd_7bit, bounds::unknown),
    ("parityZero7bit", parity::parity_zero_7bit, bounds::unknown),
    ("removeComments", remove_comments::remove_comments, bounds::comments),
    ("removeCommentsChar", remove_comments_char::remove_comments_char, bounds::comments),
    ("removeNulls", remove_nulls::remove_nulls, bounds::remove_nulls),
    ("removeWhitespace", remove_whitespace::remove_whitespace, bounds::remove_whitespace),
    ("replaceComments", replace_comments::replace_comments, bounds::replace_comments),
    ("replaceNulls", replace_nulls::replace_nulls, bounds::unknown),
    ("sha1", sha1::sha1, bounds::unknown),
    ("sqlHexDecode", sql_hex_decode::sql_hex_decode, bounds::unknown),
    ("trim", trim::trim, bounds::subset),
    ("trimLeft", trim::trim_left, bounds::subset),
    ("trimRight", trim::trim_right, bounds::subset),
    ("uppercase", uppercase::uppercase, bounds::uppercase),
    ("urlDecode", url_decode::url_decode, bounds::url_decode),
    ("urlDecodeUni", url_decode_uni::url_decode_uni, bounds::url_decode),
    ("urlEncode", url_encode::url_encode, bounds::unknown),
    ("utf8toUnicode", utf8_to_unicode::utf8_to_unicode, bounds::utf8_to_unicode),
];

/// Second spellings v3 accepts: (alias, canonical name).
const ALIASES: &[(&str, &str)] = &[("normalisePath", "normalizePath"), ("normalisePathWin", "normalizePathWin")];

impl Registry {
    /// A registry with no entries.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every transformation of libmodsecurity v3, `none` included (as [`Lookup::Reset`]).
    pub fn with_builtin() -> Self {
        Self::try_builtin().expect("the builtin transformation names are unique (checked by a unit test)")
    }

    fn try_builtin() -> Result<Self, RegistryError> {
        let mut registry = Self::empty();
        registry.register("none", Lookup::Reset)?;
        for &(name, func, bound) in BUILTIN {
            registry.register(name, Lookup::Apply(Transformation::with_bound(name, func, bound)))?;
        }
        for &(alias, canonical) in ALIASES {
            let target = registry.get(canonical).ok_or_else(|| RegistryError::Duplicate(canonical.to_owned()))?;
            registry.register(alias, target)?;
        }
        Ok(registry)
    }

    /// Adds `name` (matched case-insensitively); a name already present is an error.
    pub fn register(&mut self, name: &str, lookup: Lookup) -> Result<(), RegistryError> {
        let key = name.to_ascii_lowercase();
        if self.by_name.contains_key(&key) {
            return Err(RegistryError::Duplicate(name.to_owned()));
        }
        self.by_name.insert(key, lookup);
        Ok(())
    }

    /// Looks a name up as written after `t:` (`urlDecodeUni`, `URLDECODEUNI`, `none`).
    pub fn get(&self, name: &str) -> Option<Lookup> {
        if let Some(found) = self.by_name.get(name) {
            return Some(*found);
        }
        self.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The registered names, lower-cased, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// Applies `chain` in order, copying only when a step changes the value.
pub fn apply_all<'a>(chain: &[Transformation], input: &'a [u8]) -> Cow<'a, [u8]> {
    let mut value = Cow::Borrowed(input);
    for transformation in chain {
        if let Cow::Owned(changed) = transformation.apply(&value) {
            value = Cow::Owned(changed);
        }
    }
    value
}
