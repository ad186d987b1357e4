//! Multipart tests: the table in `testdata/multipart.json`, then cases too long for a table.

use super::*;
use serde_json::Value;

fn text(v: &Value) -> Vec<u8> {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).as_bytes().to_vec()
}

fn list(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn options(case: &Value) -> MultipartOptions {
    let mut opts = MultipartOptions::default();
    if let Some(o) = case.get("options") {
        if let Some(v) = o.get("extract_files") {
            opts.extract_files = v.as_bool().unwrap();
        }
        if let Some(v) = o.get("file_limit") {
            opts.file_limit = v.as_u64().unwrap() as usize;
        }
        if let Some(v) = o.get("allow_partial") {
            opts.allow_partial = v.as_bool().unwrap();
        }
    }
    opts
}

fn expected_flags(case: &Value) -> Vec<(&'static str, u8)> {
    let set = case.get("flags").cloned().unwrap_or(Value::Null);
    let mut flags = MultipartFlags::default().variables().to_vec();
    for (name, value) in &mut flags {
        let key = name.trim_start_matches("MULTIPART_").to_ascii_lowercase();
        if let Some(v) = set.get(&key) {
            *value = v.as_u64().unwrap() as u8;
        }
    }
    if let Some(v) = set.get("file_limit_exceeded") {
        flags.push(("file_limit_exceeded", v.as_u64().unwrap() as u8));
    } else {
        flags.push(("file_limit_exceeded", 0));
    }
    flags
}

#[test]
fn multipart_vectors() {
    let cases: Vec<Value> = serde_json::from_str(include_str!("../testdata/multipart.json")).unwrap();
    assert!(cases.len() >= 30);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let got = parse(&text(&case["content_type"]), &text(&case["body"]), &options(case));

        let args: Vec<Arg> = list(case.get("args")).iter().map(|a| Arg::new(text(&a[0]), text(&a[1]))).collect();
        assert_eq!(got.args, args, "{name}: args");

        let files: Vec<FilePart> = list(case.get("files"))
            .iter()
            .map(|f| FilePart {
                name: text(&f["name"]),
                filename: text(&f["filename"]),
                size: f["size"].as_u64().unwrap(),
                content_type: (!f["content_type"].is_null()).then(|| text(&f["content_type"])),
                content: (!f["content"].is_null()).then(|| text(&f["content"])),
            })
            .collect();
        assert_eq!(got.files, files, "{name}: files");

        let headers: Vec<PartHeader> = list(case.get("part_headers"))
            .iter()
            .map(|h| PartHeader { part: text(&h[0]), line: text(&h[1]) })
            .collect();
        assert_eq!(got.part_headers, headers, "{name}: part headers");

        if let Some(names) = case.get("names") {
            let names: Vec<Vec<u8>> = list(Some(names)).iter().map(text).collect();
            assert_eq!(got.names, names, "{name}: MULTIPART_NAME");
        }
        if let Some(filenames) = case.get("filenames") {
            let filenames: Vec<Vec<u8>> = list(Some(filenames)).iter().map(text).collect();
            assert_eq!(got.filenames, filenames, "{name}: MULTIPART_FILENAME");
        }

        let mut flags = got.flags.variables().to_vec();
        flags.push(("file_limit_exceeded", u8::from(got.flags.file_limit_exceeded)));
        assert_eq!(flags, expected_flags(case), "{name}: flags");

        let error = case.get("error").and_then(Value::as_str).map(str::to_owned);
        assert_eq!(got.error, error, "{name}: error");
    }
}

const CT: &[u8] = b"multipart/form-data; boundary=b";

fn field_body(value: &[u8]) -> Vec<u8> {
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n".to_vec();
    body.extend_from_slice(value);
    body.extend_from_slice(b"\r\n--b--\r\n");
    body
}

#[test]
fn header_line_over_buffer_is_fatal() {
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"".to_vec();
    body.extend(std::iter::repeat_n(b'x', BUF_SIZE));
    body.extend_from_slice(b"\"\r\n\r\nv\r\n--b--\r\n");
    let got = parse(CT, &body, &MultipartOptions::default());
    // The fatal error is then overwritten by the missing final boundary, as in v3.
    assert_eq!(got.error.as_deref(), Some("Multipart: Final boundary missing."));
    assert!(got.flags.strict_error);
    assert!(got.args.is_empty());
}

#[test]
fn long_data_lines_are_split_but_kept() {
    let value = vec![b'v'; 3 * BUF_SIZE + 17];
    let got = parse(CT, &field_body(&value), &MultipartOptions::default());
    assert_eq!(got.args, vec![Arg::new("a", value)]);
    assert_eq!(got.error, None);
}

#[test]
fn boundary_after_split_line_is_not_seen() {
    // A line exactly filling the buffer: the boundary text that follows on the same line is
    // in a buffer that does not start a line, so it is data.
    let mut value = vec![b'v'; BUF_SIZE];
    value.extend_from_slice(b"--b--");
    let got = parse(CT, &field_body(&value), &MultipartOptions::default());
    assert_eq!(got.args, vec![Arg::new("a", value)]);
    assert_eq!(got.flags.unmatched_boundary, 2);
}

#[test]
fn carriage_return_at_buffer_edge_waits_for_its_line_feed() {
    // The value line is 4095 bytes then CRLF: the CR would be the buffer's last byte.
    let value = vec![b'v'; BUF_SIZE - 1];
    let got = parse(CT, &field_body(&value), &MultipartOptions::default());
    assert_eq!(got.args, vec![Arg::new("a", value)]);
    assert!(!got.flags.strict_error);

    // File sizes count the line break that was carried over to the next buffer.
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'z', BUF_SIZE - 1));
    body.extend_from_slice(b"\r\nend\r\n--b--\r\n");
    let got = parse(CT, &body, &MultipartOptions::default());
    assert_eq!(got.files.len(), 1);
    assert_eq!(got.files[0].size, (BUF_SIZE - 1 + 2 + 3) as u64);
}

#[test]
fn binary_file_content_and_nul_bytes() {
    let mut body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"bin\"\r\n\r\n".to_vec();
    let payload: Vec<u8> = (0..=255u8).collect();
    body.extend_from_slice(&payload);
    body.extend_from_slice(b"\r\n--b--\r\n");
    let opts = MultipartOptions { extract_files: true, ..MultipartOptions::default() };
    let got = parse(CT, &body, &opts);
    assert_eq!(got.files.len(), 1);
    assert_eq!(got.files[0].size, 256);
    // The content lacks the one line break inside the payload (byte 10 ends a line).
    let mut expected = payload.clone();
    expected.remove(10);
    assert_eq!(got.files[0].content.as_deref(), Some(&expected[..]));
    assert_eq!(got.combined_size(), Some(256));
}

#[test]
fn combined_size_sums_files() {
    let body = b"--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"1\"\r\n\r\nabc\r\n\
--b\r\nContent-Disposition: form-data; name=\"g\"; filename=\"2\"\r\n\r\nde\r\n--b--\r\n";
    let got = parse(CT, body, &MultipartOptions::default());
    assert_eq!(got.files.iter().map(|f| f.size).collect::<Vec<_>>(), vec![3, 2]);
    assert_eq!(got.combined_size(), Some(5));
    assert_eq!(parse(CT, &field_body(b"x"), &MultipartOptions::default()).combined_size(), None);
}
