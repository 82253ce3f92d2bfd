//! Base64url without padding (RFC 4648 §5), written here so the page needs no
//! extra crate.
//!
//! Owns turning bytes into the link-safe alphabet `A–Z a–z 0–9 - _` and back.
//! Decoding is strict: any other character (padding included), a length no
//! encoder produces, or stray bits in the last character is an error naming
//! where — never a panic, whatever the text (non-ASCII included).

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a text is not base64url.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base64Error {
    /// The character at this position (counted in characters, from 0) is not
    /// in the alphabet.
    BadCharacter { at: usize },
    /// No encoder produces this many characters: the text was cut short.
    BadLength,
}

/// `bytes` in base64url, unpadded.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

fn value_of(c: char) -> Option<u32> {
    match c {
        'A'..='Z' => Some(c as u32 - 'A' as u32),
        'a'..='z' => Some(c as u32 - 'a' as u32 + 26),
        '0'..='9' => Some(c as u32 - '0' as u32 + 52),
        '-' => Some(62),
        '_' => Some(63),
        _ => None,
    }
}

/// The bytes `text` encodes.
pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut values = Vec::with_capacity(text.len());
    for (at, c) in text.chars().enumerate() {
        values.push(value_of(c).ok_or(Base64Error::BadCharacter { at })?);
    }
    if values.len() % 4 == 1 {
        return Err(Base64Error::BadLength);
    }
    let mut out = Vec::with_capacity(values.len() / 4 * 3 + 2);
    for chunk in values.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let whole = chunk.len() - 1;
        // Bits an encoder would have left zero: set, the text was altered.
        if whole < 3 && bytes[whole..].iter().any(|&b| b != 0) {
            return Err(Base64Error::BadLength);
        }
        out.extend_from_slice(&bytes[..whole]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4648_vectors_without_padding() {
        let cases = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE")];
        for (plain, coded) in cases {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn every_byte_string_round_trips() {
        for len in 0..40u8 {
            let bytes: Vec<u8> = (0..len).map(|i| i.wrapping_mul(97).wrapping_add(len)).collect();
            assert_eq!(decode(&encode(&bytes)).unwrap(), bytes);
        }
    }

    #[test]
    fn bad_text_is_refused_with_where() {
        assert_eq!(decode("Zm9v=").unwrap_err(), Base64Error::BadCharacter { at: 4 });
        assert_eq!(decode("Zé9v").unwrap_err(), Base64Error::BadCharacter { at: 1 });
        assert_eq!(decode("Zm9vY").unwrap_err(), Base64Error::BadLength);
        assert_eq!(decode("Zh").unwrap_err(), Base64Error::BadLength, "stray low bits");
    }
}
