//! The saver: turns plaintext blobs into packs and index files.
//!
//! Write order (docs/FORMAT.md, "Read and write ordering"): a pack is stored
//! before any index file names it, and index files before the snapshot that
//! needs them. An interrupted backup therefore leaves only unreferenced packs,
//! which the next backup picks up again ([`Saver::adopt_unindexed_packs`]).

use std::collections::HashSet;
use std::rc::Rc;

use futures::future::LocalBoxFuture;
use futures::stream::{FuturesOrdered, StreamExt};
use futures::FutureExt;

use crate::compress;
use crate::crypto::{self, Crypto};
use crate::error::Result;
use crate::id::Id;
use crate::index::{Index, IndexFile, IndexPack};
use crate::pack::{BlobType, PackWriter};
use crate::storage::FileKind;

use super::Repository;

/// An index file is written after this many new packs, so an interrupted
/// backup loses at most this many packs' worth of index (they are adopted
/// again by the next backup anyway).
const PACKS_PER_INDEX: usize = 32;

/// Compresses blobs somewhere else than the saver's thread: in the browser,
/// a pool of Web Workers each running its own instance of the engine. The
/// saver keeps [`Compress::parallelism`] blobs in flight, so the pool works
/// while the saver reads the next data.
pub trait Compress {
    /// Starts deflating `data` at `level` now (before the future is polled).
    /// The future yields the deflated bytes, or `None` to store `data` as is
    /// (incompressible, or not smaller).
    fn start(
        &self,
        level: u32,
        data: &[u8],
        incompressible: bool,
    ) -> LocalBoxFuture<'static, Result<Option<Vec<u8>>>>;

    /// How many blobs to keep in flight.
    fn parallelism(&self) -> usize;
}

/// Where a repository's savers compress: inline (always, natively), or
/// through a [`Compress`] set by the browser engine.
#[derive(Default)]
pub struct Offload {
    #[cfg(target_arch = "wasm32")]
    inner: std::cell::RefCell<Option<Rc<dyn Compress>>>,
}

impl std::fmt::Debug for Offload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Offload({})", self.get().is_some())
    }
}

impl Offload {
    /// The compressor, if one is set.
    pub fn get(&self) -> Option<Rc<dyn Compress>> {
        #[cfg(target_arch = "wasm32")]
        {
            self.inner.borrow().clone()
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            None
        }
    }

    /// Sets (or clears) the compressor.
    #[cfg(target_arch = "wasm32")]
    pub fn set(&self, c: Option<Rc<dyn Compress>>) {
        *self.inner.borrow_mut() = c;
    }
}

/// A blob ready to be packed.
#[derive(Debug)]
pub struct PreparedBlob {
    /// Blob type.
    pub blob_type: BlobType,
    /// Blob id.
    pub id: Id,
    /// Sealed stored bytes.
    pub sealed: Vec<u8>,
    /// Plaintext length when deflated.
    pub uncompressed: Option<u32>,
    /// Plaintext length.
    pub plain_len: usize,
}

/// Computes id, compression and seal of a blob.
///
/// # Errors
/// When no random source is available.
pub fn prepare(
    crypto: &Crypto,
    level: u32,
    blob_type: BlobType,
    data: &[u8],
    incompressible: bool,
) -> Result<PreparedBlob> {
    let id = crypto.blob_id(data);
    let compressed = compress::compress(data, level, incompressible);
    let (stored, uncompressed) = match &compressed {
        Some(c) => (c.as_slice(), u32::try_from(data.len()).ok()),
        None => (data, None),
    };
    // A blob over 4 GiB cannot be described; chunks are far smaller.
    let (stored, uncompressed) = if compressed.is_some() && uncompressed.is_none() {
        (data, None)
    } else {
        (stored, uncompressed)
    };
    Ok(PreparedBlob {
        blob_type,
        id,
        sealed: crypto.seal(stored)?,
        uncompressed,
        plain_len: data.len(),
    })
}

/// Room for a full data pack: the target, one more largest blob, the header.
fn pack_capacity(repo: &Repository) -> usize {
    repo.config.pack_size as usize + repo.config.chunker.max as usize + (1 << 20)
}

/// What a saver wrote.
#[derive(Debug, Default, Clone, Copy, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SaveStats {
    /// Blobs offered.
    pub blobs_total: u64,
    /// Blobs that were new.
    pub blobs_new: u64,
    /// Plaintext bytes of new blobs.
    pub bytes_new: u64,
    /// Bytes of packs written (what the storage grew by, before index and snapshot).
    pub bytes_stored: u64,
    /// Packs written.
    pub packs: u64,
}

/// Packs blobs and writes index files.
pub struct Saver<'r> {
    repo: &'r Repository,
    index: Index,
    data: PackWriter,
    tree: PackWriter,
    unindexed: Vec<IndexPack>,
    written_index: Vec<Id>,
    in_flight: HashSet<Id>,
    lock: Option<&'r super::lock::Lock>,
    compressor: Option<Rc<dyn Compress>>,
    pending: FuturesOrdered<LocalBoxFuture<'static, Result<PreparedBlob>>>,
    /// Counters.
    pub stats: SaveStats,
}

impl<'r> Saver<'r> {
    /// A saver that deduplicates against `index`.
    pub fn new(repo: &'r Repository, index: Index) -> Saver<'r> {
        Saver {
            repo,
            index,
            data: PackWriter::with_capacity(pack_capacity(repo)),
            tree: PackWriter::new(),
            unindexed: Vec::new(),
            written_index: Vec::new(),
            in_flight: HashSet::new(),
            lock: None,
            compressor: repo.offload.get(),
            pending: FuturesOrdered::new(),
            stats: SaveStats::default(),
        }
    }

    /// Refreshes `lock` whenever a pack is written, so a long backup never
    /// lets its lock go stale.
    pub fn keep_fresh(&mut self, lock: &'r super::lock::Lock) {
        self.lock = Some(lock);
    }

    /// The repository's secret chunker seed (also keys row groups).
    pub fn chunker_seed(&self) -> u64 {
        self.repo.config.chunker.seed
    }

    /// The index, including everything saved so far.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Whether blob `id` is stored or about to be.
    pub fn has(&self, id: &Id) -> bool {
        self.index.has(id) || self.in_flight.contains(id)
    }

    /// Finds packs that no index names (left by an interrupted backup),
    /// reads their headers and indexes them, so their blobs are reused
    /// instead of uploaded again. Returns how many packs were adopted.
    ///
    /// # Errors
    /// Storage errors. Packs whose header cannot be read are skipped (check
    /// reports them).
    pub async fn adopt_unindexed_packs(&mut self) -> Result<usize> {
        let mut adopted = 0;
        for obj in self.repo.storage.list(FileKind::Pack).await? {
            let Ok(id) = crate::id::Id::parse(&obj.name) else {
                continue;
            };
            if self.index.has_pack(&id) {
                continue;
            }
            let Ok(entries) = self.repo.read_pack_header(&id, obj.size).await else {
                continue;
            };
            self.index.add_pack(id, &entries);
            self.unindexed.push(IndexPack::from_entries(id, &entries));
            adopted += 1;
        }
        if adopted > 0 {
            self.write_index().await?;
        }
        Ok(adopted)
    }

    /// Saves a blob; returns its id and whether it was new.
    ///
    /// # Errors
    /// Storage errors while flushing a full pack.
    pub async fn save(
        &mut self,
        blob_type: BlobType,
        data: &[u8],
        incompressible: bool,
    ) -> Result<(Id, bool)> {
        // A long stretch of data that is all stored already writes no pack:
        // keep the lock fresh here too (I/O only every few minutes).
        if let Some(lock) = self.lock {
            lock.refresh(self.repo).await?;
        }
        let crypto = &self.repo.crypto;
        let id = crypto.blob_id_async(data).await;
        self.stats.blobs_total += 1;
        if self.has(&id) {
            return Ok((id, false));
        }
        let level = self.repo.config.compression_level;
        if let Some(c) = self.compressor.clone() {
            // Offloaded: compression starts now elsewhere; the blob joins its
            // pack (in order) once ready.
            let started = c.start(level, data, incompressible);
            let crypto = crypto.clone();
            let plain = data.to_vec();
            let fut = async move {
                let deflated = started.await?;
                let plain_len = plain.len();
                let (stored, uncompressed) = match deflated {
                    Some(d) if u32::try_from(plain_len).is_ok() => {
                        (d, u32::try_from(plain_len).ok())
                    }
                    _ => (plain, None),
                };
                Ok(PreparedBlob {
                    blob_type,
                    id,
                    sealed: crypto.seal_async(&stored).await?,
                    uncompressed,
                    plain_len,
                })
            };
            self.stats.blobs_new += 1;
            self.stats.bytes_new += data.len() as u64;
            self.in_flight.insert(id);
            self.pending.push_back(fut.boxed_local());
            while self.pending.len() > c.parallelism().max(1) {
                self.settle_one().await?;
            }
            return Ok((id, true));
        }
        let compressed = compress::compress(data, level, incompressible);
        let (stored, uncompressed) = match &compressed {
            Some(c) if u32::try_from(data.len()).is_ok() => {
                (c.as_slice(), u32::try_from(data.len()).ok())
            }
            _ => (data, None),
        };
        let p = PreparedBlob {
            blob_type,
            id,
            sealed: crypto.seal_async(stored).await?,
            uncompressed,
            plain_len: data.len(),
        };
        self.add_prepared(p).await?;
        Ok((id, true))
    }

    /// Adds a blob prepared elsewhere (for example on a worker thread).
    /// Returns whether it was new.
    ///
    /// # Errors
    /// Storage errors while flushing a full pack.
    pub async fn add_prepared(&mut self, p: PreparedBlob) -> Result<bool> {
        if self.has(&p.id) {
            return Ok(false);
        }
        self.stats.blobs_new += 1;
        self.stats.bytes_new += p.plain_len as u64;
        self.in_flight.insert(p.id);
        self.pack(p).await?;
        Ok(true)
    }

    /// Waits for the oldest offloaded blob and packs it.
    async fn settle_one(&mut self) -> Result<()> {
        match self.pending.next().await {
            Some(p) => self.pack(p?).await,
            None => Ok(()),
        }
    }

    /// Adds a counted, in-flight blob to its pack; flushes a full pack.
    async fn pack(&mut self, p: PreparedBlob) -> Result<()> {
        let writer = match p.blob_type {
            BlobType::Data => &mut self.data,
            BlobType::Tree => &mut self.tree,
        };
        writer.add(p.blob_type, p.id, &p.sealed, p.uncompressed)?;
        if writer.len() >= self.repo.config.pack_size as usize {
            self.flush(p.blob_type).await?;
        }
        Ok(())
    }

    async fn flush(&mut self, which: BlobType) -> Result<()> {
        let writer = match which {
            BlobType::Data => std::mem::replace(
                &mut self.data,
                PackWriter::with_capacity(pack_capacity(self.repo)),
            ),
            BlobType::Tree => std::mem::take(&mut self.tree),
        };
        if writer.is_empty() {
            return Ok(());
        }
        let (bytes, entries) = writer.finish(&self.repo.crypto)?;
        let id = crypto::sha256_async(&bytes).await;
        let len = bytes.len() as u64;
        match self
            .repo
            .storage
            .put(FileKind::Pack, &id.to_hex(), bytes)
            .await
        {
            Ok(()) => {}
            // Same bytes under the same name: already there.
            Err(crate::Error::AlreadyExists { .. }) => {}
            Err(e) => return Err(e),
        }
        self.stats.bytes_stored += len;
        self.stats.packs += 1;
        if let Some(lock) = self.lock {
            lock.refresh(self.repo).await?;
        }
        for e in &entries {
            self.in_flight.remove(&e.id);
        }
        self.index.add_pack(id, &entries);
        self.unindexed.push(IndexPack::from_entries(id, &entries));
        if self.unindexed.len() >= PACKS_PER_INDEX {
            self.write_index().await?;
        }
        Ok(())
    }

    async fn write_index(&mut self) -> Result<()> {
        if self.unindexed.is_empty() {
            return Ok(());
        }
        // An index file makes packs visible to every later reader: never
        // after this process's lock went stale (a prune may have run).
        if let Some(lock) = self.lock {
            lock.refresh(self.repo).await?;
        }
        let file = IndexFile {
            supersedes: Vec::new(),
            packs: std::mem::take(&mut self.unindexed),
        };
        let id = self.repo.save_json(FileKind::Index, &file).await?;
        self.written_index.push(id);
        Ok(())
    }

    /// Flushes both packs and writes the index of everything new. After
    /// this, a snapshot may reference every blob saved.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn finish(self) -> Result<(Index, SaveStats)> {
        let (index, stats, _) = self.finish_with_index_files().await?;
        Ok((index, stats))
    }

    /// As [`Saver::finish`], also naming the index files this saver wrote
    /// (prune supersedes them with its own).
    ///
    /// # Errors
    /// Storage errors.
    pub async fn finish_with_index_files(mut self) -> Result<(Index, SaveStats, Vec<Id>)> {
        while !self.pending.is_empty() {
            self.settle_one().await?;
        }
        self.flush(BlobType::Data).await?;
        self.flush(BlobType::Tree).await?;
        self.write_index().await?;
        Ok((self.index, self.stats, self.written_index))
    }
}
