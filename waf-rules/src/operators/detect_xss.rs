//! `@detectXSS`: libinjection's cross-site scripting detection (the `libinjectionrs` port). With
//! `capture`, group 0 is the whole input, as v3 stores it in `TX.0`. The argument is ignored.
//! v3: src/operators/detect_xss.cc.
//!
//! An input with neither `<` nor `=` is not XSS to libinjection, which is then not run: its
//! HTML5 tokenizer, in each of the five contexts it tries, emits the tokens that can make a
//! verdict (a tag name, a doctype, a comment, an attribute value following an attribute
//! name) only after a `<` (which starts every tag, doctype and comment) or an `=` (which
//! starts every attribute value but the one a value context begins with, and that one follows
//! no attribute name). The tests check the agreement over the CRS regression strings and
//! generated inputs.
//!
//! ```text
//! SecRule ARGS "@detectXSS" "id:1,phase:2,t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,deny"
//! ```

use super::{ByteSet, LoadContext, OpContext, Operator, OperatorError};

/// The operator.
#[derive(Debug, Clone, Copy)]
pub struct DetectXss;

impl Operator for DetectXss {
    fn evaluate(&self, cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        if !may_be_xss(input) || !libinjectionrs::detect_xss(input).is_injection() {
            return false;
        }
        if let Some(captures) = cx.captures.as_deref_mut() {
            captures.clear();
            captures.set(0, input);
        }
        true
    }

    /// `<` or `=`, without which [`may_be_xss`] answers false.
    fn required_bytes(&self) -> &[ByteSet] {
        const LT_OR_EQ: [ByteSet; 1] = [ByteSet::of(b"<=")];
        &LT_OR_EQ
    }
}

/// False when libinjection cannot find XSS in `input` (see the module documentation).
pub fn may_be_xss(input: &[u8]) -> bool {
    memchr::memchr2(b'<', b'=', input).is_some()
}

/// Builds `@detectXSS`.
pub fn compile(_argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    Ok(Box::new(DetectXss))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::corpus::{crs_strings, Rng};

    /// Random inputs of HTML-ish pieces, without `<` and `=` half of the time.
    fn generated(count: usize) -> Vec<Vec<u8>> {
        const PIECES: &[&str] = &[
            "<",
            "=",
            ">",
            "/",
            " ",
            "\t",
            "'",
            "\"",
            "`",
            "!",
            "-",
            "--",
            "?",
            "%",
            "script",
            "onerror",
            "onload",
            "style",
            "href",
            "javascript:",
            "alert(1)",
            "x",
            "DOCTYPE",
            "[CDATA[",
            "import",
            "xml",
            "[if",
            "&",
            "#",
            "src",
            "vbscript:",
            "<script>",
            " onerror=",
            "<img src=x ",
            "<a href=",
            "<!",
            "<?",
            "</",
            "x onload=y",
            "' onclick='",
            "\" style=\"",
        ];
        let mut rng = Rng::new(23);
        (0..count)
            .map(|i| {
                let mut input = Vec::new();
                for _ in 0..=rng.below(12) {
                    input.extend_from_slice(rng.pick(PIECES).as_bytes());
                }
                if i % 2 == 0 {
                    input.retain(|&b| b != b'<' && b != b'=');
                }
                input
            })
            .collect()
    }

    #[test]
    fn no_xss_without_lt_or_equals() {
        let mut inputs = crs_strings();
        inputs.extend(generated(200_000));
        let (mut skipped, mut xss) = (0, 0);
        for input in &inputs {
            let reference = libinjectionrs::detect_xss(input).is_injection();
            if !may_be_xss(input) {
                assert!(!reference, "skipped an XSS: {}", input.escape_ascii());
                skipped += 1;
            }
            xss += usize::from(reference);
        }
        assert!(skipped > 100_000 && xss > 10_000, "{skipped} skipped, {xss} XSS of {}", inputs.len());
    }
}
