//! Request-data processors: turn the query string, `Cookie` headers and request bodies into the
//! plain data ModSecurity v3 (libmodsecurity) fills its variables with.
//!
//! Every processor is a pure function from bytes to data, never panics, and bounds its own work;
//! the engine maps the result into collections (`ARGS`, `FILES`, `MULTIPART_*`, `REQBODY_*`, ...).
//! Where libmodsecurity has quirks the CRS regression tests observe, they are reproduced and
//! named in the docs of the function concerned.
//!
//! # Organization
//! - [`urlencoded`]: query strings and `application/x-www-form-urlencoded` bodies
//!   (`ARGS_GET`, `ARGS_POST`, `URLENCODED_ERROR`).
//! - [`cookies`]: the `Cookie` header (`REQUEST_COOKIES`, `REQUEST_COOKIES_NAMES`).
//! - [`multipart`]: `multipart/form-data` (`ARGS_POST`, `FILES*`, `MULTIPART_*`).
//! - [`json`]: JSON bodies, named the v3 way (`json.a.array_0.b`).
//! - [`xml`]: XML bodies, for `XML:/*` and `XML://@*`.
//! - [`fuzz`]: the bodies of the fuzz targets in `fuzz/`, callable from stable tests.
//!
//! This module holds what they share ([`Arg`]) and the dispatch ([`process`]) from a chosen
//! [`BodyProcessor`] to one [`BodyOutcome`].

pub mod cookies;
pub mod fuzz;
pub mod json;
pub mod multipart;
pub mod urlencoded;
pub mod xml;

#[cfg(test)]
mod tests;

use std::fmt;

/// One named value: a request argument, a cookie, a JSON leaf. Raw bytes, no charset assumed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Arg {
    /// The name (`ARGS_NAMES` entry, cookie name).
    pub name: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

impl Arg {
    /// Builds an argument from anything byte-like.
    pub fn new(name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Self { name: name.into(), value: value.into() }
    }
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}={:?}", String::from_utf8_lossy(&self.name), String::from_utf8_lossy(&self.value))
    }
}

/// The request body processors of ModSecurity (`REQBODY_PROCESSOR`, `ctl:requestBodyProcessor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyProcessor {
    /// `URLENCODED`: `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `MULTIPART`: `multipart/form-data`.
    Multipart,
    /// `JSON`.
    Json,
    /// `XML`.
    Xml,
}

impl BodyProcessor {
    /// The name as `REQBODY_PROCESSOR` holds it and `ctl:requestBodyProcessor=` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::UrlEncoded => "URLENCODED",
            Self::Multipart => "MULTIPART",
            Self::Json => "JSON",
            Self::Xml => "XML",
        }
    }

    /// Parses a `ctl:requestBodyProcessor=` value (case-insensitive, as v3 compares it).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::UrlEncoded, Self::Multipart, Self::Json, Self::Xml]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// What libmodsecurity itself picks from a `Content-Type` header: only the two form types
    /// (prefix match, case-insensitive). JSON and XML are chosen by rules (`ctl:`).
    pub fn from_content_type(content_type: &[u8]) -> Option<Self> {
        if starts_with_ignore_case(content_type, b"multipart/form-data") {
            Some(Self::Multipart)
        } else if starts_with_ignore_case(content_type, b"application/x-www-form-urlencoded") {
            Some(Self::UrlEncoded)
        } else {
            None
        }
    }

    /// [`from_content_type`](Self::from_content_type), then what the rules of
    /// `modsecurity.conf-recommended` (ids 200000, 200001, 200006) select: XML for
    /// `^(?:application(?:/soap\+|/)|text/)xml`, JSON for `^application/json` and
    /// `^application/[a-z0-9.-]+[+]json`, all on the lower-cased header.
    pub fn recommended_for(content_type: &[u8]) -> Option<Self> {
        if let Some(found) = Self::from_content_type(content_type) {
            return Some(found);
        }
        let lower = content_type.to_ascii_lowercase();
        let xml = [&b"application/soap+xml"[..], b"application/xml", b"text/xml"];
        if xml.iter().any(|prefix| lower.starts_with(prefix)) {
            return Some(Self::Xml);
        }
        if lower.starts_with(b"application/json") {
            return Some(Self::Json);
        }
        if let Some(rest) = lower.strip_prefix(b"application/") {
            let subtype = rest.iter().take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(b));
            let len = subtype.count();
            if len > 0 && rest.get(len..).is_some_and(|tail| tail.starts_with(b"+json")) {
                return Some(Self::Json);
            }
        }
        None
    }
}

/// Configuration of the body processors, taken from the rule set's directives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyConfig {
    /// `SecArgumentSeparator` (v3 uses its first character). Default `&`.
    pub argument_separator: u8,
    /// How many more arguments `ARGS` may take (`SecArgumentsLimit` minus what the query string
    /// already added); `None` when no limit is set (v3's default).
    pub args_remaining: Option<usize>,
    /// `SecRequestBodyJsonDepthLimit`; 0 means unlimited.
    pub json_depth_limit: usize,
    /// `SecRequestBodyNoFilesLimit`: the most bytes of body that are not uploaded files
    /// (the whole body for every processor but multipart); `None` for no limit.
    pub no_files_limit: Option<u64>,
    /// Multipart options.
    pub multipart: multipart::MultipartOptions,
}

impl Default for BodyConfig {
    fn default() -> Self {
        Self {
            argument_separator: b'&',
            args_remaining: None,
            json_depth_limit: json::DEFAULT_DEPTH_LIMIT,
            no_files_limit: None,
            multipart: multipart::MultipartOptions::default(),
        }
    }
}

/// What `REQBODY_ERROR`, `REQBODY_ERROR_MSG`, `REQBODY_PROCESSOR_ERROR` and
/// `REQBODY_PROCESSOR_ERROR_MSG` are after the body processor ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReqBodyStatus {
    /// The variables are not set. v3 leaves them so for `URLENCODED`.
    NotSet,
    /// `REQBODY_ERROR` and `REQBODY_PROCESSOR_ERROR` are `0`.
    Ok,
    /// Both errors are `1`; the message (`REQBODY_ERROR_MSG`, `REQBODY_PROCESSOR_ERROR_MSG`) is
    /// exactly as v3 writes it, e.g. `Multipart parsing error: Multipart: Final boundary missing.`
    Error(String),
}

impl ReqBodyStatus {
    /// The value of `REQBODY_ERROR`, when set.
    pub fn flag(&self) -> Option<&'static str> {
        match self {
            Self::NotSet => None,
            Self::Ok => Some("0"),
            Self::Error(_) => Some("1"),
        }
    }

    /// The error message, when there is one.
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Error(msg) => Some(msg),
            _ => None,
        }
    }
}

/// Everything one request body yields, for the engine to map into variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyOutcome {
    /// The processor that ran.
    pub processor: Option<BodyProcessor>,
    /// Arguments in body order. They go to `ARGS` (and `ARGS_NAMES`) always, and also to
    /// `ARGS_POST` when [`args_post`](Self::args_post) is true.
    pub args: Vec<Arg>,
    /// Whether [`args`](Self::args) belong in `ARGS_POST` too. v3 adds urlencoded and
    /// multipart fields there, but JSON leaves only to `ARGS`.
    pub args_post: bool,
    /// Whether [`args`](Self::args) count towards `ARGS_COMBINED_SIZE`: true for urlencoded and
    /// JSON (they go through v3's `addArgument`), false for multipart (v3 sets them directly).
    pub args_counted: bool,
    /// Arguments dropped by `SecArgumentsLimit` (urlencoded only; JSON stops with an error).
    pub args_skipped: usize,
    /// `URLENCODED_ERROR`: an invalid `%` escape was seen (urlencoded only; the query string has
    /// its own flag from [`urlencoded::parse`]).
    pub urlencoded_error: bool,
    /// Multipart details: files, part headers, `MULTIPART_*` flags (its `args` are moved to
    /// [`args`](Self::args)).
    pub multipart: Option<multipart::Multipart>,
    /// The bytes that count against `SecRequestBodyNoFilesLimit`.
    pub no_files_length: u64,
    /// The XML document's text, for `XML:/*` and `XML://@*`.
    pub xml: Option<xml::XmlDocument>,
    /// `REQBODY_ERROR` and its message.
    pub status: ReqBodyStatus,
}

impl BodyOutcome {
    fn empty(processor: Option<BodyProcessor>, status: ReqBodyStatus) -> Self {
        Self {
            processor,
            args: Vec::new(),
            args_post: false,
            args_counted: false,
            args_skipped: 0,
            urlencoded_error: false,
            multipart: None,
            no_files_length: 0,
            xml: None,
            status,
        }
    }
}

/// Runs the chosen body processor over a buffered body, as v3's `processRequestBody` does.
///
/// `content_type` is the first `Content-Type` request header, when there is one; the multipart
/// processor needs it for the boundary (without it v3 does nothing and reports no error).
/// `body` is what the caller buffered: when the body was over `SecRequestBodyLimit` and the
/// action is `ProcessPartial`, it is the truncated prefix and v3 parses it like any other body
/// (so a truncated multipart body ends with `Final boundary missing` unless
/// [`MultipartOptions::allow_partial`](multipart::MultipartOptions::allow_partial) is set); the
/// caller sets `INBOUND_DATA_ERROR`.
///
/// Then, like recent v3, a body whose non-file bytes exceed `SecRequestBodyNoFilesLimit` is a
/// body error (when the processor reported none), with v2's message for it.
pub fn process(
    processor: Option<BodyProcessor>,
    content_type: Option<&[u8]>,
    body: &[u8],
    config: &BodyConfig,
) -> BodyOutcome {
    let mut outcome = run_processor(processor, content_type, body, config);
    outcome.no_files_length = match &outcome.multipart {
        Some(parsed) => parsed.no_files_length,
        None => body.len() as u64,
    };
    if let Some(limit) = config.no_files_limit {
        let failed = matches!(outcome.status, ReqBodyStatus::Error(_));
        if outcome.no_files_length > limit && !failed {
            outcome.status = ReqBodyStatus::Error(format!(
                "Request body no files data length is larger than the configured limit ({limit})."
            ));
        }
    }
    outcome
}

/// The processor itself.
fn run_processor(
    processor: Option<BodyProcessor>,
    content_type: Option<&[u8]>,
    body: &[u8],
    config: &BodyConfig,
) -> BodyOutcome {
    let Some(which) = processor else {
        return BodyOutcome::empty(None, ReqBodyStatus::Ok);
    };
    match which {
        BodyProcessor::UrlEncoded => {
            let parsed = urlencoded::parse(body, config.argument_separator, config.args_remaining);
            BodyOutcome {
                args: parsed.args,
                args_post: true,
                args_counted: true,
                args_skipped: parsed.skipped,
                urlencoded_error: parsed.invalid_encoding,
                ..BodyOutcome::empty(processor, ReqBodyStatus::NotSet)
            }
        }
        BodyProcessor::Multipart => {
            let Some(content_type) = content_type else {
                return BodyOutcome::empty(processor, ReqBodyStatus::Ok);
            };
            let mut parsed = multipart::parse(content_type, body, &config.multipart);
            let status = match &parsed.error {
                Some(msg) => ReqBodyStatus::Error(format!("Multipart parsing error: {msg}")),
                None => ReqBodyStatus::Ok,
            };
            BodyOutcome {
                args: std::mem::take(&mut parsed.args),
                args_post: true,
                multipart: Some(parsed),
                ..BodyOutcome::empty(processor, status)
            }
        }
        BodyProcessor::Json => {
            let limits = json::JsonLimits { depth: config.json_depth_limit, args: config.args_remaining };
            let parsed = json::parse(body, &limits);
            let status = match parsed.error {
                Some(msg) if !body.is_empty() => ReqBodyStatus::Error(format!("JSON parsing error: {msg}")),
                _ => ReqBodyStatus::Ok,
            };
            BodyOutcome { args: parsed.args, args_counted: true, ..BodyOutcome::empty(processor, status) }
        }
        BodyProcessor::Xml => {
            let parsed = xml::parse(body);
            let status = match &parsed.error {
                Some(msg) => ReqBodyStatus::Error(format!("XML parsing error: {msg}")),
                None => ReqBodyStatus::Ok,
            };
            BodyOutcome { xml: Some(parsed), ..BodyOutcome::empty(processor, status) }
        }
    }
}

/// ASCII case-insensitive prefix test.
fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// C's `isspace` in the "C" locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}
