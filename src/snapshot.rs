//! Snapshots: one backup of a site (files, database, site metadata).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::Id;

/// A snapshot as stored under `snapshots/<id>` (sealed JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// When the backup started.
    pub time: DateTime<Utc>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// Host that made it.
    pub hostname: String,
    /// What started it: `manual`, `schedule`, `before-update`, `cli`.
    #[serde(default)]
    pub trigger: String,
    /// Free-form tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The snapshot this one was compared against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Id>,
    /// The site described.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteInfo>,
    /// The site's files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<FilesPart>,
    /// The site's database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabasePart>,
    /// Figures.
    #[serde(default)]
    pub stats: SnapshotStats,
    /// Problems that did not stop the backup (a file that vanished or
    /// changed while read, an unreadable file): each names the path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Site metadata, as far as the source knows it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SiteInfo {
    /// Home URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// WordPress version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wordpress_version: String,
    /// WooCommerce version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub woocommerce_version: String,
    /// Database table prefix.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub table_prefix: String,
    /// Database server version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub db_version: String,
}

/// The files part of a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FilesPart {
    /// The source folder, as given.
    pub source: String,
    /// Root tree blob.
    pub tree: Id,
}

/// The database part of a snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatabasePart {
    /// Where it was read: `mysql://host:port/db`, `dump:file.sql`, `plugin`.
    pub source: String,
    /// The database name.
    pub name: String,
    /// `transaction` (one consistent snapshot), `per-page` (each page
    /// consistent), or `dump` (as the dump file was).
    pub consistency: String,
    /// Tables in name order.
    pub tables: Vec<TableRef>,
}

/// A table in a snapshot: its manifest blob and headline figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableRef {
    /// Table name.
    pub name: String,
    /// Manifest tree blob ([`crate::db::TableManifest`]).
    pub manifest: Id,
    /// Rows.
    pub rows: u64,
    /// Serialized bytes.
    pub bytes: u64,
    /// The source's change-signal token for this table (opaque; the
    /// plugin's manifest `signal`): the next backup sends it back, and a
    /// table the database proves unchanged since is referenced whole
    /// without a checksum pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
}

/// Figures of a snapshot.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct SnapshotStats {
    /// Files (regular).
    pub files: u64,
    /// Folders.
    pub dirs: u64,
    /// File bytes.
    pub file_bytes: u64,
    /// Files whose content was read (new or changed).
    pub files_read: u64,
    /// Tables.
    pub tables: u64,
    /// Rows.
    pub rows: u64,
    /// Serialized table bytes.
    pub db_bytes: u64,
    /// Pages read from the database (checksum changed or new).
    pub pages_read: u64,
    /// Pages referenced from the parent without reading.
    pub pages_reused: u64,
    /// Tables the database proved unchanged since the parent by its change
    /// signals (referenced whole, without a checksum pass).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub tables_unchanged: u64,
    /// Blobs that were new.
    pub blobs_new: u64,
    /// Plaintext bytes of new blobs.
    pub bytes_new: u64,
    /// Bytes of packs written.
    pub bytes_stored: u64,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
