//! Writing a restore into the site through an open restore session
//! (`/restore/sessions/{id}/...`): tables go into staging tables, files to
//! a private staging folder; `swap` puts everything in place at once and
//! the previous state is kept until the session is committed.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;

use super::SiteClient;
use crate::commands::restore::FileTarget;
use crate::db::restore::RowSink;
use crate::error::Result;
use crate::tree::Node;

/// Bytes of file data sent per request.
pub const FILE_PART: usize = 8 * 1024 * 1024;
/// Bytes of row lines sent per request (the plugin accepts up to 32 MiB).
pub const ROWS_PART: usize = 8 * 1024 * 1024;

/// An open restore session on the site.
pub struct SiteRestore {
    client: Arc<SiteClient>,
    session: String,
    key: String,
    file: Option<(String, u64)>,
    /// The current file is protected (wp-config.php, Strongbox itself) and
    /// the session does not overwrite those: its bytes are dropped.
    protected: bool,
    buffer: Vec<u8>,
    table: Option<String>,
    /// Bytes per request (kept under the site's `post_max_size`).
    pub part_size: usize,
    /// Symlinks the API cannot create, and protected files the session
    /// keeps (listed in the result).
    pub skipped: Vec<String>,
    /// Bytes sent to the site.
    pub bytes_sent: u64,
}

fn join(path: &[Vec<u8>]) -> String {
    String::from_utf8_lossy(&path.join(&b'/')).into_owned()
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
            protected: false,
            buffer: Vec::new(),
            table: None,
            part_size: FILE_PART,
            skipped: Vec::new(),
            bytes_sent: 0,
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
    ) -> Result<()> {
        let url = self.client.url(route, query)?;
        self.bytes_sent += body.len() as u64;
        let req = self
            .client
            .request(method, url)
            .header("x-strongbox-session-key", &self.key)
            .header("content-type", content_type)
            .body(body);
        self.client.send(route, req).await?;
        Ok(())
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

    /// Puts every staged table and file in place (one `RENAME TABLE`).
    ///
    /// # Errors
    /// [`crate::Error::Site`] when the site refuses; the session can then be
    /// rolled back.
    pub async fn swap(&mut self) -> Result<serde_json::Value> {
        let route = self.route("swap");
        let url = self.client.url(&route, &[])?;
        let req = self
            .client
            .request(Method::POST, url)
            .header("x-strongbox-session-key", &self.key);
        let resp = self.client.send(&route, req).await?;
        let body = SiteClient::body(&route, resp).await?;
        Ok(serde_json::from_slice(&body).unwrap_or_default())
    }

    /// Whether the site refused `path` as protected (then it is listed as
    /// skipped and its remaining bytes dropped); other errors pass through.
    fn kept_protected(&mut self, path: &str, sent: Result<()>) -> Result<bool> {
        match sent {
            Ok(()) => Ok(false),
            Err(crate::Error::Site { code, .. }) if code == "strongbox_file_protected" => {
                self.protected = true;
                self.skipped.push(format!("{path} (kept: protected)"));
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }

    async fn flush_file(&mut self, last: bool) -> Result<()> {
        let Some((path, offset)) = self.file.clone() else {
            return Ok(());
        };
        if self.protected {
            self.buffer.clear();
            return Ok(());
        }
        if self.buffer.is_empty() && !(last && offset == 0) {
            return Ok(());
        }
        let data = std::mem::take(&mut self.buffer);
        let len = data.len() as u64;
        let off = offset.to_string();
        let route = self.route("files");
        let sent = self
            .call(
                Method::PUT,
                &route,
                &[("path", &path), ("offset", &off)],
                "application/octet-stream",
                data,
            )
            .await;
        if self.kept_protected(&path, sent)? {
            return Ok(());
        }
        self.file = Some((path, offset + len));
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
        .await
    }
}

#[async_trait::async_trait(?Send)]
impl FileTarget for SiteRestore {
    async fn create_dir(&mut self, _path: &[Vec<u8>]) -> Result<()> {
        // Folders are created with the files inside them when swapped in.
        Ok(())
    }

    async fn begin_file(&mut self, path: &[Vec<u8>]) -> Result<()> {
        self.file = Some((join(path), 0));
        self.protected = false;
        self.buffer.clear();
        Ok(())
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= self.part_size {
            self.flush_file(false).await?;
        }
        Ok(())
    }

    async fn end_file(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        let Some((p, offset)) = self.file.clone() else {
            return Ok(());
        };
        let mode = format!("{:04o}", node.mode & 0o777);
        let data = std::mem::take(&mut self.buffer);
        let off = offset.to_string();
        let route = self.route("files");
        debug_assert_eq!(p, join(path));
        if !self.protected {
            let sent = self
                .call(
                    Method::PUT,
                    &route,
                    &[("path", &p), ("offset", &off), ("mode", &mode)],
                    "application/octet-stream",
                    data,
                )
                .await;
            self.kept_protected(&p, sent)?;
        }
        self.file = None;
        self.protected = false;
        Ok(())
    }

    async fn symlink(&mut self, path: &[Vec<u8>], _target: &[u8]) -> Result<()> {
        self.skipped.push(join(path));
        Ok(())
    }

    async fn finish_dir(&mut self, _path: &[Vec<u8>], _node: &Node) -> Result<()> {
        Ok(())
    }
}
