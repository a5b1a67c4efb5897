//! `stats`: how big the repository is and what deduplication saves.

use serde::Serialize;

use super::ls::entries;
use crate::error::Result;
use crate::index::Index;
use crate::repo::Repository;
use crate::storage::FileKind;

/// Repository figures.
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// Snapshots.
    pub snapshots: usize,
    /// Packs.
    pub packs: usize,
    /// Bytes stored in packs.
    pub pack_bytes: u64,
    /// Bytes of index, snapshot, key and config objects.
    pub metadata_bytes: u64,
    /// Distinct blobs.
    pub blobs: usize,
    /// Plaintext bytes of the distinct blobs.
    pub unique_bytes: u64,
    /// What restoring every snapshot would write (files + table data).
    pub restore_bytes: u64,
    /// `restore_bytes / pack_bytes`.
    pub dedup_ratio: f64,
}

/// Computes the figures.
///
/// # Errors
/// Storage and integrity errors.
pub async fn run(repo: &Repository, index: &Index) -> Result<Stats> {
    let mut s = Stats::default();
    for kind in [
        FileKind::Index,
        FileKind::Snapshot,
        FileKind::Key,
        FileKind::Config,
    ] {
        s.metadata_bytes += repo
            .storage
            .list(kind)
            .await?
            .iter()
            .map(|o| o.size)
            .sum::<u64>();
    }
    let packs = repo.storage.list(FileKind::Pack).await?;
    s.packs = packs.len();
    s.pack_bytes = packs.iter().map(|o| o.size).sum();
    s.blobs = index.blob_count();
    s.unique_bytes = index
        .blobs()
        .map(|l| l.entry.plain_len(repo.crypto.is_encrypted()))
        .sum();
    let snaps = repo.list_snapshots().await?;
    s.snapshots = snaps.len();
    for (_, snap) in &snaps {
        for e in entries(repo, index, snap).await? {
            if e.kind == "file" || e.kind == "table" {
                s.restore_bytes += e.size;
            }
        }
    }
    if s.pack_bytes > 0 {
        s.dedup_ratio = s.restore_bytes as f64 / s.pack_bytes as f64;
    }
    Ok(s)
}
