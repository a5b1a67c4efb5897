//! `prune`: removes data that no snapshot references.
//!
//! Prune runs under an exclusive lock (rule W7 of docs/FORMAT.md): no backup
//! is adding objects meanwhile, and a backup that starts during a prune
//! waits or stops with [`Error::Locked`]. A backup whose own lock went stale
//! (a sleeping laptop, a frozen tab) refuses to write its index and snapshot
//! (see [`crate::repo::lock::Lock::refresh`]), so a prune that ran meanwhile
//! can never leave a snapshot pointing at deleted data.
//!
//! Steps, each safe to interrupt:
//! 1. Read every index file, snapshot, tree and table manifest. Anything
//!    unreadable stops prune before it deletes anything: deciding what is
//!    unused needs the complete picture.
//! 2. Classify indexed packs: fully used (kept), fully unused (deleted),
//!    partly used (repacked while the unused share of the repository
//!    exceeds `max_unused`). A blob stored in several packs counts once.
//! 3. Repack: copy the used blobs of the chosen packs, verified (envelope,
//!    length, id) but not re-encrypted, into new packs (rule W3).
//! 4. Write index files listing every pack still in use; the last one
//!    written supersedes all earlier index files (rule W8).
//! 5. Delete the superseded index files, then the packs no index names
//!    (unused, repacked, and those left by interrupted backups).
//!
//! An interrupted prune leaves packs that no index names (removed by the
//! next prune) or index files that a newer one supersedes: never a snapshot
//! that cannot be restored.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::{Index, IndexFile, IndexPack};
use crate::pack::PackEntry;
use crate::progress::{Phase, Progress};
use crate::repo::lock::Lock;
use crate::repo::saver::{PreparedBlob, Saver};
use crate::repo::Repository;
use crate::storage::FileKind;

/// Packs listed per index file written by prune.
const PACKS_PER_INDEX_FILE: usize = 256;

/// Options of `prune`.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// Tolerated unused bytes, as a percentage of the used bytes: partly
    /// used packs are repacked (most wasteful first) until the unused share
    /// is at most this. 100 or more never repacks; 0 repacks every partly
    /// used pack.
    pub max_unused_percent: f64,
    /// Compute and report only.
    pub dry_run: bool,
    /// Wait this long for other processes' locks to go away.
    pub lock_wait: Option<std::time::Duration>,
}

impl Default for PruneOptions {
    fn default() -> Self {
        PruneOptions {
            max_unused_percent: 5.0,
            dry_run: false,
            lock_wait: None,
        }
    }
}

/// What prune found and did (with `dry_run`: would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    /// Snapshots whose data is kept.
    pub snapshots: usize,
    /// Packs on the storage.
    pub packs_total: usize,
    /// Bytes of packs on the storage.
    pub bytes_total: u64,
    /// Stored bytes of blobs in use (one copy each).
    pub bytes_used: u64,
    /// Stored bytes of blobs nothing uses, before prune.
    pub bytes_unused: u64,
    /// Packs deleted because nothing in them is used.
    pub packs_deleted: usize,
    /// Packs rewritten without their unused blobs.
    pub packs_repacked: usize,
    /// Packs no index named (left by interrupted backups), deleted.
    pub packs_unindexed: usize,
    /// New packs written by repacking.
    pub packs_written: usize,
    /// Bytes of the new packs.
    pub bytes_written: u64,
    /// Bytes removed from the storage (deleted packs minus new packs).
    pub bytes_freed: u64,
    /// Unused bytes left in kept packs after prune.
    pub bytes_unused_after: u64,
    /// Index files replaced.
    pub index_files_replaced: usize,
    /// Index files written.
    pub index_files_written: usize,
    /// Whether nothing was changed because this was a dry run.
    pub dry_run: bool,
}

/// One indexed pack and how much of it is used.
struct PackUse {
    id: Id,
    size: u64,
    entries: Vec<PackEntry>,
    used: Vec<bool>,
    used_bytes: u64,
    unused_bytes: u64,
}

/// Runs prune.
///
/// # Errors
/// [`Error::Locked`] while any other process holds a lock; [`Error::Invalid`]
/// when the repository is damaged (a snapshot, tree, manifest or index file
/// cannot be read, or a used pack is missing: run `check`); storage errors.
pub async fn run(
    repo: &Repository,
    opts: &PruneOptions,
    progress: &dyn Progress,
) -> Result<PruneReport> {
    let lock = if opts.dry_run {
        None
    } else {
        Some(Lock::take(repo, true, "prune", opts.lock_wait).await?)
    };
    let result = prune(repo, opts, progress, lock.as_ref()).await;
    if let Some(lock) = lock {
        let released = lock.release(repo).await;
        let report = result?;
        released?;
        return Ok(report);
    }
    result
}

async fn prune(
    repo: &Repository,
    opts: &PruneOptions,
    progress: &dyn Progress,
    lock: Option<&Lock>,
) -> Result<PruneReport> {
    let damaged = |what: String| {
        Error::Invalid(format!(
            "{what}; prune deletes nothing while the repository is damaged: run `strongbox check` to see what is affected"
        ))
    };
    let mut r = PruneReport {
        dry_run: opts.dry_run,
        ..PruneReport::default()
    };

    // 1. Index files, snapshots and everything they reference.
    let mut index_files: Vec<(Id, IndexFile)> = Vec::new();
    for obj in repo.storage.list(FileKind::Index).await? {
        let Ok(id) = Id::parse(&obj.name) else {
            continue;
        };
        let f = repo
            .load_json::<IndexFile>(FileKind::Index, &id)
            .await
            .map_err(|e| damaged(format!("index file {}: {e}", id.short())))?;
        index_files.push((id, f));
    }
    let superseded: HashSet<Id> = index_files
        .iter()
        .flat_map(|(_, f)| f.supersedes.iter().copied())
        .collect();
    let mut index = Index::new();
    for (id, f) in &index_files {
        if !superseded.contains(id) {
            index.add_file(*id, f);
        }
    }
    let snapshots = repo.list_snapshots().await?;
    r.snapshots = snapshots.len();
    let mut used: HashSet<Id> = HashSet::new();
    let mut cache = HashMap::new();
    for (i, (sid, s)) in snapshots.iter().enumerate() {
        progress.item(
            Phase::Prune,
            &format!("snapshot {}", sid.short()),
            i as u64,
            snapshots.len() as u64,
        );
        let mut errs = Vec::new();
        super::check::collect_refs(repo, &index, s, &mut used, &mut errs, &mut cache).await;
        if let Some(e) = errs.first() {
            return Err(damaged(format!("snapshot {}: {e}", sid.short())));
        }
    }
    drop(cache);
    for b in &used {
        if !index.has(b) {
            return Err(damaged(format!("blob {} is not in any index", b.short())));
        }
    }

    // 2. Classify.
    let stored: HashMap<Id, u64> = repo
        .storage
        .list(FileKind::Pack)
        .await?
        .into_iter()
        .filter_map(|o| Id::parse(&o.name).ok().map(|id| (id, o.size)))
        .collect();
    r.packs_total = stored.len();
    r.bytes_total = stored.values().sum();
    let mut packs: Vec<PackUse> = index
        .packs()
        .map(|(id, entries)| PackUse {
            id: *id,
            size: stored.get(id).copied().unwrap_or(0),
            entries: entries.clone(),
            used: vec![false; entries.len()],
            used_bytes: 0,
            unused_bytes: 0,
        })
        .collect();
    // Fuller packs claim shared blobs first, so duplicates end up unused in
    // the packs that are emptier anyway.
    packs.sort_by(|a, b| {
        let ua = a.entries.iter().filter(|e| used.contains(&e.id)).count();
        let ub = b.entries.iter().filter(|e| used.contains(&e.id)).count();
        (ub * a.entries.len().max(1))
            .cmp(&(ua * b.entries.len().max(1)))
            .then(a.id.cmp(&b.id))
    });
    let mut claimed: HashSet<Id> = HashSet::new();
    for p in &mut packs {
        for (k, e) in p.entries.iter().enumerate() {
            if used.contains(&e.id) && claimed.insert(e.id) {
                p.used[k] = true;
                p.used_bytes += u64::from(e.length);
            } else {
                p.unused_bytes += u64::from(e.length);
            }
        }
        if p.used_bytes > 0 && !stored.contains_key(&p.id) {
            return Err(damaged(format!(
                "pack {} holds data in use but is missing from the storage",
                p.id.short()
            )));
        }
    }
    r.bytes_used = packs.iter().map(|p| p.used_bytes).sum();
    r.bytes_unused = packs.iter().map(|p| p.unused_bytes).sum();

    let mut delete: Vec<Id> = Vec::new();
    let mut repack: Vec<usize> = Vec::new();
    let mut partial: Vec<usize> = Vec::new();
    for (i, p) in packs.iter().enumerate() {
        if p.used_bytes == 0 {
            delete.push(p.id);
        } else if p.unused_bytes > 0 {
            partial.push(i);
        }
    }
    r.packs_deleted = delete.iter().filter(|id| stored.contains_key(id)).count();
    let allowed = (r.bytes_used as f64 * opts.max_unused_percent.max(0.0) / 100.0) as u64;
    let mut unused_left: u64 = partial.iter().map(|&i| packs[i].unused_bytes).sum();
    partial.sort_by(|a, b| packs[*b].unused_bytes.cmp(&packs[*a].unused_bytes));
    if opts.max_unused_percent < 100.0 {
        for i in partial {
            if unused_left <= allowed {
                break;
            }
            unused_left -= packs[i].unused_bytes;
            repack.push(i);
        }
    }
    r.bytes_unused_after = unused_left;
    r.packs_repacked = repack.len();
    let indexed: HashSet<Id> = packs.iter().map(|p| p.id).collect();
    let unindexed: Vec<Id> = stored
        .keys()
        .filter(|id| !indexed.contains(id))
        .copied()
        .collect();
    r.packs_unindexed = unindexed.len();

    let removed_bytes: u64 = delete
        .iter()
        .chain(repack.iter().map(|&i| &packs[i].id))
        .chain(unindexed.iter())
        .filter_map(|id| stored.get(id))
        .sum();
    let nothing_to_do = delete.is_empty() && repack.is_empty() && unindexed.is_empty();
    if opts.dry_run || nothing_to_do {
        r.bytes_freed = removed_bytes;
        if opts.dry_run && !repack.is_empty() {
            // The new packs hold about the used bytes of the repacked ones.
            let estimate: u64 = repack.iter().map(|&i| packs[i].used_bytes).sum();
            r.bytes_freed = removed_bytes.saturating_sub(estimate);
        }
        return Ok(r);
    }

    // 3. Repack.
    let mut saver = Saver::new(repo, Index::new());
    if let Some(lock) = lock {
        saver.keep_fresh(lock);
    }
    let total_repack = repack.len() as u64;
    for (n, &i) in repack.iter().enumerate() {
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let p = &packs[i];
        progress.item(
            Phase::Prune,
            &format!("repacking {}", p.id.short()),
            n as u64,
            total_repack,
        );
        let data = repo.storage.get(FileKind::Pack, &p.id.to_hex()).await?;
        let actual = crate::crypto::sha256_async(&data).await;
        if actual != p.id {
            return Err(damaged(format!(
                "pack {} does not match its name (altered on the storage)",
                p.id.short()
            )));
        }
        for (k, e) in p.entries.iter().enumerate() {
            if !p.used[k] {
                continue;
            }
            let (start, end) = (e.offset as usize, e.offset as usize + e.length as usize);
            let sealed = data.get(start..end).ok_or_else(|| {
                damaged(format!(
                    "pack {} is shorter than its index says",
                    p.id.short()
                ))
            })?;
            let plain = repo
                .decode_blob(&p.id, e, sealed)
                .await
                .map_err(|err| damaged(format!("blob {}: {err}", e.id.short())))?;
            saver
                .add_prepared(PreparedBlob {
                    blob_type: e.blob_type,
                    id: e.id,
                    sealed: sealed.to_vec(),
                    uncompressed: e.uncompressed,
                    plain_len: plain.len(),
                })
                .await?;
        }
        progress.bytes(Phase::Prune, p.size);
    }
    let (new_index, stats, saver_files) = saver.finish_with_index_files().await?;
    r.packs_written = stats.packs as usize;
    r.bytes_written = stats.bytes_stored;
    r.bytes_freed = removed_bytes.saturating_sub(stats.bytes_stored);

    // 4. Index files for every pack in use; the last supersedes the rest.
    let gone: HashSet<Id> = delete
        .iter()
        .chain(repack.iter().map(|&i| &packs[i].id))
        .copied()
        .collect();
    let mut keep: Vec<IndexPack> = packs
        .iter()
        .filter(|p| !gone.contains(&p.id))
        .map(|p| IndexPack::from_entries(p.id, &p.entries))
        .collect();
    keep.extend(
        new_index
            .packs()
            .map(|(id, entries)| IndexPack::from_entries(*id, entries)),
    );
    keep.sort_by_key(|p| p.id);
    let mut replaced: Vec<Id> = index_files.iter().map(|(id, _)| *id).collect();
    replaced.extend(saver_files);
    let mut chunks: Vec<Vec<IndexPack>> = Vec::new();
    let mut rest = keep;
    while rest.len() > PACKS_PER_INDEX_FILE {
        let tail = rest.split_off(PACKS_PER_INDEX_FILE);
        chunks.push(rest);
        rest = tail;
    }
    chunks.push(rest);
    let last = chunks.pop().unwrap_or_default();
    for packs in chunks {
        repo.save_json(
            FileKind::Index,
            &IndexFile {
                supersedes: Vec::new(),
                packs,
            },
        )
        .await?;
        r.index_files_written += 1;
    }
    if let Some(lock) = lock {
        lock.refresh(repo).await?;
    }
    repo.save_json(
        FileKind::Index,
        &IndexFile {
            supersedes: replaced.clone(),
            packs: last,
        },
    )
    .await?;
    r.index_files_written += 1;

    // 5. Delete what nothing names any more.
    for id in &replaced {
        repo.storage.delete(FileKind::Index, &id.to_hex()).await?;
    }
    r.index_files_replaced = replaced.len();
    for id in gone.iter().chain(unindexed.iter()) {
        if stored.contains_key(id) {
            repo.storage.delete(FileKind::Pack, &id.to_hex()).await?;
        }
    }
    Ok(r)
}
