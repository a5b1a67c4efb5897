//! Writing a restore into the site through an open restore session
//! (`/restore/sessions/{id}/...`): tables go into staging tables, files to
//! a private staging folder; `swap` puts everything in place at once and
//! the previous state is kept until the session is committed.
//!
//! Files travel in batches (`POST .../files/batch`, many small files or
//! pieces of a large one per request: a request costs a WordPress start-up).
//! A session interrupted by a closed tab can be resumed: what the session
//! already holds (tables with all their rows, complete files) is not sent
//! again.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{rawpath, SiteClient};
use crate::commands::restore::FileTarget;
use crate::db::restore::RowSink;
use crate::error::{Error, Result};
use crate::tree::Node;

/// Bytes per request by default (kept under the site's `post_max_size`).
pub const FILE_PART: usize = 8 * 1024 * 1024;
/// Most entries per batch.
pub const BATCH_ENTRIES: usize = 2000;

/// What an open session holds already.
#[derive(Debug, Default, Clone)]
pub struct Staged {
    /// Rows staged per table.
    pub tables: HashMap<String, u64>,
    /// Files staged: whether complete.
    pub files: HashMap<Vec<u8>, bool>,
}

#[derive(Deserialize)]
struct Status {
    #[serde(default)]
    tables: Vec<StatusTable>,
    #[serde(default)]
    files: StatusFiles,
}

#[derive(Deserialize)]
struct StatusTable {
    table: String,
    #[serde(default)]
    rows: u64,
}

#[derive(Deserialize, Default)]
struct StatusFiles {
    #[serde(default)]
    entries: Vec<StatusFile>,
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct StatusFile {
    path: String,
    #[serde(default)]
    path_b64: Option<String>,
    #[serde(default)]
    complete: bool,
}

#[derive(Deserialize)]
struct BatchAnswer {
    entries: Vec<BatchEntry>,
}

#[derive(Deserialize)]
struct BatchEntry {
    path: String,
    #[serde(default)]
    path_b64: Option<String>,
    ok: bool,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// An open restore session on the site.
pub struct SiteRestore {
    client: Arc<SiteClient>,
    session: String,
    key: String,
    /// The file being written: path, bytes already framed, mode unknown yet.
    file: Option<(Vec<u8>, u64)>,
    /// Its bytes not framed yet.
    pending: Vec<u8>,
    /// The batch being assembled.
    batch: Vec<u8>,
    batch_entries: usize,
    /// Files whose bytes are dropped (complete in the session already, or
    /// protected).
    drop_current: bool,
    staged: Staged,
    table: Option<String>,
    /// Mirror mode: the roots whose files not in the snapshot are removed
    /// at swap, and the snapshot's paths not sent yet.
    keep_roots: Option<Vec<String>>,
    keep: Vec<u8>,
    keep_reset: bool,
    /// Paths listed as the snapshot's (mirror mode).
    pub kept: u64,
    /// Bytes per request (kept under the site's `post_max_size`).
    pub part_size: usize,
    /// Symlinks the API cannot create, and protected files the session
    /// keeps (listed in the result).
    pub skipped: Vec<String>,
    /// Files and tables the session held already (a resumed restore).
    pub resumed: u64,
    /// Bytes sent to the site.
    pub bytes_sent: u64,
    /// Requests sent.
    pub requests: u64,
    /// When set, the SHA-256 of every file sent is recorded in
    /// [`SiteRestore::hashes`] (restore drills compare them with what the
    /// site staged).
    pub hash_files: bool,
    /// `(path, size, SHA-256)` of each file sent, with `hash_files`.
    pub hashes: Vec<(Vec<u8>, u64, [u8; 32])>,
    hasher: Option<(sha2::Sha256, u64)>,
}

fn join(path: &[Vec<u8>]) -> Vec<u8> {
    path.join(&b'/')
}

impl SiteRestore {
    /// Writes into session `session` (opened by the caller with its
    /// confirmation), authenticated by the session `key`.
    pub fn new(client: Arc<SiteClient>, session: &str, key: &str) -> SiteRestore {
        SiteRestore {
            client,
            session: session.to_string(),
            key: key.to_string(),
            file: None,
            pending: Vec::new(),
            batch: Vec::new(),
            batch_entries: 0,
            drop_current: false,
            staged: Staged::default(),
            table: None,
            keep_roots: None,
            keep: Vec::new(),
            keep_reset: false,
            kept: 0,
            part_size: FILE_PART,
            skipped: Vec::new(),
            resumed: 0,
            bytes_sent: 0,
            requests: 0,
            hash_files: false,
            hashes: Vec::new(),
            hasher: None,
        }
    }

    fn route(&self, rest: &str) -> String {
        format!("restore/sessions/{}/{rest}", self.session)
    }

    async fn call(
        &mut self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>> {
        let url = self.client.url(route, query)?;
        self.bytes_sent += body.len() as u64;
        self.requests += 1;
        let req = self
            .client
            .request(method, url)
            .header("x-strongbox-session-key", &self.key)
            .header("content-type", content_type)
            .body(body);
        let resp = self.client.send(route, req).await?;
        SiteClient::body(route, resp).await
    }

    /// Reads what the session holds already, so a resumed restore sends
    /// only the rest.
    ///
    /// # Errors
    /// [`Error::Site`] when the session is gone or the key is wrong.
    pub async fn load_staged(&mut self) -> Result<&Staged> {
        let mut staged = Staged::default();
        let mut cursor: Option<String> = None;
        loop {
            let mut query: Vec<(&str, &str)> = vec![("files", "1"), ("limit", "5000")];
            if let Some(c) = &cursor {
                query.push(("cursor", c));
            }
            let route = format!("restore/sessions/{}", self.session);
            let url = self.client.url(&route, &query)?;
            let req = self
                .client
                .request(Method::GET, url)
                .header("x-strongbox-session-key", &self.key);
            let resp = self.client.send(&route, req).await?;
            let body = SiteClient::body(&route, resp).await?;
            let st: Status = serde_json::from_slice(&body)
                .map_err(|e| Error::malformed("the restore session's status", e.to_string()))?;
            for t in st.tables {
                staged.tables.insert(t.table, t.rows);
            }
            for f in st.files.entries {
                let raw = rawpath::decode(&f.path, f.path_b64.as_deref())?;
                staged.files.insert(raw, f.complete);
            }
            match st.files.next_cursor {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => break,
            }
        }
        self.staged = staged;
        Ok(&self.staged)
    }

    /// Mirror mode: at swap, files under `roots` (`""`: the whole site)
    /// that the snapshot does not have are moved aside like replaced files
    /// (back on rollback, deleted on commit). Every path the restore visits
    /// is listed to the site; `reset` starts the list over (a resumed
    /// restore sends it again whole).
    pub fn mirror(&mut self, roots: Vec<String>, reset: bool) {
        self.keep_roots = Some(roots);
        self.keep_reset = reset;
    }

    async fn list_path(&mut self, path: &[Vec<u8>]) -> Result<()> {
        if self.keep_roots.is_none() || path.is_empty() {
            return Ok(());
        }
        self.keep.extend_from_slice(&rawpath::line(&join(path)));
        self.keep.push(b'\n');
        self.kept += 1;
        if self.keep.len() >= self.part_size {
            self.send_keep().await?;
        }
        Ok(())
    }

    /// Sends the listed paths not sent yet (mirror mode).
    ///
    /// # Errors
    /// [`crate::Error::Site`] when the site refuses the list.
    pub async fn send_keep(&mut self) -> Result<()> {
        let Some(roots) = self.keep_roots.clone() else {
            return Ok(());
        };
        if self.keep.is_empty() && !self.keep_reset {
            return Ok(());
        }
        let body = std::mem::take(&mut self.keep);
        let mut query: Vec<(&str, &str)> = roots.iter().map(|r| ("roots[]", r.as_str())).collect();
        if self.keep_reset {
            query.push(("reset", "1"));
        }
        let route = self.route("files/keep");
        self.call(
            Method::POST,
            &route,
            &query,
            "text/plain; charset=utf-8",
            body,
        )
        .await?;
        self.keep_reset = false;
        Ok(())
    }

    /// Whether table `name` is staged with exactly `rows` rows already.
    pub fn table_done(&self, name: &str, rows: u64) -> bool {
        self.staged.tables.get(name) == Some(&rows)
    }

    /// Creates the staging table of `name` from the snapshot's `create`
    /// statement; its rows follow through [`RowSink`].
    ///
    /// # Errors
    /// [`crate::Error::Site`] when the site refuses.
    pub async fn begin_table(&mut self, name: &str, create: &str) -> Result<()> {
        let route = self.route(&format!("tables/{name}"));
        let body = json!({ "create": create }).to_string().into_bytes();
        self.call(Method::PUT, &route, &[], "application/json", body)
            .await?;
        self.table = Some(name.to_string());
        Ok(())
    }

    /// Sends what is left and puts every staged table and file in place
    /// (one `RENAME TABLE`).
    ///
    /// # Errors
    /// [`crate::Error::Site`] when the site refuses; the session can then be
    /// rolled back.
    pub async fn swap(&mut self) -> Result<serde_json::Value> {
        self.send_batch().await?;
        self.send_keep().await?;
        let route = self.route("swap");
        let body = self
            .call(Method::POST, &route, &[], "application/json", Vec::new())
            .await?;
        Ok(serde_json::from_slice(&body).unwrap_or_default())
    }

    /// Sends the files framed so far.
    ///
    /// # Errors
    /// [`crate::Error::Site`] when the site refuses the batch or a file in
    /// it (except protected files, which are listed as kept).
    pub async fn send_batch(&mut self) -> Result<()> {
        if self.batch_entries == 0 {
            return Ok(());
        }
        let mut body = std::mem::take(&mut self.batch);
        body.extend_from_slice(b"#done {}\n");
        self.batch_entries = 0;
        let route = self.route("files/batch");
        let answer = self
            .call(
                Method::POST,
                &route,
                &[],
                "application/vnd.strongbox.files",
                body,
            )
            .await?;
        let a: BatchAnswer = serde_json::from_slice(&answer)
            .map_err(|e| Error::malformed("the site's answer to a file batch", e.to_string()))?;
        for e in a.entries.into_iter().filter(|e| !e.ok) {
            let shown = match &e.path_b64 {
                Some(b) => rawpath::display(&rawpath::decode(&e.path, Some(b))?),
                None => e.path.clone(),
            };
            let why = match e.code.as_deref() {
                Some("strongbox_file_protected") => Some("kept: protected".to_string()),
                Some("strongbox_link_outside" | "strongbox_link_failed") => Some(format!(
                    "symlink not restored: {}",
                    e.message.clone().unwrap_or_default()
                )),
                _ => None,
            };
            match why {
                Some(why) => {
                    let note = format!("{shown} ({why})");
                    if !self.skipped.contains(&note) {
                        self.skipped.push(note);
                    }
                }
                None => {
                    return Err(Error::Site {
                        what: format!("restoring {shown}"),
                        status: 200,
                        code: e.code.unwrap_or_else(|| "unknown".into()),
                        message: e.message.unwrap_or_default(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Adds an entry without bytes (`#dir`, `#link`) to the batch.
    async fn entry(&mut self, word: &str, header: serde_json::Value) -> Result<()> {
        if !self.batch.is_empty()
            && (self.batch.len() + 4096 > self.part_size || self.batch_entries >= BATCH_ENTRIES)
        {
            self.send_batch().await?;
        }
        self.batch.extend_from_slice(word.as_bytes());
        self.batch.push(b' ');
        self.batch.extend_from_slice(header.to_string().as_bytes());
        self.batch.push(b'\n');
        self.batch_entries += 1;
        Ok(())
    }

    /// Whether `path` (a folder or link) is staged already (resumed session).
    fn staged_already(&mut self, path: &[u8]) -> bool {
        let done = self.staged.files.get(path) == Some(&true);
        if done {
            self.resumed += 1;
        }
        done
    }

    /// Frames the pending bytes of the current file as one entry.
    async fn frame(&mut self, mode: Option<u32>, last: bool) -> Result<()> {
        let Some((path, offset)) = self.file.clone() else {
            return Ok(());
        };
        let data = std::mem::take(&mut self.pending);
        let mut header = rawpath::object(&path);
        header["offset"] = json!(offset);
        header["length"] = json!(data.len());
        header["last"] = json!(last);
        if let Some(m) = mode {
            header["mode"] = json!(format!("{:04o}", m & 0o777));
        }
        if !self.batch.is_empty()
            && (self.batch.len() + data.len() + 256 > self.part_size
                || self.batch_entries >= BATCH_ENTRIES)
        {
            self.send_batch().await?;
        }
        self.batch.extend_from_slice(b"#file ");
        self.batch.extend_from_slice(header.to_string().as_bytes());
        self.batch.push(b'\n');
        self.batch.extend_from_slice(&data);
        self.batch.push(b'\n');
        self.batch_entries += 1;
        self.file = Some((path, offset + data.len() as u64));
        Ok(())
    }
}

#[async_trait::async_trait(?Send)]
impl RowSink for SiteRestore {
    async fn rows(&mut self, lines: &[u8], _rows: usize) -> Result<()> {
        let table = self.table.clone().unwrap_or_default();
        let route = self.route(&format!("tables/{table}/rows"));
        self.call(
            Method::POST,
            &route,
            &[],
            "application/vnd.strongbox.rows",
            lines.to_vec(),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait(?Send)]
impl FileTarget for SiteRestore {
    async fn create_dir(&mut self, path: &[Vec<u8>]) -> Result<()> {
        // Folders are created with the files inside them when swapped in.
        self.list_path(path).await
    }

    async fn begin_file(&mut self, path: &[Vec<u8>]) -> Result<()> {
        self.list_path(path).await?;
        let p = join(path);
        self.drop_current = self.staged.files.get(&p) == Some(&true);
        if self.drop_current {
            self.resumed += 1;
        }
        self.file = Some((p, 0));
        self.pending.clear();
        if self.hash_files {
            self.hasher = Some((sha2::Digest::new(), 0));
        }
        Ok(())
    }

    async fn write(&mut self, data: Vec<u8>) -> Result<()> {
        if let Some((h, n)) = self.hasher.as_mut() {
            sha2::Digest::update(h, &data);
            *n += data.len() as u64;
        }
        if self.drop_current {
            return Ok(());
        }
        if self.pending.is_empty() {
            self.pending = data;
        } else {
            self.pending.extend_from_slice(&data);
        }
        if self.pending.len() >= self.part_size / 2 {
            self.frame(None, false).await?;
        }
        Ok(())
    }

    async fn end_file(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        if let Some((h, n)) = self.hasher.take() {
            self.hashes
                .push((join(path), n, sha2::Digest::finalize(h).into()));
        }
        if !self.drop_current {
            self.frame(Some(node.mode), true).await?;
        }
        self.file = None;
        self.drop_current = false;
        Ok(())
    }

    async fn symlink(&mut self, path: &[Vec<u8>], target: &[u8]) -> Result<()> {
        self.list_path(path).await?;
        let p = join(path);
        if self.staged_already(&p) {
            return Ok(());
        }
        let mut header = rawpath::object(&p);
        rawpath::put(&mut header, "target", target);
        self.entry("#link", header).await
    }

    async fn finish_dir(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        // Every folder restored whole is staged, so empty ones come back
        // too (with their mode); the site creates the missing ones at swap.
        let p = join(path);
        if p.is_empty() || self.staged_already(&p) {
            return Ok(());
        }
        let mut header = rawpath::object(&p);
        header["mode"] = json!(format!("{:04o}", node.mode & 0o777));
        self.entry("#dir", header).await
    }
}
