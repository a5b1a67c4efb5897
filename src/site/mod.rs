//! The WordPress site as a backup source and restore target, through the
//! Strongbox plugin's REST API (`plugin/README.md`).
//!
//! This is what the browser engine uses (with the admin's cookie and nonce)
//! and what a native agent can use (with an Application Password). It works
//! on both targets: requests go through `reqwest`, which uses `fetch` in the
//! browser.
//!
//! - [`client`]: the HTTP client and error mapping.
//! - [`files`]: the site's files as a [`crate::commands::backup::FileSource`].
//! - [`database`]: the site's tables as a [`crate::db::source::DbSource`].
//! - [`restore`]: a restore session as a [`crate::commands::restore::FileTarget`]
//!   and a table stager.
//! - [`presign`]: storage URLs presigned by the plugin, and the destination's
//!   public settings.

pub mod client;
pub mod database;
pub mod drill;
pub mod files;
pub mod presign;
pub mod rawpath;
pub mod restore;
pub mod runner;
pub mod task;

pub use client::{Auth, SiteClient};

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::commands::backup::{self as backup_cmd, BackupOptions};
use crate::commands::restore::{self as restore_cmd, split_path};
use crate::db::TableManifest;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::progress::Progress;
use crate::repo::Repository;
use crate::snapshot::{SiteInfo, Snapshot};

/// What the site says about itself (`GET /site`), as far as backups need it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SiteFacts {
    /// Home URL.
    #[serde(default)]
    pub home_url: String,
    /// Versions.
    #[serde(default)]
    pub versions: serde_json::Value,
    /// Table prefix.
    #[serde(default)]
    pub table_prefix: String,
    /// PHP limits (`post_max_size`, ...).
    #[serde(default)]
    pub php_limits: serde_json::Value,
}

impl SiteFacts {
    /// Loads them.
    ///
    /// # Errors
    /// [`Error::Site`].
    pub async fn load(client: &SiteClient) -> Result<SiteFacts> {
        client.get_json("site", &[]).await
    }

    /// Snapshot metadata.
    pub fn info(&self) -> SiteInfo {
        let v = |k: &str| self.versions[k].as_str().unwrap_or_default().to_string();
        SiteInfo {
            url: self.home_url.clone(),
            wordpress_version: v("wordpress"),
            woocommerce_version: v("woocommerce"),
            table_prefix: self.table_prefix.clone(),
            db_version: v("database"),
        }
    }

    /// The largest request body the site accepts, with room to spare: half
    /// of PHP's `post_max_size`, at most 8 MiB, at least 256 KiB.
    pub fn request_budget(&self) -> usize {
        let raw = self.php_limits["post_max_size"]
            .as_str()
            .unwrap_or("8M")
            .trim();
        let (num, mult) = match raw.chars().last().map(|c| c.to_ascii_uppercase()) {
            Some('K') => (&raw[..raw.len() - 1], 1usize << 10),
            Some('M') => (&raw[..raw.len() - 1], 1 << 20),
            Some('G') => (&raw[..raw.len() - 1], 1 << 30),
            _ => (raw, 1),
        };
        let bytes = num
            .trim()
            .parse::<usize>()
            .unwrap_or(8)
            .saturating_mul(mult);
        let bytes = if bytes == 0 { usize::MAX } else { bytes };
        (bytes / 2).clamp(256 << 10, 8 << 20)
    }
}

/// What to back up from the site.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SiteBackupOptions {
    /// The site's files.
    pub files: bool,
    /// The site's database.
    pub database: bool,
    /// What started it (`manual`, `schedule`, `before-update`).
    pub trigger: String,
    /// Extra exclusion patterns for files.
    pub excludes: Vec<String>,
    /// The snapshot's time (a scheduled job: the site's clock), else now.
    pub time: Option<chrono::DateTime<chrono::Utc>>,
    /// Seconds to wait for a conflicting lock (a prune) to go away.
    pub lock_wait_secs: u64,
}

/// Traffic of a site backup.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SiteTraffic {
    /// Bytes received from the site (file contents and rows).
    pub bytes_from_site: u64,
    /// Requests sent to the site's API (without presigning).
    pub site_requests: u64,
}

/// Backs up the site behind `client` into `repo`.
///
/// # Errors
/// Site, storage and repository errors; [`Error::Cancelled`].
pub async fn backup_site(
    repo: &Repository,
    client: &std::sync::Arc<SiteClient>,
    opts: &SiteBackupOptions,
    progress: &dyn Progress,
) -> Result<(Id, Snapshot, SiteTraffic)> {
    let facts = SiteFacts::load(client).await?;
    let label = facts.home_url.clone();
    let mut files = opts
        .files
        .then(|| files::SiteFiles::new(client.clone(), opts.excludes.clone()));
    let mut db = opts
        .database
        .then(|| database::SiteDatabase::new(client.clone(), &label));
    let bopts = BackupOptions {
        trigger: if opts.trigger.is_empty() {
            "manual".into()
        } else {
            opts.trigger.clone()
        },
        site: Some(facts.info()),
        time: opts.time,
        lock_wait: (opts.lock_wait_secs > 0)
            .then(|| std::time::Duration::from_secs(opts.lock_wait_secs)),
        ..BackupOptions::default()
    };
    let result = backup_cmd::run(
        repo,
        files
            .as_mut()
            .map(|f| f as &mut dyn crate::commands::backup::FileSource),
        db.as_mut()
            .map(|d| d as &mut dyn crate::db::source::DbSource),
        &bopts,
        progress,
    )
    .await;
    let traffic = SiteTraffic {
        bytes_from_site: files.as_ref().map_or(0, |f| f.bytes_received)
            + db.as_ref().map_or(0, |d| d.bytes_received),
        site_requests: files.as_ref().map_or(0, |f| f.requests)
            + db.as_ref().map_or(0, |d| d.requests),
    };
    let (id, snap) = result?;
    Ok((id, snap, traffic))
}

/// What to restore into the site.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SiteRestoreOptions {
    /// `latest` or a snapshot id (prefix).
    pub snapshot: String,
    /// Restore tables.
    pub database: bool,
    /// Restore files.
    pub files: bool,
    /// Only these tables (`None`: all).
    pub tables: Option<Vec<String>>,
    /// Only these paths (`None`: all).
    pub paths: Option<Vec<String>>,
    /// The open restore session.
    #[serde(rename = "sessionId")]
    pub session_id: String,
    /// Its key.
    #[serde(rename = "sessionKey")]
    pub session_key: String,
    /// Put everything in place at the end (`/swap`).
    #[serde(default = "yes")]
    pub swap: bool,
    /// Continue a session an interrupted restore left: what it holds
    /// already (tables with all their rows, complete files) is not sent
    /// again.
    pub resume: bool,
    /// Keep files the snapshot does not have (added since). By default a
    /// files restore mirrors the snapshot: such files are moved aside at
    /// swap (back on rollback, deleted on commit).
    pub keep_extra_files: bool,
    /// Record the SHA-256 of every file sent (restore drills).
    #[serde(skip)]
    pub hash_files: bool,
}

fn yes() -> bool {
    true
}

/// What a site restore did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SiteRestoreResult {
    /// Snapshot restored.
    pub snapshot: String,
    /// Tables staged.
    pub tables: u64,
    /// Rows staged.
    pub rows: u64,
    /// Files staged.
    pub files: u64,
    /// File bytes staged.
    pub bytes: u64,
    /// Bytes sent to the site.
    pub bytes_to_site: u64,
    /// Symlinks that could not be restored through the API, and what the
    /// site kept (protected files, Strongbox's own tables).
    pub skipped: Vec<String>,
    /// Tables and files the resumed session held already.
    pub resumed: u64,
    /// Paths listed as the snapshot's (files elsewhere under the restored
    /// folders are removed at swap).
    pub listed: u64,
    /// Requests sent to the site.
    pub requests: u64,
    /// The site's answer to `/swap`.
    pub swapped: Option<serde_json::Value>,
    /// `(path, size, SHA-256)` of each file sent, with `hash_files`.
    #[serde(skip)]
    pub hashes: Vec<(Vec<u8>, u64, [u8; 32])>,
}

/// Restores a snapshot into the site through an open restore session.
///
/// # Errors
/// Site, storage and repository errors; [`Error::Cancelled`] (the session
/// stays open and can be rolled back).
pub async fn restore_site(
    repo: &Repository,
    client: &std::sync::Arc<SiteClient>,
    opts: &SiteRestoreOptions,
    progress: &dyn Progress,
) -> Result<SiteRestoreResult> {
    let facts = SiteFacts::load(client).await?;
    let spec = if opts.snapshot.is_empty() {
        "latest"
    } else {
        &opts.snapshot
    };
    let (index, id, snap) = backup_cmd::load_for_read(repo, spec).await?;
    let mut target = restore::SiteRestore::new(client.clone(), &opts.session_id, &opts.session_key);
    target.part_size = facts.request_budget();
    target.hash_files = opts.hash_files;
    if opts.resume {
        target.load_staged().await?;
    }
    let mut total = 0;
    if opts.database {
        total += snap.stats.db_bytes;
    }
    if opts.files {
        total += snap.stats.file_bytes;
    }
    progress.total(total);
    let mut out = SiteRestoreResult {
        snapshot: id.to_hex(),
        ..SiteRestoreResult::default()
    };
    if opts.database {
        let db = snap
            .database
            .as_ref()
            .ok_or_else(|| Error::Invalid("this snapshot holds no database".into()))?;
        let wanted: Option<HashSet<&str>> = opts
            .tables
            .as_ref()
            .map(|t| t.iter().map(String::as_str).collect());
        if let Some(w) = &wanted {
            if let Some(missing) = w.iter().find(|n| !db.tables.iter().any(|t| t.name == **n)) {
                return Err(Error::Invalid(format!(
                    "table {missing} is not in snapshot {}",
                    id.short()
                )));
            }
        }
        let budget = target.part_size;
        let own = format!("{}strongbox_", facts.table_prefix);
        for (i, t) in db.tables.iter().enumerate() {
            if wanted
                .as_ref()
                .is_some_and(|w| !w.contains(t.name.as_str()))
            {
                continue;
            }
            // Strongbox's own tables (its job log) describe now, not the
            // snapshot: they are restored only when asked for by name.
            if wanted.is_none() && !facts.table_prefix.is_empty() && t.name.starts_with(&own) {
                out.skipped
                    .push(format!("{} (kept: Strongbox's own table)", t.name));
                continue;
            }
            if progress.cancelled() {
                return Err(Error::Cancelled);
            }
            progress.item(
                crate::progress::Phase::Restore,
                &t.name,
                i as u64,
                db.tables.len() as u64,
            );
            if opts.resume && target.table_done(&t.name, t.rows) {
                target.resumed += 1;
                out.rows += t.rows;
                out.tables += 1;
                continue;
            }
            let m: TableManifest = repo.read_json_blob(&index, &t.manifest).await?;
            target.begin_table(&m.name, &m.create).await?;
            out.rows +=
                crate::db::restore::read_rows(repo, &index, &m, &mut target, budget, progress)
                    .await?;
            out.tables += 1;
        }
    }
    if opts.files {
        let part = snap
            .files
            .as_ref()
            .ok_or_else(|| Error::Invalid("this snapshot holds no files".into()))?;
        let includes = opts
            .paths
            .iter()
            .flatten()
            .map(|p| split_path(p))
            .collect::<Result<Vec<_>>>()?;
        if !opts.keep_extra_files {
            let roots = match &opts.paths {
                Some(p) if !p.is_empty() => {
                    p.iter().map(|r| r.trim_matches('/').to_string()).collect()
                }
                _ => vec![String::new()],
            };
            target.mirror(roots, opts.resume);
        }
        let stats =
            restore_cmd::restore_files(repo, &index, &part.tree, &includes, &mut target, progress)
                .await?;
        target.send_batch().await?;
        target.send_keep().await?;
        out.files = stats.files;
        out.bytes = stats.bytes;
    }
    if opts.swap {
        let swapped = target.swap().await?;
        // Links the site could not create at swap (the host refused, or the
        // target changed since it was staged).
        if let Some(list) = swapped.get("skipped").and_then(|v| v.as_array()) {
            for e in list {
                let raw = rawpath::decode(
                    e["path"].as_str().unwrap_or_default(),
                    e["path_b64"].as_str(),
                )?;
                out.skipped.push(format!(
                    "{} (symlink not restored: {})",
                    rawpath::display(&raw),
                    e["message"]
                        .as_str()
                        .unwrap_or("the site could not create it")
                ));
            }
        }
        out.swapped = Some(swapped);
    }
    out.bytes_to_site = target.bytes_sent;
    out.resumed = target.resumed;
    out.listed = target.kept;
    out.requests = target.requests;
    out.skipped.extend(target.skipped);
    out.hashes = target.hashes;
    Ok(out)
}
