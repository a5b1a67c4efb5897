//! `cat`: print a repository object in the clear (for inspection and for the
//! worked examples in docs/FORMAT.md).

use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::Index;
use crate::repo::Repository;
use crate::storage::FileKind;

/// What to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The config JSON.
    Config,
    /// A key file (plain JSON as stored).
    Key(String),
    /// An index file.
    Index(String),
    /// A snapshot (`latest` or id prefix).
    Snapshot(String),
    /// A pack's header, as JSON.
    Pack(String),
    /// A blob's plaintext (data or tree).
    Blob(String),
    /// A lock.
    Lock(String),
}

/// Resolves an object name prefix among stored objects of `kind`.
async fn resolve(repo: &Repository, kind: FileKind, prefix: &str) -> Result<Id> {
    let matches: Vec<String> = repo
        .storage
        .list(kind)
        .await?
        .into_iter()
        .map(|o| o.name)
        .filter(|n| n.starts_with(prefix))
        .collect();
    match matches.as_slice() {
        [one] => Id::parse(one),
        [] => Err(Error::NotFound {
            kind,
            name: prefix.to_string(),
        }),
        _ => Err(Error::Invalid(format!(
            "{} {kind} objects start with {prefix}; give more digits",
            matches.len()
        ))),
    }
}

/// The bytes to print.
///
/// # Errors
/// Storage and integrity errors.
pub async fn run(repo: &Repository, target: &Target) -> Result<Vec<u8>> {
    let pretty = |v: serde_json::Value| {
        serde_json::to_vec_pretty(&v).map_err(|e| Error::Invalid(e.to_string()))
    };
    match target {
        Target::Config => {
            pretty(serde_json::to_value(&repo.config).map_err(|e| Error::Invalid(e.to_string()))?)
        }
        Target::Key(p) => {
            let id = resolve(repo, FileKind::Key, p).await?;
            repo.storage.get(FileKind::Key, &id.to_hex()).await
        }
        Target::Index(p) => {
            let id = resolve(repo, FileKind::Index, p).await?;
            let v: serde_json::Value = repo.load_json(FileKind::Index, &id).await?;
            pretty(v)
        }
        Target::Lock(p) => {
            let id = resolve(repo, FileKind::Lock, p).await?;
            let v: serde_json::Value = repo.load_json(FileKind::Lock, &id).await?;
            pretty(v)
        }
        Target::Snapshot(p) => {
            let (_, s) = repo.find_snapshot(p).await?;
            pretty(serde_json::to_value(&s).map_err(|e| Error::Invalid(e.to_string()))?)
        }
        Target::Pack(p) => {
            let id = resolve(repo, FileKind::Pack, p).await?;
            let size = repo
                .storage
                .stat(FileKind::Pack, &id.to_hex())
                .await?
                .ok_or(Error::NotFound {
                    kind: FileKind::Pack,
                    name: id.to_hex(),
                })?;
            let entries = repo.read_pack_header(&id, size).await?;
            let v: Vec<serde_json::Value> = entries
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "id": e.id, "type": e.blob_type, "offset": e.offset,
                        "length": e.length, "uncompressed_length": e.uncompressed,
                    })
                })
                .collect();
            pretty(serde_json::json!({ "id": id, "size": size, "blobs": v }))
        }
        Target::Blob(p) => {
            let index: Index = repo.load_index().await?;
            let matches: Vec<Id> = index
                .blobs()
                .map(|l| l.entry.id)
                .filter(|i| i.to_hex().starts_with(p.as_str()))
                .collect();
            match matches.as_slice() {
                [one] => repo.read_blob(&index, one).await,
                [] => Err(Error::BlobMissing { id: p.clone() }),
                _ => Err(Error::Invalid(format!(
                    "{} blobs start with {p}; give more digits",
                    matches.len()
                ))),
            }
        }
    }
}
