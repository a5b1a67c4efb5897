//! `backup`: store a site's files and database as a new snapshot.
//!
//! Only what changed is read: a file whose size, modification time and mode
//! equal the parent snapshot's is referenced without being opened, and a
//! database page whose checksum equals the parent's is referenced without
//! being read (see [`crate::db::backup`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::future::LocalBoxFuture;

use crate::chunker::Chunker;
use crate::compress::has_incompressible_magic;
use crate::db::backup::backup_database;
use crate::db::source::DbSource;
use crate::db::TableManifest;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::Index;
use crate::pack::BlobType;
use crate::progress::{Phase, Progress};
use crate::repo::lock::Lock;
use crate::repo::{Repository, Saver};
use crate::snapshot::{FilesPart, SiteInfo, Snapshot, SnapshotStats};
use crate::storage::FileKind;
use crate::tree::{encode_name, Node, NodeKind, Tree};

/// Bytes read from a file per request.
pub const READ_SIZE: u64 = 1024 * 1024;

/// One entry of a folder, as a file source lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Raw name bytes.
    pub name: Vec<u8>,
    /// Kind.
    pub kind: NodeKind,
    /// Permission bits.
    pub mode: u32,
    /// Modification time (ns since the epoch).
    pub mtime_ns: i64,
    /// Size.
    pub size: u64,
    /// Symlink target.
    pub target: Option<Vec<u8>>,
}

/// Where the site's files come from: a local folder natively, the plugin's
/// files API in the browser. Paths are lists of raw name components below
/// the source's root.
#[async_trait::async_trait(?Send)]
pub trait FileSource {
    /// Describes the source for the snapshot.
    fn describe(&self) -> String;
    /// Lists a folder (entries that are neither files, folders nor symlinks
    /// are left out by the source).
    async fn read_dir(&mut self, path: &[Vec<u8>]) -> Result<Vec<FileEntry>>;
    /// Reads up to `len` bytes at `offset` (fewer only at the end).
    async fn read(&mut self, path: &[Vec<u8>], offset: u64, len: u64) -> Result<Vec<u8>>;
    /// The entry as it is now (to notice a file that changed while read),
    /// `None` if it vanished.
    async fn stat(&mut self, path: &[Vec<u8>]) -> Result<Option<FileEntry>>;
    /// Says which files of a folder will be read next, in order, with their
    /// listed sizes, so a remote source can fetch small files in batches.
    /// Files left out (unchanged since the parent snapshot) are not read.
    async fn will_read(&mut self, _files: &[(Vec<Vec<u8>>, u64)]) -> Result<()> {
        Ok(())
    }
    /// Says that every file will be read (a first backup, or `--force`), so
    /// a remote source can batch small files across folders.
    fn will_read_all(&mut self) {}
}

/// Options of a backup.
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// What started it (`cli`, `manual`, `schedule`, `before-update`).
    pub trigger: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Site metadata.
    pub site: Option<SiteInfo>,
    /// Exclusion patterns (`*` and `?` wildcards), matched against the
    /// relative path and against the name.
    pub excludes: Vec<String>,
    /// Parent snapshot (`None`: the latest with the same sources).
    pub parent: Option<String>,
    /// Read every file even when unchanged.
    pub force: bool,
    /// The snapshot's time instead of the clock's (restic's `--time`): a
    /// scheduled job records the time its site scheduled it at.
    pub time: Option<DateTime<Utc>>,
    /// Wait this long for a conflicting lock (a prune) to go away.
    pub lock_wait: Option<std::time::Duration>,
}

/// Figures the walk collects.
#[derive(Default)]
struct Walk {
    stats: SnapshotStats,
    warnings: Vec<String>,
}

/// Runs a backup and writes the snapshot. Returns its id and content.
///
/// # Errors
/// [`Error::Cancelled`] when cancelled (what was uploaded stays reusable),
/// source and storage errors.
pub async fn run(
    repo: &Repository,
    files: Option<&mut dyn FileSource>,
    db: Option<&mut dyn DbSource>,
    opts: &BackupOptions,
    progress: &dyn Progress,
) -> Result<(Id, Snapshot)> {
    if files.is_none() && db.is_none() {
        return Err(Error::Invalid(
            "nothing to back up: give files, a database, or both".into(),
        ));
    }
    let lock = Lock::take(repo, false, "backup", opts.lock_wait).await?;
    let result = run_locked(repo, files, db, opts, progress, &lock).await;
    let released = lock.release(repo).await;
    let out = result?;
    released?;
    Ok(out)
}

async fn run_locked(
    repo: &Repository,
    files: Option<&mut dyn FileSource>,
    db: Option<&mut dyn DbSource>,
    opts: &BackupOptions,
    progress: &dyn Progress,
    lock: &Lock,
) -> Result<(Id, Snapshot)> {
    let start = Utc::now();
    let index = repo.load_index().await?;
    let files_source = files.as_ref().map(|f| f.describe());
    let db_name = db.as_ref().map(|d| d.database());
    let parent = find_parent(repo, opts, files_source.as_deref(), db_name.as_deref()).await?;

    let mut saver = Saver::new(repo, index);
    saver.keep_fresh(lock);
    saver.adopt_unindexed_packs().await?;
    let mut walk = Walk::default();

    let files_part = match files {
        Some(src) => {
            let parent_tree = match parent.as_ref().and_then(|(_, s)| s.files.as_ref()) {
                Some(f) => Some(repo.read_json_blob::<Tree>(saver.index(), &f.tree).await?),
                None => None,
            };
            if parent_tree.is_none() {
                src.will_read_all();
            }
            let ctx = WalkCtx {
                repo,
                opts,
                progress,
            };
            let res = walk_dir(&ctx, src, &mut saver, Vec::new(), parent_tree, &mut walk).await;
            let tree = match res {
                Ok(t) => t,
                Err(e) => return Err(finish_after_error(saver, e).await),
            };
            Some(FilesPart {
                source: files_source.unwrap_or_default(),
                tree,
            })
        }
        None => None,
    };

    let database = match db {
        Some(src) => {
            let mut previous: HashMap<String, TableManifest> = HashMap::new();
            let mut signals: HashMap<String, String> = HashMap::new();
            if let Some(pdb) = parent.as_ref().and_then(|(_, s)| s.database.as_ref()) {
                for t in &pdb.tables {
                    if let Some(sig) = &t.signal {
                        signals.insert(t.name.clone(), sig.clone());
                    }
                    if let Ok(m) = repo
                        .read_json_blob::<TableManifest>(saver.index(), &t.manifest)
                        .await
                    {
                        previous.insert(t.name.clone(), m);
                    }
                }
            }
            let res = backup_database(
                src,
                &mut saver,
                repo.config.db_chunker(),
                &previous,
                &signals,
                progress,
            )
            .await;
            let (part, dbs) = match res {
                Ok(v) => v,
                Err(e) => return Err(finish_after_error(saver, e).await),
            };
            walk.stats.tables = dbs.tables;
            walk.stats.rows = dbs.rows;
            walk.stats.db_bytes = dbs.bytes;
            walk.stats.pages_read = dbs.pages_read;
            walk.stats.pages_reused = dbs.pages_reused;
            walk.stats.tables_unchanged = dbs.tables_unchanged;
            Some(part)
        }
        None => None,
    };

    let (_index, save) = saver.finish().await?;
    let end = Utc::now();
    let mut stats = walk.stats;
    stats.blobs_new = save.blobs_new;
    stats.bytes_new = save.bytes_new;
    stats.bytes_stored = save.bytes_stored;
    stats.duration_ms = (end - start).num_milliseconds().max(0) as u64;
    let (time, end_time) = match opts.time {
        Some(t) => (t, t + (end - start)),
        None => (start, end),
    };
    let snap = Snapshot {
        time,
        end_time: Some(end_time),
        hostname: repo.hostname.clone(),
        trigger: if opts.trigger.is_empty() {
            "cli".into()
        } else {
            opts.trigger.clone()
        },
        tags: opts.tags.clone(),
        parent: parent.map(|(id, _)| id),
        site: opts.site.clone(),
        files: files_part,
        database,
        stats,
        warnings: walk.warnings,
    };
    // The snapshot refers to blobs found in the index loaded at the start:
    // only while this backup's lock is live can no prune have removed them.
    lock.refresh(repo).await?;
    let id = repo.save_json(FileKind::Snapshot, &snap).await?;
    Ok((id, snap))
}

/// On failure or cancel, store what is packed so the next backup reuses it.
async fn finish_after_error(saver: Saver<'_>, e: Error) -> Error {
    match saver.finish().await {
        Ok(_) => e,
        Err(e2) => Error::Invalid(format!("{e} (and saving partial work failed: {e2})")),
    }
}

async fn find_parent(
    repo: &Repository,
    opts: &BackupOptions,
    files: Option<&str>,
    db: Option<&str>,
) -> Result<Option<(Id, Snapshot)>> {
    if opts.force {
        return Ok(None);
    }
    if let Some(p) = &opts.parent {
        return repo.find_snapshot(p).await.map(Some);
    }
    let all = repo.list_snapshots().await?;
    Ok(all.into_iter().rev().find(|(_, s)| {
        s.hostname == repo.hostname
            && s.files.as_ref().map(|f| f.source.as_str()) == files
            && s.database.as_ref().map(|d| d.name.as_str()) == db
    }))
}

struct WalkCtx<'a> {
    repo: &'a Repository,
    opts: &'a BackupOptions,
    progress: &'a dyn Progress,
}

/// Whether `text` matches `pattern` (`*` any run, `?` one character).
pub fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

fn excluded(opts: &BackupOptions, path: &[Vec<u8>]) -> bool {
    if opts.excludes.is_empty() {
        return false;
    }
    let rel = path.join(&b'/');
    let name = path.last().map(|n| n.as_slice()).unwrap_or_default();
    opts.excludes.iter().any(|p| {
        let p = p.trim_start_matches('/').trim_end_matches('/').as_bytes();
        wildcard(p, &rel)
            || wildcard(p, name)
            || (rel.starts_with(p) && rel.get(p.len()) == Some(&b'/'))
    })
}

fn walk_dir<'a>(
    ctx: &'a WalkCtx<'a>,
    src: &'a mut dyn FileSource,
    saver: &'a mut Saver<'_>,
    path: Vec<Vec<u8>>,
    parent: Option<Tree>,
    walk: &'a mut Walk,
) -> LocalBoxFuture<'a, Result<Id>> {
    Box::pin(async move {
        if ctx.progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let mut entries = src.read_dir(&path).await?;
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let parent_nodes: HashMap<Vec<u8>, Node> = parent
            .map(|t| {
                t.nodes
                    .into_iter()
                    .filter_map(|n| n.raw_name().ok().map(|raw| (raw, n)))
                    .collect()
            })
            .unwrap_or_default();
        let unchanged = |e: &FileEntry, saver: &Saver<'_>| {
            !ctx.opts.force
                && parent_nodes.get(&e.name).is_some_and(|p| {
                    p.kind == NodeKind::File
                        && p.size == e.size
                        && p.mtime_ns == e.mtime_ns
                        && p.mode == e.mode
                        && p.content.iter().all(|b| saver.has(b))
                })
        };
        let plan: Vec<(Vec<Vec<u8>>, u64)> = entries
            .iter()
            .filter(|e| e.kind == NodeKind::File && !unchanged(e, saver))
            .map(|e| {
                let mut child = path.clone();
                child.push(e.name.clone());
                (child, e.size)
            })
            .filter(|(child, _)| !excluded(ctx.opts, child))
            .collect();
        if !plan.is_empty() {
            src.will_read(&plan).await?;
        }
        let mut nodes = Vec::with_capacity(entries.len());
        for e in entries {
            let mut child = path.clone();
            child.push(e.name.clone());
            if excluded(ctx.opts, &child) {
                continue;
            }
            let (name, name_raw) = encode_name(&e.name);
            let prev = parent_nodes.get(&e.name);
            let mut node = Node {
                name,
                name_raw,
                kind: e.kind,
                mode: e.mode,
                mtime_ns: e.mtime_ns,
                size: e.size,
                content: Vec::new(),
                subtree: None,
                target: None,
                target_raw: None,
            };
            match e.kind {
                NodeKind::Dir => {
                    walk.stats.dirs += 1;
                    let sub_parent = match prev.and_then(|p| p.subtree) {
                        Some(id) => ctx
                            .repo
                            .read_json_blob::<Tree>(saver.index(), &id)
                            .await
                            .ok(),
                        None => None,
                    };
                    node.size = 0;
                    node.subtree = Some(walk_dir(ctx, src, saver, child, sub_parent, walk).await?);
                }
                NodeKind::Symlink => {
                    let (t, traw) = encode_name(e.target.as_deref().unwrap_or_default());
                    node.target = Some(t);
                    node.target_raw = traw;
                    node.size = 0;
                }
                NodeKind::File => {
                    walk.stats.files += 1;
                    if let (true, Some(p)) = (unchanged(&e, saver), prev) {
                        node.content = p.content.clone();
                    } else {
                        let display = String::from_utf8_lossy(&child.join(&b'/')).into_owned();
                        ctx.progress
                            .item(Phase::Files, &display, walk.stats.files, 0);
                        match save_file(ctx, src, saver, &child, &e).await {
                            Ok((content, size, warning)) => {
                                node.content = content;
                                node.size = size;
                                walk.stats.files_read += 1;
                                if let Some(w) = warning {
                                    walk.warnings.push(format!("{display}: {w}"));
                                }
                            }
                            Err(FileError::Vanished) => {
                                walk.warnings.push(format!("{display}: vanished while the backup ran; not in this snapshot"));
                                walk.stats.files -= 1;
                                continue;
                            }
                            Err(FileError::Unreadable(msg)) => {
                                walk.warnings.push(format!(
                                    "{display}: could not be read ({msg}); not in this snapshot"
                                ));
                                walk.stats.files -= 1;
                                continue;
                            }
                            Err(FileError::Fatal(e)) => return Err(e),
                        }
                    }
                    walk.stats.file_bytes += node.size;
                }
            }
            nodes.push(node);
        }
        let tree = Tree { nodes };
        let json = serde_json::to_vec(&tree).map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(saver.save(BlobType::Tree, &json, false).await?.0)
    })
}

enum FileError {
    Vanished,
    Unreadable(String),
    Fatal(Error),
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Fatal(e)
    }
}

async fn save_file(
    ctx: &WalkCtx<'_>,
    src: &mut dyn FileSource,
    saver: &mut Saver<'_>,
    path: &[Vec<u8>],
    e: &FileEntry,
) -> std::result::Result<(Vec<Id>, u64, Option<String>), FileError> {
    let mut chunker = Chunker::new(ctx.repo.config.chunker)?;
    let mut content = Vec::new();
    let mut offset = 0u64;
    let mut incompressible = None;
    loop {
        if ctx.progress.cancelled() {
            return Err(FileError::Fatal(Error::Cancelled));
        }
        let buf = match src.read(path, offset, READ_SIZE).await {
            Ok(b) => b,
            Err(Error::NotFound { .. }) => return Err(FileError::Vanished),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Err(FileError::Vanished)
            }
            Err(Error::Io { source, .. }) => return Err(FileError::Unreadable(source.to_string())),
            Err(other) => return Err(FileError::Fatal(other)),
        };
        if incompressible.is_none() {
            incompressible = Some(has_incompressible_magic(&buf));
        }
        let eof = (buf.len() as u64) < READ_SIZE;
        offset += buf.len() as u64;
        ctx.progress.bytes(Phase::Files, buf.len() as u64);
        chunker.feed(&buf);
        while let Some(c) = chunker.next_chunk(eof) {
            let (id, _) = saver
                .save(BlobType::Data, &c, incompressible.unwrap_or(false))
                .await?;
            content.push(id);
        }
        if eof {
            break;
        }
    }
    let warning = match src.stat(path).await {
        Ok(Some(now)) if now.size != e.size || now.mtime_ns != e.mtime_ns => {
            Some("changed while it was read; the snapshot holds the bytes as read".to_string())
        }
        Ok(None) => Some("vanished right after it was read".to_string()),
        _ => None,
    };
    Ok((content, offset, warning))
}

/// Loads the index and snapshot needed by read-only commands.
///
/// # Errors
/// Storage errors.
pub async fn load_for_read(repo: &Repository, spec: &str) -> Result<(Index, Id, Snapshot)> {
    let index = repo.load_index().await?;
    let (id, snap) = repo.find_snapshot(spec).await?;
    Ok((index, id, snap))
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.log", b"debug.log"));
        assert!(wildcard(b"wp-content/cache*", b"wp-content/cache"));
        assert!(wildcard(b"a?c", b"abc"));
        assert!(!wildcard(b"*.log", b"debug.txt"));
        assert!(wildcard(b"*", b""));
    }
}
