//! Restore drills: proof that a snapshot really restores, without touching
//! the live site.
//!
//! A drill opens a restore session in `drill` mode (no maintenance page;
//! the site refuses to swap it in, and a real restore always wins over it),
//! restores the snapshot's tables into scratch tables and its files into
//! a private folder, then compares:
//! - every scratch table's page manifest, computed by MariaDB exactly as
//!   for a backup, with the checksums the snapshot recorded (row count,
//!   BIT_XOR and SUM of the row hashes, per page or per table);
//! - the size and SHA-256 of every staged file with those of the content
//!   the engine sent (hashed while sending: the snapshot stores keyed blob
//!   ids, not file hashes).
//!
//! The session is then deleted (scratch tables dropped, files removed)
//! with the result and the measured time to restore (RTO), which the site
//! keeps in its drill reports.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::client::SiteClient;
use super::database::Manifest;
use super::{rawpath, restore_site, SiteRestoreOptions};
use crate::commands::backup as backup_cmd;
use crate::db::{Checksum, TableManifest, TableMode};
use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};
use crate::repo::Repository;

/// Most mismatches listed in a report.
const MAX_MISMATCHES: usize = 50;

/// What a drill found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DrillReport {
    /// Whether everything restored equals the snapshot.
    pub ok: bool,
    /// The snapshot drilled.
    pub snapshot_id: String,
    /// Time to restore: from opening the session to the last comparison.
    pub rto_ms: u64,
    /// Tables restored and compared.
    pub tables_checked: u64,
    /// Rows restored.
    pub rows_checked: u64,
    /// Tables whose checksums the snapshot does not hold (compared by row
    /// count only: a snapshot of an SQL dump).
    pub tables_count_only: u64,
    /// Files restored and compared.
    pub files_checked: u64,
    /// File bytes restored.
    pub bytes_checked: u64,
    /// What differs (at most 50).
    pub mismatches: Vec<String>,
    /// What the drill left out (Strongbox's own tables, symlinks).
    pub skipped: Vec<String>,
    /// Bytes sent to the site.
    pub bytes_to_site: u64,
}

#[derive(Deserialize)]
struct Opened {
    id: String,
    key: String,
}

#[derive(Deserialize)]
struct FileFacts {
    path: String,
    #[serde(default)]
    path_b64: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct VerifiedFiles {
    files: Vec<FileFacts>,
}

fn now_ms() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64
}

/// Runs a restore drill of snapshot `spec` (`latest` or an id prefix).
///
/// # Errors
/// Site, storage and repository errors (the drill session is cleaned up
/// where the site can still be reached); a drill whose data differs is not
/// an error but a report with `ok: false`.
pub async fn drill_site(
    repo: &Repository,
    client: &Arc<SiteClient>,
    spec: &str,
    progress: &dyn Progress,
) -> Result<DrillReport> {
    let started = now_ms();
    let (index, id, snap) = backup_cmd::load_for_read(repo, spec).await?;
    let opened: Opened = client
        .send_json(
            Method::POST,
            "restore/sessions",
            &json!({"confirm": "DRILL", "mode": "drill", "ttl": 3600}),
        )
        .await?;
    let result = run(repo, client, &opened, &index, &id.to_hex(), &snap, progress).await;
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            // Clean up on the way out; the site's expiry does it otherwise.
            let _ = finish(client, &opened, None, &id.to_hex(), &e.to_string()).await;
            return Err(e);
        }
    };
    report.rto_ms = (now_ms() - started).max(0.0) as u64;
    report.ok = report.mismatches.is_empty();
    let detail = if report.ok {
        format!(
            "{} tables ({} rows) and {} files equal to the snapshot",
            report.tables_checked, report.rows_checked, report.files_checked
        )
    } else {
        report.mismatches.join("; ")
    };
    finish(client, &opened, Some(&report), &id.to_hex(), &detail).await?;
    Ok(report)
}

async fn finish(
    client: &SiteClient,
    opened: &Opened,
    report: Option<&DrillReport>,
    snapshot: &str,
    detail: &str,
) -> Result<()> {
    let rto = report.map(|r| format!("{:.3}", r.rto_ms as f64 / 1000.0));
    let result = match report {
        Some(r) if r.ok => "passed",
        _ => "failed",
    };
    let detail: String = detail.chars().take(1900).collect();
    let mut query: Vec<(&str, &str)> = vec![
        ("result", result),
        ("snapshot", snapshot),
        ("detail", &detail),
    ];
    if let Some(r) = &rto {
        query.push(("rto_seconds", r));
    }
    let url = client.url(&format!("restore/sessions/{}", opened.id), &query)?;
    let req = client
        .request(Method::DELETE, url)
        .header("X-Strongbox-Session-Key", &opened.key);
    client.send("cleaning up the drill", req).await?;
    Ok(())
}

async fn run(
    repo: &Repository,
    client: &Arc<SiteClient>,
    opened: &Opened,
    index: &crate::index::Index,
    snapshot: &str,
    snap: &crate::snapshot::Snapshot,
    progress: &dyn Progress,
) -> Result<DrillReport> {
    let opts = SiteRestoreOptions {
        snapshot: snapshot.to_string(),
        database: snap.database.is_some(),
        files: snap.files.is_some(),
        session_id: opened.id.clone(),
        session_key: opened.key.clone(),
        swap: false,
        keep_extra_files: true,
        hash_files: true,
        ..SiteRestoreOptions::default()
    };
    let restored = restore_site(repo, client, &opts, progress).await?;
    let mut r = DrillReport {
        snapshot_id: snapshot.to_string(),
        rows_checked: restored.rows,
        skipped: restored.skipped.clone(),
        bytes_to_site: restored.bytes_to_site,
        ..DrillReport::default()
    };
    let mut miss = |r: &mut DrillReport, m: String| {
        if r.mismatches.len() < MAX_MISMATCHES {
            r.mismatches.push(m);
        }
    };

    // Tables: the scratch table's manifest against the snapshot's.
    if let Some(db) = &snap.database {
        let kept_out: Vec<&str> = restored
            .skipped
            .iter()
            .filter_map(|s| s.split_once(' ').map(|(n, _)| n))
            .collect();
        for (i, t) in db.tables.iter().enumerate() {
            if kept_out.contains(&t.name.as_str()) {
                continue;
            }
            if progress.cancelled() {
                return Err(Error::Cancelled);
            }
            progress.item(
                Phase::Check,
                &format!("comparing {}", t.name),
                i as u64,
                db.tables.len() as u64,
            );
            let m: TableManifest = repo.read_json_blob(index, &t.manifest).await?;
            let width = match &m.mode {
                TableMode::Paged { width, .. } => Some(width.to_string()),
                TableMode::Stream => None,
            };
            let mut query = vec![("table", t.name.as_str())];
            if let Some(w) = &width {
                query.push(("width", w));
            }
            let url = client.url(&format!("restore/sessions/{}/verify", opened.id), &query)?;
            let req = client
                .request(Method::GET, url)
                .header("X-Strongbox-Session-Key", &opened.key);
            let resp = client
                .send(&format!("verifying table {}", t.name), req)
                .await?;
            let body = SiteClient::body("the drill's table verification", resp).await?;
            let got: Manifest = serde_json::from_slice(&body)
                .map_err(|e| Error::malformed(format!("verification of {}", t.name), e))?;
            r.tables_checked += 1;
            compare_table(&m, &got, &mut r, &mut miss);
        }
    }

    // Files: size and SHA-256 of what the site staged.
    if !restored.hashes.is_empty() {
        let sent: HashMap<&[u8], (u64, [u8; 32])> = restored
            .hashes
            .iter()
            .map(|(p, n, h)| (p.as_slice(), (*n, *h)))
            .collect();
        // Plain paths as strings, others as {"path", "path_b64"} objects.
        let paths: Vec<serde_json::Value> = restored
            .hashes
            .iter()
            .map(|(p, _, _)| {
                let o = rawpath::object(p);
                if o.get("path_b64").is_some() {
                    o
                } else {
                    o["path"].clone()
                }
            })
            .collect();
        for (n, chunk) in paths.chunks(1000).enumerate() {
            progress.item(
                Phase::Check,
                "comparing files",
                (n * 1000) as u64,
                paths.len() as u64,
            );
            let url = client.url(&format!("restore/sessions/{}/verify-files", opened.id), &[])?;
            let req = client
                .request(Method::POST, url)
                .header("X-Strongbox-Session-Key", &opened.key)
                .header("Content-Type", "application/json")
                .body(json!({ "paths": chunk }).to_string());
            let resp = client.send("verifying the drill's files", req).await?;
            let body = SiteClient::body("the drill's file verification", resp).await?;
            let got: VerifiedFiles = serde_json::from_slice(&body)
                .map_err(|e| Error::malformed("verification of the drill's files", e))?;
            for f in got.files {
                let raw = rawpath::decode(&f.path, f.path_b64.as_deref())?;
                let Some((size, hash)) = sent.get(raw.as_slice()) else {
                    continue;
                };
                r.files_checked += 1;
                r.bytes_checked += size;
                if let Some(e) = f.error {
                    miss(&mut r, format!("file {}: {e}", f.path));
                    continue;
                }
                if f.size != Some(*size) {
                    miss(
                        &mut r,
                        format!(
                            "file {}: {} bytes staged, the snapshot has {size}",
                            f.path,
                            f.size.unwrap_or(0)
                        ),
                    );
                } else if f.sha256.as_deref() != Some(hex::encode(hash).as_str()) {
                    miss(&mut r, format!("file {}: content differs", f.path));
                }
            }
        }
    }
    Ok(r)
}

fn compare_table(
    m: &TableManifest,
    got: &Manifest,
    r: &mut DrillReport,
    miss: &mut impl FnMut(&mut DrillReport, String),
) {
    match &m.mode {
        TableMode::Paged { .. } => {
            let staged: HashMap<i64, Checksum> = got
                .pages
                .iter()
                .filter(|p| p.rows > 0)
                .map(|p| {
                    let c = p.checksum();
                    (c.page, c.checksum)
                })
                .collect();
            let rows: u64 = staged.values().map(|c| c.rows).sum();
            if rows != m.rows {
                miss(
                    r,
                    format!(
                        "table {}: {rows} rows restored, the snapshot has {}",
                        m.name, m.rows
                    ),
                );
            }
            let mut count_only = false;
            for p in &m.pages {
                match (p.checksum, staged.get(&p.page)) {
                    (_, None) if p.rows > 0 => {
                        miss(r, format!("table {}: page {} is missing", m.name, p.page));
                    }
                    (Some(want), Some(have)) if want != *have => {
                        miss(
                            r,
                            format!(
                                "table {}: page {} differs from the snapshot",
                                m.name, p.page
                            ),
                        );
                    }
                    (None, _) => count_only = true,
                    _ => {}
                }
            }
            for page in staged.keys() {
                if !m.pages.iter().any(|p| p.page == *page) {
                    miss(
                        r,
                        format!("table {}: page {page} is not in the snapshot", m.name),
                    );
                }
            }
            if count_only {
                r.tables_count_only += 1;
            }
        }
        TableMode::Stream => {
            let have = got.checksum.as_ref().map(|c| c.checksum());
            match (m.checksum, have) {
                (Some(want), Some(have)) if want != have => {
                    miss(r, format!("table {} differs from the snapshot", m.name));
                }
                (Some(_), None) => miss(r, format!("table {}: no checksum of the restore", m.name)),
                (None, have) => {
                    r.tables_count_only += 1;
                    let rows = have.map_or(0, |c| c.rows);
                    if rows != m.rows {
                        miss(
                            r,
                            format!(
                                "table {}: {rows} rows restored, the snapshot has {}",
                                m.name, m.rows
                            ),
                        );
                    }
                }
                _ => {}
            }
        }
    }
}
