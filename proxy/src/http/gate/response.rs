//! Write-side response tracking: finds where each response written by hyper starts and ends, so the
//! gate learns whether an upgrade or CONNECT request was answered by switching protocols.

use std::collections::VecDeque;

use super::chunked::ChunkedDecoder;

/// Response heads hyper writes are small; a longer one stops the tracking.
const MAX_RESPONSE_HEAD: usize = 64 * 1024;

/// A request released to hyper whose final response has not been written yet.
#[derive(Clone, Copy, Debug)]
pub(super) struct Exchange {
    /// `HEAD` request: the response has no body.
    pub(super) head_method: bool,
    /// `CONNECT` request: a 2xx response starts a tunnel.
    pub(super) connect: bool,
    /// The read side waits for this request's response before reading on.
    pub(super) awaits: bool,
}

/// How an awaited request (upgrade or CONNECT) was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// 101, or 2xx to CONNECT: the connection no longer carries HTTP/1 in either direction.
    Switched,
    /// Any other final response, or tracking was lost: the next bytes are a request head again.
    Declined,
}

/// Follows the framing of the responses written on a connection, in order.
///
/// Losing track (a close-delimited body, something unparsable) is safe: the read side keeps
/// validating, so at worst an upgraded stream is refused as a malformed request.
#[derive(Debug)]
pub(super) struct ResponseTracker {
    state: State,
    exchanges: VecDeque<Exchange>,
}

#[derive(Debug)]
enum State {
    Head(Vec<u8>),
    Length(u64),
    Chunked(ChunkedDecoder),
    Untracked,
}

// === impl ResponseTracker ===

impl ResponseTracker {
    pub(super) fn new() -> Self {
        ResponseTracker { state: State::Head(Vec::new()), exchanges: VecDeque::new() }
    }

    /// Records a request released to hyper; answers at once if responses are no longer tracked.
    pub(super) fn push(&mut self, exchange: Exchange) -> Option<Outcome> {
        if let State::Untracked = self.state {
            return exchange.awaits.then_some(Outcome::Declined);
        }
        self.exchanges.push_back(exchange);
        None
    }

    /// Follows bytes hyper has written; returns the outcome of an awaited request decided in them.
    pub(super) fn observe(&mut self, mut bytes: &[u8]) -> Option<Outcome> {
        let mut outcome = None;
        while !bytes.is_empty() {
            match &mut self.state {
                State::Untracked => break,
                State::Length(remaining) => {
                    let take = (*remaining).min(bytes.len() as u64);
                    bytes = &bytes[take as usize..];
                    *remaining -= take;
                    if *remaining == 0 {
                        self.state = State::Head(Vec::new());
                    }
                }
                State::Chunked(decoder) => match decoder.feed(bytes) {
                    Ok(used) => {
                        bytes = &bytes[used..];
                        if decoder.is_done() {
                            self.state = State::Head(Vec::new());
                        }
                    }
                    Err(violation) => {
                        tracing::debug!(%violation, "gate: lost track of response framing");
                        outcome = outcome.or(self.untrack());
                    }
                },
                State::Head(head) => {
                    let from = head.len().saturating_sub(3);
                    head.extend_from_slice(bytes);
                    let Some(at) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") else {
                        bytes = &[];
                        if head.len() > MAX_RESPONSE_HEAD {
                            outcome = outcome.or(self.untrack());
                        }
                        continue;
                    };
                    let end = from + at + 4;
                    bytes = &bytes[bytes.len() - (head.len() - end)..];
                    head.truncate(end);
                    let head = std::mem::take(head);
                    outcome = outcome.or(self.on_head(&head));
                }
            }
        }
        outcome
    }

    /// Stops tracking; an awaited request still pending is declined so its reader never hangs.
    fn untrack(&mut self) -> Option<Outcome> {
        self.state = State::Untracked;
        let awaited = self.exchanges.drain(..).any(|e| e.awaits);
        awaited.then_some(Outcome::Declined)
    }

    fn on_head(&mut self, head: &[u8]) -> Option<Outcome> {
        let Some(status) = head.get(9..12).and_then(|s| std::str::from_utf8(s).ok()?.parse::<u16>().ok()) else {
            return self.untrack();
        };
        if status == 101 {
            self.state = State::Untracked;
            self.exchanges.clear();
            return Some(Outcome::Switched);
        }
        if (100..200).contains(&status) {
            self.state = State::Head(Vec::new());
            return None;
        }
        let exchange = self.exchanges.pop_front();
        let awaits = exchange.is_some_and(|e| e.awaits);
        if exchange.is_some_and(|e| e.connect) && (200..300).contains(&status) {
            self.state = State::Untracked;
            self.exchanges.clear();
            return Some(Outcome::Switched);
        }
        let declined = awaits.then_some(Outcome::Declined);
        if exchange.is_some_and(|e| e.head_method) || status == 204 || status == 304 {
            self.state = State::Head(Vec::new());
            return declined;
        }
        let (mut length, mut chunked, mut coded) = (None, false, false);
        for line in head.split(|&b| b == b'\n').skip(1) {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
            let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
            if name.eq_ignore_ascii_case(b"transfer-encoding") {
                coded = true;
                chunked = value
                    .rsplit(|&b| b == b',')
                    .next()
                    .is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"));
            } else if name.eq_ignore_ascii_case(b"content-length") {
                length = std::str::from_utf8(value).ok().and_then(|v| v.parse::<u64>().ok());
            }
        }
        self.state = match (coded, chunked, length) {
            (true, true, _) => State::Chunked(ChunkedDecoder::new(MAX_RESPONSE_HEAD)),
            (false, _, Some(0)) => State::Head(Vec::new()),
            (false, _, Some(n)) => State::Length(n),
            // Close-delimited: no response follows this one.
            _ => return self.untrack().or(declined),
        };
        declined
    }
}
