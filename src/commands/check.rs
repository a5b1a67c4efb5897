//! `check`: is the repository whole, and does every snapshot restore?
//!
//! Without `--read-data` the structure is checked: every index, snapshot,
//! tree and table manifest opens, every referenced blob is indexed, every
//! indexed pack exists with the size the index implies. With `--read-data`
//! (or a subset) packs are downloaded and every blob is decrypted, inflated
//! and checked against its id. Damage is reported with the snapshots it
//! affects.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::crypto::{self, ENVELOPE_OVERHEAD};
use crate::db::TableManifest;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::{Index, IndexFile};
use crate::pack::{self, ENTRY_LEN};
use crate::progress::{Phase, Progress};
use crate::repo::Repository;
use crate::snapshot::Snapshot;
use crate::storage::FileKind;
use crate::tree::{NodeKind, Tree};

/// Which packs `--read-data-subset` reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Subset {
    /// Group `n` of `m` (1-based): packs whose position in id order is
    /// `n-1` modulo `m`. Running 1/m .. m/m over m days reads everything.
    Group(u32, u32),
    /// A random fraction (0..=1) of packs.
    Fraction(f64),
}

impl Subset {
    /// Parses `n/m` or `x%`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for anything else.
    pub fn parse(s: &str) -> Result<Subset> {
        let bad = || {
            Error::Invalid(format!("--read-data-subset {s:?}: use n/m (for example 2/7) or a percentage (for example 10%)"))
        };
        if let Some(p) = s.strip_suffix('%') {
            let f: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&f) || f == 0.0 {
                return Err(bad());
            }
            return Ok(Subset::Fraction(f / 100.0));
        }
        let (n, m) = s.split_once('/').ok_or_else(bad)?;
        let (n, m): (u32, u32) = (
            n.trim().parse().map_err(|_| bad())?,
            m.trim().parse().map_err(|_| bad())?,
        );
        if m == 0 || n == 0 || n > m {
            return Err(bad());
        }
        Ok(Subset::Group(n, m))
    }
}

/// Options of `check`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Read every pack.
    pub read_data: bool,
    /// Read a subset of packs.
    pub subset: Option<Subset>,
}

/// The outcome of `check`.
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    /// Problems that mean data is lost or unreadable.
    pub errors: Vec<String>,
    /// Things worth knowing that lose nothing.
    pub warnings: Vec<String>,
    /// Snapshots checked.
    pub snapshots: usize,
    /// Packs indexed.
    pub packs: usize,
    /// Packs downloaded and verified.
    pub packs_read: usize,
    /// Blobs verified by reading.
    pub blobs_read: u64,
    /// Snapshots that reference missing or damaged data.
    pub damaged_snapshots: Vec<String>,
}

impl CheckReport {
    /// Whether no error was found.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Runs the check.
///
/// # Errors
/// Only when the repository cannot be listed at all; everything else is
/// reported in the [`CheckReport`].
pub async fn run(
    repo: &Repository,
    opts: &CheckOptions,
    progress: &dyn Progress,
) -> Result<CheckReport> {
    let mut r = CheckReport::default();

    // Keys.
    if repo.config.encrypted {
        match repo.list_keys().await {
            Ok(keys) if keys.is_empty() => r
                .errors
                .push("no key files: nobody can open this repository".into()),
            Ok(_) => {}
            Err(e) => r.errors.push(format!("key files: {e}")),
        }
    }

    // Index files, one by one so a bad one is named.
    let mut index = Index::new();
    let mut files = Vec::new();
    for obj in repo.storage.list(FileKind::Index).await? {
        let Ok(id) = Id::parse(&obj.name) else {
            r.warnings
                .push(format!("index/{}: not an object name, ignored", obj.name));
            continue;
        };
        match repo.load_json::<IndexFile>(FileKind::Index, &id).await {
            Ok(f) => files.push((id, f)),
            Err(e) => r.errors.push(format!("index {}: {e}", id.short())),
        }
    }
    let superseded: HashSet<Id> = files
        .iter()
        .flat_map(|(_, f)| f.supersedes.iter().copied())
        .collect();
    for (id, f) in &files {
        if !superseded.contains(id) {
            index.add_file(*id, f);
        }
    }

    // Packs on storage against packs in the index.
    let stored: HashMap<Id, u64> = repo
        .storage
        .list(FileKind::Pack)
        .await?
        .into_iter()
        .filter_map(|o| Id::parse(&o.name).ok().map(|id| (id, o.size)))
        .collect();
    let mut damaged_blobs: HashSet<Id> = HashSet::new();
    let expected: HashMap<Id, (u64, usize)> = index
        .packs()
        .map(|(pack, entries)| {
            let extent = entries
                .iter()
                .map(|e| u64::from(e.offset) + u64::from(e.length))
                .max()
                .unwrap_or(0);
            (*pack, (extent, entries.len()))
        })
        .collect();
    r.packs = expected.len();
    let overhead = if repo.crypto.is_encrypted() {
        ENVELOPE_OVERHEAD as u64
    } else {
        0
    };
    let mut sorted_packs: Vec<Id> = expected.keys().copied().collect();
    sorted_packs.sort();
    for pack in &sorted_packs {
        let (extent, n) = expected[pack];
        let want = extent + (n * ENTRY_LEN) as u64 + overhead + 4;
        match stored.get(pack) {
            None => {
                r.errors
                    .push(format!("pack {pack} is missing from the storage"));
                mark_pack(&index, pack, &mut damaged_blobs);
            }
            Some(&size) if size != want => {
                r.errors.push(format!(
                    "pack {pack} has {size} bytes, the index implies {want} (truncated or altered)"
                ));
                mark_pack(&index, pack, &mut damaged_blobs);
            }
            _ => {}
        }
    }
    for pack in stored.keys() {
        if !index.has_pack(pack) {
            r.warnings.push(format!(
                "pack {} is not in any index (left by an interrupted backup; the next backup adopts it)",
                pack.short()
            ));
        }
    }

    // Snapshots, trees and table manifests.
    let mut snapshots: Vec<(Id, Snapshot)> = Vec::new();
    for obj in repo.storage.list(FileKind::Snapshot).await? {
        let Ok(id) = Id::parse(&obj.name) else {
            continue;
        };
        match repo.load_json::<Snapshot>(FileKind::Snapshot, &id).await {
            Ok(s) => snapshots.push((id, s)),
            Err(e) => {
                r.errors.push(format!("snapshot {}: {e}", id.short()));
                r.damaged_snapshots.push(id.to_hex());
            }
        }
    }
    r.snapshots = snapshots.len();
    let mut tree_cache: HashMap<Id, TreeRefs> = HashMap::new();
    for (sid, s) in &snapshots {
        progress.item(Phase::Check, &sid.short(), 0, snapshots.len() as u64);
        let mut refs = HashSet::new();
        let mut errs = Vec::new();
        collect_refs(repo, &index, s, &mut refs, &mut errs, &mut tree_cache).await;
        for b in &refs {
            if !index.has(b) {
                errs.push(format!("blob {} is not in any index", b.short()));
                damaged_blobs.insert(*b);
            }
        }
        if !errs.is_empty() {
            errs.sort();
            errs.dedup();
            for e in errs.iter().take(20) {
                r.errors.push(format!("snapshot {}: {e}", sid.short()));
            }
            if errs.len() > 20 {
                r.errors.push(format!(
                    "snapshot {}: … and {} more problems",
                    sid.short(),
                    errs.len() - 20
                ));
            }
        }
        if refs.iter().any(|b| damaged_blobs.contains(b)) {
            r.damaged_snapshots.push(sid.to_hex());
        }
    }

    // Reading data.
    let to_read: Vec<Id> = match (opts.read_data, opts.subset) {
        (true, _) => sorted_packs.clone(),
        (false, Some(Subset::Group(n, m))) => sorted_packs
            .iter()
            .enumerate()
            .filter(|(i, _)| (*i as u32) % m == n - 1)
            .map(|(_, p)| *p)
            .collect(),
        (false, Some(Subset::Fraction(f))) => {
            let mut v = Vec::new();
            for p in &sorted_packs {
                let mut b = [0u8; 4];
                crypto::random_bytes(&mut b)?;
                if (f64::from(u32::from_le_bytes(b)) / f64::from(u32::MAX)) < f {
                    v.push(*p);
                }
            }
            if v.is_empty() {
                v.extend(sorted_packs.first().copied());
            }
            v
        }
        (false, None) => Vec::new(),
    };
    for (i, pack) in to_read.iter().enumerate() {
        if !stored.contains_key(pack) {
            continue;
        }
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        progress.item(Phase::Check, &pack.short(), i as u64, to_read.len() as u64);
        r.packs_read += 1;
        match read_pack(repo, &index, pack, &mut r.blobs_read).await {
            Ok(bad) => {
                for (b, why) in bad {
                    r.errors.push(why);
                    damaged_blobs.insert(b);
                }
            }
            Err(e) => {
                r.errors.push(format!("pack {pack}: {e}"));
                mark_pack(&index, pack, &mut damaged_blobs);
            }
        }
        progress.bytes(Phase::Check, stored[pack]);
    }

    // Blobs found damaged by reading: which snapshots need them? (The tree
    // cache makes this second walk cheap; sets are built one at a time so
    // memory stays bounded by one snapshot.)
    if r.packs_read > 0 && !damaged_blobs.is_empty() {
        for (sid, s) in &snapshots {
            let mut refs = HashSet::new();
            let mut errs = Vec::new();
            collect_refs(repo, &index, s, &mut refs, &mut errs, &mut tree_cache).await;
            if refs.iter().any(|b| damaged_blobs.contains(b)) {
                r.damaged_snapshots.push(sid.to_hex());
            }
        }
    }
    r.damaged_snapshots.sort();
    r.damaged_snapshots.dedup();
    Ok(r)
}

fn mark_pack(index: &Index, pack: &Id, out: &mut HashSet<Id>) {
    for (p, entries) in index.packs() {
        if p == pack {
            out.extend(entries.iter().map(|e| e.id));
        }
    }
}

/// What one tree references: its subtrees and its files' content.
pub(crate) type TreeRefs = std::result::Result<(Vec<Id>, Vec<Id>), String>;

pub(crate) async fn collect_refs(
    repo: &Repository,
    index: &Index,
    s: &Snapshot,
    refs: &mut HashSet<Id>,
    errs: &mut Vec<String>,
    cache: &mut HashMap<Id, TreeRefs>,
) {
    let mut stack: Vec<Id> = s.files.iter().map(|f| f.tree).collect();
    while let Some(t) = stack.pop() {
        if !refs.insert(t) {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(slot) = cache.entry(t) {
            let entry = match repo.read_json_blob::<Tree>(index, &t).await {
                Ok(tree) => {
                    let (mut subs, mut content) = (Vec::new(), Vec::new());
                    for n in tree.nodes {
                        match n.kind {
                            NodeKind::Dir => subs.extend(n.subtree),
                            NodeKind::File => content.extend(n.content),
                            NodeKind::Symlink => {}
                        }
                    }
                    Ok((subs, content))
                }
                Err(e) => Err(format!("tree {}: {e}", t.short())),
            };
            slot.insert(entry);
        }
        match &cache[&t] {
            Ok((subs, content)) => {
                stack.extend(subs.iter().copied());
                refs.extend(content.iter().copied());
            }
            Err(e) => errs.push(e.clone()),
        }
    }
    if let Some(db) = &s.database {
        for t in &db.tables {
            refs.insert(t.manifest);
            match repo
                .read_json_blob::<TableManifest>(index, &t.manifest)
                .await
            {
                Ok(m) => refs.extend(m.data_blobs()),
                Err(e) => errs.push(format!("table {}: {e}", t.name)),
            }
        }
    }
}

/// Downloads a pack and verifies everything in it. Returns damaged blobs.
async fn read_pack(
    repo: &Repository,
    index: &Index,
    pack: &Id,
    blobs_read: &mut u64,
) -> Result<Vec<(Id, String)>> {
    let data = repo.storage.get(FileKind::Pack, &pack.to_hex()).await?;
    let actual = crypto::sha256(&data);
    if actual != *pack {
        return Err(Error::HashMismatch {
            kind: FileKind::Pack,
            name: pack.to_hex(),
            actual: actual.to_hex(),
        });
    }
    let n = data.len();
    let hl = pack::header_len(&data[n.saturating_sub(4)..], n as u64, &pack.to_hex())?;
    let entries = pack::parse_header(
        &repo.crypto,
        &data[n - 4 - hl..n - 4],
        (n - 4 - hl) as u64,
        &pack.to_hex(),
    )?;
    let mut bad = Vec::new();
    for e in &entries {
        let sealed = &data[e.offset as usize..e.offset as usize + e.length as usize];
        *blobs_read += 1;
        if let Err(err) = repo.decode_blob(pack, e, sealed).await {
            bad.push((
                e.id,
                format!("blob {} in pack {}: {err}", e.id.short(), pack.short()),
            ));
            continue;
        }
        if let Some(loc) = index.get(&e.id) {
            if loc.pack == *pack && loc.entry != *e {
                bad.push((
                    e.id,
                    format!(
                        "blob {} in pack {}: the index disagrees with the pack header",
                        e.id.short(),
                        pack.short()
                    ),
                ));
            }
        }
    }
    Ok(bad)
}
