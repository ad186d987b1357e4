//! JSON request bodies, turned into arguments the way libmodsecurity's yajl-based
//! `RequestBodyProcessor::JSON` names them.
//!
//! Every scalar becomes one argument (in `ARGS`, not `ARGS_POST`). Its name is the path from
//! the top: the top-level container is named `json`, an object member adds `.key`, an array
//! element adds `.array_N` (N counting from 0), and a scalar at the top level is named `json`:
//!
//! | body                         | arguments                                   |
//! |------------------------------|---------------------------------------------|
//! | `{"a":1,"b":{"c":"x"}}`      | `json.a=1`, `json.b.c=x`                    |
//! | `{"a":[1,true]}`             | `json.a.array_0=1`, `json.a.array_1=true`   |
//! | `[{"k":null},[2]]`           | `json.array_0.k=`, `json.array_1.array_0=2` |
//! | `{"":"v"}`                   | `json.empty-key=v`                          |
//! | `"s"`                        | `json=s`                                    |
//!
//! Values are the decoded string, the number exactly as written (`1.50E+3`), `true`, `false`,
//! and the empty string for `null`. Arguments are added while parsing, so those before a syntax
//! error are kept, as v3 keeps them. Errors carry yajl's text, including its trailing line
//! break (`parse error: premature EOF\n`). The depth limit (`SecRequestBodyJsonDepthLimit`)
//! counts open objects and arrays; reaching `SecArgumentsLimit` stops parsing with yajl's
//! "client cancelled" error, as v3 does.
//!
//! ```text
//! SecRule REQUEST_HEADERS:Content-Type "^application/json" \
//!     "id:200001,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON"
//! SecRule ARGS:json.user.name "@rx <script" "id:2,phase:2,deny"
//! ```

mod lexer;

#[cfg(test)]
mod tests;

use super::Arg;
use lexer::{Lexer, Token};

/// v3's default `SecRequestBodyJsonDepthLimit` when the directive is absent.
pub const DEFAULT_DEPTH_LIMIT: usize = 10000;

/// The message when the depth limit stops parsing.
pub const DEPTH_ERROR: &str = "JSON depth limit exceeded";
/// yajl's message when a callback stops parsing (the arguments limit).
pub const CANCELLED_ERROR: &str = "parse error: client cancelled parse via callback return value\n";

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonLimits {
    /// Deepest nesting of objects and arrays; 0 for none.
    pub depth: usize,
    /// How many more arguments `ARGS` may take; `None` for no limit.
    pub args: Option<usize>,
}

impl Default for JsonLimits {
    fn default() -> Self {
        Self { depth: DEFAULT_DEPTH_LIMIT, args: None }
    }
}

/// What a JSON body yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Json {
    /// The arguments, in document order.
    pub args: Vec<Arg>,
    /// The parse error (without v3's `JSON parsing error: ` prefix).
    pub error: Option<String>,
}

/// Parses a JSON body.
pub fn parse(body: &[u8], limits: &JsonLimits) -> Json {
    // yajl sees the body, then one space when the parse is completed.
    let mut text = Vec::with_capacity(body.len() + 1);
    text.extend_from_slice(body);
    text.push(b' ');
    let mut sink = Sink::new(limits);
    let error = run(&text, &mut sink).err();
    let error = match error {
        Some(Stop::Cancelled) if sink.depth_exceeded => Some(DEPTH_ERROR.to_owned()),
        Some(Stop::Cancelled) => Some(CANCELLED_ERROR.to_owned()),
        Some(Stop::Lexical(text)) => Some(format!("lexical error: {text}\n")),
        Some(Stop::Parse(text)) => Some(format!("parse error: {text}\n")),
        None => None,
    };
    Json { args: sink.args, error }
}

/// Why parsing stopped.
#[derive(Debug)]
enum Stop {
    /// A callback refused (limits).
    Cancelled,
    /// yajl's lexical error text.
    Lexical(&'static str),
    /// yajl's parse error text.
    Parse(&'static str),
}

/// yajl's parser states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    ParseComplete,
    MapStart,
    MapNeedKey,
    MapSep,
    MapNeedVal,
    MapGotVal,
    ArrayStart,
    ArrayNeedVal,
    ArrayGotVal,
}

/// yajl's `yajl_do_parse` followed by `yajl_do_finish`, over the whole text.
fn run(text: &[u8], sink: &mut Sink<'_>) -> Result<(), Stop> {
    let mut lexer = Lexer::new(text);
    let mut stack = vec![State::Start];
    loop {
        let state = *stack.last().unwrap_or(&State::ParseComplete);
        match state {
            State::ParseComplete => {
                if !lexer.at_end() && lexer.next_token() != Token::Eof {
                    return Err(Stop::Parse("trailing garbage"));
                }
                return Ok(());
            }
            State::Start | State::MapNeedVal | State::ArrayNeedVal | State::ArrayStart => {
                let mut push = None;
                match lexer.next_token() {
                    Token::Eof => return premature_eof(),
                    Token::Error(text) => return Err(Stop::Lexical(text)),
                    Token::String(s) => sink.scalar(s)?,
                    Token::Bool(b) => sink.scalar(if b { b"true".to_vec() } else { b"false".to_vec() })?,
                    Token::Null => sink.scalar(Vec::new())?,
                    Token::Number(n) => sink.scalar(n.to_vec())?,
                    Token::MapOpen => {
                        sink.open(false)?;
                        push = Some(State::MapStart);
                    }
                    Token::ArrayOpen => {
                        sink.open(true)?;
                        push = Some(State::ArrayStart);
                    }
                    Token::ArrayClose if state == State::ArrayStart => {
                        sink.close();
                        stack.pop();
                        continue;
                    }
                    Token::ArrayClose | Token::Colon | Token::Comma | Token::MapClose => {
                        return Err(Stop::Parse("unallowed token at this point in JSON text"))
                    }
                }
                let next = match state {
                    State::Start => State::ParseComplete,
                    State::MapNeedVal => State::MapGotVal,
                    _ => State::ArrayGotVal,
                };
                if let Some(top) = stack.last_mut() {
                    *top = next;
                }
                if let Some(pushed) = push {
                    stack.push(pushed);
                }
            }
            State::MapStart | State::MapNeedKey => match lexer.next_token() {
                Token::Eof => return premature_eof(),
                Token::Error(text) => return Err(Stop::Lexical(text)),
                Token::String(key) => {
                    sink.key(key);
                    if let Some(top) = stack.last_mut() {
                        *top = State::MapSep;
                    }
                }
                Token::MapClose if state == State::MapStart => {
                    sink.close();
                    stack.pop();
                }
                _ => return Err(Stop::Parse("invalid object key (must be a string)")),
            },
            State::MapSep => match lexer.next_token() {
                Token::Colon => {
                    if let Some(top) = stack.last_mut() {
                        *top = State::MapNeedVal;
                    }
                }
                Token::Eof => return premature_eof(),
                Token::Error(text) => return Err(Stop::Lexical(text)),
                _ => return Err(Stop::Parse("object key and value must be separated by a colon (':')")),
            },
            State::MapGotVal => match lexer.next_token() {
                Token::MapClose => {
                    sink.close();
                    stack.pop();
                }
                Token::Comma => {
                    if let Some(top) = stack.last_mut() {
                        *top = State::MapNeedKey;
                    }
                }
                Token::Eof => return premature_eof(),
                Token::Error(text) => return Err(Stop::Lexical(text)),
                _ => return Err(Stop::Parse("after key and value, inside map, I expect ',' or '}'")),
            },
            State::ArrayGotVal => match lexer.next_token() {
                Token::ArrayClose => {
                    sink.close();
                    stack.pop();
                }
                Token::Comma => {
                    if let Some(top) = stack.last_mut() {
                        *top = State::ArrayNeedVal;
                    }
                }
                Token::Eof => return premature_eof(),
                Token::Error(text) => return Err(Stop::Lexical(text)),
                _ => return Err(Stop::Parse("after array element, I expect ',' or ']'")),
            },
        }
    }
}

/// The input ended inside a value: `yajl_do_finish` reports it.
fn premature_eof() -> Result<(), Stop> {
    Err(Stop::Parse("premature EOF"))
}

/// One open object or array (v3's `JSONContainer`).
#[derive(Debug)]
struct Container {
    array: bool,
    /// Where this container's part of the path starts in the prefix.
    start: usize,
    /// Length of the container's own name.
    name_len: usize,
    /// Elements seen so far (arrays).
    count: usize,
}

/// v3's `JSON` callbacks: names arguments from the open containers.
#[derive(Debug)]
struct Sink<'l> {
    limits: &'l JsonLimits,
    containers: Vec<Container>,
    /// The path of the open containers: each one's name, then `.array_N` or `.`.
    prefix: Vec<u8>,
    current_key: Vec<u8>,
    args: Vec<Arg>,
    depth_exceeded: bool,
}

impl<'l> Sink<'l> {
    fn new(limits: &'l JsonLimits) -> Self {
        Self {
            limits,
            containers: Vec::new(),
            prefix: Vec::new(),
            current_key: Vec::new(),
            args: Vec::new(),
            depth_exceeded: false,
        }
    }

    /// v3's `getCurrentKey`.
    fn take_key(&mut self) -> Vec<u8> {
        match self.containers.last() {
            None => b"json".to_vec(),
            Some(top) if self.current_key.is_empty() => {
                if top.array {
                    Vec::new()
                } else {
                    b"empty-key".to_vec()
                }
            }
            Some(_) => std::mem::take(&mut self.current_key),
        }
    }

    fn key(&mut self, key: Vec<u8>) {
        self.current_key = key;
    }

    /// v3's `addArgument`.
    fn scalar(&mut self, value: Vec<u8>) -> Result<(), Stop> {
        let mut name = self.prefix.clone();
        if self.containers.last().is_some_and(|top| top.array) {
            self.bump_top();
        } else {
            name.extend_from_slice(&self.take_key());
        }
        if self.limits.args.is_some_and(|max| self.args.len() >= max) {
            return Err(Stop::Cancelled);
        }
        self.args.push(Arg { name, value });
        Ok(())
    }

    /// `yajl_start_map` / `yajl_start_array`.
    fn open(&mut self, array: bool) -> Result<(), Stop> {
        let name = self.take_key();
        let start = self.prefix.len();
        self.prefix.extend_from_slice(&name);
        self.containers.push(Container { array, start, name_len: name.len(), count: 0 });
        self.write_suffix();
        if self.limits.depth != 0 && self.containers.len() > self.limits.depth {
            self.depth_exceeded = true;
            return Err(Stop::Cancelled);
        }
        Ok(())
    }

    /// `yajl_end_map` / `yajl_end_array`.
    fn close(&mut self) {
        if let Some(closed) = self.containers.pop() {
            self.prefix.truncate(closed.start);
        }
        if self.containers.last().is_some_and(|top| top.array) {
            self.bump_top();
        }
    }

    /// Counts an element of the innermost array and renames the path accordingly.
    fn bump_top(&mut self) {
        if let Some(top) = self.containers.last_mut() {
            top.count += 1;
        }
        self.write_suffix();
    }

    /// Rewrites the innermost container's `.array_N` or `.` at the end of the prefix.
    fn write_suffix(&mut self) {
        let Some(top) = self.containers.last() else { return };
        self.prefix.truncate(top.start + top.name_len);
        if top.array {
            self.prefix.extend_from_slice(format!(".array_{}", top.count).as_bytes());
        } else {
            self.prefix.push(b'.');
        }
    }
}
