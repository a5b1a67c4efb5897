//! Compression: raw deflate (RFC 1951) through `flate2`, skipped for data that
//! would not shrink.
//!
//! Deflating a JPEG costs as much CPU as deflating text for nothing, so
//! incompressible data is detected cheaply: first by the magic bytes of common
//! media and archive formats, then by deflating a small sample.

use std::io::{Read, Write};

use flate2::write::DeflateEncoder;
use flate2::Compression;

use crate::error::{Error, Result};

/// Default deflate level: with zlib-rs, level 2 stores a shop's SQL in 26%
/// fewer bytes than level 1 (ratio 0.195 against 0.265) at 255 MB/s against
/// 392; levels 3-6 gain little more and cost up to 2.7x the time (sweep in
/// docs/BENCHMARKS.md).
pub const DEFAULT_LEVEL: u32 = 2;

/// Data smaller than this is not worth the deflate header and the CPU.
const MIN_SIZE: usize = 128;
/// A sample this long is deflated first for data without a known magic.
const SAMPLE: usize = 16 * 1024;
/// Compressed output must be at most this fraction (in 1/64) of the input.
const KEEP_RATIO_64THS: usize = 62;

/// Formats whose content is already compressed, by leading bytes.
const MAGICS: &[&[u8]] = &[
    b"\xFF\xD8\xFF",       // JPEG
    b"\x89PNG\r\n\x1a\n",  // PNG
    b"GIF87a",             // GIF
    b"GIF89a",             // GIF
    b"PK\x03\x04",         // ZIP, DOCX, XLSX, JAR, plugin zips
    b"\x1f\x8b",           // gzip (.tar.gz, .sql.gz)
    b"BZh",                // bzip2
    b"\xFD7zXZ\x00",       // xz
    b"\x28\xB5\x2F\xFD",   // zstd
    b"7z\xBC\xAF\x27\x1C", // 7-Zip
    b"Rar!\x1A\x07",       // RAR
    b"\x1A\x45\xDF\xA3",   // Matroska / WebM
    b"OggS",               // Ogg
    b"ID3",                // MP3
    b"fLaC",               // FLAC
    b"wOFF",               // WOFF font
    b"wOF2",               // WOFF2 font
    b"%PDF",               // PDF (mostly deflated streams)
];

/// Whether `data` starts like an already-compressed format.
pub fn has_incompressible_magic(data: &[u8]) -> bool {
    if MAGICS.iter().any(|m| data.starts_with(m)) {
        return true;
    }
    // RIFF containers: WebP, AVI, WAV (WAV is compressible PCM, keep it).
    if data.len() >= 12 && &data[..4] == b"RIFF" {
        return &data[8..12] == b"WEBP" || &data[8..12] == b"AVI ";
    }
    // ISO media (MP4, MOV, HEIC, AVIF): `....ftyp`.
    data.len() >= 8 && &data[4..8] == b"ftyp"
}

/// Deflates `data` when that pays.
///
/// `hint_incompressible` is set by the caller when the file this chunk comes
/// from started with an incompressible magic. Returns `None` when the data
/// should be stored as it is.
pub fn compress(data: &[u8], level: u32, hint_incompressible: bool) -> Option<Vec<u8>> {
    if level == 0 || data.len() < MIN_SIZE || hint_incompressible || has_incompressible_magic(data)
    {
        return None;
    }
    if data.len() > 4 * SAMPLE {
        let sample = deflate(&data[..SAMPLE], level)?;
        if sample.len() * 64 > SAMPLE * KEEP_RATIO_64THS {
            return None;
        }
    }
    let out = deflate(data, level)?;
    (out.len() * 64 <= data.len() * KEEP_RATIO_64THS).then_some(out)
}

fn deflate(data: &[u8], level: u32) -> Option<Vec<u8>> {
    let mut enc = DeflateEncoder::new(Vec::with_capacity(data.len() / 2), Compression::new(level));
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// Inflates `data`, which must expand to exactly `expected` bytes.
///
/// # Errors
/// [`Error::Malformed`] if the stream is invalid or has another length.
pub fn decompress(data: &[u8], expected: usize, what: &dyn Fn() -> String) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(expected);
    let mut dec = flate2::read::DeflateDecoder::new(data).take(expected as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|e| Error::malformed(what(), format!("invalid deflate stream: {e}")))?;
    if out.len() != expected {
        return Err(Error::malformed(
            what(),
            format!("inflates to {} bytes, expected {expected}", out.len()),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_compresses_media_does_not() {
        let text = b"INSERT INTO wp_posts VALUES (1,'hello world');\n".repeat(1000);
        let c = compress(&text, 1, false).unwrap();
        assert!(c.len() < text.len() / 10);
        assert_eq!(decompress(&c, text.len(), &String::new).unwrap(), text);
        assert!(decompress(&c, text.len() - 1, &String::new).is_err());

        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
        jpeg.extend(std::iter::repeat_n(0u8, 1000));
        assert!(compress(&jpeg, 1, false).is_none(), "magic wins");
        assert!(compress(&text, 1, true).is_none(), "hint wins");

        // Pseudo-random bytes without magic: rejected by the ratio check.
        let mut x: u64 = 0x9E3779B97F4A7C15;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(compress(&noise, 1, false).is_none());
        assert!(has_incompressible_magic(b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(has_incompressible_magic(b"\0\0\0\x18ftypmp42"));
        assert!(!has_incompressible_magic(b"RIFF\0\0\0\0WAVEfmt "));
    }
}
