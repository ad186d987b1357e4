//! Engine settings directives (`SecRuleEngine`, body access and limits, audit log, ...),
//! collected into the typed [`Settings`].
//!
//! Every field is `None` (or empty) until its directive appears; the engine applies
//! ModSecurity's defaults for the rest. A later directive overrides an earlier one, except
//! `SecResponseBodyMimeType` and `SecComponentSignature`, which accumulate.
//!
//! Directives that only configure logging or storage (`SecAuditLog`, `SecDebugLog`,
//! `SecTmpDir`, ...) are checked and recorded but have no effect on rule evaluation.

use std::path::{Path, PathBuf};

use crate::actions::{parse_on_off, valid_parts, AuditEngine, RuleEngine};

use super::error::{ErrorKind, SeclangError};
use super::lexer::{Arg, Args};

/// What to do with a body larger than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimitAction {
    /// Refuse the request (413) or response.
    Reject,
    /// Inspect the part within the limit and let the rest through.
    ProcessPartial,
}

/// `SecAuditLogType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditLogType {
    /// One file.
    Serial,
    /// One file per transaction (`Concurrent` or `Parallel`).
    Concurrent,
    /// Sent to an HTTPS endpoint.
    Https,
}

/// `SecAuditLogFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditLogFormat {
    /// JSON records.
    Json,
    /// The native multipart format.
    Native,
}

/// `SecUnicodeMapFile PATH CODEPAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnicodeMap {
    /// The mapping file, resolved against the configuration file's directory.
    pub path: PathBuf,
    /// The code page to use from it (e.g. 20127).
    pub code_page: u32,
}

/// Audit log directives (recorded; the engine's logging decides what to do with them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSettings {
    /// `SecAuditEngine`
    pub engine: Option<AuditEngine>,
    /// `SecAuditLog`
    pub log: Option<String>,
    /// `SecAuditLog2`
    pub log2: Option<String>,
    /// `SecAuditLogParts`
    pub parts: Option<String>,
    /// `SecAuditLogType`
    pub log_type: Option<AuditLogType>,
    /// `SecAuditLogFormat`
    pub format: Option<AuditLogFormat>,
    /// `SecAuditLogRelevantStatus` (a regex over the status code, kept as written).
    pub relevant_status: Option<String>,
    /// `SecAuditLogStorageDir`
    pub storage_dir: Option<String>,
    /// `SecAuditLogDirMode` (octal)
    pub dir_mode: Option<u32>,
    /// `SecAuditLogFileMode` (octal)
    pub file_mode: Option<u32>,
}

/// Engine settings collected from the directives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `SecRuleEngine`
    pub rule_engine: Option<RuleEngine>,
    /// `SecRequestBodyAccess`
    pub request_body_access: Option<bool>,
    /// `SecResponseBodyAccess`
    pub response_body_access: Option<bool>,
    /// `SecRequestBodyLimit` (bytes)
    pub request_body_limit: Option<u64>,
    /// `SecRequestBodyNoFilesLimit` (bytes)
    pub request_body_no_files_limit: Option<u64>,
    /// `SecRequestBodyInMemoryLimit` (bytes)
    pub request_body_in_memory_limit: Option<u64>,
    /// `SecRequestBodyLimitAction`
    pub request_body_limit_action: Option<BodyLimitAction>,
    /// `SecRequestBodyJsonDepthLimit`
    pub request_body_json_depth_limit: Option<u64>,
    /// `SecResponseBodyLimit` (bytes)
    pub response_body_limit: Option<u64>,
    /// `SecResponseBodyLimitAction`
    pub response_body_limit_action: Option<BodyLimitAction>,
    /// `SecResponseBodyMimeType` (accumulated; `SecResponseBodyMimeTypesClear` empties it).
    pub response_body_mime_types: Option<Vec<String>>,
    /// `SecArgumentsLimit`
    pub arguments_limit: Option<u64>,
    /// `SecArgumentSeparator`
    pub argument_separator: Option<char>,
    /// `SecCookieFormat` (0 or 1)
    pub cookie_format: Option<u8>,
    /// `SecCookieV0Separator`
    pub cookie_v0_separator: Option<char>,
    /// `SecPcreMatchLimit`
    pub pcre_match_limit: Option<u64>,
    /// `SecPcreMatchLimitRecursion`
    pub pcre_match_limit_recursion: Option<u64>,
    /// `SecCollectionTimeout` (seconds)
    pub collection_timeout: Option<u64>,
    /// `SecComponentSignature` (accumulated)
    pub component_signatures: Vec<String>,
    /// `SecServerSignature`
    pub server_signature: Option<String>,
    /// `SecWebAppId`
    pub web_app_id: Option<String>,
    /// `SecUnicodeMapFile`
    pub unicode_map: Option<UnicodeMap>,
    /// `SecStatusEngine`
    pub status_engine: Option<bool>,
    /// `SecXmlExternalEntity`
    pub xml_external_entity: Option<bool>,
    /// `SecTmpDir`
    pub tmp_dir: Option<String>,
    /// `SecDataDir`
    pub data_dir: Option<String>,
    /// `SecUploadDir`
    pub upload_dir: Option<String>,
    /// `SecUploadKeepFiles`
    pub upload_keep_files: Option<bool>,
    /// `SecUploadFileMode` (octal)
    pub upload_file_mode: Option<u32>,
    /// `SecUploadFileLimit`
    pub upload_file_limit: Option<u64>,
    /// `SecTmpSaveUploadedFiles`
    pub tmp_save_uploaded_files: Option<bool>,
    /// `SecDebugLog`
    pub debug_log: Option<String>,
    /// `SecDebugLogLevel` (0-9)
    pub debug_log_level: Option<u8>,
    /// `SecGeoLookupDb`
    pub geo_lookup_db: Option<String>,
    /// Audit log directives.
    pub audit: AuditSettings,
}

/// The settings directives, canonical spelling (for the unknown-directive message).
pub(crate) const SETTING_DIRECTIVES: &[&str] = &[
    "SecArgumentSeparator",
    "SecArgumentsLimit",
    "SecAuditEngine",
    "SecAuditLog",
    "SecAuditLog2",
    "SecAuditLogDirMode",
    "SecAuditLogFileMode",
    "SecAuditLogFormat",
    "SecAuditLogParts",
    "SecAuditLogRelevantStatus",
    "SecAuditLogStorageDir",
    "SecAuditLogType",
    "SecCollectionTimeout",
    "SecComponentSignature",
    "SecCookieFormat",
    "SecCookieV0Separator",
    "SecDataDir",
    "SecDebugLog",
    "SecDebugLogLevel",
    "SecGeoLookupDb",
    "SecPcreMatchLimit",
    "SecPcreMatchLimitRecursion",
    "SecRequestBodyAccess",
    "SecRequestBodyInMemoryLimit",
    "SecRequestBodyJsonDepthLimit",
    "SecRequestBodyLimit",
    "SecRequestBodyLimitAction",
    "SecRequestBodyNoFilesLimit",
    "SecResponseBodyAccess",
    "SecResponseBodyLimit",
    "SecResponseBodyLimitAction",
    "SecResponseBodyMimeType",
    "SecResponseBodyMimeTypesClear",
    "SecRuleEngine",
    "SecServerSignature",
    "SecStatusEngine",
    "SecTmpDir",
    "SecTmpSaveUploadedFiles",
    "SecUnicodeMapFile",
    "SecUploadDir",
    "SecUploadFileLimit",
    "SecUploadFileMode",
    "SecUploadKeepFiles",
    "SecWebAppId",
    "SecXmlExternalEntity",
];

/// Reads the arguments of one settings directive.
struct Reader<'a, 'b> {
    args: &'b mut Args<'a>,
    name: &'static str,
    usage: &'static str,
    /// Offset of the directive name, for "missing argument" errors.
    at: usize,
}

impl<'a> Reader<'a, '_> {
    fn missing(&self, what: &'static str) -> SeclangError {
        let kind = ErrorKind::MissingArgument { directive: self.name, what, usage: self.usage };
        SeclangError::new(self.args.location(self.at), kind)
    }

    fn invalid(&self, arg: &Arg<'_>, expected: &'static str) -> SeclangError {
        let kind = ErrorKind::InvalidValue { directive: self.name, value: arg.text.to_owned(), expected };
        SeclangError::new(self.args.at(arg, 0), kind)
    }

    /// The single argument of the directive.
    fn one(&mut self, what: &'static str) -> Result<Arg<'a>, SeclangError> {
        let arg = self.args.next_arg()?.ok_or_else(|| self.missing(what))?;
        self.args.finish(self.name, self.usage)?;
        Ok(arg)
    }

    fn string(&mut self, what: &'static str) -> Result<Option<String>, SeclangError> {
        Ok(Some(self.one(what)?.text.to_owned()))
    }

    fn parsed<T>(
        &mut self,
        what: &'static str,
        expected: &'static str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, SeclangError> {
        let arg = self.one(what)?;
        f(arg.text).map(Some).ok_or_else(|| self.invalid(&arg, expected))
    }

    fn number(&mut self) -> Result<Option<u64>, SeclangError> {
        self.parsed("number", "a non-negative integer", |t| t.parse().ok())
    }

    fn octal(&mut self) -> Result<Option<u32>, SeclangError> {
        self.parsed("mode", "an octal file mode such as 0600", |t| u32::from_str_radix(t, 8).ok())
    }

    fn on_off(&mut self) -> Result<Option<bool>, SeclangError> {
        self.parsed("On or Off", "On or Off", parse_on_off)
    }

    fn single_char(&mut self) -> Result<Option<char>, SeclangError> {
        self.parsed("character", "a single character", |t| {
            let mut chars = t.chars();
            chars.next().filter(|_| chars.next().is_none())
        })
    }
}

/// Applies a settings directive (`lower` is its lower-cased name). Returns `false` when `lower`
/// is not a settings directive.
pub(crate) fn apply(
    lower: &str,
    args: &mut Args<'_>,
    at: usize,
    settings: &mut Settings,
    base_dir: &Path,
) -> Result<bool, SeclangError> {
    let Some(&name) = SETTING_DIRECTIVES.iter().find(|d| d.eq_ignore_ascii_case(lower)) else {
        return Ok(false);
    };
    let usage = usage(name);
    let mut r = Reader { args, name, usage, at };
    let limit_action = |t: &str| match t.to_ascii_lowercase().as_str() {
        "reject" => Some(BodyLimitAction::Reject),
        "processpartial" => Some(BodyLimitAction::ProcessPartial),
        _ => None,
    };
    let s = settings;
    match name {
        "SecRuleEngine" => s.rule_engine = r.parsed("mode", "On, Off or DetectionOnly", RuleEngine::parse)?,
        "SecRequestBodyAccess" => s.request_body_access = r.on_off()?,
        "SecResponseBodyAccess" => s.response_body_access = r.on_off()?,
        "SecRequestBodyLimit" => s.request_body_limit = r.number()?,
        "SecRequestBodyNoFilesLimit" => s.request_body_no_files_limit = r.number()?,
        "SecRequestBodyInMemoryLimit" => s.request_body_in_memory_limit = r.number()?,
        "SecRequestBodyJsonDepthLimit" => s.request_body_json_depth_limit = r.number()?,
        "SecRequestBodyLimitAction" => {
            s.request_body_limit_action = r.parsed("action", "Reject or ProcessPartial", limit_action)?;
        }
        "SecResponseBodyLimit" => s.response_body_limit = r.number()?,
        "SecResponseBodyLimitAction" => {
            s.response_body_limit_action = r.parsed("action", "Reject or ProcessPartial", limit_action)?;
        }
        "SecResponseBodyMimeType" => {
            let types = r.args.rest()?;
            if types.is_empty() {
                return Err(r.missing("MIME types"));
            }
            let list = s.response_body_mime_types.get_or_insert_with(Vec::new);
            for t in types {
                // A quoted argument may hold several types.
                list.extend(t.text.split_ascii_whitespace().map(str::to_ascii_lowercase));
            }
        }
        "SecResponseBodyMimeTypesClear" => {
            r.args.finish(name, usage)?;
            s.response_body_mime_types = Some(Vec::new());
        }
        "SecArgumentsLimit" => s.arguments_limit = r.number()?,
        "SecArgumentSeparator" => s.argument_separator = r.single_char()?,
        "SecCookieFormat" => {
            s.cookie_format =
                r.parsed("version", "0 or 1", |t| matches!(t, "0" | "1").then(|| t.parse().ok()).flatten())?;
        }
        "SecCookieV0Separator" => s.cookie_v0_separator = r.single_char()?,
        "SecPcreMatchLimit" => s.pcre_match_limit = r.number()?,
        "SecPcreMatchLimitRecursion" => s.pcre_match_limit_recursion = r.number()?,
        "SecCollectionTimeout" => s.collection_timeout = r.number()?,
        "SecComponentSignature" => s.component_signatures.push(r.one("signature")?.text.to_owned()),
        "SecServerSignature" => s.server_signature = r.string("signature")?,
        "SecWebAppId" => s.web_app_id = r.string("application id")?,
        "SecUnicodeMapFile" => {
            let path = r.args.next_arg()?.ok_or_else(|| r.missing("path"))?;
            let code_page = r.args.next_arg()?.ok_or_else(|| r.missing("code page"))?;
            r.args.finish(name, usage)?;
            let code_page = code_page.text.parse().map_err(|_| r.invalid(&code_page, "a numeric code page"))?;
            s.unicode_map = Some(UnicodeMap { path: base_dir.join(path.text), code_page });
        }
        "SecStatusEngine" => s.status_engine = r.on_off()?,
        "SecXmlExternalEntity" => s.xml_external_entity = r.on_off()?,
        "SecTmpDir" => s.tmp_dir = r.string("directory")?,
        "SecDataDir" => s.data_dir = r.string("directory")?,
        "SecUploadDir" => s.upload_dir = r.string("directory")?,
        "SecUploadKeepFiles" => {
            // libmodsecurity v3 rejects RelevantOnly ("not currently supported").
            s.upload_keep_files = r.parsed("On or Off", "On or Off (RelevantOnly is not supported)", parse_on_off)?;
        }
        "SecUploadFileMode" => s.upload_file_mode = r.octal()?,
        "SecUploadFileLimit" => s.upload_file_limit = r.number()?,
        "SecTmpSaveUploadedFiles" => s.tmp_save_uploaded_files = r.on_off()?,
        "SecDebugLog" => s.debug_log = r.string("path")?,
        "SecDebugLogLevel" => {
            s.debug_log_level = r.parsed("level", "a level from 0 to 9", |t| t.parse().ok().filter(|l| *l <= 9))?;
        }
        "SecGeoLookupDb" => s.geo_lookup_db = r.string("path")?,
        "SecAuditEngine" => {
            s.audit.engine = r.parsed("mode", "On, Off or RelevantOnly", AuditEngine::parse)?;
        }
        "SecAuditLog" => s.audit.log = r.string("path")?,
        "SecAuditLog2" => s.audit.log2 = r.string("path")?,
        "SecAuditLogParts" => {
            s.audit.parts =
                r.parsed("parts", "audit log part letters A-K and Z", |t| valid_parts(t).then(|| t.to_owned()))?;
        }
        "SecAuditLogType" => {
            let parse = |t: &str| match t.to_ascii_lowercase().as_str() {
                "serial" => Some(AuditLogType::Serial),
                "concurrent" | "parallel" => Some(AuditLogType::Concurrent),
                "https" => Some(AuditLogType::Https),
                _ => None,
            };
            s.audit.log_type = r.parsed("type", "Serial, Concurrent, Parallel or HTTPS", parse)?;
        }
        "SecAuditLogFormat" => {
            let parse = |t: &str| match t.to_ascii_lowercase().as_str() {
                "json" => Some(AuditLogFormat::Json),
                "native" => Some(AuditLogFormat::Native),
                _ => None,
            };
            s.audit.format = r.parsed("format", "JSON or Native", parse)?;
        }
        "SecAuditLogRelevantStatus" => s.audit.relevant_status = r.string("status regex")?,
        "SecAuditLogStorageDir" => s.audit.storage_dir = r.string("directory")?,
        "SecAuditLogDirMode" => s.audit.dir_mode = r.octal()?,
        "SecAuditLogFileMode" => s.audit.file_mode = r.octal()?,
        _ => return Ok(false),
    }
    Ok(true)
}

/// The syntax of a settings directive, for error messages.
fn usage(name: &str) -> &'static str {
    match name {
        "SecRuleEngine" => "SecRuleEngine On|Off|DetectionOnly",
        "SecRequestBodyAccess"
        | "SecResponseBodyAccess"
        | "SecStatusEngine"
        | "SecXmlExternalEntity"
        | "SecTmpSaveUploadedFiles"
        | "SecUploadKeepFiles" => "DIRECTIVE On|Off",
        "SecRequestBodyLimitAction" | "SecResponseBodyLimitAction" => "DIRECTIVE Reject|ProcessPartial",
        "SecResponseBodyMimeType" => "SecResponseBodyMimeType TYPE [TYPE ...]",
        "SecResponseBodyMimeTypesClear" => "SecResponseBodyMimeTypesClear",
        "SecUnicodeMapFile" => "SecUnicodeMapFile PATH CODEPAGE",
        "SecAuditEngine" => "SecAuditEngine On|Off|RelevantOnly",
        "SecAuditLogType" => "SecAuditLogType Serial|Concurrent|HTTPS",
        "SecAuditLogFormat" => "SecAuditLogFormat JSON|Native",
        "SecAuditLogParts" => "SecAuditLogParts PARTS",
        "SecArgumentSeparator" | "SecCookieV0Separator" => "DIRECTIVE CHARACTER",
        "SecComponentSignature" | "SecServerSignature" | "SecWebAppId" => "DIRECTIVE \"TEXT\"",
        "SecAuditLog"
        | "SecAuditLog2"
        | "SecDebugLog"
        | "SecTmpDir"
        | "SecDataDir"
        | "SecUploadDir"
        | "SecAuditLogStorageDir"
        | "SecGeoLookupDb" => "DIRECTIVE PATH",
        "SecAuditLogRelevantStatus" => "SecAuditLogRelevantStatus REGEX",
        "SecAuditLogDirMode" | "SecAuditLogFileMode" | "SecUploadFileMode" => "DIRECTIVE OCTAL_MODE",
        "SecCookieFormat" => "SecCookieFormat 0|1",
        "SecDebugLogLevel" => "SecDebugLogLevel 0-9",
        _ => "DIRECTIVE NUMBER",
    }
}
