//! `Include` / `IncludeOptional` path expansion: paths relative to the including file's
//! directory, shell-style wildcards (`*`, `?`, `[a-z]`, `[!x]`) in any path component, matches
//! sorted. Wildcards do not match a leading `.`, as with `glob(3)`.

use std::path::{Component, Path, PathBuf};

/// The files `pattern` names, sorted. A pattern without wildcards names itself (whether or not
/// it exists); a pattern with wildcards names the existing regular files it matches.
pub(crate) fn expand(base_dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let path = base_dir.join(pattern);
    if !has_wildcard(pattern) {
        return vec![path];
    }
    let mut current = vec![PathBuf::new()];
    let components: Vec<Component<'_>> = path.components().collect();
    let last = components.len().saturating_sub(1);
    for (index, component) in components.iter().enumerate() {
        let text = component.as_os_str().to_string_lossy();
        let is_last = index == last;
        let mut next = Vec::new();
        for dir in &current {
            if !matches!(component, Component::Normal(_)) || !has_wildcard(&text) {
                let joined = dir.join(component.as_os_str());
                if is_last || joined.is_dir() {
                    next.push(joined);
                }
                continue;
            }
            let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') && !text.starts_with('.') {
                    continue;
                }
                if !matches(text.as_bytes(), name.as_bytes()) {
                    continue;
                }
                let candidate = dir.join(&*name);
                let keep = if is_last { candidate.is_file() } else { candidate.is_dir() };
                if keep {
                    next.push(candidate);
                }
            }
        }
        current = next;
    }
    current.retain(|p| p.is_file());
    current.sort();
    current
}

/// True when `text` holds a wildcard character.
pub(crate) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Shell-style match of a whole name against a pattern component.
fn matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| name.get(skip..).is_some_and(|tail| matches(rest, tail))),
        Some((b'?', rest)) => name.split_first().is_some_and(|(_, tail)| matches(rest, tail)),
        Some((b'[', rest)) => {
            let Some((&c, tail)) = name.split_first() else { return false };
            match class(rest, c) {
                Some((true, after)) => matches(after, tail),
                Some((false, _)) => false,
                // No closing `]`: the `[` is literal.
                None => c == b'[' && matches(rest, tail),
            }
        }
        Some((&p, rest)) => name.split_first().is_some_and(|(&c, tail)| c == p && matches(rest, tail)),
    }
}

/// Matches `c` against a bracket class whose body starts at `class`; returns whether it
/// matched and the pattern after the `]`, or `None` if the class is not closed.
fn class(class: &[u8], c: u8) -> Option<(bool, &[u8])> {
    let (negated, mut body) = match class.first() {
        Some(b'!' | b'^') => (true, class.get(1..)?),
        _ => (false, class),
    };
    let mut found = false;
    let mut first = true;
    loop {
        match body {
            [] => return None,
            [b']', rest @ ..] if !first => return Some((found != negated, rest)),
            [lo, b'-', hi, rest @ ..] if *hi != b']' => {
                found |= (*lo..=*hi).contains(&c);
                body = rest;
            }
            [x, rest @ ..] => {
                found |= *x == c;
                body = rest;
            }
        }
        first = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matching() {
        let m = |p: &str, n: &str| matches(p.as_bytes(), n.as_bytes());
        assert!(m("*.conf", "REQUEST-901-INITIALIZATION.conf"));
        assert!(!m("*.conf", "x.conf.example"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("[A-R]*", "REQUEST"));
        assert!(!m("[!A-R]*", "REQUEST"));
        assert!(m("x[]]y", "x]y"));
        assert!(m("a[b", "a[b"));
        assert!(m("**", ""));
    }
}
