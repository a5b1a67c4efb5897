//! `ls`: what a snapshot holds (files with sizes, tables with rows).

use serde::Serialize;

use crate::db::TableManifest;
use crate::error::Result;
use crate::id::Id;
use crate::index::Index;
use crate::repo::Repository;
use crate::snapshot::Snapshot;
use crate::tree::{NodeKind, Tree};

/// One listed entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Entry {
    /// `file`, `dir`, `symlink` or `table`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Path below the files root, or `db/<table>`.
    pub path: String,
    /// Bytes (files, tables).
    pub size: u64,
    /// Rows (tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Modification time in ns (files).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime_ns: Option<i64>,
    /// Content blobs (files) or data blobs (tables).
    #[serde(skip)]
    pub blobs: Vec<Id>,
}

/// Every entry of a snapshot: files in path order, then tables.
///
/// # Errors
/// Storage and integrity errors.
pub async fn entries(repo: &Repository, index: &Index, snap: &Snapshot) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    if let Some(f) = &snap.files {
        let mut stack = vec![(String::new(), f.tree)];
        while let Some((prefix, id)) = stack.pop() {
            let tree: Tree = repo.read_json_blob(index, &id).await?;
            let mut subdirs = Vec::new();
            for n in tree.nodes {
                let path = if prefix.is_empty() {
                    n.name.clone()
                } else {
                    format!("{prefix}/{}", n.name)
                };
                let kind = match n.kind {
                    NodeKind::File => "file",
                    NodeKind::Dir => "dir",
                    NodeKind::Symlink => "symlink",
                };
                if let (NodeKind::Dir, Some(s)) = (n.kind, n.subtree) {
                    subdirs.push((path.clone(), s));
                }
                out.push(Entry {
                    kind: kind.into(),
                    path,
                    size: n.size,
                    rows: None,
                    mtime_ns: Some(n.mtime_ns),
                    blobs: n.content,
                });
            }
            stack.extend(subdirs.into_iter().rev());
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
    }
    if let Some(db) = &snap.database {
        for t in &db.tables {
            let m: TableManifest = repo.read_json_blob(index, &t.manifest).await?;
            out.push(Entry {
                kind: "table".into(),
                path: format!("db/{}", t.name),
                size: m.bytes,
                rows: Some(m.rows),
                mtime_ns: None,
                blobs: m.data_blobs(),
            });
        }
    }
    Ok(out)
}
