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
    let mut stmt = head.clone();
    let mut rows_in_stmt = 0usize;
    let mut rows = 0u64;
    let mut carry: Vec<u8> = Vec::new();
    let blobs = m.data_blobs();
    let mut reader = crate::commands::restore::BlobReader::new(repo, index, &blobs);
    for id in &blobs {
        let data = reader.read(id).await?;
        progress.bytes(Phase::Restore, data.len() as u64);
        carry.extend_from_slice(&data);
        // Emit whole lines; a streamed table's chunk may end inside a row.
        let upto = match carry.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None => continue,
        };
        for line in carry[..upto]
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
        {
            if rows_in_stmt > 0 && stmt.len() + line.len() + 1 > max_statement {
                sink.execute(std::mem::replace(&mut stmt, head.clone()))
                    .await?;
                rows_in_stmt = 0;
            }
            if rows_in_stmt > 0 {
                stmt.push(b',');
            }
            stmt.extend_from_slice(line);
            rows_in_stmt += 1;
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
    if rows_in_stmt > 0 {
        sink.execute(stmt).await?;
    }
    Ok(rows)
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
