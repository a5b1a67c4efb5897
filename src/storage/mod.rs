//! Storage backends: where repository objects live.
//!
//! Every backend implements [`Storage`], a small create-only object store:
//! objects are written once under a name and never overwritten. Wrappers (for
//! example [`retry::Retrying`]) implement the same trait, so the repository
//! code never knows which stack it talks to.

use std::fmt;

use crate::error::Result;

pub mod memory;
pub mod presign;
pub mod retry;
pub mod s3;
pub mod sigv4;

#[cfg(not(target_arch = "wasm32"))]
pub mod local;

/// The kinds of object a repository stores, each under its own folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `config`: the repository's single configuration object.
    Config,
    /// `keys/<id>`: a passphrase-wrapped master key.
    Key,
    /// `data/<id[0..2]>/<id>`: a pack of blobs.
    Pack,
    /// `index/<id>`: which blob is in which pack.
    Index,
    /// `snapshots/<id>`: one backup.
    Snapshot,
    /// `locks/<id>`: a lock held by a running process.
    Lock,
}

impl FileKind {
    /// Every kind, in the order `check` and `list` walk them.
    pub const ALL: [FileKind; 6] = [
        FileKind::Config,
        FileKind::Key,
        FileKind::Pack,
        FileKind::Index,
        FileKind::Snapshot,
        FileKind::Lock,
    ];

    /// The folder of this kind (empty for the config).
    pub fn dir(self) -> &'static str {
        match self {
            FileKind::Config => "",
            FileKind::Key => "keys",
            FileKind::Pack => "data",
            FileKind::Index => "index",
            FileKind::Snapshot => "snapshots",
            FileKind::Lock => "locks",
        }
    }

    /// The object key (relative to the repository root) of `name` of this kind.
    ///
    /// Packs are spread over 256 folders by the first two hex digits of their
    /// name, like restic, so no listing of a local directory grows without bound.
    pub fn path(self, name: &str) -> String {
        match self {
            FileKind::Config => "config".to_string(),
            FileKind::Pack => {
                let shard = name.get(..2).unwrap_or("00");
                format!("data/{shard}/{name}")
            }
            other => format!("{}/{}", other.dir(), name),
        }
    }

    /// Parses the `cat`-style name of a kind.
    pub fn parse(s: &str) -> Option<FileKind> {
        Some(match s {
            "config" => FileKind::Config,
            "key" | "keys" => FileKind::Key,
            "pack" | "packs" | "data" => FileKind::Pack,
            "index" => FileKind::Index,
            "snapshot" | "snapshots" => FileKind::Snapshot,
            "lock" | "locks" => FileKind::Lock,
            _ => return None,
        })
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config",
            FileKind::Key => "key",
            FileKind::Pack => "pack",
            FileKind::Index => "index",
            FileKind::Snapshot => "snapshot",
            FileKind::Lock => "lock",
        })
    }
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's name (the last path component).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A create-only object store.
///
/// Implementations must be safe to call concurrently. Names are lowercase hex
/// ids (or `config`); the backend maps `(kind, name)` to its own key with
/// [`FileKind::path`].
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
pub trait Storage: StorageBounds {
    /// A human-readable location, for messages (`s3:http://host/bucket/prefix`).
    fn location(&self) -> String;

    /// Stores `data` under `(kind, name)`.
    ///
    /// # Errors
    /// [`crate::Error::AlreadyExists`] if the object exists and the backend can
    /// tell (local files, S3 with `If-None-Match: *`); a storage error otherwise.
    async fn put(&self, kind: FileKind, name: &str, data: Vec<u8>) -> Result<()>;

    /// Reads a whole object.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] if it does not exist.
    async fn get(&self, kind: FileKind, name: &str) -> Result<Vec<u8>>;

    /// Reads `length` bytes at `offset` of an object.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`] if it does not exist; a storage error if the
    /// range lies outside it.
    async fn get_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>>;

    /// The size of an object, or `None` if it does not exist.
    async fn stat(&self, kind: FileKind, name: &str) -> Result<Option<u64>>;

    /// Lists the objects of a kind (for packs: across all shard folders).
    async fn list(&self, kind: FileKind) -> Result<Vec<ObjectInfo>>;

    /// Removes an object. Removing a missing object is not an error.
    async fn delete(&self, kind: FileKind, name: &str) -> Result<()>;
}

/// `Send + Sync` natively (threads share a backend), nothing in the browser
/// (JavaScript values are not `Send`).
#[cfg(not(target_arch = "wasm32"))]
pub trait StorageBounds: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> StorageBounds for T {}

/// `Send + Sync` natively (threads share a backend), nothing in the browser.
#[cfg(target_arch = "wasm32")]
pub trait StorageBounds {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> StorageBounds for T {}

/// A shared, dynamically typed backend.
pub type DynStorage = std::sync::Arc<dyn Storage>;
