//! The site's tables through the plugin's database routes: table list,
//! per-page checksum manifests computed inside MariaDB, and page rows.
//!
//! Each request is its own transaction on the server, so one backup's
//! consistency is `per-page` (every page is consistent in itself; pages read
//! at different moments). The manifest of a table is fetched once per width
//! and kept while the table is backed up.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;

use super::SiteClient;
use crate::db::source::{DbSource, KeyStats, TablePlan};
use crate::db::{page_bounds, Checksum, Column, PageChecksum, TableInfo};
use crate::error::{Error, Result};

/// Most rows asked for in one request on a first backup (pages are
/// prefetched up to this many rows, and up to [`SCAN_PAGES_MAX`] pages).
pub const SCAN_ROWS_MAX: u64 = 20_000;
/// Most pages asked for in one request.
pub const SCAN_PAGES_MAX: usize = 64;

#[derive(Deserialize)]
struct SiteTable {
    name: String,
    create: String,
    #[serde(default)]
    columns: Vec<SiteColumn>,
    #[serde(default)]
    primary_key: Vec<String>,
}

#[derive(Deserialize)]
struct SiteColumn {
    name: String,
    data_type: String,
    #[serde(default)]
    nullable: bool,
}

/// A table's page manifest as the plugin computes it (also a drill's
/// verification of a staged table).
#[derive(Deserialize)]
pub(crate) struct Manifest {
    #[serde(default)]
    pub(crate) table: Option<String>,
    /// The database proved the table unchanged since `unchanged_since`.
    #[serde(default)]
    pub(crate) unchanged: bool,
    /// The change-signal token for the next backup.
    #[serde(default)]
    pub(crate) signal: Option<String>,
    #[serde(default)]
    pub(crate) width: Option<u64>,
    #[serde(default)]
    pub(crate) pages: Vec<ManifestPage>,
    #[serde(default)]
    pub(crate) checksum: Option<ManifestSum>,
}

#[derive(Deserialize, Clone)]
pub(crate) struct ManifestPage {
    #[serde(deserialize_with = "number_or_string")]
    p: i64,
    #[serde(deserialize_with = "number_or_string")]
    pub(crate) rows: u64,
    #[serde(deserialize_with = "number_or_string")]
    bit_xor: u32,
    #[serde(deserialize_with = "number_or_string")]
    sum: u64,
}

#[derive(Deserialize)]
pub(crate) struct ManifestSum {
    #[serde(deserialize_with = "number_or_string")]
    rows: u64,
    #[serde(deserialize_with = "number_or_string")]
    bit_xor: u32,
    #[serde(deserialize_with = "number_or_string")]
    sum: u64,
}

impl ManifestSum {
    /// As a [`Checksum`].
    pub(crate) fn checksum(&self) -> Checksum {
        Checksum {
            rows: self.rows,
            xor: self.bit_xor,
            sum: self.sum,
        }
    }
}

/// Big numbers come as strings (PHP integers stop at 2^63).
fn number_or_string<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let v = serde_json::Value::deserialize(d)?;
    let s = match &v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => return Err(serde::de::Error::custom(format!("not a number: {other}"))),
    };
    s.parse::<T>().map_err(serde::de::Error::custom)
}

impl ManifestPage {
    pub(crate) fn checksum(&self) -> PageChecksum {
        PageChecksum {
            page: self.p,
            checksum: Checksum {
                rows: self.rows,
                xor: self.bit_xor,
                sum: self.sum,
            },
        }
    }
}

/// Tables per `POST /db/manifests` request (each answer computes its
/// tables' checksums, or proves them unchanged).
const MANIFEST_BATCH: usize = 32;

#[derive(Deserialize)]
struct Manifests {
    manifests: Vec<Manifest>,
}

/// The site's database as a backup source.
pub struct SiteDatabase {
    client: Arc<SiteClient>,
    label: String,
    tables: Vec<TableInfo>,
    /// (table, width) → pages of the current table.
    manifest: Option<(String, u64, Vec<ManifestPage>)>,
    /// Pages fetched ahead on a first backup.
    ahead: HashMap<i64, Vec<u8>>,
    streamed: Option<(String, Vec<u8>)>,
    /// Manifests asked for ahead, many tables per request
    /// ([`DbSource::prepare`]): table → answer.
    prepared: HashMap<String, Manifest>,
    /// Change-signal tokens of this backup, by table.
    signals: HashMap<String, String>,
    /// Bytes of rows received.
    pub bytes_received: u64,
    /// Requests sent.
    pub requests: u64,
}

impl SiteDatabase {
    /// The database of the site behind `client`; `label` names it in
    /// snapshots (the site's address).
    pub fn new(client: Arc<SiteClient>, label: &str) -> SiteDatabase {
        SiteDatabase {
            client,
            label: label.to_string(),
            tables: Vec::new(),
            manifest: None,
            ahead: HashMap::new(),
            streamed: None,
            prepared: HashMap::new(),
            signals: HashMap::new(),
            bytes_received: 0,
            requests: 0,
        }
    }

    fn route(t: &TableInfo, what: &str) -> String {
        format!("db/tables/{}/{what}", t.name)
    }

    async fn manifest(&mut self, t: &TableInfo, width: Option<u64>) -> Result<&[ManifestPage]> {
        let fresh = matches!((&self.manifest, width), (Some((n, w, _)), Some(want)) if *n == t.name && *w == want)
            || matches!((&self.manifest, width), (Some((n, _, _)), None) if *n == t.name);
        let ready = self.prepared.remove(&t.name).filter(|m| {
            !m.unchanged && (width.is_none() || m.width == width || m.pages.is_empty())
        });
        if let (false, Some(m)) = (fresh, ready) {
            let got = m.width.or(width).unwrap_or(1024);
            let mut pages = m.pages;
            pages.sort_by_key(|p| p.p);
            self.ahead.clear();
            self.manifest = Some((t.name.clone(), got, pages));
        } else if !fresh {
            let w = width.map(|w| w.to_string());
            let mut query: Vec<(&str, &str)> = Vec::new();
            if let Some(w) = &w {
                query.push(("width", w));
            }
            self.requests += 1;
            let m: Manifest = self
                .client
                .get_json(&Self::route(t, "manifest"), &query)
                .await?;
            if let Some(sig) = &m.signal {
                self.signals.insert(t.name.clone(), sig.clone());
            }
            // An empty table has no width yet: any will do (it is chosen
            // again once the table has rows).
            let got = m.width.or(width).unwrap_or(1024);
            let mut pages = m.pages;
            pages.sort_by_key(|p| p.p);
            self.ahead.clear();
            self.manifest = Some((t.name.clone(), got, pages));
        }
        Ok(self
            .manifest
            .as_ref()
            .map(|(_, _, p)| p.as_slice())
            .unwrap_or(&[]))
    }

    /// Rows of `pages`, split by page.
    async fn fetch_pages(
        &mut self,
        t: &TableInfo,
        pages: &[i64],
        width: u64,
    ) -> Result<HashMap<i64, Vec<u8>>> {
        let list = pages
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let w = width.to_string();
        let (mut out, _) = self
            .fetch_rows(t, &[("width", &w), ("pages", &list)], pages)
            .await?;
        for p in pages {
            out.entry(*p).or_default();
        }
        Ok(out)
    }

    /// One `/rows` answer, checked: rows of the `expected` pages by page,
    /// and the rows of a streamed table. An `#error` line, a row outside a
    /// section, an unexpected page or an answer without `#done` (cut off)
    /// is an error, never a short table.
    async fn fetch_rows(
        &mut self,
        t: &TableInfo,
        query: &[(&str, &str)],
        expected: &[i64],
    ) -> Result<Rows> {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        q.push(("snapshot", "false"));
        let url = self.client.url(&Self::route(t, "rows"), &q)?;
        self.requests += 1;
        let resp = self
            .client
            .send("db rows", self.client.request(Method::GET, url))
            .await?;
        let body = SiteClient::body("db rows", resp).await?;
        self.bytes_received += body.len() as u64;
        parse_rows(&body, &t.name, expected)
    }
}

/// Rows of a `/rows` answer: by page, and a streamed table's.
type Rows = (HashMap<i64, Vec<u8>>, Vec<u8>);

/// Where the rows of a `/rows` answer go.
enum Section {
    None,
    Page(i64),
    Stream,
}

/// Splits a `/rows` answer (plugin/README.md, "Rows response framing").
fn parse_rows(body: &[u8], table: &str, expected: &[i64]) -> Result<Rows> {
    let what = || format!("rows of table {table}");
    let mut pages: HashMap<i64, Vec<u8>> = HashMap::new();
    let mut stream = Vec::new();
    let mut section = Section::None;
    let mut done = false;
    for line in body.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'(') {
            match section {
                Section::Page(p) => pages.entry(p).or_default().extend_from_slice(line),
                Section::Stream => stream.extend_from_slice(line),
                Section::None => return Err(Error::malformed(what(), "a row outside any page")),
            }
        } else if let Some(rest) = line.strip_prefix(b"#page ") {
            let v: serde_json::Value = serde_json::from_slice(rest)
                .map_err(|e| Error::malformed("a #page line", e.to_string()))?;
            let p = v["p"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v["p"].to_string())
                .parse::<i64>()
                .map_err(|e| Error::malformed("a #page line", e.to_string()))?;
            if !expected.contains(&p) {
                return Err(Error::malformed(
                    what(),
                    format!("page {p} was not asked for"),
                ));
            }
            section = Section::Page(p);
        } else if line.starts_with(b"#stream ") {
            section = Section::Stream;
        } else if line.starts_with(b"#page-end") || line.starts_with(b"#stream-end") {
            section = Section::None;
        } else if let Some(rest) = line.strip_prefix(b"#error ") {
            let v: serde_json::Value = serde_json::from_slice(rest).unwrap_or_default();
            return Err(Error::Site {
                what: what(),
                status: 200,
                code: v["code"].as_str().unwrap_or("strongbox_db_error").into(),
                message: v["message"].as_str().unwrap_or_default().into(),
            });
        } else if line.starts_with(b"#done") {
            done = true;
        }
    }
    if !done {
        return Err(Error::Site {
            what: what(),
            status: 200,
            code: "network".into(),
            message: "the answer was cut off before its end; retry".into(),
        });
    }
    Ok((pages, stream))
}

#[async_trait::async_trait(?Send)]
impl DbSource for SiteDatabase {
    fn describe(&self) -> String {
        format!("site:{}", self.label)
    }

    fn database(&self) -> String {
        "wordpress".into()
    }

    async fn begin(&mut self) -> Result<String> {
        Ok("per-page".into())
    }

    async fn server_version(&mut self) -> Result<String> {
        let v: serde_json::Value = self.client.get_json("site", &[]).await?;
        Ok(v["versions"]["database"]
            .as_str()
            .or_else(|| v["database_version"].as_str())
            .unwrap_or_default()
            .to_string())
    }

    async fn tables(&mut self) -> Result<Vec<TableInfo>> {
        self.requests += 1;
        let list: Vec<SiteTable> = match self.client.get_json("db/tables", &[]).await? {
            serde_json::Value::Array(a) => serde_json::from_value(serde_json::Value::Array(a)),
            serde_json::Value::Object(mut o) => {
                serde_json::from_value(o.remove("tables").unwrap_or_default())
            }
            _ => return Err(Error::malformed("the site's table list", "not a list")),
        }
        .map_err(|e| Error::malformed("the site's table list", e.to_string()))?;
        let mut tables: Vec<TableInfo> = list
            .into_iter()
            .map(|t| TableInfo {
                name: t.name,
                create: t.create,
                columns: t
                    .columns
                    .into_iter()
                    .map(|c| Column {
                        name: c.name,
                        data_type: c.data_type.to_lowercase(),
                        nullable: c.nullable,
                    })
                    .collect(),
                primary_key: t.primary_key,
            })
            .collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        self.tables = tables.clone();
        Ok(tables)
    }

    fn has_checksums(&self) -> bool {
        true
    }

    async fn prepare(&mut self, plan: &[TablePlan]) -> Result<()> {
        // Tables known from the parent: their checksums (or the proof that
        // nothing changed) for many tables per request. New tables and
        // first backups take the scanning path, which needs no manifest.
        let known: Vec<&TablePlan> = plan
            .iter()
            .filter(|p| p.stream || p.width.is_some())
            .collect();
        for batch in known.chunks(MANIFEST_BATCH) {
            let specs: Vec<serde_json::Value> = batch
                .iter()
                .map(|p| {
                    let mut v = serde_json::json!({ "table": p.name });
                    if let Some(w) = p.width {
                        v["width"] = serde_json::json!(w);
                    }
                    if let Some(s) = &p.signal {
                        v["unchanged_since"] = serde_json::json!(s);
                    }
                    v
                })
                .collect();
            self.requests += 1;
            let answer: Manifests = self
                .client
                .send_json(
                    reqwest::Method::POST,
                    "db/manifests",
                    &serde_json::json!({ "tables": specs }),
                )
                .await?;
            if answer.manifests.len() != batch.len() {
                return Err(Error::malformed(
                    "the site's manifests",
                    format!("asked for {}, got {}", batch.len(), answer.manifests.len()),
                ));
            }
            for (p, m) in batch.iter().zip(answer.manifests) {
                if m.table.as_deref().is_some_and(|n| n != p.name) {
                    return Err(Error::malformed(
                        "the site's manifests",
                        format!("answer for {:?} where {} was asked", m.table, p.name),
                    ));
                }
                if let Some(sig) = &m.signal {
                    self.signals.insert(p.name.clone(), sig.clone());
                }
                self.prepared.insert(p.name.clone(), m);
            }
        }
        Ok(())
    }

    fn unchanged(&self, t: &TableInfo) -> bool {
        self.prepared.get(&t.name).is_some_and(|m| m.unchanged)
    }

    fn signal(&self, t: &TableInfo) -> Option<String> {
        self.signals.get(&t.name).cloned()
    }

    async fn key_stats(&mut self, t: &TableInfo, _key: &str) -> Result<KeyStats> {
        self.manifest(t, None).await?;
        let (width, pages) = match &self.manifest {
            Some((_, w, p)) => (*w, p.as_slice()),
            None => (1, &[][..]),
        };
        let count = pages.iter().map(|p| p.rows).sum();
        let non_empty: Vec<&ManifestPage> = pages.iter().filter(|p| p.rows > 0).collect();
        let (min, max) = match (non_empty.first(), non_empty.last()) {
            (Some(f), Some(l)) => (page_bounds(f.p, width).0, page_bounds(l.p, width).1),
            _ => (0, 0),
        };
        Ok(KeyStats { count, min, max })
    }

    async fn suggested_width(&mut self, t: &TableInfo, _key: &str) -> Result<Option<u64>> {
        self.manifest(t, None).await?;
        Ok(self.manifest.as_ref().map(|m| m.1))
    }

    async fn page_checksums(
        &mut self,
        t: &TableInfo,
        _key: &str,
        width: u64,
    ) -> Result<Vec<PageChecksum>> {
        Ok(self
            .manifest(t, Some(width))
            .await?
            .iter()
            .filter(|p| p.rows > 0)
            .map(ManifestPage::checksum)
            .collect())
    }

    async fn table_checksum(&mut self, t: &TableInfo) -> Result<Checksum> {
        let m = match self
            .prepared
            .remove(&t.name)
            .filter(|m| !m.unchanged && m.checksum.is_some())
        {
            Some(m) => m,
            None => {
                self.requests += 1;
                let m: Manifest = self
                    .client
                    .get_json(&Self::route(t, "manifest"), &[])
                    .await?;
                if let Some(sig) = &m.signal {
                    self.signals.insert(t.name.clone(), sig.clone());
                }
                m
            }
        };
        let c = m.checksum.ok_or_else(|| {
            Error::malformed(format!("manifest of table {}", t.name), "no checksum")
        })?;
        Ok(Checksum {
            rows: c.rows,
            xor: c.bit_xor,
            sum: c.sum,
        })
    }

    async fn read_page(
        &mut self,
        t: &TableInfo,
        _key: &str,
        page: i64,
        width: u64,
    ) -> Result<Vec<u8>> {
        let mut got = self.fetch_pages(t, &[page], width).await?;
        Ok(got.remove(&page).unwrap_or_default())
    }

    async fn read_pages(
        &mut self,
        t: &TableInfo,
        _key: &str,
        pages: &[i64],
        width: u64,
    ) -> Result<Vec<Vec<u8>>> {
        let mut got = self.fetch_pages(t, pages, width).await?;
        Ok(pages
            .iter()
            .map(|p| got.remove(p).unwrap_or_default())
            .collect())
    }

    async fn scan_pages(
        &mut self,
        t: &TableInfo,
        _key: &str,
        first: i64,
        last: i64,
        width: u64,
    ) -> Result<Vec<(PageChecksum, Vec<u8>)>> {
        let wanted: Vec<ManifestPage> = self
            .manifest(t, Some(width))
            .await?
            .iter()
            .filter(|p| p.p >= first && p.p <= last && p.rows > 0)
            .cloned()
            .collect();
        let missing: Vec<i64> = wanted
            .iter()
            .map(|p| p.p)
            .filter(|p| !self.ahead.contains_key(p))
            .collect();
        if let Some(&start) = missing.first() {
            // Fetch from the first missing page on, as many pages as fit.
            let all: Vec<ManifestPage> = self
                .manifest
                .as_ref()
                .map(|m| {
                    m.2.iter()
                        .filter(|p| p.p >= start && p.rows > 0)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let mut batch = Vec::new();
            let mut rows = 0u64;
            for p in all {
                let full = batch.len() >= SCAN_PAGES_MAX || rows + p.rows > SCAN_ROWS_MAX;
                let covered = p.p > last || missing.iter().all(|m| batch.contains(m));
                if !batch.is_empty() && full && covered {
                    break;
                }
                rows += p.rows;
                batch.push(p.p);
            }
            let got = self.fetch_pages(t, &batch, width).await?;
            self.ahead.extend(got);
        }
        let mut out = Vec::with_capacity(wanted.len());
        for p in wanted {
            let data = self.ahead.remove(&p.p).unwrap_or_default();
            out.push((p.checksum(), data));
        }
        Ok(out)
    }

    async fn read_stream(&mut self, t: &TableInfo, offset: u64, _limit: u64) -> Result<Vec<u8>> {
        if offset == 0 {
            // Not `raw`: the control lines prove the answer is complete.
            let (_, rows) = self.fetch_rows(t, &[], &[]).await?;
            self.streamed = Some((t.name.clone(), rows));
        }
        match self.streamed.take() {
            Some((name, body)) if name == t.name && offset == 0 => Ok(body),
            _ => Ok(Vec::new()),
        }
    }

    async fn finish(&mut self) -> Result<()> {
        self.manifest = None;
        self.ahead.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_answers_are_checked() {
        let ok = b"#export {}\n#table {}\n#page {\"p\":\"3\"}\n(1,'a')\n(2,'b')\n#page-end {}\n#done {}\n";
        let (pages, _) = parse_rows(ok, "t", &[3]).unwrap();
        assert_eq!(pages[&3], b"(1,'a')\n(2,'b')\n");
        let stream = b"#stream {\"table\":\"t\"}\n(1)\n#stream-end {}\n#done {}\n";
        assert_eq!(parse_rows(stream, "t", &[]).unwrap().1, b"(1)\n");
        // Cut off, an error line, a stray row, a page not asked for.
        assert!(parse_rows(b"#stream {}\n(1)\n", "t", &[]).is_err());
        assert!(parse_rows(b"#stream {}\n(1)\n#error {\"code\":\"x\"}\n", "t", &[]).is_err());
        assert!(parse_rows(b"(1)\n#done {}\n", "t", &[]).is_err());
        assert!(parse_rows(b"#page {\"p\":\"9\"}\n(1)\n#done {}\n", "t", &[3]).is_err());
    }
}
