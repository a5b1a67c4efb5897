//! MariaDB/MySQL as a backup source and a restore target, through the
//! `mysql` crate's text protocol (the same value text PHP's mysqli sees).

use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Value};

use crate::db::restore::SqlSink;
use crate::db::source::{DbSource, KeyStats};
use crate::db::{
    encode_row, page_checksums_sql, page_of, page_rows_sql, quote_ident, scan_pages_sql,
    stream_rows_sql, table_checksum_sql, Checksum, Column, ColumnClass, PageChecksum, TableInfo,
};
use crate::error::{Error, Result};

/// How to reach the database.
#[derive(Debug, Clone, Default)]
pub struct DbConfig {
    /// Host (127.0.0.1).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Unix socket, preferred when set.
    pub socket: Option<String>,
    /// User.
    pub user: String,
    /// Password.
    pub password: String,
    /// Database.
    pub database: String,
}

impl DbConfig {
    /// Opens a connection.
    ///
    /// # Errors
    /// [`Error::Database`] naming the server and what to check.
    pub fn connect(&self) -> Result<Conn> {
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(self.host.clone()))
            .tcp_port(self.port)
            .socket(self.socket.clone())
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .db_name(Some(self.database.clone()))
            .prefer_socket(self.socket.is_some());
        let mut conn = Conn::new(opts).map_err(|e| {
            Error::Database(format!(
                "cannot connect to {}:{} as {} (database {}): {e}. Check host, port, user, password and that the server runs",
                self.host, self.port, self.user, self.database
            ))
        })?;
        conn.query_drop("SET NAMES utf8mb4").map_err(db_err)?;
        Ok(conn)
    }
}

fn db_err(e: mysql::Error) -> Error {
    Error::Database(e.to_string())
}

fn text(v: &Value) -> Option<std::borrow::Cow<'_, [u8]>> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(std::borrow::Cow::Borrowed(b)),
        // The text protocol sends bytes; other variants only come from
        // prepared statements, rendered as SQL literals.
        other => Some(std::borrow::Cow::Owned(other.as_sql(true).into_bytes())),
    }
}

fn num<T: std::str::FromStr>(v: &Value, what: &str) -> Result<T> {
    let s = text(v).unwrap_or(std::borrow::Cow::Borrowed(b"0"));
    String::from_utf8_lossy(&s).trim().parse().map_err(|_| {
        Error::Database(format!(
            "unexpected {what} value {:?}",
            String::from_utf8_lossy(&s)
        ))
    })
}

/// A live database to back up, read inside one consistent-snapshot
/// transaction.
pub struct MysqlSource {
    cfg: DbConfig,
    conn: Conn,
    /// Tables to leave out (exact names).
    pub exclude: Vec<String>,
}

impl MysqlSource {
    /// Connects.
    ///
    /// # Errors
    /// When the connection fails.
    pub fn new(cfg: DbConfig) -> Result<MysqlSource> {
        let conn = cfg.connect()?;
        Ok(MysqlSource {
            cfg,
            conn,
            exclude: Vec::new(),
        })
    }

    fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Value>>> {
        let res: Vec<mysql::Row> = self.conn.query(sql).map_err(db_err)?;
        Ok(res.into_iter().map(|r| r.unwrap()).collect())
    }

    fn serialize(&mut self, sql: &str, classes: &[ColumnClass]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let result = self.conn.query_iter(sql).map_err(db_err)?;
        for row in result {
            let row = row.map_err(db_err)?;
            let vals = row.unwrap();
            let texts: Vec<_> = vals.iter().map(text).collect();
            encode_row(classes, texts.iter().map(|t| t.as_deref()), &mut out);
        }
        Ok(out)
    }
}

fn classes(t: &TableInfo) -> Vec<ColumnClass> {
    t.columns.iter().map(Column::class).collect()
}

#[async_trait::async_trait(?Send)]
impl DbSource for MysqlSource {
    fn describe(&self) -> String {
        format!(
            "mysql://{}:{}/{}",
            self.cfg.host, self.cfg.port, self.cfg.database
        )
    }

    fn database(&self) -> String {
        self.cfg.database.clone()
    }

    async fn begin(&mut self) -> Result<String> {
        self.conn
            .query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            .map_err(db_err)?;
        self.conn
            .query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            .map_err(db_err)?;
        Ok("transaction".into())
    }

    async fn server_version(&mut self) -> Result<String> {
        let v: Option<String> = self.conn.query_first("SELECT VERSION()").map_err(db_err)?;
        Ok(v.unwrap_or_default())
    }

    async fn tables(&mut self) -> Result<Vec<TableInfo>> {
        let db = self.cfg.database.clone();
        let names: Vec<String> = self
            .conn
            .exec(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
                (db.clone(),),
            )
            .map_err(db_err)?;
        let mut out = Vec::new();
        for name in names {
            if self.exclude.contains(&name) {
                continue;
            }
            let cols: Vec<(String, String, String)> = self
                .conn
                .exec(
                    "SELECT COLUMN_NAME, DATA_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                    (db.clone(), name.clone()),
                )
                .map_err(db_err)?;
            let pk: Vec<String> = self
                .conn
                .exec(
                    "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
                    (db.clone(), name.clone()),
                )
                .map_err(db_err)?;
            let create: Option<(String, String)> = self
                .conn
                .query_first(format!("SHOW CREATE TABLE {}", quote_ident(&name)))
                .map_err(db_err)?;
            let create = create
                .map(|c| c.1)
                .ok_or_else(|| Error::Database(format!("no CREATE statement for {name}")))?;
            out.push(TableInfo {
                name,
                create,
                columns: cols
                    .into_iter()
                    .map(|(n, t, nul)| Column {
                        name: n,
                        data_type: t.to_ascii_lowercase(),
                        nullable: nul == "YES",
                    })
                    .collect(),
                primary_key: pk,
            });
        }
        Ok(out)
    }

    fn has_checksums(&self) -> bool {
        true
    }

    async fn key_stats(&mut self, t: &TableInfo, key: &str) -> Result<KeyStats> {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(MIN({k}), 0), COALESCE(MAX({k}), 0) FROM {t}",
            k = quote_ident(key),
            t = quote_ident(&t.name)
        );
        let r = self.rows(&sql)?;
        let row = r
            .first()
            .ok_or_else(|| Error::Database("no key statistics".into()))?;
        Ok(KeyStats {
            count: num(&row[0], "COUNT")?,
            min: num(&row[1], "MIN")?,
            max: num(&row[2], "MAX")?,
        })
    }

    async fn page_checksums(
        &mut self,
        t: &TableInfo,
        key: &str,
        width: u64,
    ) -> Result<Vec<PageChecksum>> {
        let rows = self.rows(&page_checksums_sql(t, key, width))?;
        rows.iter()
            .map(|r| {
                Ok(PageChecksum {
                    page: num(&r[0], "page")?,
                    checksum: Checksum {
                        rows: num(&r[1], "COUNT")?,
                        xor: num(&r[2], "BIT_XOR")?,
                        sum: num(&r[3], "SUM")?,
                    },
                })
            })
            .collect()
    }

    async fn table_checksum(&mut self, t: &TableInfo) -> Result<Checksum> {
        let rows = self.rows(&table_checksum_sql(t))?;
        let r = rows
            .first()
            .ok_or_else(|| Error::Database("no checksum row".into()))?;
        Ok(Checksum {
            rows: num(&r[0], "COUNT")?,
            xor: num(&r[1], "BIT_XOR")?,
            sum: num(&r[2], "SUM")?,
        })
    }

    async fn read_page(
        &mut self,
        t: &TableInfo,
        key: &str,
        page: i64,
        width: u64,
    ) -> Result<Vec<u8>> {
        let c = classes(t);
        self.serialize(&page_rows_sql(t, key, page, width), &c)
    }

    async fn scan_pages(
        &mut self,
        t: &TableInfo,
        key: &str,
        first: i64,
        last: i64,
        width: u64,
    ) -> Result<Vec<(PageChecksum, Vec<u8>)>> {
        let c = classes(t);
        let n = c.len();
        let ki = t
            .columns
            .iter()
            .position(|col| col.name == key)
            .ok_or_else(|| Error::Database(format!("no key column {key} in {}", t.name)))?;
        let mut out: Vec<(PageChecksum, Vec<u8>)> = Vec::new();
        let result = self
            .conn
            .query_iter(scan_pages_sql(t, key, first, last, width))
            .map_err(db_err)?;
        for row in result {
            let vals = row.map_err(db_err)?.unwrap();
            if vals.len() != n + 1 {
                return Err(Error::Database(format!(
                    "{}: expected {} columns, got {}",
                    t.name,
                    n + 1,
                    vals.len()
                )));
            }
            let k: i128 = num(&vals[ki], "key")?;
            let h: u32 = num(&vals[n], "row hash")?;
            let page = page_of(k, width);
            if out.last().is_none_or(|(pc, _)| pc.page != page) {
                out.push((
                    PageChecksum {
                        page,
                        checksum: Checksum {
                            rows: 0,
                            xor: 0,
                            sum: 0,
                        },
                    },
                    Vec::new(),
                ));
            }
            let Some((pc, data)) = out.last_mut() else {
                continue;
            };
            pc.checksum.rows += 1;
            pc.checksum.xor ^= h;
            pc.checksum.sum += u64::from(h);
            let texts: Vec<_> = vals[..n].iter().map(text).collect();
            encode_row(&c, texts.iter().map(|t| t.as_deref()), data);
        }
        Ok(out)
    }

    async fn read_stream(&mut self, t: &TableInfo, offset: u64, limit: u64) -> Result<Vec<u8>> {
        let c = classes(t);
        self.serialize(&stream_rows_sql(t, offset, limit), &c)
    }

    async fn finish(&mut self) -> Result<()> {
        self.conn.query_drop("COMMIT").map_err(db_err)
    }
}

/// Runs restore statements on a connection.
pub struct MysqlSink {
    /// The connection.
    pub conn: Conn,
}

#[async_trait::async_trait(?Send)]
impl SqlSink for MysqlSink {
    async fn execute(&mut self, statement: Vec<u8>) -> Result<()> {
        let sql = String::from_utf8(statement).map_err(|_| {
            Error::malformed("restored rows", "not valid UTF-8 SQL (binary must be hex)")
        })?;
        self.conn.query_drop(&sql).map_err(|e| {
            let head: String = sql.chars().take(120).collect();
            Error::Database(format!("{e} (in: {head}…)"))
        })
    }
}

/// Restores tables into a live database without ever leaving it
/// half-restored: every table is first written under a staging name, then
/// one `RENAME TABLE` statement swaps all of them in at once, and only then
/// are the previous tables dropped. Returns the rows written.
///
/// # Errors
/// Database, storage and integrity errors; on error the live tables are
/// untouched and the staging tables are dropped.
pub async fn restore_database(
    repo: &crate::repo::Repository,
    index: &crate::index::Index,
    manifests: &[crate::db::TableManifest],
    cfg: &DbConfig,
    progress: &dyn crate::progress::Progress,
) -> Result<u64> {
    use crate::db::restore::{restore_table, MAX_STATEMENT, SESSION_PREAMBLE};
    let mut sink = MysqlSink {
        conn: cfg.connect()?,
    };
    for s in SESSION_PREAMBLE {
        sink.execute(s.as_bytes().to_vec()).await?;
    }
    let mut rows = 0u64;
    let staging: Vec<String> = (0..manifests.len())
        .map(|i| format!("_sbx_new_{i}"))
        .collect();
    let filled = async {
        for (m, st) in manifests.iter().zip(&staging) {
            rows += restore_table(repo, index, m, st, &mut sink, MAX_STATEMENT, progress).await?;
        }
        Ok::<_, Error>(())
    }
    .await;
    if let Err(e) = filled {
        for st in &staging {
            let _ = sink
                .conn
                .query_drop(format!("DROP TABLE IF EXISTS {}", quote_ident(st)));
        }
        return Err(e);
    }
    let existing: Vec<String> = sink
        .conn
        .query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        .map_err(db_err)?;
    let mut parts = Vec::new();
    let mut olds = Vec::new();
    for (i, (m, st)) in manifests.iter().zip(&staging).enumerate() {
        if existing.contains(&m.name) {
            let old = format!("_sbx_old_{i}");
            parts.push(format!("{} TO {}", quote_ident(&m.name), quote_ident(&old)));
            olds.push(old);
        }
        parts.push(format!("{} TO {}", quote_ident(st), quote_ident(&m.name)));
    }
    if !parts.is_empty() {
        sink.execute(format!("RENAME TABLE {}", parts.join(", ")).into_bytes())
            .await?;
    }
    for old in olds {
        sink.execute(format!("DROP TABLE {}", quote_ident(&old)).into_bytes())
            .await?;
    }
    Ok(rows)
}

/// The checksum of a live table, by the same SQL a backup uses (to prove a
/// restore equals its snapshot).
///
/// # Errors
/// Database errors.
pub fn live_table_checksum(conn: &mut Conn, t: &TableInfo) -> Result<Checksum> {
    let rows: Vec<mysql::Row> = conn.query(table_checksum_sql(t)).map_err(db_err)?;
    let r = rows
        .into_iter()
        .next()
        .ok_or_else(|| Error::Database("no checksum row".into()))?
        .unwrap();
    Ok(Checksum {
        rows: num(&r[0], "COUNT")?,
        xor: num(&r[1], "BIT_XOR")?,
        sum: num(&r[2], "SUM")?,
    })
}
