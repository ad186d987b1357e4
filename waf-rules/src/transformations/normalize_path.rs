//! `t:normalizePath` (alias `normalisePath`) and `t:normalizePathWin` (alias
//! `normalisePathWin`): remove `./` self references, resolve `../` back references and collapse
//! repeated slashes. The Windows variant first turns backslashes into slashes.
//!
//! A port of v3's in-place state machine (src/actions/transformations/normalise_path.cc) with its
//! edge cases: a relative path keeps back references it cannot resolve (`../../a` stays), an
//! absolute one never goes above the root (`/../a` is `/a`), a trailing slash survives only if
//! the input had one, and a relative path loses its leading slashes once output is empty.
//!
//! ```text
//! SecRule REQUEST_FILENAME "@rx /etc/passwd" "id:1,phase:1,t:none,t:normalizePath,deny"
//! SecRule ARGS "@rx /windows/win.ini" "id:2,phase:2,t:none,t:normalizePathWin,t:lowercase,deny"
//! ```

use std::borrow::Cow;

/// `t:normalizePath`.
pub fn normalize_path(input: &[u8]) -> Cow<'_, [u8]> {
    if clean(input, false) {
        return Cow::Borrowed(input);
    }
    finish(input, normalize(input, false))
}

/// `t:normalizePathWin`.
pub fn normalize_path_win(input: &[u8]) -> Cow<'_, [u8]> {
    if clean(input, true) {
        return Cow::Borrowed(input);
    }
    finish(input, normalize(input, true))
}

/// A path with no segment ending in `.` (v3 tests only the last bytes of a segment, so `b..`
/// counts as a back reference), no repeated slash and (Windows) no backslash comes out unchanged:
/// this saves the copy for most values.
fn clean(input: &[u8], win: bool) -> bool {
    let dot_ends_segment = input.last() == Some(&b'.') || input.windows(2).any(|w| w == b"./");
    let double_slash = input.windows(2).any(|w| w == b"//");
    let backslash = win && input.contains(&b'\\');
    !(dot_ends_segment || double_slash || backslash)
}

fn finish(input: &[u8], out: Vec<u8>) -> Cow<'_, [u8]> {
    if out == input {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(out)
    }
}

/// Reads `buf[index]` where v3 reads through a pointer that its own checks keep in bounds.
fn at(buf: &[u8], index: isize) -> u8 {
    usize::try_from(index).ok().and_then(|i| buf.get(i)).copied().unwrap_or(0)
}

fn normalize(input: &[u8], win: bool) -> Vec<u8> {
    let Some(last) = input.len().checked_sub(1) else {
        return Vec::new();
    };
    let is_sep = |b: u8| b == b'/' || (win && b == b'\\');
    let mut buf = input.to_vec();
    let end = last as isize;
    let relative = !is_sep(buf[0]);
    let trailing = is_sep(buf[last]);
    let mut hit_root = false;
    let mut done = false;
    let mut src: isize = 0;
    let mut dst: isize = 0;

    while !done && src <= end && dst <= end {
        let s = src as usize;
        if win {
            if buf[s] == b'\\' {
                buf[s] = b'/';
            }
            if src < end && buf[s + 1] == b'\\' {
                buf[s + 1] = b'/';
            }
        }

        let mut skip_copy = false;
        let normalize_segment = if src == end {
            done = true;
            true
        } else {
            buf[s + 1] == b'/'
        };
        if normalize_segment {
            if src != end && at(&buf, src) == b'/' {
                // Empty segment: the copy below collapses the slashes.
            } else if at(&buf, src) == b'.' {
                if dst > 0 && at(&buf, dst - 1) == b'.' {
                    // Back reference.
                    if relative && (hit_root || dst - 2 <= 0) {
                        hit_root = true;
                    } else {
                        dst -= 3;
                        while dst > 0 && at(&buf, dst) != b'/' {
                            dst -= 1;
                        }
                        if dst <= 0 {
                            hit_root = true;
                            dst = 0;
                            if !relative && src == end {
                                dst += 1;
                            }
                        }
                        if done {
                            skip_copy = true;
                        } else {
                            src += 1;
                        }
                    }
                } else if dst == 0 {
                    // Relative self reference.
                    if done {
                        skip_copy = true;
                    } else {
                        src += 1;
                    }
                } else if at(&buf, dst - 1) == b'/' {
                    // Self reference.
                    if done {
                        skip_copy = true;
                    } else {
                        dst -= 1;
                        src += 1;
                    }
                }
            } else if dst > 0 {
                hit_root = false;
            }
        }
        if skip_copy {
            continue;
        }

        if at(&buf, src) == b'/' {
            while src < end && (at(&buf, src + 1) == b'/' || (win && at(&buf, src + 1) == b'\\')) {
                src += 1;
            }
            if relative && dst == 0 {
                src += 1;
                continue;
            }
        }
        let byte = at(&buf, src);
        if let Ok(d) = usize::try_from(dst) {
            if let Some(slot) = buf.get_mut(d) {
                *slot = byte;
            }
        }
        dst += 1;
        src += 1;
    }

    if !trailing && dst > 0 && at(&buf, dst - 1) == b'/' {
        dst -= 1;
    }
    buf.truncate(usize::try_from(dst).unwrap_or(0));
    buf
}
