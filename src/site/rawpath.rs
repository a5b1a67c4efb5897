//! File paths on the site API as raw bytes.
//!
//! A site's file names are bytes (anything but `/` and NUL), JSON carries
//! text. A path that is not valid UTF-8, or holds a control character
//! (which would break the newline-framed formats), travels as `path_b64`
//! (standard base64 of the raw bytes) beside a display form in `path`;
//! readers prefer `path_b64`. Every other path travels as plain `path`.
//! Lists of one path per line mark such paths with a `b64:` prefix. The
//! plugin's side is described in plugin/README.md ("Raw paths").

use base64::Engine as _;
use serde_json::{json, Value};

use crate::error::{Error, Result};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Whether `p` can travel as plain JSON text.
pub fn is_plain(p: &[u8]) -> bool {
    std::str::from_utf8(p).is_ok() && !p.iter().any(|&b| b < 0x20 || b == 0x7f)
}

/// A readable form of `p` (invalid bytes and control characters as U+FFFD).
pub fn display(p: &[u8]) -> String {
    String::from_utf8_lossy(p)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Sets `obj[key]` to `p`, with `obj[key_b64]` when `p` is not plain.
pub fn put(obj: &mut Value, key: &str, p: &[u8]) {
    if is_plain(p) {
        obj[key] = json!(String::from_utf8_lossy(p));
    } else {
        obj[key] = json!(display(p));
        obj[format!("{key}_b64")] = json!(B64.encode(p));
    }
}

/// A JSON object `{"path": …}` (with `path_b64` when needed).
pub fn object(p: &[u8]) -> Value {
    let mut o = json!({});
    put(&mut o, "path", p);
    o
}

/// The raw bytes of a path received as `text` and maybe `b64`.
///
/// # Errors
/// [`Error::Malformed`] when `b64` is not base64.
pub fn decode(text: &str, b64: Option<&str>) -> Result<Vec<u8>> {
    match b64 {
        Some(b) => B64
            .decode(b)
            .map_err(|e| Error::malformed(format!("the site's path {text:?}"), e.to_string())),
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// One line of a path list: the path itself, or `b64:` and its base64.
pub fn line(p: &[u8]) -> Vec<u8> {
    if is_plain(p) && !p.starts_with(b"b64:") {
        p.to_vec()
    } else {
        format!("b64:{}", B64.encode(p)).into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_text_and_others_round_trip() {
        assert_eq!(
            object(b"wp-content/a.txt"),
            json!({"path": "wp-content/a.txt"})
        );
        for raw in [
            &b"caf\xe9.txt"[..],
            b"two\nlines",
            b"tab\there",
            b"\xff\xfe",
        ] {
            let o = object(raw);
            let text = o["path"].as_str().unwrap_or_default();
            assert!(!text.contains('\n'));
            let back = decode(text, o["path_b64"].as_str()).expect("decodes");
            assert_eq!(back, raw);
            assert!(line(raw).starts_with(b"b64:"));
        }
        assert_eq!(line(b"b64:x"), b"b64:YjY0Ong=".to_vec());
        assert_eq!(line("é/ü".as_bytes()), "é/ü".as_bytes());
        assert!(decode("x", Some("not base64!")).is_err());
    }
}
