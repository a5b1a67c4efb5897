//! Content-defined chunking with FastCDC (the `fastcdc` crate, 2020 variant).
//!
//! The chunker is fed bytes as they arrive (from a file, an HTTP body or a
//! database stream) and hands out chunks as soon as their end is certain, so
//! memory stays bounded by the maximum chunk size plus one read.
//!
//! The gear table is keyed with a per-repository seed (kept in the encrypted
//! config), like borg's keyed chunker, so chunk lengths seen on the storage do
//! not reveal which well-known files a site holds.

use fastcdc::v2020::{cut_gear, get_gear_with_seed, select_masks, Normalization};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Chunk size limits, in bytes.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChunkerParams {
    /// No chunk is smaller (except a stream's last).
    pub min: u32,
    /// Target average.
    pub avg: u32,
    /// No chunk is larger.
    pub max: u32,
    /// Gear table seed (secret, from the encrypted config).
    #[serde(default)]
    pub seed: u64,
}

impl Default for ChunkerParams {
    /// File sizes: 256 KiB / 1 MiB / 4 MiB (docs/BENCHMARKS.md, chunk sweep):
    /// about restic's average, with a smaller maximum to bound memory. Most
    /// site files are smaller than the minimum and form one chunk each;
    /// smaller sizes bought nothing on the hourly file mutation.
    fn default() -> Self {
        ChunkerParams {
            min: 256 * 1024,
            avg: 1024 * 1024,
            max: 4 * 1024 * 1024,
            seed: 0,
        }
    }
}

impl ChunkerParams {
    /// Sizes for database streams (SQL dumps, tables without an integer
    /// key): 16 KiB / 64 KiB / 256 KiB. Rows are small and changes cluster,
    /// so small chunks keep an hourly change small: after one hour of shop
    /// activity a 23 MB dump added 2.8 MB at these sizes against 12.6 MB at
    /// the file sizes (docs/BENCHMARKS.md, chunk sweep).
    pub fn database_default() -> ChunkerParams {
        ChunkerParams {
            min: 16 * 1024,
            avg: 64 * 1024,
            max: 256 * 1024,
            seed: 0,
        }
    }

    /// Checks the limits against what FastCDC supports.
    ///
    /// # Errors
    /// [`Error::Invalid`] when a size is out of FastCDC's range or unordered.
    pub fn validate(&self) -> Result<()> {
        use fastcdc::v2020::{
            AVERAGE_MAX, AVERAGE_MIN, MAXIMUM_MAX, MAXIMUM_MIN, MINIMUM_MAX, MINIMUM_MIN,
        };
        let (min, avg, max) = (self.min as usize, self.avg as usize, self.max as usize);
        let ok = (MINIMUM_MIN..=MINIMUM_MAX).contains(&min)
            && (AVERAGE_MIN..=AVERAGE_MAX).contains(&avg)
            && (MAXIMUM_MIN..=MAXIMUM_MAX).contains(&max)
            && min <= avg
            && avg <= max
            && min % 2 == 0
            && avg % 2 == 0
            && max % 2 == 0;
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid(format!("invalid chunker sizes {self:?}")))
        }
    }
}

/// A streaming content-defined chunker.
pub struct Chunker {
    params: ChunkerParams,
    mask_s: u64,
    mask_l: u64,
    gear: Vec<u64>,
    gear_ls: Vec<u64>,
    buf: Vec<u8>,
    start: usize,
}

impl Chunker {
    /// A chunker with validated `params`.
    ///
    /// # Errors
    /// When the parameters are invalid.
    pub fn new(params: ChunkerParams) -> Result<Chunker> {
        params.validate()?;
        let (mask_s, mask_l) = select_masks(params.avg as usize, Normalization::Level1);
        let (gear, gear_ls) = get_gear_with_seed(params.seed);
        Ok(Chunker {
            params,
            mask_s,
            mask_l,
            gear: gear.into_owned(),
            gear_ls: gear_ls.into_owned(),
            buf: Vec::new(),
            start: 0,
        })
    }

    /// The largest chunk this chunker produces.
    pub fn max_size(&self) -> usize {
        self.params.max as usize
    }

    /// Bytes fed but not yet handed out.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends bytes to the stream.
    pub fn feed(&mut self, data: &[u8]) {
        if self.start > 0
            && (self.start >= self.buf.len() / 2
                || self.buf.len() + data.len() > self.buf.capacity())
        {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next chunk whose end is certain: one is ready when at least the
    /// maximum chunk size is buffered, or at the end of the stream (`eof`).
    pub fn next_chunk(&mut self, eof: bool) -> Option<Vec<u8>> {
        let available = self.pending();
        if available == 0 || (!eof && available < self.params.max as usize) {
            return None;
        }
        let window = &self.buf[self.start..self.start + available.min(self.params.max as usize)];
        let (_, len) = cut_gear(
            window,
            self.params.min as usize,
            self.params.avg as usize,
            self.params.max as usize,
            self.mask_s,
            self.mask_l,
            self.mask_s << 1,
            self.mask_l << 1,
            &self.gear,
            &self.gear_ls,
        );
        let len = len.max(1).min(window.len());
        let chunk = window[..len].to_vec();
        self.start += len;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    fn chunks(p: ChunkerParams, data: &[u8], step: usize) -> Vec<Vec<u8>> {
        let mut c = Chunker::new(p).unwrap();
        let mut out = Vec::new();
        for piece in data.chunks(step) {
            c.feed(piece);
            while let Some(ch) = c.next_chunk(false) {
                out.push(ch);
            }
        }
        while let Some(ch) = c.next_chunk(true) {
            out.push(ch);
        }
        out
    }

    #[test]
    fn feeding_pattern_does_not_change_cuts_and_edits_stay_local() {
        let p = ChunkerParams {
            min: 2048,
            avg: 8192,
            max: 32768,
            seed: 7,
        };
        let data = noise(500_000, 42);
        let a = chunks(p, &data, 1000);
        let b = chunks(p, &data, 65536);
        assert_eq!(a, b);
        assert_eq!(a.concat(), data);
        assert!(a.iter().all(|c| c.len() <= 32768));
        assert!(a.len() > 20);
        // An insertion near the start changes only the chunks around it.
        let mut edited = data.clone();
        edited.splice(100..100, b"inserted".iter().copied());
        let e = chunks(p, &edited, 4096);
        let same = e.iter().filter(|c| a.contains(c)).count();
        assert!(same + 3 >= a.len(), "{same} of {} chunks kept", a.len());
        // Another seed cuts elsewhere.
        let other = chunks(ChunkerParams { seed: 8, ..p }, &data, 4096);
        assert_ne!(other, a);
    }

    #[test]
    fn rejects_bad_params() {
        assert!(Chunker::new(ChunkerParams {
            min: 10,
            avg: 5,
            max: 1,
            seed: 0
        })
        .is_err());
        assert!(chunks(ChunkerParams::default(), &[], 10).is_empty());
    }
}
