//! The go-ftw test file format (ftw-tests-schema v2, as go-ftw reads it) and the platform
//! overrides format, as serde types.
//!
//! Like go-ftw's YAML decoder, unknown fields are ignored (one CRS file has `author` at the top
//! level) and `null` stands for an absent value.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// One YAML test file: the tests of one rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TestFile {
    /// Authors and description.
    #[serde(default, deserialize_with = "null_default")]
    pub meta: Meta,
    /// The rule the tests target; 0 means "take it from the file name".
    #[serde(default)]
    pub rule_id: u64,
    /// The test cases.
    #[serde(default, deserialize_with = "null_default")]
    pub tests: Vec<Test>,
}

/// File metadata.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Meta {
    /// Who wrote the tests.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub author: Option<String>,
    /// Deprecated and ignored by go-ftw.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Name of the file's test set.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub name: Option<String>,
    /// What the tests are about.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub description: Option<String>,
    /// Schema version.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub version: Option<String>,
    /// Free-form grouping tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<String>,
}

/// One test case: stages run in order, each one request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Test {
    /// Deprecated title.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub test_title: Option<String>,
    /// Number within the rule; 0 means "position in the file, from 1".
    #[serde(default)]
    pub test_id: u64,
    /// What the test checks.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub desc: Option<String>,
    /// The requests and their expectations.
    #[serde(default, deserialize_with = "null_default")]
    pub stages: Vec<Stage>,
    /// Free-form grouping tags.
    #[serde(default, deserialize_with = "null_default")]
    pub tags: Vec<String>,
}

/// One request and what must follow from it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Stage {
    /// What the stage is for.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub description: Option<String>,
    /// The request to send.
    #[serde(default, deserialize_with = "null_default")]
    pub input: Input,
    /// The expectations.
    #[serde(default, deserialize_with = "null_default")]
    pub output: Output,
}

/// The request of a stage. Absent fields take go-ftw's defaults when the request is built.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Input {
    /// Where go-ftw connects (unused in-process).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub dest_addr: Option<String>,
    /// Port go-ftw connects to (unused in-process).
    #[serde(default)]
    pub port: Option<u16>,
    /// `http` or `https` (unused in-process).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub protocol: Option<String>,
    /// Request target; default `/`.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub uri: Option<String>,
    /// Several targets for one stage (not supported by go-ftw's runner either).
    #[serde(default, deserialize_with = "null_default")]
    pub uris: Vec<String>,
    /// Follow the previous stage's redirect.
    #[serde(default)]
    pub follow_redirect: Option<bool>,
    /// Protocol on the request line; default `HTTP/1.1`. `""` sends no protocol.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub version: Option<String>,
    /// Method; default `GET`.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub method: Option<String>,
    /// Header fields; go-ftw sends them sorted by name.
    #[serde(default)]
    pub headers: Headers,
    /// Body text (a Go template: `{{ "1" | repeat 100 }}`).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub data: Option<String>,
    /// Body as base64.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub encoded_data: Option<String>,
    /// Keep cookies between stages (go-ftw ignores it).
    #[serde(default)]
    pub save_cookie: Option<bool>,
    /// Deprecated inverse of `autocomplete_headers`.
    #[serde(default)]
    pub stop_magic: Option<bool>,
    /// Add `Content-Type`, `Connection` and `Content-Length`; default true.
    #[serde(default)]
    pub autocomplete_headers: Option<bool>,
    /// The whole request as base64, sent as it is.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub encoded_request: Option<String>,
    /// Deprecated: the whole request as text, sent as it is.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub raw_request: Option<String>,
    /// A response for the backend to send (albedo); not used by the CRS tests.
    #[serde(default)]
    pub response: Option<serde_yaml_ng::Value>,
}

/// What a stage expects.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Output {
    /// Expected status: one code, or a list of acceptable ones; absent or 0 means any.
    #[serde(default)]
    pub status: Status,
    /// Regular expression the full response (status line, headers, body) must match.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub response_contains: Option<String>,
    /// Deprecated: regular expression for the log (becomes `log.match_regex`).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub log_contains: Option<String>,
    /// Deprecated: regular expression not to find in the log (becomes `log.no_match_regex`).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub no_log_contains: Option<String>,
    /// Log expectations.
    #[serde(default, deserialize_with = "null_default")]
    pub log: Log,
    /// The client must get no readable response.
    #[serde(default)]
    pub expect_error: Option<bool>,
    /// Run the stage a second time if it fails.
    #[serde(default)]
    pub retry_once: Option<bool>,
    /// Exactly one rule may trigger: the one in `log.expect_ids`.
    #[serde(default)]
    pub isolated: bool,
}

/// Expectations on the WAF log of a stage.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Log {
    /// Rules that must have triggered.
    #[serde(default, deserialize_with = "null_default")]
    pub expect_ids: Vec<u64>,
    /// Rules that must not have triggered.
    #[serde(default, deserialize_with = "null_default")]
    pub no_expect_ids: Vec<u64>,
    /// Regular expression some log line must match.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub match_regex: Option<String>,
    /// Regular expression no log line may match.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub no_match_regex: Option<String>,
}

/// Acceptable statuses; empty (or only 0) accepts any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status(pub Vec<u16>);

impl Status {
    /// True when some status is required.
    pub fn is_required(&self) -> bool {
        self.0.iter().any(|&s| s != 0)
    }

    /// True when `status` satisfies the expectation.
    pub fn accepts(&self, status: u16) -> bool {
        !self.is_required() || self.0.contains(&status)
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            One(u16),
            Many(Vec<u16>),
        }
        Ok(match Option::<Form>::deserialize(deserializer)? {
            None => Status::default(),
            Some(Form::One(s)) => Status(vec![s]),
            Some(Form::Many(list)) => Status(list),
        })
    }
}

/// Header fields as written; values may be any YAML scalar (`Content-Length: 22`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(pub Vec<(String, String)>);

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadersVisitor;
        impl<'de> Visitor<'de> for HeadersVisitor {
            type Value = Headers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of header names to scalar values")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Headers, E> {
                Ok(Headers::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) = map.next_entry::<Scalar, Scalar>()? {
                    if out.iter().any(|(n, _): &(String, String)| *n == name.0) {
                        return Err(de::Error::custom(format!("header {:?} given twice", name.0)));
                    }
                    out.push((name.0, value.0));
                }
                Ok(Headers(out))
            }
        }
        deserializer.deserialize_any(HeadersVisitor)
    }
}

/// A YAML scalar read as the text Go's YAML decoders give a `string` field (null is empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Scalar, A::Error> {
                Err(de::Error::custom("expected a scalar, found a list"))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// A field whose `null` (`output:` with nothing after it) means its default, as in Go.
fn null_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(deserializer: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An optional field holding any scalar, kept as text.
fn opt_scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(deserializer)?.map(|s| s.0))
}

/// A platform overrides file (`httpd-overrides.yaml`): outputs that differ on one platform.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OverridesFile {
    /// Schema version.
    #[serde(default, deserialize_with = "opt_scalar")]
    pub version: Option<String>,
    /// Engine and platform the overrides are for.
    #[serde(default, deserialize_with = "null_default")]
    pub meta: OverridesMeta,
    /// The overrides, applied in order.
    #[serde(default, deserialize_with = "null_default")]
    pub test_overrides: Vec<TestOverride>,
}

/// Which engine and platform an overrides file describes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OverridesMeta {
    /// WAF engine (`libmodsecurity3`, `coraza`).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub engine: Option<String>,
    /// Web server (`nginx`, `httpd`, `go`).
    #[serde(default, deserialize_with = "opt_scalar")]
    pub platform: Option<String>,
    /// Free-form notes (a map, or a list of one-entry maps).
    #[serde(default)]
    pub annotations: Option<serde_yaml_ng::Value>,
}

/// New expectations for some tests of one rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TestOverride {
    /// The rule whose tests change.
    pub rule_id: u64,
    /// The tests that change; empty means all tests of the rule.
    #[serde(default, deserialize_with = "null_default")]
    pub test_ids: Vec<u64>,
    /// The stages (0-based, as go-ftw counts them) that change; empty means all.
    #[serde(default, deserialize_with = "null_default")]
    pub stage_ids: Vec<usize>,
    /// Why the platform differs.
    pub reason: String,
    /// Retry failing stages once.
    #[serde(default)]
    pub retry_once: Option<bool>,
    /// Replaces the output of the selected stages.
    #[serde(default, deserialize_with = "null_default")]
    pub output: Output,
}
