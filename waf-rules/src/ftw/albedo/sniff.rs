//! Go's `http.DetectContentType` (the WHATWG MIME sniffing subset Go implements), which gives
//! albedo's responses their `Content-Type` when the spec names none.

/// How one signature matches the first 512 bytes.
enum Sig {
    /// Case-insensitive HTML tag followed by a space or `>`, after leading whitespace.
    Html(&'static [u8]),
    /// `data[i] & mask[i] == pattern[i]`, optionally after leading whitespace.
    Masked { mask: &'static [u8], pattern: &'static [u8], skip_ws: bool },
    /// Exact prefix.
    Exact(&'static [u8]),
    /// ISO base media file with an `mp4` brand.
    Mp4,
    /// No binary bytes: plain text.
    Text,
}

const HTML: &str = "text/html; charset=utf-8";
const FF4: &[u8] = b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF";

const SIGNATURES: &[(Sig, &str)] = &[
    (Sig::Html(b"<!DOCTYPE HTML"), HTML),
    (Sig::Html(b"<HTML"), HTML),
    (Sig::Html(b"<HEAD"), HTML),
    (Sig::Html(b"<SCRIPT"), HTML),
    (Sig::Html(b"<IFRAME"), HTML),
    (Sig::Html(b"<H1"), HTML),
    (Sig::Html(b"<DIV"), HTML),
    (Sig::Html(b"<FONT"), HTML),
    (Sig::Html(b"<TABLE"), HTML),
    (Sig::Html(b"<A"), HTML),
    (Sig::Html(b"<STYLE"), HTML),
    (Sig::Html(b"<TITLE"), HTML),
    (Sig::Html(b"<B"), HTML),
    (Sig::Html(b"<BODY"), HTML),
    (Sig::Html(b"<BR"), HTML),
    (Sig::Html(b"<P"), HTML),
    (Sig::Html(b"<!--"), HTML),
    (Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF", pattern: b"<?xml", skip_ws: true }, "text/xml; charset=utf-8"),
    (Sig::Exact(b"%PDF-"), "application/pdf"),
    (Sig::Exact(b"%!PS-Adobe-"), "application/postscript"),
    (
        Sig::Masked { mask: b"\xFF\xFF\x00\x00", pattern: b"\xFE\xFF\x00\x00", skip_ws: false },
        "text/plain; charset=utf-16be",
    ),
    (
        Sig::Masked { mask: b"\xFF\xFF\x00\x00", pattern: b"\xFF\xFE\x00\x00", skip_ws: false },
        "text/plain; charset=utf-16le",
    ),
    (
        Sig::Masked { mask: b"\xFF\xFF\xFF\x00", pattern: b"\xEF\xBB\xBF\x00", skip_ws: false },
        "text/plain; charset=utf-8",
    ),
    (Sig::Exact(b"\x00\x00\x01\x00"), "image/x-icon"),
    (Sig::Exact(b"\x00\x00\x02\x00"), "image/x-icon"),
    (Sig::Exact(b"BM"), "image/bmp"),
    (Sig::Exact(b"GIF87a"), "image/gif"),
    (Sig::Exact(b"GIF89a"), "image/gif"),
    (
        Sig::Masked {
            mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
            pattern: b"RIFF\x00\x00\x00\x00WEBPVP",
            skip_ws: false,
        },
        "image/webp",
    ),
    (Sig::Exact(b"\x89PNG\x0D\x0A\x1A\x0A"), "image/png"),
    (Sig::Exact(b"\xFF\xD8\xFF"), "image/jpeg"),
    (Sig::Masked { mask: FF4, pattern: b"FORM\x00\x00\x00\x00AIFF", skip_ws: false }, "audio/aiff"),
    (Sig::Masked { mask: b"\xFF\xFF\xFF", pattern: b"ID3", skip_ws: false }, "audio/mpeg"),
    (Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF", pattern: b"OggS\x00", skip_ws: false }, "application/ogg"),
    (
        Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", pattern: b"MThd\x00\x00\x00\x06", skip_ws: false },
        "audio/midi",
    ),
    (Sig::Masked { mask: FF4, pattern: b"RIFF\x00\x00\x00\x00AVI ", skip_ws: false }, "video/avi"),
    (Sig::Masked { mask: FF4, pattern: b"RIFF\x00\x00\x00\x00WAVE", skip_ws: false }, "audio/wave"),
    (Sig::Mp4, "video/mp4"),
    (Sig::Exact(b"\x1A\x45\xDF\xA3"), "video/webm"),
    (Sig::Exact(b"\x00\x01\x00\x00"), "font/ttf"),
    (Sig::Exact(b"OTTO"), "font/otf"),
    (Sig::Exact(b"ttcf"), "font/collection"),
    (Sig::Exact(b"wOFF"), "font/woff"),
    (Sig::Exact(b"wOF2"), "font/woff2"),
    (Sig::Exact(b"\x1F\x8B\x08"), "application/x-gzip"),
    (Sig::Exact(b"PK\x03\x04"), "application/zip"),
    (Sig::Exact(b"Rar!\x1A\x07\x00"), "application/x-rar-compressed"),
    (Sig::Exact(b"Rar!\x1A\x07\x01\x00"), "application/x-rar-compressed"),
    (Sig::Exact(b"\x00\x61\x73\x6D"), "application/wasm"),
    (Sig::Text, "text/plain; charset=utf-8"),
];

/// The content type Go's `http.DetectContentType` gives `data`.
pub fn detect_content_type(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(512)];
    let first = data.iter().position(|&b| !matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ')).unwrap_or(data.len());
    SIGNATURES.iter().find(|(sig, _)| matches(sig, data, first)).map_or("application/octet-stream", |(_, ct)| ct)
}

fn matches(sig: &Sig, data: &[u8], first: usize) -> bool {
    match sig {
        Sig::Html(tag) => {
            let data = &data[first..];
            data.len() > tag.len()
                && tag.iter().zip(data).all(|(&t, &d)| if t.is_ascii_uppercase() { d & 0xDF == t } else { d == t })
                && matches!(data[tag.len()], b' ' | b'>')
        }
        Sig::Masked { mask, pattern, skip_ws } => {
            let data = if *skip_ws { &data[first..] } else { data };
            data.len() >= pattern.len() && pattern.iter().zip(mask.iter()).zip(data).all(|((&p, &m), &d)| d & m == p)
        }
        Sig::Exact(prefix) => data.starts_with(prefix),
        Sig::Mp4 => is_mp4(data),
        Sig::Text => !data[first..]
            .iter()
            .any(|&b| b <= 0x08 || b == 0x0B || (0x0E..=0x1A).contains(&b) || (0x1C..=0x1F).contains(&b)),
    }
}

fn is_mp4(data: &[u8]) -> bool {
    if data.len() < 12 {
        return false;
    }
    let size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    if data.len() < size || size % 4 != 0 || &data[4..8] != b"ftyp" {
        return false;
    }
    (8..size).step_by(4).filter(|&st| st != 12).any(|st| data.get(st..st + 3) == Some(b"mp4"))
}
