//! `t:cmdLine`: normalizes a command line the way v3 does, to defeat shell obfuscation:
//!
//! - removes `"` `'` `\` `^`;
//! - turns each run of space, `,` `;` `\t` `\r` `\n` into one space;
//! - removes a space just before `/` or `(`;
//! - lower-cases ASCII letters.
//!
//! v3: src/actions/transformations/cmd_line.cc.
//!
//! ```text
//! SecRule ARGS "@rx cat /etc/passwd" "id:1,phase:2,t:none,t:cmdLine,deny"
//! ```

use std::borrow::Cow;

/// True when [`cmd_line`] would return `input` as it is (so a clean value is not copied).
fn unchanged(input: &[u8]) -> bool {
    let mut space = false;
    for &byte in input {
        match byte {
            b'"' | b'\'' | b'\\' | b'^' | b',' | b';' | b'\t' | b'\r' | b'\n' => return false,
            b' ' if space => return false,
            b' ' => space = true,
            b'/' | b'(' if space => return false,
            _ if byte.is_ascii_uppercase() => return false,
            _ => space = false,
        }
    }
    true
}

/// See the [module documentation](self).
pub fn cmd_line(input: &[u8]) -> Cow<'_, [u8]> {
    if unchanged(input) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut space = false;
    for &byte in input {
        match byte {
            b'"' | b'\'' | b'\\' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !space {
                    out.push(b' ');
                    space = true;
                }
            }
            b'/' | b'(' => {
                if space {
                    out.pop();
                }
                space = false;
                out.push(byte);
            }
            _ => {
                out.push(byte.to_ascii_lowercase());
                space = false;
            }
        }
    }
    Cow::Owned(out)
}
