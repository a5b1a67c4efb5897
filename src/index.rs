//! The index: which blob lives where.
//!
//! Index files (`index/<id>`, sealed JSON) list packs and their blobs. They
//! are a cache of the pack headers: `repair index` could rebuild them from the
//! packs alone. In memory all index files are merged into one map.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::id::Id;
use crate::pack::{BlobType, PackEntry};

/// An index file as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexFile {
    /// Index files this one replaces (written by prune and repair).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub supersedes: Vec<Id>,
    /// Packs described.
    pub packs: Vec<IndexPack>,
}

/// One pack in an index file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexPack {
    /// Pack id (SHA-256 of its bytes).
    pub id: Id,
    /// Its blobs.
    pub blobs: Vec<IndexBlob>,
}

/// One blob in an index file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexBlob {
    /// Blob id.
    pub id: Id,
    /// Blob type.
    #[serde(rename = "type")]
    pub blob_type: BlobType,
    /// Offset of the sealed blob in the pack.
    pub offset: u32,
    /// Length of the sealed blob.
    pub length: u32,
    /// Plaintext length of a deflated blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncompressed_length: Option<u32>,
}

impl IndexPack {
    /// Describes a pack from its header entries.
    pub fn from_entries(id: Id, entries: &[PackEntry]) -> IndexPack {
        IndexPack {
            id,
            blobs: entries
                .iter()
                .map(|e| IndexBlob {
                    id: e.id,
                    blob_type: e.blob_type,
                    offset: e.offset,
                    length: e.length,
                    uncompressed_length: e.uncompressed,
                })
                .collect(),
        }
    }
}

/// Where a blob is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLocation {
    /// The pack.
    pub pack: Id,
    /// The header entry.
    pub entry: PackEntry,
}

/// The merged in-memory index.
#[derive(Debug, Default)]
pub struct Index {
    blobs: HashMap<Id, BlobLocation>,
    packs: HashMap<Id, Vec<PackEntry>>,
    files: HashSet<Id>,
}

impl Index {
    /// An empty index.
    pub fn new() -> Index {
        Index::default()
    }

    /// Adds a pack's blobs. The first location seen for a blob wins; a pack
    /// listed again (in another index file) is taken once.
    pub fn add_pack(&mut self, pack: Id, entries: &[PackEntry]) {
        if self.packs.contains_key(&pack) {
            return;
        }
        self.packs.insert(pack, entries.to_vec());
        for e in entries {
            self.blobs
                .entry(e.id)
                .or_insert(BlobLocation { pack, entry: *e });
        }
    }

    /// Adds every pack of an index file.
    pub fn add_file(&mut self, file_id: Id, file: &IndexFile) {
        self.files.insert(file_id);
        for p in &file.packs {
            let entries: Vec<PackEntry> = p
                .blobs
                .iter()
                .map(|b| PackEntry {
                    blob_type: b.blob_type,
                    id: b.id,
                    offset: b.offset,
                    length: b.length,
                    uncompressed: b.uncompressed_length,
                })
                .collect();
            self.add_pack(p.id, &entries);
        }
    }

    /// Where blob `id` is.
    pub fn get(&self, id: &Id) -> Option<&BlobLocation> {
        self.blobs.get(id)
    }

    /// The bytes of pack `id` that its indexed blobs span (its blobs end
    /// there; the header follows), or `None` for an unknown pack.
    pub fn pack_span(&self, id: &Id) -> Option<u64> {
        self.packs.get(id).map(|entries| {
            entries
                .iter()
                .map(|e| u64::from(e.offset) + u64::from(e.length))
                .max()
                .unwrap_or(0)
        })
    }

    /// Whether blob `id` is stored.
    pub fn has(&self, id: &Id) -> bool {
        self.blobs.contains_key(id)
    }

    /// Packs known to the index, with their entries.
    pub fn packs(&self) -> impl Iterator<Item = (&Id, &Vec<PackEntry>)> {
        self.packs.iter()
    }

    /// Whether a pack is indexed.
    pub fn has_pack(&self, id: &Id) -> bool {
        self.packs.contains_key(id)
    }

    /// Index files merged.
    pub fn files(&self) -> &HashSet<Id> {
        &self.files
    }

    /// Number of distinct blobs.
    pub fn blob_count(&self) -> usize {
        self.blobs.len()
    }

    /// Every blob location.
    pub fn blobs(&self) -> impl Iterator<Item = &BlobLocation> {
        self.blobs.values()
    }
}
