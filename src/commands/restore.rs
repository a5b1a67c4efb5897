//! `restore`: files into a folder, tables into SQL or a database.
//!
//! Blobs are read through a [`BlobReader`] that fetches a whole pack once
//! when much of it is needed, and single blobs by ranged reads otherwise, so
//! a full restore reads each pack once and a small one reads little.

use std::collections::HashMap;

use futures::future::LocalBoxFuture;

use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::Index;
use crate::progress::{Phase, Progress};
use crate::repo::Repository;
use crate::storage::FileKind;
use crate::tree::{Node, NodeKind, Tree};

/// Reads blobs, caching the pack last fetched whole.
pub struct BlobReader<'a> {
    repo: &'a Repository,
    index: &'a Index,
    whole: std::collections::HashSet<Id>,
    cache: Option<(Id, Vec<u8>)>,
}

impl<'a> BlobReader<'a> {
    /// A reader that fetches whole the packs of which `needed` uses at least
    /// a quarter.
    pub fn new(repo: &'a Repository, index: &'a Index, needed: &[Id]) -> BlobReader<'a> {
        let mut used: HashMap<Id, u64> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for id in needed {
            if !seen.insert(*id) {
                continue;
            }
            if let Some(loc) = index.get(id) {
                *used.entry(loc.pack).or_default() += u64::from(loc.entry.length);
            }
        }
        let mut extent: HashMap<Id, u64> = HashMap::new();
        for loc in index.blobs() {
            let end = u64::from(loc.entry.offset) + u64::from(loc.entry.length);
            let e = extent.entry(loc.pack).or_default();
            *e = (*e).max(end);
        }
        let whole = used
            .into_iter()
            .filter(|(p, n)| {
                extent
                    .get(p)
                    .is_some_and(|e| *n * 4 >= *e && *e <= 256 << 20)
            })
            .map(|(p, _)| p)
            .collect();
        BlobReader {
            repo,
            index,
            whole,
            cache: None,
        }
    }

    /// Reads and verifies blob `id`.
    ///
    /// # Errors
    /// [`Error::BlobMissing`], storage and integrity errors.
    pub async fn read(&mut self, id: &Id) -> Result<Vec<u8>> {
        let loc = *self
            .index
            .get(id)
            .ok_or_else(|| Error::BlobMissing { id: id.to_hex() })?;
        if !self.whole.contains(&loc.pack) {
            return self.repo.read_blob(self.index, id).await;
        }
        let data = match &mut self.cache {
            Some((p, data)) if *p == loc.pack => data,
            slot => {
                let data = self
                    .repo
                    .storage
                    .get(FileKind::Pack, &loc.pack.to_hex())
                    .await?;
                &mut slot.insert((loc.pack, data)).1
            }
        };
        let pack = &loc.pack;
        let start = loc.entry.offset as usize;
        let end = start + loc.entry.length as usize;
        let sealed = data.get(start..end).ok_or_else(|| {
            Error::malformed(
                format!("pack {pack}"),
                "shorter than its index says (truncated?)",
            )
        })?;
        self.repo.decode_blob(pack, &loc.entry, sealed).await
    }
}

/// Where restored files go.
#[async_trait::async_trait(?Send)]
pub trait FileTarget {
    /// Creates a folder (and its parents).
    async fn create_dir(&mut self, path: &[Vec<u8>]) -> Result<()>;
    /// Starts writing a file (to a temporary name).
    async fn begin_file(&mut self, path: &[Vec<u8>]) -> Result<()>;
    /// Appends to the file being written.
    async fn write(&mut self, data: Vec<u8>) -> Result<()>;
    /// Finishes the file: sets mode and time, renames it into place.
    async fn end_file(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()>;
    /// Creates a symlink.
    async fn symlink(&mut self, path: &[Vec<u8>], target: &[u8]) -> Result<()>;
    /// Sets a folder's mode and time once its content is written.
    async fn finish_dir(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()>;
    /// Waits for every file to be in place (a target may write in the
    /// background) and reports the first error.
    async fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Figures of a restore.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct RestoreStats {
    /// Files written.
    pub files: u64,
    /// Folders created.
    pub dirs: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Tables restored.
    pub tables: u64,
    /// Rows restored.
    pub rows: u64,
}

/// Whether `path` is selected by `includes` (empty: everything): a path is
/// selected when it is inside an include, or on the way to one.
fn selected(includes: &[Vec<Vec<u8>>], path: &[Vec<u8>]) -> (bool, bool) {
    if includes.is_empty() {
        return (true, true);
    }
    let mut inside = false;
    let mut on_way = false;
    for inc in includes {
        if path.len() >= inc.len() && path[..inc.len()] == inc[..] {
            inside = true;
        } else if inc.len() > path.len() && inc[..path.len()] == path[..] {
            on_way = true;
        }
    }
    (inside, inside || on_way)
}

/// Splits `a/b/c` into components, refusing `..` and empty parts.
///
/// # Errors
/// [`Error::Invalid`] for unsafe paths.
pub fn split_path(p: &str) -> Result<Vec<Vec<u8>>> {
    split_raw_path(p.as_bytes())
}

/// [`split_path`] of a path given as bytes (names need not be UTF-8).
///
/// # Errors
/// [`Error::Invalid`] for unsafe paths.
pub fn split_raw_path(p: &[u8]) -> Result<Vec<Vec<u8>>> {
    let parts: Vec<Vec<u8>> = p
        .split(|&b| b == b'/')
        .filter(|s| !s.is_empty() && *s != b".")
        .map(<[u8]>::to_vec)
        .collect();
    if parts.iter().any(|s| s == b"..") || p.contains(&0) {
        return Err(Error::Invalid(format!(
            "path {:?} may not contain '..' or NUL",
            String::from_utf8_lossy(p)
        )));
    }
    Ok(parts)
}

/// Collects the content blobs of every selected file, in restore order.
///
/// # Errors
/// Storage and integrity errors.
pub async fn file_blobs(
    repo: &Repository,
    index: &Index,
    root: &Id,
    includes: &[Vec<Vec<u8>>],
) -> Result<Vec<Id>> {
    let mut out = Vec::new();
    let mut stack = vec![(Vec::<Vec<u8>>::new(), *root)];
    while let Some((path, id)) = stack.pop() {
        let tree: Tree = repo.read_json_blob(index, &id).await?;
        for n in tree.nodes.iter().rev() {
            let mut p = path.clone();
            p.push(n.raw_name()?);
            let (inside, walk) = selected(includes, &p);
            match n.kind {
                NodeKind::Dir if walk => {
                    if let Some(s) = n.subtree {
                        stack.push((p, s));
                    }
                }
                NodeKind::File if inside => out.extend(n.content.iter().copied()),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Restores the files of tree `root` into `target`.
///
/// # Errors
/// Storage, integrity and target errors.
pub async fn restore_files(
    repo: &Repository,
    index: &Index,
    root: &Id,
    includes: &[Vec<Vec<u8>>],
    target: &mut dyn FileTarget,
    progress: &dyn Progress,
) -> Result<RestoreStats> {
    let needed = file_blobs(repo, index, root, includes).await?;
    let mut reader = BlobReader::new(repo, index, &needed);
    let mut stats = RestoreStats::default();
    target.create_dir(&[]).await?;
    restore_dir(
        repo,
        index,
        &mut reader,
        *root,
        Vec::new(),
        includes,
        target,
        progress,
        &mut stats,
    )
    .await?;
    target.finish().await?;
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn restore_dir<'a>(
    repo: &'a Repository,
    index: &'a Index,
    reader: &'a mut BlobReader<'_>,
    id: Id,
    path: Vec<Vec<u8>>,
    includes: &'a [Vec<Vec<u8>>],
    target: &'a mut dyn FileTarget,
    progress: &'a dyn Progress,
    stats: &'a mut RestoreStats,
) -> LocalBoxFuture<'a, Result<()>> {
    Box::pin(async move {
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let tree: Tree = repo.read_json_blob(index, &id).await?;
        // Two entries of one name (a symlink and a folder, say) would let a
        // crafted tree write through the symlink, outside the target.
        let mut names = std::collections::HashSet::new();
        for n in &tree.nodes {
            if !names.insert(n.raw_name()?) {
                return Err(Error::malformed(
                    format!("tree {}", id.short()),
                    format!("it lists {:?} twice", n.name),
                ));
            }
        }
        for n in &tree.nodes {
            let mut p = path.clone();
            p.push(n.raw_name()?);
            let (inside, walk) = selected(includes, &p);
            match n.kind {
                NodeKind::Dir if walk => {
                    target.create_dir(&p).await?;
                    stats.dirs += 1;
                    if let Some(s) = n.subtree {
                        restore_dir(
                            repo,
                            index,
                            reader,
                            s,
                            p.clone(),
                            includes,
                            target,
                            progress,
                            stats,
                        )
                        .await?;
                    }
                    if inside {
                        target.finish_dir(&p, n).await?;
                    }
                }
                NodeKind::File if inside => {
                    progress.item(
                        Phase::Restore,
                        &String::from_utf8_lossy(&p.join(&b'/')),
                        stats.files,
                        0,
                    );
                    target.begin_file(&p).await?;
                    let mut written = 0u64;
                    for b in &n.content {
                        let data = reader.read(b).await?;
                        written += data.len() as u64;
                        progress.bytes(Phase::Restore, data.len() as u64);
                        target.write(data).await?;
                    }
                    if written != n.size {
                        return Err(Error::malformed(
                            format!("file {}", String::from_utf8_lossy(&p.join(&b'/'))),
                            format!("its blobs hold {written} bytes, the tree says {}", n.size),
                        ));
                    }
                    target.end_file(&p, n).await?;
                    stats.files += 1;
                    stats.bytes += written;
                }
                NodeKind::Symlink if inside => {
                    target.symlink(&p, &n.raw_target()?).await?;
                }
                _ => {}
            }
        }
        Ok(())
    })
}
