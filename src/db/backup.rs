//! Backing up tables: only pages whose checksum changed are read.

use std::collections::HashMap;

use super::source::{DbSource, TablePlan};
use super::{group_rows, Page, TableInfo, TableManifest, TableMode, STREAM_BATCH_ROWS};
use crate::chunker::{Chunker, ChunkerParams};
use crate::error::Result;
use crate::id::Id;
use crate::pack::BlobType;
use crate::progress::{Phase, Progress};
use crate::repo::Saver;
use crate::snapshot::{DatabasePart, TableRef};

/// Figures of a database backup.
#[derive(Debug, Default, Clone, Copy)]
pub struct DbStats {
    /// Tables.
    pub tables: u64,
    /// Rows.
    pub rows: u64,
    /// Serialized bytes.
    pub bytes: u64,
    /// Pages read.
    pub pages_read: u64,
    /// Pages reused from the parent.
    pub pages_reused: u64,
    /// Tables the database proved unchanged (no checksum pass).
    pub tables_unchanged: u64,
}

/// Backs up every table of `source`, comparing with `previous` manifests
/// (by table name) from the parent snapshot.
///
/// # Errors
/// Source and storage errors.
pub async fn backup_database(
    source: &mut dyn DbSource,
    saver: &mut Saver<'_>,
    chunker: ChunkerParams,
    previous: &HashMap<String, TableManifest>,
    signals: &HashMap<String, String>,
    progress: &dyn Progress,
) -> Result<(DatabasePart, DbStats)> {
    let consistency = source.begin().await?;
    let tables = source.tables().await?;
    let mut stats = DbStats::default();
    let mut refs = Vec::with_capacity(tables.len());
    // Same columns and key: the rows serialize the same way. (The CREATE
    // statement changes with every insert: AUTO_INCREMENT=N.)
    let comparable = |t: &TableInfo| {
        previous
            .get(&t.name)
            .filter(|m| m.columns == t.columns && m.primary_key == t.primary_key)
    };
    if source.has_checksums() {
        let plan: Vec<TablePlan> = tables
            .iter()
            .map(|t| {
                let prev = comparable(t);
                let stream = t.page_key().is_none();
                TablePlan {
                    name: t.name.clone(),
                    width: prev.filter(|m| m.rows > 0).and_then(|m| match &m.mode {
                        TableMode::Paged { width, .. } if !stream => Some(*width),
                        _ => None,
                    }),
                    stream,
                    signal: prev.and_then(|_| signals.get(&t.name).cloned()),
                }
            })
            .collect();
        source.prepare(&plan).await?;
    }
    for (i, t) in tables.iter().enumerate() {
        progress.item(Phase::Database, &t.name, i as u64, tables.len() as u64);
        let prev = comparable(t);
        // Proven unchanged by the database's own change signals: the
        // parent's manifest is this table's, no checksum pass needed.
        let proven =
            prev.filter(|m| source.unchanged(t) && m.data_blobs().iter().all(|b| saver.has(b)));
        let manifest = if let Some(m) = proven {
            stats.pages_reused += m.pages.len().max(1) as u64;
            stats.tables_unchanged += 1;
            m.clone()
        } else {
            match (t.page_key(), source.has_checksums()) {
                (Some(key), true) => {
                    let key = key.name.clone();
                    backup_paged(source, saver, t, &key, prev, &mut stats, progress).await?
                }
                _ => backup_stream(source, saver, t, chunker, prev, &mut stats, progress).await?,
            }
        };
        stats.tables += 1;
        stats.rows += manifest.rows;
        stats.bytes += manifest.bytes;
        let json =
            serde_json::to_vec(&manifest).map_err(|e| crate::Error::Invalid(e.to_string()))?;
        let (id, _) = saver.save(BlobType::Tree, &json, false).await?;
        refs.push(TableRef {
            name: t.name.clone(),
            manifest: id,
            rows: manifest.rows,
            bytes: manifest.bytes,
            signal: source.signal(t),
        });
    }
    source.finish().await?;
    Ok((
        DatabasePart {
            source: source.describe(),
            name: source.database(),
            consistency,
            tables: refs,
        },
        stats,
    ))
}

async fn backup_paged(
    source: &mut dyn DbSource,
    saver: &mut Saver<'_>,
    t: &TableInfo,
    key: &str,
    prev: Option<&TableManifest>,
    stats: &mut DbStats,
    progress: &dyn Progress,
) -> Result<TableManifest> {
    // Keep the parent's width so page boundaries never move.
    // (An empty table's width is provisional: chosen again once it has rows.)
    let prev_width = prev.filter(|m| m.rows > 0).and_then(|m| match &m.mode {
        TableMode::Paged { key: k, width } if k == key => Some(*width),
        _ => None,
    });
    let mut pages = Vec::new();
    let (mut rows, mut bytes) = (0u64, 0u64);
    let width = match prev_width {
        Some(width) => {
            // Incremental: one checksum pass, then only the changed pages.
            let prev_pages: HashMap<i64, &Page> = prev
                .map(|m| m.pages.iter().map(|p| (p.page, p)).collect())
                .unwrap_or_default();
            let sums = source.page_checksums(t, key, width).await?;
            // Unchanged pages are referenced; changed ones are read in
            // batches (one request each for a remote source).
            let mut slots: Vec<Option<Page>> = Vec::with_capacity(sums.len());
            let mut changed: Vec<usize> = Vec::new();
            for (i, s) in sums.iter().enumerate() {
                match prev_pages.get(&s.page) {
                    Some(p)
                        if p.checksum == Some(s.checksum)
                            && p.blobs.iter().all(|b| saver.has(b)) =>
                    {
                        stats.pages_reused += 1;
                        slots.push(Some((*p).clone()));
                    }
                    _ => {
                        slots.push(None);
                        changed.push(i);
                    }
                }
            }
            for batch in changed.chunks(READ_BATCH) {
                if progress.cancelled() {
                    return Err(crate::Error::Cancelled);
                }
                let numbers: Vec<i64> = batch.iter().map(|&i| sums[i].page).collect();
                let datas = source.read_pages(t, key, &numbers, width).await?;
                if datas.len() != batch.len() {
                    return Err(crate::Error::malformed(
                        format!("pages of table {}", t.name),
                        format!("asked for {} pages, got {}", batch.len(), datas.len()),
                    ));
                }
                for (&i, data) in batch.iter().zip(datas) {
                    let s = sums[i];
                    slots[i] =
                        Some(store_page(saver, s.page, s.checksum, &data, stats, progress).await?);
                }
            }
            for page in slots.into_iter().flatten() {
                rows += page.rows;
                bytes += page.bytes;
                pages.push(page);
            }
            width
        }
        None => {
            // First backup of this table: read it in one ordered pass, the
            // database hashing each row, in batches of SCAN_PAGES pages.
            let ks = source.key_stats(t, key).await?;
            let width = match source.suggested_width(t, key).await? {
                Some(w) => w,
                None => super::choose_width(ks.count, ks.min, ks.max),
            };
            if ks.count > 0 {
                let (first, last) = (super::page_of(ks.min, width), super::page_of(ks.max, width));
                let mut p = first;
                while p <= last {
                    if progress.cancelled() {
                        return Err(crate::Error::Cancelled);
                    }
                    let end = p.saturating_add(SCAN_PAGES - 1).min(last);
                    for (s, data) in source.scan_pages(t, key, p, end, width).await? {
                        let page =
                            store_page(saver, s.page, s.checksum, &data, stats, progress).await?;
                        rows += page.rows;
                        bytes += page.bytes;
                        pages.push(page);
                    }
                    p = end.saturating_add(1);
                    if end == i64::MAX {
                        break;
                    }
                }
            }
            width
        }
    };
    Ok(TableManifest {
        name: t.name.clone(),
        create: t.create.clone(),
        columns: t.columns.clone(),
        primary_key: t.primary_key.clone(),
        mode: TableMode::Paged {
            key: key.to_string(),
            width,
        },
        rows,
        bytes,
        checksum: None,
        pages,
        blobs: Vec::new(),
    })
}

/// Pages read in one query on a first backup.
const SCAN_PAGES: i64 = 8;

/// Changed pages read in one call on an incremental backup.
const READ_BATCH: usize = 16;

async fn store_page(
    saver: &mut Saver<'_>,
    page: i64,
    checksum: super::Checksum,
    data: &[u8],
    stats: &mut DbStats,
    progress: &dyn Progress,
) -> Result<Page> {
    stats.pages_read += 1;
    progress.bytes(Phase::Database, data.len() as u64);
    let mut blobs = Vec::new();
    for part in group_rows(data, saver.chunker_seed()) {
        blobs.push(saver.save(BlobType::Data, part, false).await?.0);
    }
    Ok(Page {
        page,
        checksum: Some(checksum),
        rows: data.iter().filter(|&&b| b == b'\n').count() as u64,
        bytes: data.len() as u64,
        blobs,
    })
}

async fn backup_stream(
    source: &mut dyn DbSource,
    saver: &mut Saver<'_>,
    t: &TableInfo,
    chunker: ChunkerParams,
    prev: Option<&TableManifest>,
    stats: &mut DbStats,
    progress: &dyn Progress,
) -> Result<TableManifest> {
    let checksum = if source.has_checksums() {
        Some(source.table_checksum(t).await?)
    } else {
        None
    };
    if let (Some(c), Some(p)) = (checksum, prev) {
        if p.checksum == Some(c)
            && p.mode == TableMode::Stream
            && p.blobs.iter().all(|b| saver.has(b))
        {
            stats.pages_reused += 1;
            return Ok(p.clone());
        }
    }
    stats.pages_read += 1;
    let mut ch = Chunker::new(chunker)?;
    let mut blobs: Vec<Id> = Vec::new();
    let (mut rows, mut bytes, mut offset) = (0u64, 0u64, 0u64);
    loop {
        let batch = source.read_stream(t, offset, STREAM_BATCH_ROWS).await?;
        if batch.is_empty() {
            break;
        }
        let n = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        rows += n;
        offset += n;
        bytes += batch.len() as u64;
        progress.bytes(Phase::Database, batch.len() as u64);
        ch.feed(&batch);
        while let Some(c) = ch.next_chunk(false) {
            blobs.push(saver.save(BlobType::Data, &c, false).await?.0);
        }
        if n < STREAM_BATCH_ROWS {
            break;
        }
    }
    while let Some(c) = ch.next_chunk(true) {
        blobs.push(saver.save(BlobType::Data, &c, false).await?.0);
    }
    Ok(TableManifest {
        name: t.name.clone(),
        create: t.create.clone(),
        columns: t.columns.clone(),
        primary_key: t.primary_key.clone(),
        mode: TableMode::Stream,
        rows,
        bytes,
        checksum,
        pages: Vec::new(),
        blobs,
    })
}
