//! The bodies of the fuzz targets in the repository's `fuzz/` crate, as plain functions so that
//! stable tests can run them over the seed corpus (`fuzz/corpus/<target>/`) and mutations of
//! it. Each one runs a processor in several configurations and checks invariants that hold for
//! any input; a broken invariant panics, which the fuzzer reports like a crash.

use super::{cookies, json, multipart, process, urlencoded, xml, BodyConfig, BodyProcessor};

/// `body_multipart`: the first line of the input is the `Content-Type`, the rest the body.
pub fn multipart(data: &[u8]) {
    let (content_type, body) = split_first_line(data);
    for options in [
        multipart::MultipartOptions::default(),
        multipart::MultipartOptions { file_limit: 1, extract_files: true, allow_partial: true },
    ] {
        let parsed = multipart::parse(content_type, body, &options);
        let flags = parsed.flags;
        assert!(!flags.crlf_lf_lines || flags.lf_line, "CRLF/LF mix without LF");
        assert!(flags.unmatched_boundary <= 2);
        let any = flags.boundary_quoted
            || flags.boundary_whitespace
            || flags.data_before
            || flags.data_after
            || flags.header_folding
            || flags.lf_line
            || flags.missing_semicolon
            || flags.invalid_quoting
            || flags.invalid_part
            || flags.invalid_header_folding
            || flags.file_limit_exceeded;
        assert!(!any || flags.strict_error, "a flag without MULTIPART_STRICT_ERROR: {flags:?}");
        if parsed.boundary.is_none() {
            assert!(parsed.args.is_empty() && parsed.files.is_empty());
        }
        for file in &parsed.files {
            let content = file.content.as_ref().map_or(0, Vec::len) as u64;
            assert!(content <= file.size, "content longer than the file size");
            assert!(!file.name.is_empty() && !file.filename.is_empty());
        }
        assert!(parsed.args.iter().all(|a| !a.name.is_empty()));
        assert!(parsed.part_headers.iter().all(|h| !h.line.ends_with(b"\n")));
    }
    let outcome = process(Some(BodyProcessor::Multipart), Some(content_type), body, &BodyConfig::default());
    assert!(outcome.status.flag().is_some());
}

/// `body_json`: the whole input is the body.
pub fn json(data: &[u8]) {
    for limits in [json::JsonLimits::default(), json::JsonLimits { depth: 3, args: Some(5) }] {
        let parsed = json::parse(data, &limits);
        assert!(parsed.args.iter().all(|a| a.name.starts_with(b"json")), "argument outside json.*");
        if let Some(max) = limits.args {
            assert!(parsed.args.len() <= max);
        }
        if let Some(error) = &parsed.error {
            assert!(!error.is_empty());
        }
    }
    let outcome = process(Some(BodyProcessor::Json), None, data, &BodyConfig::default());
    assert!(!outcome.args_post);
}

/// `body_xml`: the whole input is the body.
pub fn xml(data: &[u8]) {
    let doc = xml::parse(data);
    if doc.root_text.is_none() {
        assert!(doc.attributes.is_empty(), "attributes without a root element");
        assert!(doc.error.is_some(), "no root element but no error");
    }
    let budget = data.len().saturating_mul(10).max(1 << 20);
    assert!(doc.root_text.as_ref().map_or(0, Vec::len) <= budget + data.len());
    assert_eq!(doc.select("/*").map(|v| v.len()), Some(usize::from(doc.root_text.is_some())));
}

/// `body_urlencoded`: the whole input is a query string, a form body and a `Cookie` header.
pub fn urlencoded(data: &[u8]) {
    for separator in [b'&', b';'] {
        let pieces = urlencoded::getline_split(data, separator).count();
        let all = urlencoded::parse(data, separator, None);
        assert_eq!(all.args.len(), pieces);
        let limited = urlencoded::parse(data, separator, Some(3));
        assert_eq!(limited.args.len() + limited.skipped, pieces);
        assert_eq!(limited.invalid_encoding, all.invalid_encoding);
        let decoded: usize = all.args.iter().map(|a| a.name.len() + a.value.len()).sum();
        assert!(decoded <= data.len(), "decoding grew the input");
    }
    for cookie in cookies::parse(data) {
        assert!(!cookie.name.is_empty());
        assert!(!super::is_c_space(cookie.name[0]));
    }
}

fn split_first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(nl) => (&data[..nl], &data[nl + 1..]),
        None => (data, &[]),
    }
}
