//! Trees: one folder of the site's files, stored as a JSON tree blob.
//!
//! A node's name is kept as UTF-8 when it is valid UTF-8, and otherwise as
//! base64 of the raw bytes in `name_raw` (with a lossy `name` for display),
//! so non-UTF-8 file names restore byte for byte.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::Id;

/// A folder listing.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tree {
    /// Entries sorted by raw name bytes.
    pub nodes: Vec<Node>,
}

/// What a node is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// Regular file.
    File,
    /// Folder.
    Dir,
    /// Symbolic link.
    Symlink,
}

/// One entry of a folder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Node {
    /// Name (lossy when `name_raw` is set).
    pub name: String,
    /// Base64 of the raw name when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_raw: Option<String>,
    /// Kind.
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Unix permission bits.
    pub mode: u32,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// File size.
    #[serde(default)]
    pub size: u64,
    /// Content blobs of a file, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Id>,
    /// Tree blob of a folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtree: Option<Id>,
    /// Target of a symlink (lossy when `target_raw` is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Base64 of the raw target when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_raw: Option<String>,
}

/// Encodes raw bytes as (display string, raw base64 when not UTF-8).
pub fn encode_name(raw: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(raw) {
        Ok(s) => (s.to_string(), None),
        Err(_) => (
            String::from_utf8_lossy(raw).into_owned(),
            Some(B64.encode(raw)),
        ),
    }
}

fn decode(s: &str, raw: &Option<String>) -> Result<Vec<u8>> {
    match raw {
        None => Ok(s.as_bytes().to_vec()),
        Some(r) => B64
            .decode(r)
            .map_err(|e| Error::malformed("tree node name", e)),
    }
}

impl Node {
    /// The raw name bytes.
    ///
    /// # Errors
    /// When `name_raw` is not base64.
    pub fn raw_name(&self) -> Result<Vec<u8>> {
        let raw = decode(&self.name, &self.name_raw)?;
        if raw.is_empty() || raw == b"." || raw == b".." || raw.contains(&b'/') || raw.contains(&0)
        {
            return Err(Error::malformed(
                "tree node",
                format!("unsafe file name {:?}", self.name),
            ));
        }
        Ok(raw)
    }

    /// The raw symlink target.
    ///
    /// # Errors
    /// When `target_raw` is not base64.
    pub fn raw_target(&self) -> Result<Vec<u8>> {
        decode(self.target.as_deref().unwrap_or(""), &self.target_raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unsafe_names_are_refused() {
        let (n, r) = encode_name(b"caf\xe9.txt");
        let node = Node {
            name: n,
            name_raw: r,
            kind: NodeKind::File,
            mode: 0o644,
            mtime_ns: 0,
            size: 0,
            content: vec![],
            subtree: None,
            target: None,
            target_raw: None,
        };
        assert_eq!(node.raw_name().unwrap(), b"caf\xe9.txt");
        let bad = Node {
            name: "../etc".into(),
            name_raw: None,
            ..node.clone()
        };
        assert!(bad.raw_name().is_err());
        let dots = Node {
            name: "..".into(),
            name_raw: None,
            ..node
        };
        assert!(dots.raw_name().is_err());
    }
}
