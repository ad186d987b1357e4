//! Unit tests of the gate over an in-memory stream: valid requests pass byte-exact at every read
//! split, each violation poisons the head or fails the body.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::{rejected, Gate, GateConfig, Violation};

/// The poison hyper gets instead of a head rejected with 400.
const POISON_400: &[u8] = b"\x7f / HTTP/1.1\r\n\r\n";

/// A stream that hands out its input `chunk` bytes per read and records what is written.
#[derive(Debug)]
struct Trickle {
    input: Vec<u8>,
    pos: usize,
    chunk: usize,
    written: Vec<u8>,
}

impl Trickle {
    fn new(input: &[u8], chunk: usize) -> Self {
        Trickle { input: input.to_vec(), pos: 0, chunk, written: Vec::new() }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, out: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let n = this.chunk.min(this.input.len() - this.pos).min(out.remaining());
        out.put_slice(&this.input[this.pos..this.pos + n]);
        this.pos += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Trickle {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().written.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Reads the gate to EOF or error with reads of at most `read_size` bytes.
async fn drain<IO: AsyncRead + AsyncWrite + Unpin>(
    gate: &mut Gate<IO>,
    read_size: usize,
) -> (Vec<u8>, Option<io::Error>) {
    let mut out = Vec::new();
    let mut buf = vec![0; read_size];
    loop {
        match gate.read(&mut buf).await {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) => return (out, Some(e)),
        }
    }
}

async fn run(input: &[u8], chunk: usize, read_size: usize) -> (Vec<u8>, Option<io::Error>) {
    let mut gate = Gate::new(Trickle::new(input, chunk), Bytes::new(), GateConfig::default());
    drain(&mut gate, read_size).await
}

/// Splits for the stream and for the reader: one byte at a time up to one big read.
const SPLITS: [(usize, usize); 6] = [(1, 8192), (8192, 1), (1, 1), (3, 7), (7, 3), (8192, 8192)];

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const POST: &[u8] = b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
const CHUNKED: &[u8] = b"POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\
    5;a=b;c=\"x \\\"y\"\r\nhello\r\nA;z\r\n0123456789\r\n0\r\nX-T: 1\r\nX-U:\ttwo \r\n\r\n";

fn valid_inputs() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("get", GET.to_vec()),
        ("post content-length", POST.to_vec()),
        ("chunked with extensions and trailers", CHUNKED.to_vec()),
        (
            "chunked without trailers",
            b"PUT / HTTP/1.1\r\nHost: a\r\ntransfer-encoding:  Chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(),
        ),
        ("pipelined", [GET, POST, CHUNKED, GET, CHUNKED, POST].concat()),
        ("http/1.0 without host", b"GET / HTTP/1.0\r\n\r\n".to_vec()),
        ("leading empty lines", [b"\r\n\r\n".as_slice(), GET].concat()),
        ("content-length with ows", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \t3 \r\n\r\nabc".to_vec()),
        ("content-length zero", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ("obs-text and tabs in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: \tcaf\xc3\xa9\t\r\n\r\n".to_vec()),
        ("empty value", b"GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n".to_vec()),
    ]
}

#[tokio::test]
async fn valid_requests_pass_byte_exact_at_every_split() {
    for (name, input) in valid_inputs() {
        for (chunk, read_size) in SPLITS {
            let (out, err) = run(&input, chunk, read_size).await;
            assert!(err.is_none(), "{name} ({chunk}/{read_size}): {err:?}");
            assert_eq!(out, input, "{name} ({chunk}/{read_size})");
        }
    }
}

#[tokio::test]
async fn duplex_one_byte_per_write() {
    let input = [GET, CHUNKED, POST, b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\nx"].concat();
    let (mut client, server) = tokio::io::duplex(16);
    let writer = tokio::spawn(async move {
        for byte in input {
            client.write_all(&[byte]).await.unwrap();
            tokio::task::yield_now().await;
        }
        client.shutdown().await.unwrap();
    });
    let mut gate = Gate::new(server, Bytes::new(), GateConfig::default());
    let (out, err) = drain(&mut gate, 8192).await;
    writer.await.unwrap();
    assert!(err.is_none());
    assert_eq!(out, [GET, CHUNKED, POST, POISON_400].concat());
}

#[tokio::test]
async fn prefix_is_processed_first() {
    let mut gate = Gate::new(Trickle::new(&GET[10..], 4), Bytes::from_static(&GET[..10]), GateConfig::default());
    assert_eq!(drain(&mut gate, 8192).await.0, GET);

    let bad = b"GET / HTTP/1.1\nHost: a\r\n\r\n";
    let mut gate = Gate::new(Trickle::new(&bad[5..], 4), Bytes::from_static(&bad[..5]), GateConfig::default());
    assert_eq!(drain(&mut gate, 8192).await.0, POISON_400);
}

fn head_violations() -> Vec<(&'static str, &'static [u8], Violation)> {
    use Violation::*;
    vec![
        ("bare lf request line", b"GET / HTTP/1.1\nHost: a\r\n\r\n", BareLf),
        ("bare lf header", b"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", BareLf),
        ("bare lf terminator", b"GET / HTTP/1.1\r\nHost: a\r\n\n", BareLf),
        ("bare lf only", b"GET / HTTP/1.1\nHost: a\n\n", BareLf),
        ("bare cr request line", b"GET / HTTP/1.1\rHost: a\r\n\r\n", BareCr),
        ("bare cr in value", b"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", BareCr),
        ("bare cr terminator", b"GET / HTTP/1.1\r\nHost: a\r\n\rX", BareCr),
        ("nul in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", InvalidHeaderValue),
        (
            "vertical tab after chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n",
            InvalidHeaderValue,
        ),
        ("del in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: \x7f\r\n\r\n", InvalidHeaderValue),
        ("nul in target", b"GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", InvalidTarget),
        ("non-ascii target", b"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", InvalidTarget),
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", ObsFold),
        ("obs-fold tab", b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", ObsFold),
        (
            "space before colon",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n",
            WhitespaceBeforeColon,
        ),
        ("tab before colon", b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", WhitespaceBeforeColon),
        ("empty header name", b"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", EmptyHeaderName),
        ("invalid header name", b"GET / HTTP/1.1\r\nHost: a\r\nX(y: b\r\n\r\n", InvalidHeaderName),
        ("header without colon", b"GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", InvalidHeaderName),
        ("invalid method", b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidMethod),
        ("two spaces", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", InvalidRequestLine),
        ("trailing space", b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", InvalidRequestLine),
        ("no version", b"GET /\r\nHost: a\r\n\r\n", InvalidRequestLine),
        ("http/1.2", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", UnsupportedVersion),
        ("http/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", UnsupportedVersion),
        ("lowercase version", b"GET / http/1.1\r\nHost: a\r\n\r\n", UnsupportedVersion),
        (
            "cl then te",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            ContentLengthWithTransferEncoding,
        ),
        (
            "te then cl",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
            ContentLengthWithTransferEncoding,
        ),
        (
            "identical cl",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            DuplicateContentLength,
        ),
        (
            "different cl",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 6\r\n\r\nhello",
            DuplicateContentLength,
        ),
        ("cl list", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", DuplicateContentLength),
        ("cl plus", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", InvalidContentLength),
        ("cl minus", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", InvalidContentLength),
        ("cl empty", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", InvalidContentLength),
        ("cl hex", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", InvalidContentLength),
        ("cl inner space", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", InvalidContentLength),
        (
            "cl overflow",
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
            ContentLengthOverflow,
        ),
        (
            "two te",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            DuplicateTransferEncoding,
        ),
        (
            "te chunked chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            "te gzip chunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            "te xchunked",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        (
            "te identity",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
            UnsupportedTransferEncoding,
        ),
        ("te http/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", TransferEncodingHttp10),
        ("missing host", b"GET / HTTP/1.1\r\n\r\n", MissingHost),
        ("duplicate host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", DuplicateHost),
    ]
}

#[tokio::test]
async fn head_violations_poison_and_release_nothing() {
    for (name, input, violation) in head_violations() {
        for (chunk, read_size) in SPLITS {
            let before = rejected(violation);
            let (out, err) = run(input, chunk, read_size).await;
            assert!(err.is_none(), "{name}: {err:?}");
            assert_eq!(out, POISON_400, "{name} ({chunk}/{read_size})");
            assert!(rejected(violation) > before, "{name}: not counted as {violation:?}");
        }
    }
}

#[tokio::test]
async fn violation_after_valid_requests_releases_only_the_valid_ones() {
    for (name, input, _) in head_violations() {
        let stream = [GET, POST, CHUNKED, input, GET].concat();
        for (chunk, read_size) in SPLITS {
            let (out, _) = run(&stream, chunk, read_size).await;
            assert_eq!(out, [GET, POST, CHUNKED, POISON_400].concat(), "{name} ({chunk}/{read_size})");
        }
    }
}

#[tokio::test]
async fn oversized_head_poisons_with_too_many_headers() {
    let config = GateConfig { max_head_bytes: 1024 };
    let big = [b"GET / HTTP/1.1\r\nHost: a\r\nX: ".as_slice(), &[b'a'; 2000], b"\r\n\r\n"].concat();
    for input in [big.clone(), big[..1500].to_vec()] {
        let before = rejected(Violation::HeadTooLarge);
        let mut gate = Gate::new(Trickle::new(&input, 100), Bytes::new(), config.clone());
        let (out, err) = drain(&mut gate, 8192).await;
        assert!(err.is_none());
        assert!(out.starts_with(b"GET / HTTP/1.1\r\nx: x\r\nx: x\r\n"), "{:?}", &out[..40]);
        assert!(out.len() > 500 * 1024, "poison must outgrow hyper's default buffer");
        assert!(!out.windows(4).any(|w| w == b"\r\n\r\n"), "poison never completes");
        assert!(rejected(Violation::HeadTooLarge) > before);
    }
    // Exactly at the limit is fine.
    let exact = [b"GET / HTTP/1.1\r\nHost: a\r\nX: ".as_slice(), &[b'a'; 1024 - 32], b"\r\n\r\n"].concat();
    assert_eq!(exact.len(), 1024);
    let mut gate = Gate::new(Trickle::new(&exact, 100), Bytes::new(), config);
    assert_eq!(drain(&mut gate, 8192).await.0, exact);
}

fn body_violations() -> Vec<(&'static str, &'static [u8], Violation)> {
    use Violation::*;
    vec![
        ("size 0x5", b"0x5\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size leading space", b" 5\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size trailing space", b"5 \r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size trailing tab", b"5\t\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size minus", b"-5\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size plus", b"+5\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size empty", b"\r\nhello\r\n0\r\n\r\n", InvalidChunkSize),
        ("size 17 digits", b"00000000000000005\r\nhello\r\n0\r\n\r\n", ChunkSizeOverflow),
        ("size bare lf", b"5\nhello\r\n0\r\n\r\n", BareLf),
        ("size bare cr", b"5\rhello\r\n0\r\n\r\n", BareCr),
        ("ext bare lf", b"5;a\nhello\r\n0\r\n\r\n", BareLf),
        ("ext bare cr", b"5;a\rhello\r\n0\r\n\r\n", BareCr),
        ("ext space", b"5; a\r\nhello\r\n0\r\n\r\n", InvalidChunkExtension),
        ("ext empty name", b"5;=a\r\nhello\r\n0\r\n\r\n", InvalidChunkExtension),
        ("ext empty value", b"5;a=\r\nhello\r\n0\r\n\r\n", InvalidChunkExtension),
        ("ext lf in quoted", b"5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n", BareLf),
        ("ext unterminated quote", b"5;a=\"x\r\nhello\r\n0\r\n\r\n", InvalidChunkExtension),
        ("missing crlf after data", b"5\r\nhelloXX\r\n0\r\n\r\n", MissingChunkCrlf),
        ("lf only after data", b"5\r\nhello\n0\r\n\r\n", MissingChunkCrlf),
        ("data longer than size", b"3\r\nhello\r\n0\r\n\r\n", MissingChunkCrlf),
        ("trailer obs-fold", b"0\r\nX: a\r\n b\r\n\r\n", ObsFold),
        ("trailer bare lf", b"0\r\nX: a\n\r\n", BareLf),
        ("trailer bare lf terminator", b"0\r\nX: a\r\n\n", BareLf),
        ("trailer nul", b"0\r\nX: a\0\r\n\r\n", InvalidHeaderValue),
        ("trailer space before colon", b"0\r\nX : a\r\n\r\n", WhitespaceBeforeColon),
        ("last chunk bare lf", b"0\r\n\n", BareLf),
    ]
}

#[tokio::test]
async fn chunked_body_violations_fail_the_read() {
    let head = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (name, body, violation) in body_violations() {
        let input = [head.as_slice(), body, GET].concat();
        for (chunk, read_size) in SPLITS {
            let (out, err) = run(&input, chunk, read_size).await;
            let err = err.unwrap_or_else(|| panic!("{name} ({chunk}/{read_size}): no error, got {out:?}"));
            assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{name}");
            let got = err.get_ref().and_then(|e| e.downcast_ref::<Violation>());
            assert_eq!(got, Some(&violation), "{name} ({chunk}/{read_size})");
            assert!(out.len() < head.len() + body.len(), "{name}: the end of the body was released");
        }
    }
}

#[tokio::test]
async fn trailers_larger_than_the_limit_fail() {
    let config = GateConfig { max_head_bytes: 64 };
    let input = [
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ".as_slice(),
        &[b'a'; 100],
        b"\r\n\r\n",
    ]
    .concat();
    let mut gate = Gate::new(Trickle::new(&input, 8192), Bytes::new(), config);
    let err = drain(&mut gate, 8192).await.1.expect("error");
    assert_eq!(err.get_ref().and_then(|e| e.downcast_ref::<Violation>()), Some(&Violation::TrailersTooLarge));
}

#[tokio::test]
async fn eof_inside_a_head_releases_nothing() {
    let (out, err) = run(b"GET / HTTP/1.1\r\nHost: a\r\n", 4, 8192).await;
    assert!(err.is_none());
    assert!(out.is_empty());
}

#[tokio::test]
async fn upgrade_switches_to_passthrough_after_101() {
    let (mut client, server) = tokio::io::duplex(64 * 1024);
    let mut gate = Gate::new(server, Bytes::new(), GateConfig::default());
    let upgrade = b"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";
    client.write_all(upgrade).await.unwrap();
    client.write_all(b"\x81\x05hello not http\n\n").await.unwrap();

    let mut buf = vec![0; 8192];
    let n = gate.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], upgrade);
    assert!(gate.read(&mut buf).now_or_never().is_none(), "reads wait for the response");

    gate.write_all(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n").await.unwrap();
    assert!(gate.is_passthrough());
    let n = gate.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"\x81\x05hello not http\n\n");
}

#[tokio::test]
async fn declined_upgrade_returns_to_validation() {
    for response in [
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".as_slice(),
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 426 Upgrade Required\r\ntransfer-encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n",
    ] {
        let upgrade = b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n";
        let input = [upgrade.as_slice(), b"GET / HTTP/1.1\nHost: a\r\n\r\n"].concat();
        let mut gate = Gate::new(Trickle::new(&input, 8192), Bytes::new(), GateConfig::default());
        let mut buf = vec![0; 8192];
        let n = gate.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], upgrade);
        assert!(gate.read(&mut buf).now_or_never().is_none());
        // Written in two pieces to cross the tracker's head buffering.
        gate.write_all(&response[..7]).await.unwrap();
        gate.write_all(&response[7..]).await.unwrap();
        assert!(!gate.is_passthrough());
        assert_eq!(drain(&mut gate, 8192).await.0, POISON_400);
    }
}

#[tokio::test]
async fn responses_to_earlier_requests_are_skipped_in_order() {
    let upgrade = b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n";
    let input = [GET, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", POST, upgrade, b"raw bytes\n"].concat();
    let mut gate = Gate::new(Trickle::new(&input, 8192), Bytes::new(), GateConfig::default());
    let mut buf = vec![0; 8192];
    let mut got = Vec::new();
    while got.len() < input.len() - 10 {
        let n = gate.read(&mut buf).await.unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert!(gate.read(&mut buf).now_or_never().is_none());
    // The body of the first response looks like a 101; the HEAD response has a length but no body.
    gate.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 39\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n\r\n...")
        .await
        .unwrap();
    gate.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n").await.unwrap();
    gate.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").await.unwrap();
    assert!(!gate.is_passthrough());
    gate.write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n").await.unwrap();
    assert!(gate.is_passthrough());
    let n = gate.read(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], b"raw bytes\n");
}

#[tokio::test]
async fn connect_tunnels_after_2xx_only() {
    let connect = b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n";
    let input = [connect.as_slice(), b"\x16\x03\x01 tls\n bytes"].concat();
    let mut gate = Gate::new(Trickle::new(&input, 8192), Bytes::new(), GateConfig::default());
    let mut buf = vec![0; 8192];
    assert_eq!(gate.read(&mut buf).await.unwrap(), connect.len());
    gate.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.unwrap();
    assert_eq!(drain(&mut gate, 8192).await.0, b"\x16\x03\x01 tls\n bytes");

    let input = [connect.as_slice(), b"\x16\x03\x01 tls\n bytes"].concat();
    let mut gate = Gate::new(Trickle::new(&input, 8192), Bytes::new(), GateConfig::default());
    assert_eq!(gate.read(&mut buf).await.unwrap(), connect.len());
    gate.write_all(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n").await.unwrap();
    assert_eq!(drain(&mut gate, 8192).await.0, POISON_400);
}

#[test]
fn labels_are_unique_and_snake_case() {
    let mut labels: Vec<_> = Violation::ALL.iter().map(|v| v.as_str()).collect();
    assert!(labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())));
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), Violation::ALL.len());
    for (i, v) in Violation::ALL.iter().enumerate() {
        assert_eq!(*v as usize, i, "ALL is in declaration order");
    }
}
