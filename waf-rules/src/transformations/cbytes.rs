//! The C-library byte helpers libmodsecurity's transformations rely on, with the same results
//! (C locale): `isspace`, `isxdigit`, octal digits, and v3's `x2c` hex-pair decoding.

/// C `isspace` in the C locale: space, `\t`, `\n`, `\v`, `\f`, `\r`.
pub const fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// v3's `VALID_HEX` (same as C `isxdigit`).
pub const fn is_hex(byte: u8) -> bool {
    byte.is_ascii_hexdigit()
}

/// v3's `ISODIGIT`: `0`..=`7`.
pub const fn is_octal(byte: u8) -> bool {
    matches!(byte, b'0'..=b'7')
}

/// v3's `xsingle2c`: the value of one hex digit. Like the C code it does not validate, and gives
/// the same (wrapped) value for a non-digit.
pub const fn hex_value(byte: u8) -> u8 {
    if byte >= b'A' {
        ((byte & 0xdf).wrapping_sub(b'A')).wrapping_add(10)
    } else {
        byte.wrapping_sub(b'0')
    }
}

/// v3's `x2c`: two hex digits to a byte (wrapping, unvalidated, as in C).
pub const fn hex_pair(high: u8, low: u8) -> u8 {
    hex_value(high).wrapping_mul(16).wrapping_add(hex_value(low))
}

/// Lower-case hex digits, as v3's `c2x` and `hexEncode` print them.
pub const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_pair_matches_c() {
        assert_eq!(hex_pair(b'4', b'1'), 0x41);
        assert_eq!(hex_pair(b'f', b'F'), 0xff);
        assert_eq!(hex_pair(b'a', b'0'), 0xa0);
        // Unvalidated input wraps as unsigned char arithmetic does in C: 'z' -> 35.
        assert_eq!(hex_pair(b'z', b'z'), 35u8.wrapping_mul(16).wrapping_add(35));
    }

    #[test]
    fn space_is_the_c_locale_set() {
        let spaces: Vec<u8> = (0..=255u8).filter(|&b| is_space(b)).collect();
        assert_eq!(spaces, vec![b'\t', b'\n', 0x0b, 0x0c, b'\r', b' ']);
    }
}
