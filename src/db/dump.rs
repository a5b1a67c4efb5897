//! Reading tables from a SQL dump file (`mariadb-dump`/`mysqldump` output).
//!
//! The dump is scanned once to find each table's `CREATE TABLE` statement
//! and the byte ranges of its `INSERT` statements; rows are then read back
//! one batch at a time, so memory stays bounded whatever the dump's size.
//! Rows keep the dump's own literals (one row per line), and tables are
//! stored as streams: a dump carries no checksums to skip unchanged pages.

use super::source::{DbSource, KeyStats};
use super::{Checksum, Column, PageChecksum, TableInfo};
use crate::error::{Error, Result};

/// Where a table's pieces are in the dump.
#[derive(Debug, Clone)]
struct DumpTable {
    info: TableInfo,
    /// Byte ranges of `VALUES ...;` bodies (after `VALUES`).
    inserts: Vec<(u64, u64)>,
}

/// A parsed statement boundary scanner over a byte slice of the dump.
pub struct DumpSource {
    path: std::path::PathBuf,
    data: DumpBytes,
    tables: Vec<DumpTable>,
    cursor: Option<StreamCursor>,
    name: String,
}

#[derive(Debug)]
struct StreamCursor {
    table: String,
    offset: u64,
    insert: usize,
    pos: u64,
}

/// The dump's bytes (memory-mapped would be nicer; reading by ranges keeps
/// memory bounded).
struct DumpBytes {
    file: std::sync::Mutex<std::fs::File>,
}

impl DumpBytes {
    fn read(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io("reading dump", e))?;
        let mut buf = vec![0u8; len];
        let n = f.read(&mut buf).map_err(|e| Error::io("reading dump", e))?;
        buf.truncate(n);
        Ok(buf)
    }
}

/// Scanner state for quoted strings and comments.
#[derive(Clone, Copy, PartialEq)]
enum Lex {
    Code,
    Quote(u8),
    LineComment,
    BlockComment,
}

impl DumpSource {
    /// Scans a dump file.
    ///
    /// # Errors
    /// When the file cannot be read or a statement is unterminated.
    pub fn open(path: &std::path::Path) -> Result<DumpSource> {
        use std::io::Read;
        let file = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        let mut reader = std::io::BufReader::with_capacity(
            1 << 20,
            file.try_clone().map_err(|e| Error::io("reading dump", e))?,
        );
        let mut tables: Vec<DumpTable> = Vec::new();
        let mut stmt: Vec<u8> = Vec::new(); // start of the current statement (bounded)
        let mut stmt_start: u64 = 0;
        let mut pos: u64 = 0;
        let mut lex = Lex::Code;
        let mut prev = 0u8;
        let mut buf = vec![0u8; 1 << 20];
        let mut escaped = false;
        const KEEP: usize = 1 << 20; // CREATE statements are kept whole up to 1 MiB
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| Error::io("reading dump", e))?;
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                if stmt.is_empty() && lex == Lex::Code && b.is_ascii_whitespace() {
                    pos += 1;
                    stmt_start = pos;
                    prev = b;
                    continue;
                }
                if stmt.len() < KEEP {
                    stmt.push(b);
                }
                match lex {
                    Lex::Code => match b {
                        b'\'' | b'"' | b'`' => lex = Lex::Quote(b),
                        b'-' if prev == b'-' => lex = Lex::LineComment,
                        b'#' => lex = Lex::LineComment,
                        b'*' if prev == b'/' => lex = Lex::BlockComment,
                        b';' => {
                            Self::statement(&stmt, stmt_start, pos + 1, &mut tables)?;
                            stmt.clear();
                            stmt_start = pos + 1;
                        }
                        _ => {}
                    },
                    Lex::Quote(q) => {
                        if escaped {
                            escaped = false;
                        } else if b == b'\\' && q != b'`' {
                            escaped = true;
                        } else if b == q {
                            lex = Lex::Code;
                        }
                    }
                    Lex::LineComment => {
                        if b == b'\n' {
                            lex = Lex::Code;
                            if stmt.starts_with(b"--") || stmt.starts_with(b"#") {
                                stmt.clear();
                                stmt_start = pos + 1;
                            }
                        }
                    }
                    Lex::BlockComment => {
                        if b == b'/' && prev == b'*' {
                            lex = Lex::Code;
                            // `/*!40101 SET ... */;` statements end with `;` later.
                        }
                    }
                }
                prev = if escaped { 0 } else { b };
                pos += 1;
            }
        }
        if lex != Lex::Code && lex != Lex::LineComment {
            return Err(Error::malformed(
                format!("dump {}", path.display()),
                "it ends inside a string or comment (truncated?)",
            ));
        }
        Ok(DumpSource {
            path: path.to_path_buf(),
            data: DumpBytes {
                file: std::sync::Mutex::new(file),
            },
            tables,
            cursor: None,
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
    }

    fn statement(stmt: &[u8], start: u64, end: u64, tables: &mut Vec<DumpTable>) -> Result<()> {
        let text = String::from_utf8_lossy(&stmt[..stmt.len().min(4096)]);
        let upper = text.trim_start().to_ascii_uppercase();
        if upper.starts_with("CREATE TABLE") {
            let full = String::from_utf8_lossy(stmt);
            let create = full.trim().trim_end_matches(';').trim().to_string();
            let info = parse_create(&create)?;
            tables.retain(|t| t.info.name != info.name);
            tables.push(DumpTable {
                info,
                inserts: Vec::new(),
            });
        } else if upper.starts_with("INSERT INTO") {
            // INSERT INTO `t` [(...)] VALUES (...),(...);
            let name = first_ident(&text["INSERT INTO".len()..])
                .ok_or_else(|| Error::malformed("dump", "INSERT without a table name"))?;
            let vpos = upper
                .find("VALUES")
                .ok_or_else(|| Error::malformed("dump", "INSERT without VALUES"))?;
            let lead = text.len() - text.trim_start().len();
            let body_start = start + (lead + vpos + "VALUES".len()) as u64;
            if let Some(t) = tables.iter_mut().find(|t| t.info.name == name) {
                t.inserts.push((body_start, end - 1));
            }
        }
        Ok(())
    }

    fn table(&self, name: &str) -> Result<&DumpTable> {
        self.tables
            .iter()
            .find(|t| t.info.name == name)
            .ok_or_else(|| Error::Invalid(format!("table {name} is not in the dump")))
    }
}

/// The first identifier (backquoted or bare) in `s`.
fn first_ident(s: &str) -> Option<String> {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('`') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '`' {
                if chars.peek() == Some(&'`') {
                    chars.next();
                    out.push('`');
                } else {
                    return Some(out);
                }
            } else {
                out.push(c);
            }
        }
        None
    } else {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(s.len());
        (end > 0).then(|| s[..end].to_string())
    }
}

/// Reads columns and primary key from a `CREATE TABLE` statement.
fn parse_create(create: &str) -> Result<TableInfo> {
    let name = first_ident(
        create["CREATE TABLE".len()..]
            .trim_start()
            .trim_start_matches("IF NOT EXISTS"),
    )
    .ok_or_else(|| Error::malformed("dump", "CREATE TABLE without a name"))?;
    let open = create
        .find('(')
        .ok_or_else(|| Error::malformed("dump", "CREATE TABLE without columns"))?;
    let close = create.rfind(')').unwrap_or(create.len());
    let mut columns = Vec::new();
    let mut primary_key = Vec::new();
    for line in create[open + 1..close.max(open + 1)].lines() {
        let l = line.trim().trim_end_matches(',');
        if l.starts_with('`') {
            let Some(col) = first_ident(l) else { continue };
            let rest = l[col.len() + 2..].trim_start();
            let ty: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let upper = rest.to_ascii_uppercase();
            columns.push(Column {
                name: col,
                data_type: ty.to_ascii_lowercase(),
                nullable: !upper.contains("NOT NULL") && !upper.contains("PRIMARY KEY"),
            });
        } else if l.to_ascii_uppercase().starts_with("PRIMARY KEY") {
            if let (Some(a), Some(b)) = (l.find('('), l.rfind(')')) {
                for part in l[a + 1..b].split(',') {
                    if let Some(c) = first_ident(part) {
                        primary_key.push(c);
                    }
                }
            }
        }
    }
    Ok(TableInfo {
        name,
        create: create.to_string(),
        columns,
        primary_key,
    })
}

/// Splits a `VALUES` body into row tuples (top-level parentheses).
fn split_rows(body: &[u8], mut f: impl FnMut(&[u8])) -> usize {
    let mut depth = 0i32;
    let mut start = None;
    let mut q: Option<u8> = None;
    let mut esc = false;
    let mut consumed = 0;
    for (i, &b) in body.iter().enumerate() {
        if let Some(qc) = q {
            if esc {
                esc = false;
            } else if b == b'\\' {
                esc = true;
            } else if b == qc {
                q = None;
            }
            continue;
        }
        match b {
            b'\'' | b'"' => q = Some(b),
            b'(' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    if let Some(s) = start.take() {
                        f(&body[s..=i]);
                        consumed = i + 1;
                    }
                }
            }
            _ => {}
        }
    }
    consumed
}

#[async_trait::async_trait(?Send)]
impl DbSource for DumpSource {
    fn describe(&self) -> String {
        format!("dump:{}", self.path.display())
    }

    fn database(&self) -> String {
        self.name.clone()
    }

    async fn begin(&mut self) -> Result<String> {
        Ok("dump".into())
    }

    async fn server_version(&mut self) -> Result<String> {
        Ok(String::new())
    }

    async fn tables(&mut self) -> Result<Vec<TableInfo>> {
        let mut v: Vec<TableInfo> = self.tables.iter().map(|t| t.info.clone()).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }

    fn has_checksums(&self) -> bool {
        false
    }

    async fn key_stats(&mut self, _: &TableInfo, _: &str) -> Result<KeyStats> {
        Err(Error::Invalid("a dump file has no key statistics".into()))
    }

    async fn page_checksums(
        &mut self,
        _: &TableInfo,
        _: &str,
        _: u64,
    ) -> Result<Vec<PageChecksum>> {
        Err(Error::Invalid("a dump file has no checksums".into()))
    }

    async fn table_checksum(&mut self, _: &TableInfo) -> Result<Checksum> {
        Err(Error::Invalid("a dump file has no checksums".into()))
    }

    async fn read_page(&mut self, _: &TableInfo, _: &str, _: i64, _: u64) -> Result<Vec<u8>> {
        Err(Error::Invalid("a dump file has no pages".into()))
    }

    async fn scan_pages(
        &mut self,
        _: &TableInfo,
        _: &str,
        _: i64,
        _: i64,
        _: u64,
    ) -> Result<Vec<(PageChecksum, Vec<u8>)>> {
        Err(Error::Invalid("a dump file has no pages".into()))
    }

    async fn read_stream(&mut self, t: &TableInfo, offset: u64, limit: u64) -> Result<Vec<u8>> {
        let table = self.table(&t.name)?.clone();
        let mut cur = match self.cursor.take() {
            Some(c) if c.table == t.name && c.offset == offset => c,
            _ if offset == 0 => StreamCursor {
                table: t.name.clone(),
                offset: 0,
                insert: 0,
                pos: table.inserts.first().map(|r| r.0).unwrap_or(0),
            },
            _ => {
                return Err(Error::Invalid(
                    "dump tables are read in one forward pass".into(),
                ))
            }
        };
        let mut out = Vec::new();
        let mut rows = 0u64;
        let mut want: usize = 8 << 20;
        while rows < limit && cur.insert < table.inserts.len() {
            let (_, end) = table.inserts[cur.insert];
            if cur.pos >= end {
                cur.insert += 1;
                if let Some(r) = table.inserts.get(cur.insert) {
                    cur.pos = r.0;
                }
                continue;
            }
            let size = ((end - cur.pos) as usize).min(want);
            let window = self.data.read(cur.pos, size)?;
            let base = window.as_ptr() as usize;
            let (mut taken, mut last_end) = (0u64, 0usize);
            split_rows(&window, |row| {
                if rows + taken < limit {
                    out.extend_from_slice(row);
                    out.push(b'\n');
                    taken += 1;
                    last_end = row.as_ptr() as usize - base + row.len();
                }
            });
            if taken == 0 {
                if cur.pos + size as u64 >= end {
                    // Nothing but separators left in this statement.
                    cur.pos = end;
                } else {
                    // One row larger than the window: read a larger one.
                    want = want.saturating_mul(2);
                }
                continue;
            }
            rows += taken;
            cur.pos += last_end as u64;
        }
        cur.offset = offset + rows;
        self.cursor = Some(cur);
        Ok(out)
    }

    async fn finish(&mut self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_dump() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shop.sql");
        std::fs::write(
            &p,
            "-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\nDROP TABLE IF EXISTS `t`;\nCREATE TABLE `t` (\n  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `v` text DEFAULT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\nINSERT INTO `t` VALUES (1,'a;b'),(2,'it\\'s (x)'),(3,NULL);\nINSERT INTO `t` VALUES (4,'d');\n",
        )
        .unwrap();
        let mut d = DumpSource::open(&p).unwrap();
        let rt = tokio_test_block_on(async {
            let ts = d.tables().await.unwrap();
            assert_eq!(ts.len(), 1);
            assert_eq!(ts[0].primary_key, vec!["id".to_string()]);
            assert_eq!(ts[0].columns.len(), 2);
            let a = d.read_stream(&ts[0], 0, 2).await.unwrap();
            let b = d.read_stream(&ts[0], 2, 10).await.unwrap();
            (a, b)
        });
        assert_eq!(rt.0, b"(1,'a;b')\n(2,'it\\'s (x)')\n");
        assert_eq!(rt.1, b"(3,NULL)\n(4,'d')\n");
    }

    fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
        futures::executor::block_on(f)
    }
}
