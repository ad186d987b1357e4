//! Collection actions: `setvar`, `expirevar`, `initcol`, `setenv`.
//!
//! Keys of the writable collections compare case-insensitively in libmodsecurity, so their
//! text is lower-cased here (macros are case-insensitive anyway).

use crate::macros::MacroString;

use super::ActionErrorKind;

/// A writable collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// `TX`: per transaction.
    Tx,
    /// `IP`: persistent, keyed by `initcol:ip=`.
    Ip,
    /// `GLOBAL`: persistent, shared.
    Global,
    /// `RESOURCE`: persistent, keyed by `initcol:resource=`.
    Resource,
    /// `SESSION`: persistent, keyed by `setsid`.
    Session,
    /// `USER`: persistent, keyed by `setuid`.
    User,
}

impl Collection {
    /// Parses a collection name (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "TX" => Some(Self::Tx),
            "IP" => Some(Self::Ip),
            "GLOBAL" => Some(Self::Global),
            "RESOURCE" => Some(Self::Resource),
            "SESSION" => Some(Self::Session),
            "USER" => Some(Self::User),
            _ => None,
        }
    }

    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tx => "TX",
            Self::Ip => "IP",
            Self::Global => "GLOBAL",
            Self::Resource => "RESOURCE",
            Self::Session => "SESSION",
            Self::User => "USER",
        }
    }
}

/// `setvar:[!]collection.key[=[+|-]value]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetVar {
    /// The collection written.
    pub collection: Collection,
    /// The key (lower-cased; may hold macros: `tx.%{rule.id}-score`).
    pub key: MacroString,
    /// What is done to it.
    pub op: SetVarOp,
}

/// The operation of a `setvar`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetVarOp {
    /// `=value`
    Set(MacroString),
    /// `=+value`: add (numbers).
    Add(MacroString),
    /// `=-value`: subtract (numbers).
    Sub(MacroString),
    /// No `=`: set to `1`, as libmodsecurity does.
    SetToOne,
    /// `!collection.key`: remove the key.
    Delete,
}

/// `expirevar:collection.key=seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpireVar {
    /// The collection.
    pub collection: Collection,
    /// The key (lower-cased).
    pub key: MacroString,
    /// Seconds until the key expires.
    pub seconds: MacroString,
}

/// `initcol:collection=key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitCol {
    /// The persistent collection to open (`ip`, `global`, `resource`, `session`, `user`).
    pub collection: Collection,
    /// The record key, usually a macro (`%{REMOTE_ADDR}`).
    pub key: MacroString,
}

/// `setenv:name=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetEnv {
    /// The environment variable name.
    pub name: String,
    /// Its value (`1` when no `=` is given).
    pub value: MacroString,
}

/// A problem at a byte offset inside the value.
pub(crate) type ValueError = (usize, ActionErrorKind);

/// Splits `collection.key` (or `collection:key`) at its first separator.
fn collection_and_key<'a>(text: &'a str, action: &'static str) -> Result<(Collection, &'a str), ValueError> {
    let sep = text.find(['.', ':']).ok_or_else(|| {
        (
            0,
            ActionErrorKind::InvalidValue {
                action,
                value: text.to_owned(),
                expected: "collection.key (e.g. tx.score)",
            },
        )
    })?;
    let name = &text[..sep];
    let collection = Collection::parse(name)
        .ok_or_else(|| (0, ActionErrorKind::UnknownCollection { action, name: name.to_owned() }))?;
    let key = &text[sep + 1..];
    if key.is_empty() {
        let kind = ActionErrorKind::InvalidValue { action, value: text.to_owned(), expected: "a key after the '.'" };
        return Err((sep + 1, kind));
    }
    Ok((collection, key))
}

/// Parses the value of `setvar:`.
pub(crate) fn parse_setvar(text: &str) -> Result<SetVar, ValueError> {
    let (delete, body, shift) = match text.strip_prefix('!') {
        Some(rest) => (true, rest, 1),
        None => (false, text, 0),
    };
    let (target, value) = match body.split_once('=') {
        Some((t, v)) => (t, Some(v)),
        None => (body, None),
    };
    let (collection, key) = collection_and_key(target, "setvar").map_err(|(o, k)| (o + shift, k))?;
    let key = MacroString::parse(&key.to_ascii_lowercase());
    let value_offset = shift + target.len() + 1;
    let op = match (delete, value) {
        (true, None) => SetVarOp::Delete,
        (true, Some(_)) => {
            let kind = ActionErrorKind::InvalidValue {
                action: "setvar",
                value: text.to_owned(),
                expected: "no value when deleting with '!'",
            };
            return Err((value_offset - 1, kind));
        }
        (false, None) => SetVarOp::SetToOne,
        (false, Some(v)) => {
            if let Some(n) = v.strip_prefix('+') {
                SetVarOp::Add(non_empty(n, value_offset + 1, "a value after '=+'")?)
            } else if let Some(n) = v.strip_prefix('-') {
                SetVarOp::Sub(non_empty(n, value_offset + 1, "a value after '=-'")?)
            } else {
                SetVarOp::Set(MacroString::parse(v))
            }
        }
    };
    Ok(SetVar { collection, key, op })
}

fn non_empty(text: &str, offset: usize, expected: &'static str) -> Result<MacroString, ValueError> {
    if text.is_empty() {
        return Err((offset, ActionErrorKind::InvalidValue { action: "setvar", value: String::new(), expected }));
    }
    Ok(MacroString::parse(text))
}

/// Parses the value of `expirevar:`.
pub(crate) fn parse_expirevar(text: &str) -> Result<ExpireVar, ValueError> {
    let Some((target, seconds)) = text.split_once('=') else {
        let kind = ActionErrorKind::InvalidValue {
            action: "expirevar",
            value: text.to_owned(),
            expected: "collection.key=seconds",
        };
        return Err((0, kind));
    };
    let (collection, key) = collection_and_key(target, "expirevar")?;
    if seconds.is_empty() {
        let kind = ActionErrorKind::InvalidValue {
            action: "expirevar",
            value: text.to_owned(),
            expected: "seconds after '='",
        };
        return Err((target.len() + 1, kind));
    }
    Ok(ExpireVar {
        collection,
        key: MacroString::parse(&key.to_ascii_lowercase()),
        seconds: MacroString::parse(seconds),
    })
}

/// Parses the value of `initcol:`.
pub(crate) fn parse_initcol(text: &str) -> Result<InitCol, ValueError> {
    let expected = "collection=key with collection one of ip, global, resource, session, user";
    let Some((name, key)) = text.split_once('=') else {
        return Err((0, ActionErrorKind::InvalidValue { action: "initcol", value: text.to_owned(), expected }));
    };
    let collection = match Collection::parse(name) {
        Some(Collection::Tx) | None => {
            return Err((0, ActionErrorKind::UnknownCollection { action: "initcol", name: name.to_owned() }));
        }
        Some(c) => c,
    };
    if key.is_empty() {
        return Err((
            name.len() + 1,
            ActionErrorKind::InvalidValue { action: "initcol", value: text.to_owned(), expected },
        ));
    }
    Ok(InitCol { collection, key: MacroString::parse(key) })
}

/// Parses the value of `setenv:`.
pub(crate) fn parse_setenv(text: &str) -> Result<SetEnv, ValueError> {
    let (name, value) = text.split_once('=').unwrap_or((text, "1"));
    if name.is_empty() {
        let kind = ActionErrorKind::InvalidValue { action: "setenv", value: text.to_owned(), expected: "name=value" };
        return Err((0, kind));
    }
    Ok(SetEnv { name: name.to_owned(), value: MacroString::parse(value) })
}
