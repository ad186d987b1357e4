//! The ModSecurity v3 variable names: collections (keyed) and scalars.

use std::fmt;

/// How the keys of a collection are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatching {
    /// The variable holds one value and takes no key (`REQUEST_URI`).
    Scalar,
    /// Keys compare ASCII case-insensitively (`ARGS`, `REQUEST_HEADERS`, `TX`, ...): libmodsecurity
    /// stores these in case-insensitive maps, so exact keys are kept lower case.
    CaseInsensitive,
    /// Keys compare exactly (`ENV`: environment variable names).
    CaseSensitive,
    /// The selector is an XPath expression (`XML:/*`), kept as written.
    XPath,
}

macro_rules! variable_names {
    ($($variant:ident => $name:literal, $matching:ident;)*) => {
        /// A ModSecurity v3 variable (collection or scalar), as named in `SecRule` targets.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum VariableName {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl VariableName {
            /// Every variable, in alphabetical order of its name.
            pub const ALL: &'static [VariableName] = &[$(VariableName::$variant),*];

            /// The canonical (upper-case) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(VariableName::$variant => $name,)*
                }
            }

            /// How keys of this variable are compared; [`KeyMatching::Scalar`] when it takes none.
            pub fn key_matching(self) -> KeyMatching {
                match self {
                    $(VariableName::$variant => KeyMatching::$matching,)*
                }
            }
        }
    };
}

variable_names! {
    Args => "ARGS", CaseInsensitive;
    ArgsCombinedSize => "ARGS_COMBINED_SIZE", Scalar;
    ArgsGet => "ARGS_GET", CaseInsensitive;
    ArgsGetNames => "ARGS_GET_NAMES", CaseInsensitive;
    ArgsNames => "ARGS_NAMES", CaseInsensitive;
    ArgsPost => "ARGS_POST", CaseInsensitive;
    ArgsPostNames => "ARGS_POST_NAMES", CaseInsensitive;
    AuthType => "AUTH_TYPE", Scalar;
    Duration => "DURATION", Scalar;
    Env => "ENV", CaseSensitive;
    Files => "FILES", CaseInsensitive;
    FilesCombinedSize => "FILES_COMBINED_SIZE", Scalar;
    FilesNames => "FILES_NAMES", CaseInsensitive;
    FilesSizes => "FILES_SIZES", CaseInsensitive;
    FilesTmpContent => "FILES_TMP_CONTENT", CaseInsensitive;
    FilesTmpNames => "FILES_TMPNAMES", CaseInsensitive;
    FullRequest => "FULL_REQUEST", Scalar;
    FullRequestLength => "FULL_REQUEST_LENGTH", Scalar;
    Geo => "GEO", CaseInsensitive;
    Global => "GLOBAL", CaseInsensitive;
    HighestSeverity => "HIGHEST_SEVERITY", Scalar;
    InboundDataError => "INBOUND_DATA_ERROR", Scalar;
    Ip => "IP", CaseInsensitive;
    MatchedVar => "MATCHED_VAR", Scalar;
    MatchedVarName => "MATCHED_VAR_NAME", Scalar;
    MatchedVars => "MATCHED_VARS", CaseInsensitive;
    MatchedVarsNames => "MATCHED_VARS_NAMES", CaseInsensitive;
    ModsecBuild => "MODSEC_BUILD", Scalar;
    MscPcreError => "MSC_PCRE_ERROR", Scalar;
    MscPcreLimitsExceeded => "MSC_PCRE_LIMITS_EXCEEDED", Scalar;
    MultipartBoundaryQuoted => "MULTIPART_BOUNDARY_QUOTED", Scalar;
    MultipartBoundaryWhitespace => "MULTIPART_BOUNDARY_WHITESPACE", Scalar;
    MultipartCrlfLfLines => "MULTIPART_CRLF_LF_LINES", Scalar;
    MultipartDataAfter => "MULTIPART_DATA_AFTER", Scalar;
    MultipartDataBefore => "MULTIPART_DATA_BEFORE", Scalar;
    MultipartFileLimitExceeded => "MULTIPART_FILE_LIMIT_EXCEEDED", Scalar;
    MultipartFilename => "MULTIPART_FILENAME", CaseInsensitive;
    MultipartHeaderFolding => "MULTIPART_HEADER_FOLDING", Scalar;
    MultipartInvalidHeaderFolding => "MULTIPART_INVALID_HEADER_FOLDING", Scalar;
    MultipartInvalidPart => "MULTIPART_INVALID_PART", Scalar;
    MultipartInvalidQuoting => "MULTIPART_INVALID_QUOTING", Scalar;
    MultipartLfLine => "MULTIPART_LF_LINE", Scalar;
    MultipartMissingSemicolon => "MULTIPART_MISSING_SEMICOLON", Scalar;
    MultipartName => "MULTIPART_NAME", CaseInsensitive;
    MultipartPartHeaders => "MULTIPART_PART_HEADERS", CaseInsensitive;
    MultipartSemicolonMissing => "MULTIPART_SEMICOLON_MISSING", Scalar;
    MultipartStrictError => "MULTIPART_STRICT_ERROR", Scalar;
    MultipartUnmatchedBoundary => "MULTIPART_UNMATCHED_BOUNDARY", Scalar;
    OutboundDataError => "OUTBOUND_DATA_ERROR", Scalar;
    PathInfo => "PATH_INFO", Scalar;
    QueryString => "QUERY_STRING", Scalar;
    RemoteAddr => "REMOTE_ADDR", Scalar;
    RemoteHost => "REMOTE_HOST", Scalar;
    RemotePort => "REMOTE_PORT", Scalar;
    RemoteUser => "REMOTE_USER", Scalar;
    ReqbodyError => "REQBODY_ERROR", Scalar;
    ReqbodyErrorMsg => "REQBODY_ERROR_MSG", Scalar;
    ReqbodyProcessor => "REQBODY_PROCESSOR", Scalar;
    ReqbodyProcessorError => "REQBODY_PROCESSOR_ERROR", Scalar;
    ReqbodyProcessorErrorMsg => "REQBODY_PROCESSOR_ERROR_MSG", Scalar;
    RequestBasename => "REQUEST_BASENAME", Scalar;
    RequestBody => "REQUEST_BODY", Scalar;
    RequestBodyLength => "REQUEST_BODY_LENGTH", Scalar;
    RequestCookies => "REQUEST_COOKIES", CaseInsensitive;
    RequestCookiesNames => "REQUEST_COOKIES_NAMES", CaseInsensitive;
    RequestFilename => "REQUEST_FILENAME", Scalar;
    RequestHeaders => "REQUEST_HEADERS", CaseInsensitive;
    RequestHeadersNames => "REQUEST_HEADERS_NAMES", CaseInsensitive;
    RequestLine => "REQUEST_LINE", Scalar;
    RequestMethod => "REQUEST_METHOD", Scalar;
    RequestProtocol => "REQUEST_PROTOCOL", Scalar;
    RequestUri => "REQUEST_URI", Scalar;
    RequestUriRaw => "REQUEST_URI_RAW", Scalar;
    Resource => "RESOURCE", CaseInsensitive;
    ResponseBody => "RESPONSE_BODY", Scalar;
    ResponseContentLength => "RESPONSE_CONTENT_LENGTH", Scalar;
    ResponseContentType => "RESPONSE_CONTENT_TYPE", Scalar;
    ResponseHeaders => "RESPONSE_HEADERS", CaseInsensitive;
    ResponseHeadersNames => "RESPONSE_HEADERS_NAMES", CaseInsensitive;
    ResponseProtocol => "RESPONSE_PROTOCOL", Scalar;
    ResponseStatus => "RESPONSE_STATUS", Scalar;
    Rule => "RULE", CaseInsensitive;
    ServerAddr => "SERVER_ADDR", Scalar;
    ServerName => "SERVER_NAME", Scalar;
    ServerPort => "SERVER_PORT", Scalar;
    Session => "SESSION", CaseInsensitive;
    SessionId => "SESSIONID", Scalar;
    Status => "STATUS", Scalar;
    StatusLine => "STATUS_LINE", Scalar;
    Time => "TIME", Scalar;
    TimeDay => "TIME_DAY", Scalar;
    TimeEpoch => "TIME_EPOCH", Scalar;
    TimeHour => "TIME_HOUR", Scalar;
    TimeMin => "TIME_MIN", Scalar;
    TimeMon => "TIME_MON", Scalar;
    TimeSec => "TIME_SEC", Scalar;
    TimeWday => "TIME_WDAY", Scalar;
    TimeYear => "TIME_YEAR", Scalar;
    Tx => "TX", CaseInsensitive;
    UniqueId => "UNIQUE_ID", Scalar;
    UrlencodedError => "URLENCODED_ERROR", Scalar;
    User => "USER", CaseInsensitive;
    UserId => "USERID", Scalar;
    WebAppId => "WEBAPPID", Scalar;
    Xml => "XML", XPath;
}

impl VariableName {
    /// Looks a name up ASCII case-insensitively (`args` is [`VariableName::Args`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(name))
    }

    /// True when the variable is a collection that takes a `:key` selector.
    pub fn is_collection(self) -> bool {
        self.key_matching() != KeyMatching::Scalar
    }

    /// The known name closest to `name` (for "did you mean" hints), if any is close enough.
    pub fn closest(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        let best = Self::ALL.iter().map(|v| (edit_distance(&upper, v.as_str()), *v)).min_by_key(|(d, _)| *d)?;
        (best.0 <= 1.max(upper.len() / 4)).then_some(best.1)
    }
}

impl fmt::Display for VariableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Levenshtein distance over bytes; names are short ASCII.
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb { diagonal } else { 1 + diagonal.min(above).min(row[j]) };
            diagonal = above;
        }
    }
    row[b.len()]
}
