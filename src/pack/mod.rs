//! Packs: many blobs in one stored object.
//!
//! Byte layout of a pack (all integers little-endian):
//!
//! ```text
//! blob 1 | blob 2 | ... | blob n | sealed header | header length (u32)
//! ```
//!
//! Each blob is a sealed envelope of its stored bytes (deflated or not). The
//! header, sealed as one envelope, is a list of fixed 41-byte entries:
//!
//! ```text
//! type (u8) | stored length (u32) | uncompressed length (u32, 0 = stored as is) | blob id (32)
//! ```
//!
//! Blobs follow each other without gaps in header order, so an entry's
//! offset is the sum of the lengths before it. The header sits at the end so
//! a pack can be streamed out before its content is known in full, and read
//! back with one ranged request for the tail.

use serde::{Deserialize, Serialize};

use crate::crypto::Crypto;
use crate::error::{Error, Result};
use crate::id::Id;

/// Size of one header entry.
pub const ENTRY_LEN: usize = 41;
/// Largest header accepted when reading (a hostile storage must not make us
/// allocate without bound): 1M entries.
pub const MAX_HEADER_LEN: usize = ENTRY_LEN * 1024 * 1024 + crate::crypto::ENVELOPE_OVERHEAD;

/// What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobType {
    /// File content or table rows.
    Data,
    /// Metadata: a directory tree or a table manifest (JSON).
    Tree,
}

impl BlobType {
    fn code(self) -> u8 {
        match self {
            BlobType::Data => 0,
            BlobType::Tree => 1,
        }
    }
}

/// One blob as described by a pack header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackEntry {
    /// Blob type.
    pub blob_type: BlobType,
    /// Blob id (HMAC of the plaintext).
    pub id: Id,
    /// Offset of the sealed blob in the pack.
    pub offset: u32,
    /// Length of the sealed blob in the pack.
    pub length: u32,
    /// Plaintext length when the blob is deflated, else `None`.
    pub uncompressed: Option<u32>,
}

impl PackEntry {
    /// The plaintext length of the blob; `encrypted` says whether the
    /// stored length includes the envelope.
    pub fn plain_len(&self, encrypted: bool) -> u64 {
        let overhead = if encrypted {
            crate::crypto::ENVELOPE_OVERHEAD as u64
        } else {
            0
        };
        match self.uncompressed {
            Some(n) => u64::from(n),
            None => u64::from(self.length).saturating_sub(overhead),
        }
    }
}

/// Builds one pack in memory.
#[derive(Debug, Default)]
pub struct PackWriter {
    data: Vec<u8>,
    entries: Vec<PackEntry>,
}

impl PackWriter {
    /// An empty pack.
    pub fn new() -> PackWriter {
        PackWriter::default()
    }

    /// An empty pack that will not reallocate before `capacity` bytes
    /// (reallocating a 16 MiB buffer briefly doubles the memory it takes).
    pub fn with_capacity(capacity: usize) -> PackWriter {
        PackWriter {
            data: Vec::with_capacity(capacity),
            entries: Vec::new(),
        }
    }

    /// Bytes so far.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether no blob was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of blobs.
    pub fn count(&self) -> usize {
        self.entries.len()
    }

    /// Whether the pack holds blob `id`.
    pub fn contains(&self, id: &Id) -> bool {
        self.entries.iter().any(|e| &e.id == id)
    }

    /// Appends a sealed blob.
    ///
    /// # Errors
    /// When the pack would exceed 4 GiB.
    pub fn add(
        &mut self,
        blob_type: BlobType,
        id: Id,
        sealed: &[u8],
        uncompressed: Option<u32>,
    ) -> Result<()> {
        let offset = u32::try_from(self.data.len())
            .map_err(|_| Error::Invalid("pack exceeds 4 GiB".into()))?;
        let length =
            u32::try_from(sealed.len()).map_err(|_| Error::Invalid("blob exceeds 4 GiB".into()))?;
        self.data.extend_from_slice(sealed);
        self.entries.push(PackEntry {
            blob_type,
            id,
            offset,
            length,
            uncompressed,
        });
        Ok(())
    }

    /// Seals the header and returns the pack bytes and its entries.
    ///
    /// # Errors
    /// When the header cannot be sealed.
    pub fn finish(mut self, crypto: &Crypto) -> Result<(Vec<u8>, Vec<PackEntry>)> {
        let mut header = Vec::with_capacity(self.entries.len() * ENTRY_LEN);
        for e in &self.entries {
            let compressed = e.uncompressed.is_some();
            header.push(e.blob_type.code() | if compressed { 2 } else { 0 });
            header.extend_from_slice(&e.length.to_le_bytes());
            header.extend_from_slice(&e.uncompressed.unwrap_or(0).to_le_bytes());
            header.extend_from_slice(&e.id.0);
        }
        let sealed = crypto.seal(&header)?;
        let hlen = u32::try_from(sealed.len())
            .map_err(|_| Error::Invalid("pack header exceeds 4 GiB".into()))?;
        self.data.extend_from_slice(&sealed);
        self.data.extend_from_slice(&hlen.to_le_bytes());
        Ok((self.data, self.entries))
    }
}

/// Length of the sealed header, from a pack's last 4 bytes.
///
/// # Errors
/// When the tail is short or claims an impossible length.
pub fn header_len(tail4: &[u8], pack_size: u64, pack: &str) -> Result<usize> {
    let bytes: [u8; 4] = tail4
        .try_into()
        .map_err(|_| Error::malformed(format!("pack {pack}"), "shorter than 4 bytes"))?;
    let n = u32::from_le_bytes(bytes) as usize;
    if n > MAX_HEADER_LEN || n as u64 + 4 > pack_size {
        return Err(Error::malformed(
            format!("pack {pack}"),
            format!("header length {n} does not fit a pack of {pack_size} bytes"),
        ));
    }
    Ok(n)
}

/// Parses a sealed header; `data_len` is the pack size minus header and
/// length field, which the entries must exactly fill.
///
/// # Errors
/// When the header does not open or is inconsistent.
pub fn parse_header(
    crypto: &Crypto,
    sealed: &[u8],
    data_len: u64,
    pack: &str,
) -> Result<Vec<PackEntry>> {
    let what = || format!("header of pack {pack}");
    let header = crypto.open(sealed, &what)?;
    if header.len() % ENTRY_LEN != 0 {
        return Err(Error::malformed(what(), "length is not a multiple of 41"));
    }
    let mut offset: u64 = 0;
    let mut out = Vec::with_capacity(header.len() / ENTRY_LEN);
    for e in header.chunks_exact(ENTRY_LEN) {
        let blob_type = match e[0] & 1 {
            0 => BlobType::Data,
            _ => BlobType::Tree,
        };
        if e[0] > 3 {
            return Err(Error::malformed(
                what(),
                format!("unknown entry type {}", e[0]),
            ));
        }
        let length = u32::from_le_bytes([e[1], e[2], e[3], e[4]]);
        let unc = u32::from_le_bytes([e[5], e[6], e[7], e[8]]);
        let mut id = [0u8; 32];
        id.copy_from_slice(&e[9..41]);
        out.push(PackEntry {
            blob_type,
            id: Id(id),
            offset: u32::try_from(offset)
                .map_err(|_| Error::malformed(what(), "offset beyond 4 GiB"))?,
            length,
            uncompressed: (e[0] & 2 != 0).then_some(unc),
        });
        offset += u64::from(length);
    }
    if offset != data_len {
        return Err(Error::malformed(
            what(),
            format!("entries cover {offset} bytes but the pack holds {data_len}"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;

    #[test]
    fn write_and_parse() {
        let c = Crypto::new(&MasterKey::generate().unwrap());
        let mut w = PackWriter::new();
        let b1 = c.seal(b"one").unwrap();
        let b2 = c.seal(b"two two").unwrap();
        w.add(BlobType::Data, c.blob_id(b"one"), &b1, None).unwrap();
        w.add(BlobType::Tree, c.blob_id(b"two two"), &b2, Some(99))
            .unwrap();
        let (bytes, entries) = w.finish(&c).unwrap();
        let n = bytes.len();
        let hl = header_len(&bytes[n - 4..], n as u64, "p").unwrap();
        let parsed = parse_header(&c, &bytes[n - 4 - hl..n - 4], (n - 4 - hl) as u64, "p").unwrap();
        assert_eq!(parsed, entries);
        assert_eq!(parsed[1].offset as usize, b1.len());
        assert_eq!(parsed[1].uncompressed, Some(99));
        assert!(parse_header(&c, &bytes[n - 4 - hl..n - 4], 1, "p").is_err());
        assert!(header_len(&[255, 255, 255, 255], 100, "p").is_err());
    }
}
