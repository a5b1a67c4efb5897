//! The site's files through `GET /files`, `POST /files/read` and
//! `GET /files/content`.
//!
//! The listing is fetched once, page by page, and kept as a map of folders
//! (about 150 bytes per entry: 15 MB for 100,000 files). Small files are
//! read in batches of many files per request (a request costs a WordPress
//! start-up); large files in ranges of [`RANGE_SIZE`]. Only files the backup
//! says it will read ([`FileSource::will_read`]) are fetched, so an hourly
//! backup moves only changed files.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::task::{spawn, Background};
use super::{rawpath, SiteClient};
use crate::commands::backup::{FileEntry, FileSource};
use crate::error::{Error, Result};
use crate::tree::NodeKind;

/// Files up to this size are read in batches.
pub const BATCH_FILE_MAX: u64 = 1024 * 1024;
/// Most bytes asked in one batch.
pub const BATCH_BYTES: u64 = 8 * 1024 * 1024;
/// Most files asked in one batch.
pub const BATCH_FILES: usize = 500;
/// Range read of a large file per request.
pub const RANGE_SIZE: u64 = 8 * 1024 * 1024;
/// Extra bytes asked for beyond a file's listed size.
const SLACK: u64 = 4096;
/// Entries per listing request.
const LIST_LIMIT: &str = "5000";

#[derive(Deserialize)]
struct ListPage {
    entries: Vec<ListEntry>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct ListEntry {
    path: String,
    #[serde(default)]
    path_b64: Option<String>,
    #[serde(default)]
    target_b64: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    mtime: i64,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    target: Option<String>,
}

/// A frame header of `POST /files/read`.
#[derive(Debug, Deserialize)]
struct FileFrame {
    path: String,
    #[serde(default)]
    path_b64: Option<String>,
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    length: u64,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    mtime: i64,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Bytes of one file already fetched, and its metadata at read time.
struct Cached {
    offset: u64,
    data: Vec<u8>,
    size: u64,
    mtime_ns: i64,
    /// `Some(reason)` when the site could not read it.
    error: Option<(String, String)>,
}

/// The site's files as a backup source.
pub struct SiteFiles {
    client: Arc<SiteClient>,
    excludes: Vec<String>,
    dirs: Option<HashMap<Vec<u8>, Vec<FileEntry>>>,
    plan: VecDeque<(Vec<u8>, u64)>,
    /// Every file will be read: batches follow the listing across folders.
    read_all: bool,
    /// Files in listing (= walk) order, and where each is in it.
    order: Vec<(Vec<u8>, u64)>,
    position: HashMap<Vec<u8>, usize>,
    cache: HashMap<Vec<u8>, Cached>,
    /// The next request, sent while the engine works on the last answer
    /// (first backups, where every file is read in listing order).
    prefetch: Option<Prefetch>,
    /// Bytes received from the site (file contents).
    pub bytes_received: u64,
    /// Requests sent to the site.
    pub requests: u64,
}

fn join(path: &[Vec<u8>]) -> Vec<u8> {
    path.join(&b'/')
}

fn mode_of(s: &str) -> u32 {
    u32::from_str_radix(s.trim_start_matches("0o"), 8).unwrap_or(0o644)
}

impl SiteFiles {
    /// The files of the site behind `client`, with extra exclusion patterns.
    pub fn new(client: Arc<SiteClient>, excludes: Vec<String>) -> SiteFiles {
        SiteFiles {
            client,
            excludes,
            dirs: None,
            plan: VecDeque::new(),
            read_all: false,
            order: Vec::new(),
            position: HashMap::new(),
            cache: HashMap::new(),
            prefetch: None,
            bytes_received: 0,
            requests: 0,
        }
    }

    async fn load_listing(&mut self) -> Result<()> {
        let mut dirs: HashMap<Vec<u8>, Vec<FileEntry>> = HashMap::new();
        dirs.insert(Vec::new(), Vec::new());
        let mut cursor = String::new();
        loop {
            let mut query: Vec<(&str, &str)> = vec![("limit", LIST_LIMIT)];
            if !cursor.is_empty() {
                query.push(("cursor", &cursor));
            }
            for e in &self.excludes {
                query.push(("exclude[]", e));
            }
            self.requests += 1;
            let page: ListPage = self.client.get_json("files", &query).await?;
            for e in page.entries {
                let kind = match e.kind.as_str() {
                    "file" => NodeKind::File,
                    "dir" => NodeKind::Dir,
                    "link" => NodeKind::Symlink,
                    _ => continue,
                };
                let path = rawpath::decode(&e.path, e.path_b64.as_deref())?;
                let (parent, name) = match path.iter().rposition(|&b| b == b'/') {
                    Some(i) => (path[..i].to_vec(), path[i + 1..].to_vec()),
                    None => (Vec::new(), path.clone()),
                };
                if name.is_empty() || name == b"." || name == b".." {
                    continue;
                }
                if kind == NodeKind::Dir {
                    dirs.entry(path.clone()).or_default();
                }
                if kind == NodeKind::File {
                    self.position.insert(path.clone(), self.order.len());
                    self.order.push((path, e.size));
                }
                let target = match (e.target, e.target_b64) {
                    (Some(t), b64) => Some(rawpath::decode(&t, b64.as_deref())?),
                    (None, Some(b64)) => Some(rawpath::decode("", Some(&b64))?),
                    (None, None) => None,
                };
                dirs.entry(parent).or_default().push(FileEntry {
                    name,
                    kind,
                    mode: mode_of(&e.mode),
                    mtime_ns: e.mtime.saturating_mul(1_000_000_000),
                    size: if kind == NodeKind::File { e.size } else { 0 },
                    target,
                });
            }
            match page.next_cursor {
                Some(c) if c != cursor && !c.is_empty() => cursor = c,
                _ => break,
            }
        }
        self.dirs = Some(dirs);
        Ok(())
    }

    /// The listed size of `key` if it is due to be read.
    fn due(&self, key: &[u8]) -> Option<u64> {
        if self.read_all {
            return self.position.get(key).map(|&i| self.order[i].1);
        }
        self.plan.iter().find(|(p, _)| p == key).map(|(_, s)| *s)
    }

    /// The small files from `first` on in listing order, across folders
    /// (every file is read): one batch.
    fn batch_from_listing(&self, first: &[u8]) -> Vec<(Vec<u8>, u64)> {
        let Some(&start) = self.position.get(first) else {
            return Vec::new();
        };
        let mut wanted = Vec::new();
        let mut total = 0u64;
        for (p, size) in &self.order[start..] {
            if *size > BATCH_FILE_MAX || self.cache.contains_key(p) {
                continue;
            }
            if wanted.len() >= BATCH_FILES
                || (!wanted.is_empty() && total + size + SLACK > BATCH_BYTES)
            {
                break;
            }
            total += size + SLACK;
            wanted.push((p.clone(), *size));
        }
        wanted
    }

    /// Fetches `first` and the small files due after it in one request.
    async fn fetch_batch(&mut self, first: &[u8]) -> Result<()> {
        let wanted = if self.read_all {
            self.batch_from_listing(first)
        } else {
            self.batch_from_plan(first)
        };
        self.fetch_files(first, wanted).await
    }

    /// `first` and the planned small files after it (this folder only).
    fn batch_from_plan(&mut self, first: &[u8]) -> Vec<(Vec<u8>, u64)> {
        // Drop plan entries before `first` (read or skipped already).
        while let Some((p, _)) = self.plan.front() {
            if p.as_slice() == first {
                break;
            }
            self.plan.pop_front();
        }
        let mut wanted: Vec<(Vec<u8>, u64)> = Vec::new();
        let mut total = 0u64;
        while let Some((p, size)) = self.plan.front() {
            if *size > BATCH_FILE_MAX
                || wanted.len() >= BATCH_FILES
                || (!wanted.is_empty() && total + size + SLACK > BATCH_BYTES)
            {
                break;
            }
            total += size + SLACK;
            wanted.push((p.clone(), *size));
            self.plan.pop_front();
        }
        wanted
    }

    async fn fetch_files(&mut self, first: &[u8], mut wanted: Vec<(Vec<u8>, u64)>) -> Result<()> {
        if wanted.is_empty() {
            wanted.push((first.to_vec(), BATCH_FILE_MAX));
        }
        self.requests += 1;
        let got = request_files(Arc::clone(&self.client), wanted).await?;
        self.absorb(got);
        Ok(())
    }

    async fn fetch_range(&mut self, key: &[u8], offset: u64) -> Result<()> {
        self.requests += 1;
        let got = request_range(Arc::clone(&self.client), key.to_vec(), offset).await?;
        self.absorb(got);
        Ok(())
    }

    /// Puts an answer in the cache.
    fn absorb(&mut self, got: Fetched) {
        self.bytes_received += got.bytes;
        for (path, cached) in got.files {
            self.cache.insert(path, cached);
        }
    }

    /// Waits for the request sent ahead, if any, and caches its answer. A
    /// failed one is forgotten: the read that needs it asks again and gets
    /// the error for the right file.
    async fn settle_prefetch(&mut self) {
        if let Some(p) = self.prefetch.take() {
            if let Some(Ok(got)) = p.task.wait().await {
                self.absorb(got);
            }
        }
    }

    /// Sends the request the backup will need after `key` (read at
    /// `offset` by ranges, or in a batch): the file's next range, else the
    /// next uncached file in listing order, alone by ranges or with the
    /// small files after it.
    fn prefetch_after(&mut self, key: &[u8], ranged_at: Option<u64>) {
        if !self.read_all || self.prefetch.is_some() {
            return;
        }
        if let Some(at) = ranged_at {
            let size = self.cache.get(key).map_or(0, |c| c.size);
            if at + RANGE_SIZE < size {
                self.start_prefetch(Want::Range(key.to_vec(), at + RANGE_SIZE));
                return;
            }
        }
        let Some(&i) = self.position.get(key) else {
            return;
        };
        let next = self.order[i + 1..]
            .iter()
            .find(|(p, _)| !self.cache.contains_key(p))
            .cloned();
        let Some((p, size)) = next else {
            return;
        };
        let want = if size > BATCH_FILE_MAX {
            Want::Range(p, 0)
        } else {
            Want::Files(self.batch_from_listing(&p))
        };
        self.start_prefetch(want);
    }

    fn start_prefetch(&mut self, want: Want) {
        let client = Arc::clone(&self.client);
        let task = match want {
            Want::Files(files) if !files.is_empty() => spawn(request_files(client, files)),
            Want::Files(_) => return,
            Want::Range(key, offset) => spawn(request_range(client, key, offset)),
        };
        self.requests += 1;
        self.prefetch = Some(Prefetch { task });
    }
}

/// A request sent ahead of need.
struct Prefetch {
    task: Background<Result<Fetched>>,
}

/// What to ask the site for.
enum Want {
    /// Small files whole, in one `POST /files/read`.
    Files(Vec<(Vec<u8>, u64)>),
    /// A range of a large file from an offset.
    Range(Vec<u8>, u64),
}

/// The site's answer: files or ranges, and the bytes received.
struct Fetched {
    files: Vec<(Vec<u8>, Cached)>,
    bytes: u64,
}

/// `POST /files/read` for `wanted` (path, listed size).
async fn request_files(client: Arc<SiteClient>, wanted: Vec<(Vec<u8>, u64)>) -> Result<Fetched> {
    let files: Vec<serde_json::Value> = wanted
        .iter()
        .map(|(p, size)| {
            // A little more than listed: a file that grew a bit still
            // comes whole (one that grew more is completed by ranges).
            let length = (size + SLACK).min(BATCH_FILE_MAX);
            let mut o = rawpath::object(p);
            o["offset"] = json!(0);
            o["length"] = json!(length);
            o
        })
        .collect();
    let url = client.url("files/read", &[])?;
    let req = client
        .request(Method::POST, url)
        .header("content-type", "application/json")
        .body(json!({ "files": files }).to_string());
    let resp = client.send("files/read", req).await?;
    let body = SiteClient::body("files/read", resp).await?;
    Ok(Fetched {
        bytes: body.len() as u64,
        files: parse_frames(&body)?,
    })
}

/// `GET /files/content`: [`RANGE_SIZE`] bytes of `key` from `offset`.
async fn request_range(client: Arc<SiteClient>, key: Vec<u8>, offset: u64) -> Result<Fetched> {
    let path = rawpath::display(&key);
    let (off, len) = (offset.to_string(), RANGE_SIZE.to_string());
    let o = rawpath::object(&key);
    let (name, value) = match o["path_b64"].as_str() {
        Some(b) => ("path_b64", b.to_string()),
        None => ("path", String::from_utf8_lossy(&key).into_owned()),
    };
    let url = client.url(
        "files/content",
        &[(name, &value), ("offset", &off), ("length", &len)],
    )?;
    let resp = match client
        .send("files/content", client.request(Method::GET, url))
        .await
    {
        Ok(r) => r,
        Err(Error::Site {
            status: 404,
            message,
            ..
        }) => {
            return Err(Error::Io {
                context: path,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, message),
            })
        }
        Err(e) => return Err(e),
    };
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let size = header("x-strongbox-file-size").unwrap_or(0).max(0) as u64;
    let mtime = header("x-strongbox-file-mtime").unwrap_or(0);
    let data = SiteClient::body("files/content", resp).await?;
    Ok(Fetched {
        bytes: data.len() as u64,
        files: vec![(
            key,
            Cached {
                offset,
                data,
                size,
                mtime_ns: mtime.saturating_mul(1_000_000_000),
                error: None,
            },
        )],
    })
}

/// Splits a `POST /files/read` answer into files.
fn parse_frames(body: &[u8]) -> Result<Vec<(Vec<u8>, Cached)>> {
    let bad = |why: String| Error::malformed("the site's file batch", why);
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        let nl = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("it ends without #done (cut off?)".into()))?;
        let line = &body[pos..pos + nl];
        pos += nl + 1;
        if line.starts_with(b"#done") {
            return Ok(out);
        }
        if let Some(rest) = line.strip_prefix(b"#file-changed ") {
            // The file changed while the site read it (its bytes may be
            // padded): drop them, it is read again by ranges.
            let v: serde_json::Value =
                serde_json::from_slice(rest).map_err(|e| bad(e.to_string()))?;
            let path = rawpath::decode(
                v["path"].as_str().unwrap_or_default(),
                v["path_b64"].as_str(),
            )?;
            out.retain(|(p, _)| *p != path);
            continue;
        }
        let header = line.strip_prefix(b"#file ").ok_or_else(|| {
            bad(format!(
                "unexpected line {:?}",
                String::from_utf8_lossy(line)
            ))
        })?;
        let f: FileFrame = serde_json::from_slice(header).map_err(|e| bad(e.to_string()))?;
        let raw = rawpath::decode(&f.path, f.path_b64.as_deref())?;
        let len = usize::try_from(f.length).map_err(|_| bad("length too large".into()))?;
        let data = match &f.error {
            Some(_) => Vec::new(),
            None => {
                let end = pos
                    .checked_add(len)
                    .filter(|&e| e < body.len())
                    .ok_or_else(|| bad(format!("{} is cut off", f.path)))?;
                let d = body[pos..end].to_vec();
                pos = end + 1; // the newline after the bytes
                d
            }
        };
        out.push((
            raw,
            Cached {
                offset: f.offset,
                data,
                size: f.size,
                // Seconds, as the listing has them (so an untouched file
                // never looks changed).
                mtime_ns: f.mtime.saturating_mul(1_000_000_000),
                error: f.error.map(|code| (code, f.message.unwrap_or_default())),
            },
        ));
    }
}

#[async_trait::async_trait(?Send)]
impl FileSource for SiteFiles {
    fn describe(&self) -> String {
        let mut base = self.client.base().clone();
        base.set_query(None);
        format!("site:{base}")
    }

    async fn read_dir(&mut self, path: &[Vec<u8>]) -> Result<Vec<FileEntry>> {
        if self.dirs.is_none() {
            self.load_listing().await?;
        }
        let dirs = self
            .dirs
            .as_mut()
            .ok_or_else(|| Error::Invalid("no listing".into()))?;
        Ok(dirs.remove(&join(path)).unwrap_or_default())
    }

    fn will_read_all(&mut self) {
        self.read_all = true;
    }

    async fn will_read(&mut self, files: &[(Vec<Vec<u8>>, u64)]) -> Result<()> {
        self.plan = files.iter().map(|(p, s)| (join(p), *s)).collect();
        Ok(())
    }

    async fn read(&mut self, path: &[Vec<u8>], offset: u64, len: u64) -> Result<Vec<u8>> {
        let key = join(path);
        let hit = |c: &Cached| {
            c.error.is_some()
                || (offset >= c.offset
                    && (offset < c.offset + c.data.len() as u64 || offset >= c.size))
        };
        if !self.cache.get(&key).is_some_and(hit) {
            self.settle_prefetch().await;
        }
        if !self.cache.get(&key).is_some_and(hit) {
            let small = offset == 0 && self.due(&key).is_some_and(|s| s <= BATCH_FILE_MAX);
            let mut ranged = None;
            if small {
                self.fetch_batch(&key).await?;
            }
            if !self.cache.get(&key).is_some_and(hit) {
                self.fetch_range(&key, offset).await?;
                ranged = Some(offset);
            }
            self.prefetch_after(&key, ranged);
        } else if self.prefetch.is_none() {
            // Served by the request sent ahead: send the next one.
            let c = self.cache.get(&key);
            let ranged = c.filter(|c| c.size > BATCH_FILE_MAX).map(|c| c.offset);
            self.prefetch_after(&key, ranged);
        }
        let c = self
            .cache
            .get(&key)
            .ok_or_else(|| Error::Invalid("file cache miss".into()))?;
        if let Some((code, message)) = c.error.clone() {
            let name = String::from_utf8_lossy(&key).into_owned();
            let kind = if code == "not_found" {
                std::io::ErrorKind::NotFound
            } else {
                std::io::ErrorKind::PermissionDenied
            };
            self.cache.remove(&key);
            return Err(Error::Io {
                context: name,
                source: std::io::Error::new(kind, format!("{code}: {message}")),
            });
        }
        let start = usize::try_from(offset - c.offset)
            .unwrap_or(usize::MAX)
            .min(c.data.len());
        let end = start
            .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
            .min(c.data.len());
        let mut out = c.data[start..end].to_vec();
        let size = c.size;
        // A file read to its end (or past its listed size) leaves the cache,
        // except its metadata for the `stat` that follows.
        if offset + out.len() as u64 >= c.offset + c.data.len() as u64 {
            if let Some(c) = self.cache.get_mut(&key) {
                c.data = Vec::new();
                c.offset = offset + out.len() as u64;
            }
        }
        // The file is longer than what came (it grew, or the batch held
        // only its start): read on by ranges.
        while (out.len() as u64) < len && offset + (out.len() as u64) < size {
            let at = offset + out.len() as u64;
            self.settle_prefetch().await;
            let ahead = self
                .cache
                .get(&key)
                .is_some_and(|c| c.offset == at && !c.data.is_empty());
            if !ahead {
                self.fetch_range(&key, at).await?;
            }
            let Some(c) = self.cache.get_mut(&key) else {
                break;
            };
            if c.data.is_empty() || c.offset != at {
                break;
            }
            let want = usize::try_from(len - out.len() as u64).unwrap_or(usize::MAX);
            let take = want.min(c.data.len());
            out.extend_from_slice(&c.data[..take]);
            c.data.drain(..take);
            c.offset = at + take as u64;
        }
        Ok(out)
    }

    async fn stat(&mut self, path: &[Vec<u8>]) -> Result<Option<FileEntry>> {
        let key = join(path);
        let Some(c) = self.cache.remove(&key) else {
            return Ok(None);
        };
        let name = path.last().cloned().unwrap_or_default();
        Ok(Some(FileEntry {
            name,
            kind: NodeKind::File,
            mode: 0,
            mtime_ns: c.mtime_ns,
            size: c.size,
            target: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_split_and_errors_kept() {
        let body = b"#file {\"path\":\"a\",\"offset\":0,\"length\":3,\"size\":3,\"mtime\":5}\nabc\n#file {\"path\":\"b\",\"error\":\"not_found\",\"message\":\"gone\"}\n#file {\"path\":\"c\",\"offset\":0,\"length\":0,\"size\":0,\"mtime\":1}\n\n#done {\"files\":3}\n";
        let f = parse_frames(body).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].1.data, b"abc");
        assert_eq!(f[0].1.mtime_ns, 5_000_000_000);
        assert!(f[1].1.error.is_some());
        assert!(f[2].1.data.is_empty());
        assert!(parse_frames(b"#file {\"path\":\"a\",\"length\":9}\nab").is_err());
        let changed = b"#file {\"path\":\"a\",\"length\":2,\"size\":2}\n\0\0\n#file-changed {\"path\":\"a\"}\n#done {}\n";
        assert!(parse_frames(changed).unwrap().is_empty());
        assert!(parse_frames(b"").is_err());
    }
}
