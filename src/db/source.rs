//! Where table data comes from: a live MariaDB/MySQL connection (native),
//! a SQL dump file, or (in the browser) the WordPress plugin's export API.

use super::{Checksum, PageChecksum, TableInfo};
use crate::error::Result;

/// Key statistics of a paged table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStats {
    /// Rows.
    pub count: u64,
    /// Smallest key (0 when empty).
    pub min: i128,
    /// Largest key (0 when empty).
    pub max: i128,
}

/// What the parent snapshot knew of a table (see [`DbSource::prepare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlan {
    /// Table name.
    pub name: String,
    /// The parent's page width (paged tables with rows).
    pub width: Option<u64>,
    /// Whether the table is streamed (a whole-table checksum).
    pub stream: bool,
    /// The parent's change-signal token.
    pub signal: Option<String>,
}

/// A database to back up.
///
/// All reads of one backup should see one consistent state; [`DbSource::begin`]
/// says which consistency the source achieved.
#[async_trait::async_trait(?Send)]
pub trait DbSource {
    /// Describes the source for the snapshot (`mysql://host:port/db`).
    fn describe(&self) -> String;

    /// The database name.
    fn database(&self) -> String;

    /// Starts reading; returns the consistency achieved (`transaction`,
    /// `per-page`, `dump`).
    async fn begin(&mut self) -> Result<String>;

    /// Database server version, when known.
    async fn server_version(&mut self) -> Result<String>;

    /// The base tables to back up, in name order.
    async fn tables(&mut self) -> Result<Vec<TableInfo>>;

    /// Whether the source computes checksums (dump files do not).
    fn has_checksums(&self) -> bool;

    /// Before the tables are read: what the parent snapshot knew of each
    /// table (its page width, its change-signal token), so a remote source
    /// can ask for every checksum in few requests and have the database
    /// prove tables unchanged. Sources without such means ignore it.
    async fn prepare(&mut self, _plan: &[TablePlan]) -> Result<()> {
        Ok(())
    }

    /// Whether the database proved `t` unchanged since the parent's token
    /// (after [`DbSource::prepare`]): the parent's manifest is reused whole.
    fn unchanged(&self, _t: &TableInfo) -> bool {
        false
    }

    /// The change-signal token of `t` to record for the next backup.
    fn signal(&self, _t: &TableInfo) -> Option<String> {
        None
    }

    /// Key statistics of a paged table.
    async fn key_stats(&mut self, t: &TableInfo, key: &str) -> Result<KeyStats>;

    /// Per-page checksums at `width`, ascending by page.
    async fn page_checksums(
        &mut self,
        t: &TableInfo,
        key: &str,
        width: u64,
    ) -> Result<Vec<PageChecksum>>;

    /// The whole-table checksum.
    async fn table_checksum(&mut self, t: &TableInfo) -> Result<Checksum>;

    /// The serialized rows of page `page`.
    async fn read_page(
        &mut self,
        t: &TableInfo,
        key: &str,
        page: i64,
        width: u64,
    ) -> Result<Vec<u8>>;

    /// The serialized rows of several pages, in the order asked. The default
    /// reads them one by one; a remote source answers them in one request.
    async fn read_pages(
        &mut self,
        t: &TableInfo,
        key: &str,
        pages: &[i64],
        width: u64,
    ) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::with_capacity(pages.len());
        for &p in pages {
            out.push(self.read_page(t, key, p, width).await?);
        }
        Ok(out)
    }

    /// The page width a first backup should use, when the source has
    /// already chosen one (the plugin picks it by the same rule as
    /// [`super::choose_width`], from exact key statistics). `None`: choose
    /// from [`DbSource::key_stats`].
    async fn suggested_width(&mut self, _t: &TableInfo, _key: &str) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Pages `first..=last` of a paged table read in one pass: each non-empty
    /// page's checksum (the database computes each row's hash, the source
    /// aggregates them) with its serialized rows. A first backup uses this
    /// instead of a checksum pass followed by one query per page.
    async fn scan_pages(
        &mut self,
        t: &TableInfo,
        key: &str,
        first: i64,
        last: i64,
        width: u64,
    ) -> Result<Vec<(PageChecksum, Vec<u8>)>>;

    /// A batch of serialized rows of a streamed table (empty when done).
    async fn read_stream(&mut self, t: &TableInfo, offset: u64, limit: u64) -> Result<Vec<u8>>;

    /// Ends reading (commits the read transaction).
    async fn finish(&mut self) -> Result<()>;
}
