//! Restoring tables as plain SQL that `mariadb` accepts.

use super::{quote_ident, TableManifest};
use crate::error::{Error, Result};
use crate::index::Index;
use crate::progress::{Phase, Progress};
use crate::repo::Repository;

/// Default size of one INSERT statement (MariaDB's default
/// `max_allowed_packet` is 16 MiB; a row larger than this goes alone).
pub const MAX_STATEMENT: usize = 1024 * 1024;

/// Statements that open a restore script or session.
pub const SESSION_PREAMBLE: &[&str] = &[
    "SET NAMES utf8mb4",
    "SET FOREIGN_KEY_CHECKS=0",
    "SET UNIQUE_CHECKS=0",
    "SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO'",
];

/// Receives SQL statements (without the trailing `;`).
#[async_trait::async_trait(?Send)]
pub trait SqlSink {
    /// Runs or writes one statement.
    async fn execute(&mut self, statement: Vec<u8>) -> Result<()>;
}

/// The `CREATE TABLE` statement of `m`, for a table named `target`.
///
/// # Errors
/// When the statement does not start as `SHOW CREATE TABLE` writes it.
pub fn create_statement(m: &TableManifest, target: &str) -> Result<String> {
    let prefix = format!("CREATE TABLE {}", quote_ident(&m.name));
    match m.create.strip_prefix(&prefix) {
        Some(rest) => Ok(format!("CREATE TABLE {}{}", quote_ident(target), rest)),
        None => Err(Error::malformed(
            format!("manifest of table {}", m.name),
            "its CREATE statement does not name the table",
        )),
    }
}

/// Receives a table's rows as batches of whole row lines (each ending in
/// `\n`, as docs/FORMAT.md serializes them).
#[async_trait::async_trait(?Send)]
pub trait RowSink {
    /// Takes `rows` rows.
    async fn rows(&mut self, lines: &[u8], rows: usize) -> Result<()>;
}

/// Reads table `m`'s data and hands it to `sink` in batches of whole row
/// lines of at most `max_batch` bytes (a larger row goes alone). Returns the
/// rows read.
///
/// # Errors
/// Storage and integrity errors, and the sink's errors.
pub async fn read_rows(
    repo: &Repository,
    index: &Index,
    m: &TableManifest,
    sink: &mut dyn RowSink,
    max_batch: usize,
    progress: &dyn Progress,
) -> Result<u64> {
    let mut batch: Vec<u8> = Vec::new();
    let mut in_batch = 0usize;
    let mut rows = 0u64;
    let mut carry: Vec<u8> = Vec::new();
    let blobs = m.data_blobs();
    let mut reader = crate::commands::restore::BlobReader::new(repo, index, &blobs);
    for id in &blobs {
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let data = reader.read(id).await?;
        progress.bytes(Phase::Restore, data.len() as u64);
        carry.extend_from_slice(&data);
        // Emit whole lines; a streamed table's chunk may end inside a row.
        let upto = match carry.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => continue,
        };
        for line in carry[..upto].split_inclusive(|&b| b == b'\n') {
            if line.len() <= 1 {
                continue;
            }
            if in_batch > 0 && batch.len() + line.len() > max_batch {
                sink.rows(&batch, in_batch).await?;
                batch.clear();
                in_batch = 0;
            }
            batch.extend_from_slice(line);
            in_batch += 1;
            rows += 1;
        }
        carry.drain(..upto);
    }
    if !carry.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::malformed(
            format!("table {}", m.name),
            "its data does not end with a complete row",
        ));
    }
    if in_batch > 0 {
        sink.rows(&batch, in_batch).await?;
    }
    Ok(rows)
}

/// Turns row batches into `INSERT` statements.
struct InsertSink<'s> {
    head: Vec<u8>,
    sink: &'s mut dyn SqlSink,
}

#[async_trait::async_trait(?Send)]
impl RowSink for InsertSink<'_> {
    async fn rows(&mut self, lines: &[u8], _rows: usize) -> Result<()> {
        let mut stmt = self.head.clone();
        stmt.reserve(lines.len());
        for (i, line) in lines
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            if i > 0 {
                stmt.push(b',');
            }
            stmt.extend_from_slice(line);
        }
        self.sink.execute(stmt).await
    }
}

/// Writes table `m` as `DROP TABLE IF EXISTS`, `CREATE TABLE` and batched
/// `INSERT` statements into `target`. Returns the rows written.
///
/// # Errors
/// Storage and integrity errors, and the sink's errors.
pub async fn restore_table(
    repo: &Repository,
    index: &Index,
    m: &TableManifest,
    target: &str,
    sink: &mut dyn SqlSink,
    max_statement: usize,
    progress: &dyn Progress,
) -> Result<u64> {
    sink.execute(format!("DROP TABLE IF EXISTS {}", quote_ident(target)).into_bytes())
        .await?;
    sink.execute(create_statement(m, target)?.into_bytes())
        .await?;
    let head = format!("INSERT INTO {} VALUES ", quote_ident(target)).into_bytes();
    let budget = max_statement.saturating_sub(head.len()).max(1);
    let mut inserts = InsertSink { head, sink };
    read_rows(repo, index, m, &mut inserts, budget, progress).await
}

/// A sink that collects statements as a SQL script.
#[derive(Debug, Default)]
pub struct ScriptSink<W> {
    /// Where the script goes.
    pub out: W,
}

#[async_trait::async_trait(?Send)]
impl<W: std::io::Write> SqlSink for ScriptSink<W> {
    async fn execute(&mut self, statement: Vec<u8>) -> Result<()> {
        self.out
            .write_all(&statement)
            .and_then(|_| self.out.write_all(b";\n"))
            .map_err(|e| Error::io("writing SQL", e))
    }
}
