//! The values a rule target (`ARGS:foo`, `&TX:score`, `REQUEST_URI`, `XML:/*`) yields from a
//! transaction's [`Store`], with the rule's exclusions applied.
//!
//! Nothing is allocated for collections that are empty or for targets that select nothing,
//! which is most of them on a clean request.

use std::borrow::Cow;

use crate::body::Arg;
use crate::engine::cache::{scalar as slot, Slots, NO_SLOT};
use crate::engine::store::{Store, VarKey, Vars};
use crate::variables::{KeyMatching, Selector, VariableName};

/// One value of a target, and where it came from (for `MATCHED_VAR_NAME`).
#[derive(Debug, Clone)]
pub(crate) struct Value<'a> {
    pub(crate) name: VariableName,
    /// The key within the collection (`foo` of `ARGS:foo`); `None` for scalars and counts.
    pub(crate) key: Option<Cow<'a, [u8]>>,
    pub(crate) value: Cow<'a, [u8]>,
    /// Where the value lives in the store, for the transformation cache; [`NO_SLOT`] when it
    /// is not cached.
    pub(crate) slot: u32,
}

impl Value<'_> {
    /// `ARGS:foo`, `REQUEST_URI`: the name ModSecurity logs and puts in `MATCHED_VAR_NAME`,
    /// in pieces to concatenate.
    pub(crate) fn full_name(&self) -> [&[u8]; 3] {
        match &self.key {
            Some(k) => [self.name.as_str().as_bytes(), b":", k],
            None => [self.name.as_str().as_bytes(), b"", b""],
        }
    }
}

/// A compiled rule target.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) name: VariableName,
    /// Whether `name` is a scalar (`REQUEST_URI`), not a collection.
    scalar: bool,
    pub(crate) selector: Option<Selector>,
    pub(crate) count: bool,
    /// The selector's key hashed at load time, for the `TX`-like collections.
    pub(crate) key: Option<VarKey>,
}

/// Whether `key` of collection `name` is excluded for the rule at hand.
pub(crate) type Excluded<'e> = &'e dyn Fn(VariableName, &[u8]) -> bool;

impl Target {
    /// A target of `name`; `key` is the selector's key hashed at load (see [`VarKey`]).
    pub(crate) fn new(name: VariableName, selector: Option<Selector>, count: bool, key: Option<VarKey>) -> Self {
        Target { name, scalar: name.key_matching() == KeyMatching::Scalar, selector, count, key }
    }
}

/// Appends the values of `target` to `out`.
pub(crate) fn collect<'a>(store: &'a Store<'_>, target: &Target, excluded: Excluded<'_>, out: &mut Vec<Value<'a>>) {
    for_each(store, target, Some(excluded), &mut |v| out.push(v));
}

/// Calls `f` with every value of `target`, in collection order; `excluded` is `None` when the
/// rule excludes nothing, which spares a call per value. Generic, so that the rule's test of a
/// value is compiled into the loops over the collections.
pub(crate) fn for_each<'a, F: FnMut(Value<'a>)>(
    store: &'a Store<'_>,
    target: &Target,
    excluded: Option<Excluded<'_>>,
    f: &mut F,
) {
    let name = target.name;
    let is_excluded = |key: &[u8]| excluded.is_some_and(|e| e(name, key));
    if target.scalar {
        // `!REQUEST_FILENAME`, `ctl:ruleRemoveTargetByTag=...;REQUEST_FILENAME`.
        if is_excluded(b"") {
            return;
        }
        // As libmodsecurity's anchored variables, most scalars exist (empty) even when unset.
        let v = scalar(store, name).or_else(|| anchored(name).then_some(Cow::Borrowed(&b""[..])));
        if target.count {
            f(Value { name, key: None, value: Store::count(usize::from(v.is_some())), slot: NO_SLOT });
        } else if let Some(value) = v {
            let slot = match value {
                Cow::Borrowed(_) => scalar_slot(store, name),
                Cow::Owned(_) => NO_SLOT,
            };
            f(Value { name, key: None, value, slot });
        }
        return;
    }
    if name == VariableName::Xml {
        let xpath = match &target.selector {
            Some(Selector::XPath(x)) => x.as_str(),
            Some(Selector::Key(k)) => k.as_str(),
            _ => "/*",
        };
        let doc = store.body.as_ref().and_then(|b| b.xml.as_ref());
        let found = doc.and_then(|x| x.select(xpath)).unwrap_or_default();
        if target.count {
            f(Value { name, key: None, value: Store::count(found.len()), slot: NO_SLOT });
        } else {
            for (i, v) in found.into_iter().enumerate() {
                // The root text or the i-th attribute, recognized by address.
                let same = |stored: &[u8]| std::ptr::eq(stored, v);
                let slot = match doc {
                    Some(d) if d.root_text.as_deref().is_some_and(same) => store.slots.scalar(slot::XML_ROOT),
                    Some(d) if d.attributes.get(i).is_some_and(|a| same(&a.value)) => {
                        store.slots.at(store.slots.xml_attributes, 1, i, 0)
                    }
                    _ => NO_SLOT,
                };
                f(Value { name, key: Some(Cow::Owned(xpath.as_bytes().to_vec())), value: Cow::Borrowed(v), slot });
            }
        }
        return;
    }
    let mut count = 0usize;
    let counting = target.count;
    let mut visit = |key: &'a [u8], value: Cow<'a, [u8]>, slot: u32| {
        if is_excluded(key) {
            return;
        }
        if counting {
            count += 1;
        } else {
            f(Value { name, key: Some(Cow::Borrowed(key)), value, slot });
        }
    };
    match (&target.selector, vars_of(store, name)) {
        // `TX:anomaly_score`: one lookup, not a scan of the collection (keys are unique).
        (Some(Selector::Key(k)), Some(vars)) => {
            let entry = match &target.key {
                Some(key) => vars.entry_key(key),
                None => vars.entry(k),
            };
            if let Some((key, value)) = entry {
                visit(key.as_bytes(), Cow::Borrowed(value), NO_SLOT);
            }
        }
        (None, _) => entries(store, name, &mut visit),
        (selector, _) => entries(store, name, &mut |key, value, slot| {
            if selected(selector, key) {
                visit(key, value, slot);
            }
        }),
    }
    if counting {
        f(Value { name, key: None, value: Store::count(count), slot: NO_SLOT });
    }
}

/// The `TX`-like collection `name` stands for, if it is one.
fn vars_of<'a, 'r>(store: &'a Store<'r>, name: VariableName) -> Option<&'a Vars<'r>> {
    use VariableName as V;
    Some(match name {
        V::Tx => &store.tx,
        V::Ip => &store.ip,
        V::Global => &store.global,
        V::Session => &store.session,
        V::User => &store.user,
        V::Resource => &store.resource,
        V::Env => &store.env,
        _ => return None,
    })
}

/// Scalars that libmodsecurity keeps as anchored variables: always present, empty until set.
fn anchored(name: VariableName) -> bool {
    use VariableName as V;
    matches!(
        name,
        V::ArgsCombinedSize
            | V::AuthType
            | V::FilesCombinedSize
            | V::FullRequest
            | V::FullRequestLength
            | V::InboundDataError
            | V::MatchedVar
            | V::MatchedVarName
            | V::MultipartBoundaryQuoted
            | V::MultipartBoundaryWhitespace
            | V::MultipartCrlfLfLines
            | V::MultipartDataAfter
            | V::MultipartDataBefore
            | V::MultipartFileLimitExceeded
            | V::MultipartHeaderFolding
            | V::MultipartInvalidHeaderFolding
            | V::MultipartInvalidPart
            | V::MultipartInvalidQuoting
            | V::MultipartLfLine
            | V::MultipartMissingSemicolon
            | V::MultipartStrictError
            | V::MultipartUnmatchedBoundary
            | V::OutboundDataError
            | V::PathInfo
            | V::QueryString
            | V::RemoteAddr
            | V::RemoteHost
            | V::RemotePort
            | V::ReqbodyError
            | V::ReqbodyErrorMsg
            | V::ReqbodyProcessor
            | V::ReqbodyProcessorError
            | V::ReqbodyProcessorErrorMsg
            | V::RequestBasename
            | V::RequestBody
            | V::RequestBodyLength
            | V::RequestFilename
            | V::RequestLine
            | V::RequestMethod
            | V::RequestProtocol
            | V::RequestUri
            | V::RequestUriRaw
            | V::ResponseBody
            | V::ResponseContentLength
            | V::ResponseContentType
            | V::ResponseProtocol
            | V::ResponseStatus
            | V::ServerAddr
            | V::ServerName
            | V::ServerPort
            | V::SessionId
            | V::UniqueId
            | V::UrlencodedError
            | V::UserId
    )
}

/// Whether `key` passes the target's selector.
fn selected(selector: &Option<Selector>, key: &[u8]) -> bool {
    match selector {
        None => true,
        Some(Selector::Key(k)) => k.as_bytes().eq_ignore_ascii_case(key),
        Some(Selector::Regex(r)) => r.is_match(key),
        Some(Selector::XPath(_)) => false,
    }
}

/// Calls `f(name, value, slot)` for the arguments of `list` (names or values), numbered from
/// slot `base`.
fn args<'a, F: FnMut(&'a [u8], Cow<'a, [u8]>, u32)>(slots: &Slots, list: &'a [Arg], base: u32, names: bool, f: &mut F) {
    for (i, a) in list.iter().enumerate() {
        let slot = slots.at(base, 2, i, u32::from(names));
        f(&a.name, Cow::Borrowed(if names { &a.name } else { &a.value }), slot);
    }
}

/// [`args`] for headers.
fn pairs<'a, F: FnMut(&'a [u8], Cow<'a, [u8]>, u32)>(
    slots: &Slots,
    list: &'a [(Vec<u8>, Vec<u8>)],
    base: u32,
    names: bool,
    f: &mut F,
) {
    for (i, (k, v)) in list.iter().enumerate() {
        f(k, Cow::Borrowed(if names { k } else { v }), slots.at(base, 2, i, u32::from(names)));
    }
}

/// Calls `f(key, value, slot)` for every entry of collection `name`.
fn entries<'a, F: FnMut(&'a [u8], Cow<'a, [u8]>, u32)>(store: &'a Store<'_>, name: VariableName, f: &mut F) {
    use VariableName as V;
    let slots = &store.slots;
    let mut vars = |v: &'a Vars<'_>| {
        for (k, val) in v.iter() {
            f(k.as_bytes(), Cow::Borrowed(val), NO_SLOT);
        }
    };
    match name {
        V::Tx => return vars(&store.tx),
        V::Ip => return vars(&store.ip),
        V::Global => return vars(&store.global),
        V::Session => return vars(&store.session),
        V::User => return vars(&store.user),
        V::Resource => return vars(&store.resource),
        V::Env => return vars(&store.env),
        _ => {}
    }
    // Read only by the arms that need them.
    let multipart = || store.body.as_ref().and_then(|b| b.multipart.as_ref());
    let files = || multipart().map(|m| m.files.as_slice()).unwrap_or_default();
    match name {
        V::Args | V::ArgsNames => {
            let names = name == V::ArgsNames;
            args(slots, &store.args_get, slots.args_get, names, f);
            args(slots, &store.args_post, slots.args_post, names, f);
            args(slots, &store.args_body_only, slots.args_body_only, names, f);
        }
        V::ArgsGet => args(slots, &store.args_get, slots.args_get, false, f),
        V::ArgsGetNames => args(slots, &store.args_get, slots.args_get, true, f),
        V::ArgsPost => args(slots, &store.args_post, slots.args_post, false, f),
        V::ArgsPostNames => args(slots, &store.args_post, slots.args_post, true, f),
        V::RequestHeaders => pairs(slots, &store.request_headers, slots.request_headers, false, f),
        V::RequestHeadersNames => pairs(slots, &store.request_headers, slots.request_headers, true, f),
        V::RequestCookies => args(slots, &store.cookies, slots.cookies, false, f),
        V::RequestCookiesNames => args(slots, &store.cookies, slots.cookies, true, f),
        V::ResponseHeaders => pairs(slots, &store.response_headers, slots.response_headers, false, f),
        V::ResponseHeadersNames => pairs(slots, &store.response_headers, slots.response_headers, true, f),
        V::MatchedVars | V::MatchedVarsNames => {
            for (k, v) in store.matched_vars.iter() {
                f(k, Cow::Borrowed(if name == V::MatchedVarsNames { k } else { v }), NO_SLOT);
            }
        }
        V::Files => {
            for (i, p) in files().iter().enumerate() {
                f(&p.name, Cow::Borrowed(&p.filename), slots.at(slots.files, 2, i, 0));
            }
        }
        V::FilesNames => {
            for (i, p) in files().iter().enumerate() {
                f(&p.name, Cow::Borrowed(&p.name), slots.at(slots.files, 2, i, 1));
            }
        }
        V::FilesSizes => {
            for p in files() {
                f(&p.name, Store::number(p.size), NO_SLOT);
            }
        }
        V::FilesTmpContent => {
            for p in files() {
                if let Some(c) = &p.content {
                    f(&p.name, Cow::Borrowed(c), NO_SLOT);
                }
            }
        }
        V::MultipartFilename => {
            for (i, n) in multipart().map(|m| m.filenames.as_slice()).unwrap_or_default().iter().enumerate() {
                f(n, Cow::Borrowed(n), slots.at(slots.multipart_filenames, 1, i, 0));
            }
        }
        V::MultipartName => {
            for (i, n) in multipart().map(|m| m.names.as_slice()).unwrap_or_default().iter().enumerate() {
                f(n, Cow::Borrowed(n), slots.at(slots.multipart_names, 1, i, 0));
            }
        }
        V::MultipartPartHeaders => {
            for (i, h) in multipart().map(|m| m.part_headers.as_slice()).unwrap_or_default().iter().enumerate() {
                f(&h.part, Cow::Borrowed(&h.line), slots.at(slots.multipart_part_headers, 1, i, 0));
            }
        }
        V::Rule => {
            let r = &store.rule;
            f(b"id", Store::number(r.id), NO_SLOT);
            f(b"msg", Cow::Borrowed(&r.msg), NO_SLOT);
            f(b"logdata", Cow::Borrowed(&r.logdata), NO_SLOT);
            f(b"rev", Cow::Borrowed(r.rev.as_bytes()), NO_SLOT);
            f(b"ver", Cow::Borrowed(r.ver.as_bytes()), NO_SLOT);
            if let Some(s) = r.severity {
                f(b"severity", Store::number(s), NO_SLOT);
            }
        }
        // GEO (no database), FILES_TMPNAMES (files are never written to disk): always empty.
        _ => {}
    }
}

/// The slot of a scalar that stays put during a phase (request and response data); [`NO_SLOT`]
/// for the others.
fn scalar_slot(store: &Store<'_>, name: VariableName) -> u32 {
    use VariableName as V;
    let s = match name {
        V::RequestFilename => slot::REQUEST_FILENAME,
        V::RequestBasename => slot::REQUEST_BASENAME,
        V::RequestUri => slot::REQUEST_URI,
        V::RequestUriRaw => slot::REQUEST_URI_RAW,
        V::RequestLine => slot::REQUEST_LINE,
        V::RequestMethod => slot::REQUEST_METHOD,
        V::RequestProtocol => slot::REQUEST_PROTOCOL,
        V::QueryString => slot::QUERY_STRING,
        V::RequestBody => slot::REQUEST_BODY,
        V::ResponseBody => slot::RESPONSE_BODY,
        _ => return NO_SLOT,
    };
    store.slots.scalar(s)
}

/// The value of scalar variable `name`, when it is set.
pub(crate) fn scalar<'a>(store: &'a Store<'_>, name: VariableName) -> Option<Cow<'a, [u8]>> {
    use VariableName as V;
    let flag = |on: bool| Some(Cow::Borrowed(if on { &b"1"[..] } else { &b"0"[..] }));
    let multipart = || store.body.as_ref().and_then(|b| b.multipart.as_ref());
    let mp = |get: fn(&crate::body::multipart::MultipartFlags) -> bool| multipart().and_then(|m| flag(get(&m.flags)));
    match name {
        V::RequestMethod => borrowed(&store.method),
        V::RequestProtocol => borrowed(&store.protocol),
        V::RequestLine => borrowed(&store.request_line),
        V::RequestUri => borrowed(&store.uri),
        V::RequestUriRaw => borrowed(&store.uri_raw),
        V::RequestFilename => borrowed(&store.filename),
        V::RequestBasename => store.basename.as_deref().map(Cow::Borrowed),
        V::QueryString => store.query_string.as_deref().map(Cow::Borrowed),
        V::RemoteAddr => borrowed(&store.remote_addr),
        V::RemotePort => Some(Store::number(store.remote_port)),
        V::ServerAddr => borrowed(&store.server_addr),
        V::ServerPort => Some(Store::number(store.server_port)),
        V::ServerName => borrowed(&store.server_name),
        V::UniqueId => borrowed(&store.unique_id),
        V::RequestBody => store.request_body.as_deref().map(Cow::Borrowed),
        V::RequestBodyLength => store.request_body_length.map(Store::number),
        V::ArgsCombinedSize => Some(Store::number(store.args_combined_size)),
        V::FilesCombinedSize => multipart().and_then(|m| m.combined_size()).map(Store::number),
        V::ReqbodyError | V::ReqbodyProcessorError => {
            store.reqbody_status().and_then(|s| s.flag()).map(|f| Cow::Borrowed(f.as_bytes()))
        }
        V::ReqbodyErrorMsg | V::ReqbodyProcessorErrorMsg => {
            store.reqbody_status().and_then(|s| s.message()).map(|m| Cow::Borrowed(m.as_bytes()))
        }
        V::ReqbodyProcessor => store.reqbody_processor.map(|p| Cow::Borrowed(p.as_bytes())),
        V::UrlencodedError => flag(store.urlencoded_error),
        V::InboundDataError => flag(store.inbound_data_error),
        V::OutboundDataError => flag(store.outbound_data_error),
        V::MultipartStrictError => mp(|f| f.strict_error),
        V::MultipartBoundaryQuoted => mp(|f| f.boundary_quoted),
        V::MultipartBoundaryWhitespace => mp(|f| f.boundary_whitespace),
        V::MultipartDataBefore => mp(|f| f.data_before),
        V::MultipartDataAfter => mp(|f| f.data_after),
        V::MultipartHeaderFolding => mp(|f| f.header_folding),
        V::MultipartLfLine => mp(|f| f.lf_line),
        V::MultipartCrlfLfLines => mp(|f| f.crlf_lf_lines),
        V::MultipartMissingSemicolon | V::MultipartSemicolonMissing => mp(|f| f.missing_semicolon),
        V::MultipartInvalidQuoting => mp(|f| f.invalid_quoting),
        V::MultipartInvalidPart => mp(|f| f.invalid_part),
        V::MultipartInvalidHeaderFolding => mp(|f| f.invalid_header_folding),
        V::MultipartFileLimitExceeded => mp(|f| f.file_limit_exceeded),
        V::MultipartUnmatchedBoundary => multipart().map(|m| Store::number(m.flags.unmatched_boundary)),
        V::ResponseStatus | V::Status => store.status.map(Store::number),
        V::ResponseProtocol => {
            (!store.response_protocol.is_empty()).then(|| Cow::Borrowed(&store.response_protocol[..]))
        }
        V::ResponseBody => store.response_body.as_deref().map(Cow::Borrowed),
        V::ResponseContentType => store.response_content_type().map(Cow::Borrowed),
        V::ResponseContentLength => store.response_body.as_ref().map(|b| Store::number(b.len())),
        V::MatchedVar => borrowed(&store.matched_var),
        V::MatchedVarName => borrowed(&store.matched_var_name),
        // 255 until a rule with a severity matched, as libmodsecurity reports it.
        V::HighestSeverity => Some(Store::number(store.highest_severity)),
        V::Duration => store.started.map(|s| Store::number(s.elapsed().as_millis())),
        V::FullRequest => Some(Cow::Owned(full_request(store))),
        V::FullRequestLength => Some(Store::number(full_request(store).len())),
        V::Time
        | V::TimeDay
        | V::TimeEpoch
        | V::TimeHour
        | V::TimeMin
        | V::TimeMon
        | V::TimeSec
        | V::TimeWday
        | V::TimeYear => Some(Store::number(time_part(name))),
        V::ModsecBuild => borrowed(b"030014"),
        _ => None,
    }
}

fn borrowed(v: &[u8]) -> Option<Cow<'_, [u8]>> {
    Some(Cow::Borrowed(v))
}

/// `FULL_REQUEST`: request line, headers and body as ModSecurity rebuilds them.
fn full_request(store: &Store<'_>) -> Vec<u8> {
    let mut out = store.request_line.clone();
    out.push(b'\n');
    for (k, v) in &store.request_headers {
        out.extend_from_slice(k);
        out.extend_from_slice(b": ");
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out.push(b'\n');
    if let Some(body) = &store.request_body {
        out.extend_from_slice(body);
    }
    out
}

/// The `TIME_*` variables, in UTC.
fn time_part(name: VariableName) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (hour, min, sec) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let wday = (days + 4).rem_euclid(7);
    match name {
        VariableName::TimeEpoch => secs.to_string(),
        VariableName::TimeYear => year.to_string(),
        VariableName::TimeMon => format!("{:02}", month),
        VariableName::TimeDay => format!("{:02}", day),
        VariableName::TimeHour => format!("{hour:02}"),
        VariableName::TimeMin => format!("{min:02}"),
        VariableName::TimeSec => format!("{sec:02}"),
        VariableName::TimeWday => wday.to_string(),
        _ => format!("{hour:02}:{min:02}:{sec:02}"),
    }
}
