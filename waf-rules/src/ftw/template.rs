//! The part of Go's `text/template` (with sprig functions) that go-ftw applies to `data`:
//! text with `{{ pipeline }}` actions such as `{{ "1" | repeat 64200 }}`.
//!
//! Supported: string literals (`"..."` with Go escapes, `` `raw` ``), integers, pipes, the
//! trim markers `{{-` / `-}}`, comments `{{/* */}}`, and the sprig function `repeat`. Anything
//! else is an error rather than a silently empty body.

/// Why a template could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{{` without a matching `}}`.
    #[error("unclosed action")]
    Unclosed,
    /// An action that does not parse.
    #[error("bad action {0:?}")]
    Syntax(String),
    /// A function this subset does not implement.
    #[error("unsupported template function {0:?}")]
    UnknownFunction(String),
    /// A function got arguments of the wrong kind or number.
    #[error("bad arguments to {0}")]
    BadArguments(&'static str),
}

/// A value flowing through a pipeline.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
}

impl Value {
    fn render(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
        }
    }
}

/// Expands `text`; text without `{{` comes back unchanged.
pub fn expand(text: &str) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let mut literal = &rest[..open];
        let mut inner_start = open + 2;
        if rest[inner_start..].starts_with("- ") || rest[inner_start..].starts_with("-\t") {
            literal = literal.trim_end();
            inner_start += 1;
        }
        out.push_str(literal);
        let close = rest[inner_start..].find("}}").ok_or(TemplateError::Unclosed)? + inner_start;
        let mut inner = &rest[inner_start..close];
        let mut after = &rest[close + 2..];
        if inner.ends_with(" -") || inner.ends_with("\t-") {
            inner = &inner[..inner.len() - 1];
            after = after.trim_start();
        }
        let inner = inner.trim();
        if !(inner.starts_with("/*") && inner.ends_with("*/")) {
            out.push_str(&run_pipeline(inner)?.render());
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// `cmd | cmd ...`: each command after the first gets the previous value as last argument.
fn run_pipeline(pipeline: &str) -> Result<Value, TemplateError> {
    let mut value: Option<Value> = None;
    for command in split_commands(pipeline)? {
        let mut words = tokenize(&command)?;
        if words.is_empty() {
            return Err(TemplateError::Syntax(pipeline.to_owned()));
        }
        let head = words.remove(0);
        value = Some(match head {
            Token::Literal(v) if words.is_empty() && value.is_none() => v,
            Token::Ident(name) => {
                let mut args: Vec<Value> = words
                    .into_iter()
                    .map(|w| match w {
                        Token::Literal(v) => Ok(v),
                        Token::Ident(i) => Err(TemplateError::UnknownFunction(i)),
                    })
                    .collect::<Result<_, _>>()?;
                if let Some(previous) = value.take() {
                    args.push(previous);
                }
                call(&name, args)?
            }
            _ => return Err(TemplateError::Syntax(pipeline.to_owned())),
        });
    }
    value.ok_or_else(|| TemplateError::Syntax(pipeline.to_owned()))
}

fn call(name: &str, args: Vec<Value>) -> Result<Value, TemplateError> {
    match name {
        // sprig: repeat COUNT STRING
        "repeat" => match args.as_slice() {
            [Value::Int(count), text] => {
                let count = usize::try_from(*count).unwrap_or(0);
                if count > 16 * 1024 * 1024 {
                    return Err(TemplateError::BadArguments("repeat"));
                }
                Ok(Value::Str(text.render().repeat(count)))
            }
            _ => Err(TemplateError::BadArguments("repeat")),
        },
        other => Err(TemplateError::UnknownFunction(other.to_owned())),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(Value),
    Ident(String),
}

/// Splits at `|` outside string literals.
fn split_commands(pipeline: &str) -> Result<Vec<String>, TemplateError> {
    let mut commands = vec![String::new()];
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in pipeline.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '`' => quote = Some(c),
            None if c == '|' => {
                commands.push(String::new());
                continue;
            }
            None => {}
        }
        if let Some(last) = commands.last_mut() {
            last.push(c);
        }
    }
    if quote.is_some() {
        return Err(TemplateError::Syntax(pipeline.to_owned()));
    }
    Ok(commands)
}

fn tokenize(command: &str) -> Result<Vec<Token>, TemplateError> {
    let syntax = || TemplateError::Syntax(command.to_owned());
    let mut tokens = Vec::new();
    let mut chars = command.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::new();
            loop {
                match chars.next().ok_or_else(syntax)? {
                    '"' => break,
                    '\\' => s.push(match chars.next().ok_or_else(syntax)? {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '\\' => '\\',
                        '"' => '"',
                        '\'' => '\'',
                        _ => return Err(syntax()),
                    }),
                    other => s.push(other),
                }
            }
            tokens.push(Token::Literal(Value::Str(s)));
        } else if c == '`' {
            chars.next();
            let s: String = chars.by_ref().take_while(|&c| c != '`').collect();
            tokens.push(Token::Literal(Value::Str(s)));
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            if let Ok(n) = word.parse::<i64>() {
                tokens.push(Token::Literal(Value::Int(n)));
            } else if word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                tokens.push(Token::Ident(word));
            } else {
                return Err(syntax());
            }
        }
    }
    Ok(tokens)
}
