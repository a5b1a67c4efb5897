//! The repository configuration object (`config`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::chunker::ChunkerParams;
use crate::error::{Error, Result};

/// Current repository format version.
pub const VERSION: u32 = 1;

/// Default target pack size: 16 MiB (see docs/BENCHMARKS.md).
pub const DEFAULT_PACK_SIZE: u32 = 16 * 1024 * 1024;

/// The repository configuration. Sealed with the master key, except in an
/// unencrypted repository, where it is plain JSON carrying the MAC key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Format version ([`VERSION`]).
    pub version: u32,
    /// Random repository id (64 hex digits).
    pub id: String,
    /// Whether blobs and objects are encrypted.
    pub encrypted: bool,
    /// Content-defined chunker parameters for files, including its secret seed.
    pub chunker: ChunkerParams,
    /// Chunker parameters for database streams (same seed). Absent in
    /// configs written before it existed, whose database streams were cut
    /// with the file chunker's parameters ([`Config::db_chunker`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_chunker: Option<ChunkerParams>,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// Deflate level for compressible blobs (0 = never compress).
    pub compression_level: u32,
    /// Base64 MAC key for blob ids, only in unencrypted repositories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_key: Option<String>,
}

impl Config {
    /// Checks the version and limits.
    ///
    /// # Errors
    /// On an unknown version or out-of-range values.
    pub fn validate(&self) -> Result<()> {
        if self.version != VERSION {
            return Err(Error::UnsupportedVersion(self.version));
        }
        self.chunker.validate()?;
        self.db_chunker().validate()?;
        if !(1024 * 1024..=256 * 1024 * 1024).contains(&self.pack_size) {
            return Err(Error::malformed("config", "pack size out of range"));
        }
        if self.compression_level > 9 {
            return Err(Error::malformed("config", "compression level above 9"));
        }
        Ok(())
    }

    /// Chunker parameters for database streams.
    pub fn db_chunker(&self) -> ChunkerParams {
        self.db_chunker.unwrap_or(self.chunker)
    }

    /// The MAC key of an unencrypted repository.
    ///
    /// # Errors
    /// When it is missing or not 32 bytes.
    pub fn plain_mac_key(&self) -> Result<[u8; 32]> {
        let raw = B64
            .decode(self.mac_key.as_deref().unwrap_or_default())
            .map_err(|e| Error::malformed("config mac_key", e))?;
        raw.try_into()
            .map_err(|_| Error::malformed("config mac_key", "not 32 bytes"))
    }
}
