//! Looking inside a snapshot without restoring it: folder sizes, a paged
//! listing of its files, one file's content and one table as SQL, streamed
//! piece by piece (the admin screens' snapshot details and the portable
//! archive assembled in the browser).

use std::collections::BTreeMap;

use futures::future::LocalBoxFuture;
use serde::Serialize;

use crate::commands::restore::{split_path, split_raw_path, BlobReader};
use crate::db::restore::{create_statement, read_rows, RowSink, SESSION_PREAMBLE};
use crate::db::{quote_ident, TableManifest};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::Index;
use crate::progress::NoProgress;
use crate::repo::Repository;
use crate::snapshot::Snapshot;
use crate::tree::{Node, NodeKind, Tree};

/// Receives streamed pieces; the producer waits for each returned future
/// before it reads the next piece (backpressure).
pub type ChunkSink<'a> = dyn FnMut(Vec<u8>) -> LocalBoxFuture<'a, Result<()>> + 'a;

/// Figures of one folder, counted recursively.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FolderSize {
    /// Path below the files root ("" for the root).
    pub path: String,
    /// Regular files below.
    pub files: u64,
    /// Folders below.
    pub dirs: u64,
    /// Symlinks below.
    pub links: u64,
    /// Bytes of the files below.
    pub bytes: u64,
}

/// One entry of a listing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Entry {
    /// Path below the files root, `/`-separated (lossy for names that are
    /// not UTF-8; `raw` then holds the bytes, base64).
    pub path: String,
    /// Base64 of the raw path when a name on it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// `file`, `dir` or `link`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// File size.
    pub size: u64,
    /// Permission bits, octal (`0644`).
    pub mode: String,
    /// Modification time, UNIX seconds.
    pub mtime: f64,
    /// Symlink target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

fn files_root(snap: &Snapshot) -> Result<Id> {
    snap.files
        .as_ref()
        .map(|f| f.tree)
        .ok_or_else(|| Error::Invalid("this snapshot holds no files".into()))
}

fn join(path: &[Vec<u8>]) -> (String, Option<String>) {
    use base64::Engine as _;
    let raw = path.join(&b'/');
    match String::from_utf8(raw.clone()) {
        Ok(s) => (s, None),
        Err(_) => (
            String::from_utf8_lossy(&raw).into_owned(),
            Some(base64::engine::general_purpose::STANDARD.encode(&raw)),
        ),
    }
}

/// Every folder down to `depth` (the root is depth 0) with recursive
/// counts, parents before children, by path.
///
/// # Errors
/// Storage and integrity errors.
pub async fn folder_sizes(
    repo: &Repository,
    index: &Index,
    snap: &Snapshot,
    depth: usize,
) -> Result<Vec<FolderSize>> {
    let root = files_root(snap)?;
    let mut out: BTreeMap<Vec<Vec<u8>>, FolderSize> = BTreeMap::new();
    out.insert(Vec::new(), FolderSize::default());
    let mut stack = vec![(Vec::<Vec<u8>>::new(), root)];
    while let Some((path, id)) = stack.pop() {
        let tree: Tree = repo.read_json_blob(index, &id).await?;
        for n in &tree.nodes {
            let mut p = path.clone();
            p.push(n.raw_name()?);
            // Every ancestor folder within the depth counts this entry.
            for k in 0..=path.len().min(depth) {
                let Some(f) = out.get_mut(&path[..k]) else {
                    continue;
                };
                match n.kind {
                    NodeKind::File => {
                        f.files += 1;
                        f.bytes += n.size;
                    }
                    NodeKind::Dir => f.dirs += 1,
                    NodeKind::Symlink => f.links += 1,
                }
            }
            if n.kind == NodeKind::Dir {
                if p.len() <= depth {
                    out.insert(p.clone(), FolderSize::default());
                }
                if let Some(s) = n.subtree {
                    stack.push((p, s));
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(p, mut f)| {
            f.path = join(&p).0;
            f
        })
        .collect())
}

fn entry(path: &[Vec<u8>], n: &Node) -> Entry {
    let (p, raw) = join(path);
    Entry {
        path: p,
        raw,
        kind: match n.kind {
            NodeKind::File => "file",
            NodeKind::Dir => "dir",
            NodeKind::Symlink => "link",
        },
        size: n.size,
        mode: format!("{:04o}", n.mode & 0o7777),
        mtime: n.mtime_ns as f64 / 1e9,
        target: n.target.clone(),
    }
}

/// Lists the entries below `path` depth first (a folder before its
/// contents, names in the tree's byte order), `limit` at a time; `cursor`
/// is the previous page's `next_cursor`.
///
/// # Errors
/// [`Error::Invalid`] for a path that is not a folder of the snapshot;
/// storage and integrity errors.
pub async fn list_tree(
    repo: &Repository,
    index: &Index,
    snap: &Snapshot,
    path: &str,
    recursive: bool,
    cursor: Option<&str>,
    limit: usize,
) -> Result<(Vec<Entry>, Option<String>)> {
    let skip: usize = match cursor {
        None | Some("") => 0,
        Some(c) => c
            .parse()
            .map_err(|_| Error::Invalid(format!("listing cursor {c:?} is not one of ours")))?,
    };
    let limit = limit.clamp(1, 5000);
    let start = split_path(path)?;
    let mut id = files_root(snap)?;
    for (i, name) in start.iter().enumerate() {
        let tree: Tree = repo.read_json_blob(index, &id).await?;
        let node = tree
            .nodes
            .iter()
            .find(|n| n.raw_name().ok().as_deref() == Some(name.as_slice()))
            .filter(|n| n.kind == NodeKind::Dir)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "{} is not a folder of this snapshot",
                    join(&start[..=i]).0
                ))
            })?;
        id = node.subtree.ok_or_else(|| {
            Error::malformed(format!("folder {}", join(&start[..=i]).0), "no tree")
        })?;
    }
    let mut out = Vec::new();
    let mut seen = 0usize;
    // Depth first with an explicit stack of (folder path, its nodes, next).
    let first: Tree = repo.read_json_blob(index, &id).await?;
    let mut stack: Vec<(Vec<Vec<u8>>, Vec<Node>, usize)> = vec![(start, first.nodes, 0)];
    while let Some((dir, nodes, i)) = stack.last_mut() {
        let Some(n) = nodes.get(*i).cloned() else {
            stack.pop();
            continue;
        };
        *i += 1;
        let mut p = dir.clone();
        p.push(n.raw_name()?);
        if seen >= skip {
            if out.len() == limit {
                return Ok((out, Some(seen.to_string())));
            }
            out.push(entry(&p, &n));
        }
        seen += 1;
        if recursive && n.kind == NodeKind::Dir {
            if let Some(s) = n.subtree {
                let t: Tree = repo.read_json_blob(index, &s).await?;
                stack.push((p, t.nodes, 0));
            }
        }
    }
    Ok((out, None))
}

/// Streams the content of the regular file at `raw_path` (bytes: names
/// need not be UTF-8), one blob at a time.
/// Returns the bytes sent, which equal the recorded size.
///
/// # Errors
/// [`Error::Invalid`] when `path` is not a regular file of the snapshot;
/// [`Error::Malformed`] when the content does not add up to the recorded
/// size; storage, integrity and the sink's errors.
pub async fn read_file(
    repo: &Repository,
    index: &Index,
    snap: &Snapshot,
    raw_path: &[u8],
    sink: &mut ChunkSink<'_>,
) -> Result<u64> {
    let parts = split_raw_path(raw_path)?;
    let path = String::from_utf8_lossy(raw_path);
    let (last, dirs) = parts
        .split_last()
        .ok_or_else(|| Error::Invalid("give the path of a file".into()))?;
    let mut id = files_root(snap)?;
    for name in dirs {
        let tree: Tree = repo.read_json_blob(index, &id).await?;
        id = tree
            .nodes
            .iter()
            .find(|n| {
                n.kind == NodeKind::Dir && n.raw_name().ok().as_deref() == Some(name.as_slice())
            })
            .and_then(|n| n.subtree)
            .ok_or_else(|| Error::Invalid(format!("{path} is not in this snapshot")))?;
    }
    let tree: Tree = repo.read_json_blob(index, &id).await?;
    let node = tree
        .nodes
        .iter()
        .find(|n| n.raw_name().ok().as_deref() == Some(last.as_slice()))
        .filter(|n| n.kind == NodeKind::File)
        .ok_or_else(|| Error::Invalid(format!("{path} is not a file of this snapshot")))?;
    let mut reader = BlobReader::new(repo, index, &node.content);
    let mut sent = 0u64;
    for b in &node.content {
        let data = reader.read(b).await?;
        sent += data.len() as u64;
        sink(data).await?;
    }
    if sent != node.size {
        return Err(Error::malformed(
            format!("file {path}"),
            format!(
                "its content has {sent} bytes, the snapshot records {}",
                node.size
            ),
        ));
    }
    Ok(sent)
}

/// Target size of one streamed SQL piece.
const SQL_PIECE: usize = 1 << 20;

struct InsertPieces<'s, 'a> {
    head: Vec<u8>,
    preamble: Vec<u8>,
    rows_per_insert: usize,
    piece: Vec<u8>,
    bytes: u64,
    sink: &'s mut ChunkSink<'a>,
}

impl InsertPieces<'_, '_> {
    async fn flush(&mut self) -> Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::take(&mut self.piece);
        self.bytes += piece.len() as u64;
        (self.sink)(piece).await?;
        // Every later piece can be imported on its own.
        self.piece.extend_from_slice(&self.preamble);
        Ok(())
    }
}

#[async_trait::async_trait(?Send)]
impl RowSink for InsertPieces<'_, '_> {
    async fn rows(&mut self, lines: &[u8], _rows: usize) -> Result<()> {
        let rows: Vec<&[u8]> = lines
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        for group in rows.chunks(self.rows_per_insert) {
            self.piece.extend_from_slice(&self.head);
            for (i, r) in group.iter().enumerate() {
                if i > 0 {
                    self.piece.push(b',');
                }
                self.piece.extend_from_slice(r);
            }
            self.piece.extend_from_slice(b";\n");
            if self.piece.len() >= SQL_PIECE {
                self.flush().await?;
            }
        }
        Ok(())
    }
}

/// Streams table `table` of the snapshot as a SQL script that `mariadb`
/// (or `mysql`) imports into an empty database: session settings, `DROP
/// TABLE IF EXISTS`, the recorded `CREATE TABLE`, then `INSERT`s of
/// `rows_per_insert` rows. Every piece ends at the end of a statement and
/// every piece after the first repeats the session settings, so pieces can
/// be imported one by one. Returns `(rows, bytes)`.
///
/// # Errors
/// [`Error::Invalid`] for a table the snapshot does not hold; storage,
/// integrity and the sink's errors.
pub async fn export_table(
    repo: &Repository,
    index: &Index,
    snap_id: &Id,
    snap: &Snapshot,
    table: &str,
    rows_per_insert: usize,
    sink: &mut ChunkSink<'_>,
) -> Result<(u64, u64)> {
    let db = snap
        .database
        .as_ref()
        .ok_or_else(|| Error::Invalid("this snapshot holds no database".into()))?;
    let t = db
        .tables
        .iter()
        .find(|t| t.name == table)
        .ok_or_else(|| Error::Invalid(format!("table {table} is not in this snapshot")))?;
    let m: TableManifest = repo.read_json_blob(index, &t.manifest).await?;
    let mut preamble = Vec::new();
    for s in SESSION_PREAMBLE {
        preamble.extend_from_slice(s.as_bytes());
        preamble.extend_from_slice(b";\n");
    }
    let name = quote_ident(&m.name);
    let mut first = format!(
        "-- Strongbox export of {name} from snapshot {} ({})\n",
        snap_id.to_hex(),
        snap.time.to_rfc3339()
    )
    .into_bytes();
    first.extend_from_slice(&preamble);
    first.extend_from_slice(format!("DROP TABLE IF EXISTS {name};\n").as_bytes());
    first.extend_from_slice(create_statement(&m, &m.name)?.as_bytes());
    first.extend_from_slice(b";\n");
    let mut pieces = InsertPieces {
        head: format!("INSERT INTO {name} VALUES ").into_bytes(),
        preamble,
        rows_per_insert: rows_per_insert.max(1),
        piece: first,
        bytes: 0,
        sink,
    };
    let rows = read_rows(repo, index, &m, &mut pieces, 4 << 20, &NoProgress).await?;
    pieces.flush().await?;
    Ok((rows, pieces.bytes))
}
