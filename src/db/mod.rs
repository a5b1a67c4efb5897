//! Database tables: the row serialization, pages by primary-key range and
//! checksums computed by the database itself (normative text:
//! docs/FORMAT.md, "Database tables").
//!
//! A backup compares each page's checksum with the previous snapshot's and
//! reads only pages that changed ([`backup`]); a restore turns the stored
//! pages back into plain SQL ([`restore`]).

use serde::{Deserialize, Serialize};

use crate::id::Id;

pub mod backup;
pub mod dump;
pub mod restore;
pub mod source;

/// Row groups (the blobs of a page): a group may end after a row only once
/// it holds this many bytes...
pub const GROUP_MIN: usize = 32 * 1024;
/// ... and always ends once it holds this many.
pub const GROUP_MAX: usize = 256 * 1024;
/// A row this large is a group of its own (a 4 MB option value must not
/// drag its neighbours into every backup that touches it, nor the reverse).
pub const GROUP_BIG_ROW: usize = 64 * 1024;
/// Past [`GROUP_MIN`], a group ends after a row whose hash has these low
/// bits all zero (1 in 16 rows).
pub const GROUP_MASK: u64 = 0xF;
/// Bytes of a row's start that are hashed (rows start with their key).
pub const GROUP_HASH_PREFIX: usize = 64;
/// Rows aimed at per page when choosing a table's page width.
pub const ROWS_PER_PAGE: u128 = 1000;
/// Rows per batch when a streamed table is read.
pub const STREAM_BATCH_ROWS: u64 = 5000;

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnClass {
    /// Written verbatim.
    Numeric,
    /// Written as `X'hex'`.
    Binary,
    /// Written quoted with escapes.
    Text,
}

impl ColumnClass {
    /// The class of an `information_schema.COLUMNS.DATA_TYPE`.
    pub fn of(data_type: &str) -> ColumnClass {
        match data_type.to_ascii_lowercase().as_str() {
            "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint" | "decimal"
            | "numeric" | "float" | "double" | "real" => ColumnClass::Numeric,
            "binary" | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" | "bit"
            | "geometry" | "point" | "linestring" | "polygon" | "multipoint"
            | "multilinestring" | "multipolygon" | "geometrycollection" => ColumnClass::Binary,
            _ => ColumnClass::Text,
        }
    }
}

/// Whether a data type can carry pages (integer keys).
pub fn is_integer_type(data_type: &str) -> bool {
    matches!(
        data_type.to_ascii_lowercase().as_str(),
        "tinyint" | "smallint" | "mediumint" | "int" | "integer" | "bigint"
    )
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Name.
    pub name: String,
    /// `DATA_TYPE` (lowercase).
    pub data_type: String,
    /// `IS_NULLABLE = 'YES'`.
    pub nullable: bool,
}

impl Column {
    /// The column's class.
    pub fn class(&self) -> ColumnClass {
        ColumnClass::of(&self.data_type)
    }
}

/// What a source says about a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// Name.
    pub name: String,
    /// `SHOW CREATE TABLE` statement.
    pub create: String,
    /// Columns in ordinal order.
    pub columns: Vec<Column>,
    /// Primary-key columns in key order.
    pub primary_key: Vec<String>,
}

impl TableInfo {
    /// The paging key: the first primary-key column, when it is an integer.
    pub fn page_key(&self) -> Option<&Column> {
        let first = self.primary_key.first()?;
        self.columns
            .iter()
            .find(|c| &c.name == first)
            .filter(|c| is_integer_type(&c.data_type))
    }
}

/// A checksum computed by the database: `(COUNT(*), BIT_XOR(h), SUM(h))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checksum {
    /// Rows.
    pub rows: u64,
    /// BIT_XOR of the row hashes.
    pub xor: u32,
    /// SUM of the row hashes.
    pub sum: u64,
}

/// The checksum of one page, as the database reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageChecksum {
    /// Page number.
    pub page: i64,
    /// Its checksum.
    pub checksum: Checksum,
}

/// How a table is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum TableMode {
    /// Pages by `key DIV width`.
    Paged {
        /// The key column.
        key: String,
        /// Page width.
        width: u64,
    },
    /// One stream cut by the content-defined chunker.
    Stream,
}

/// One page of a paged table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Page number (`key DIV width`).
    pub page: i64,
    /// Checksum reported by the database, when the source computes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Rows (lines).
    pub rows: u64,
    /// Serialized bytes.
    pub bytes: u64,
    /// Data blobs, in order.
    pub blobs: Vec<Id>,
}

/// A table in a snapshot (stored as a tree blob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableManifest {
    /// Name.
    pub name: String,
    /// `CREATE TABLE` statement.
    pub create: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Primary key.
    #[serde(default)]
    pub primary_key: Vec<String>,
    /// Storage mode.
    #[serde(flatten)]
    pub mode: TableMode,
    /// Rows.
    pub rows: u64,
    /// Serialized bytes.
    pub bytes: u64,
    /// Whole-table checksum (streamed tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Checksum>,
    /// Pages (paged tables), by page number.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pages: Vec<Page>,
    /// Data blobs (streamed tables), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blobs: Vec<Id>,
}

impl TableManifest {
    /// Every data blob of the table, in restore order.
    pub fn data_blobs(&self) -> Vec<Id> {
        let mut out: Vec<Id> = self
            .pages
            .iter()
            .flat_map(|p| p.blobs.iter().copied())
            .collect();
        out.extend(self.blobs.iter().copied());
        out
    }
}

/// Quotes an identifier with backticks (doubling inner backticks).
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Appends the SQL literal of one value (docs/FORMAT.md, "Value encoding").
pub fn encode_value(class: ColumnClass, value: Option<&[u8]>, out: &mut Vec<u8>) {
    let Some(v) = value else {
        out.extend_from_slice(b"NULL");
        return;
    };
    match class {
        ColumnClass::Numeric => out.extend_from_slice(v),
        ColumnClass::Binary => {
            out.extend_from_slice(b"X'");
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for b in v {
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            out.push(b'\'');
        }
        ColumnClass::Text => {
            out.push(b'\'');
            for &b in v {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\'' => out.extend_from_slice(b"\\'"),
                    0 => out.extend_from_slice(b"\\0"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    0x1a => out.extend_from_slice(b"\\Z"),
                    _ => out.push(b),
                }
            }
            out.push(b'\'');
        }
    }
}

/// Appends one serialized row (a line) to `out`.
pub fn encode_row<'a>(
    classes: &[ColumnClass],
    values: impl IntoIterator<Item = Option<&'a [u8]>>,
    out: &mut Vec<u8>,
) {
    out.push(b'(');
    for (i, (class, v)) in classes.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        encode_value(*class, v, out);
    }
    out.extend_from_slice(b")\n");
}

/// The key range `[lo, hi]` of page `p` at width `w`.
pub fn page_bounds(p: i64, w: u64) -> (i128, i128) {
    let (p, w) = (i128::from(p), i128::from(w));
    match p.cmp(&0) {
        std::cmp::Ordering::Greater => (p * w, (p + 1) * w - 1),
        std::cmp::Ordering::Equal => (-(w - 1), w - 1),
        std::cmp::Ordering::Less => ((p - 1) * w + 1, p * w),
    }
}

/// The page width for a table with `count` keys between `min` and `max`.
pub fn choose_width(count: u64, min: i128, max: i128) -> u64 {
    if count == 0 {
        return 1024;
    }
    let span = (max - min + 1).max(1) as u128;
    let want = (ROWS_PER_PAGE * span)
        .div_ceil(u128::from(count))
        .clamp(1, 1 << 40);
    want.next_power_of_two() as u64
}

/// The row hash expression of docs/FORMAT.md, "Checksums computed by the database".
pub fn row_hash_sql(columns: &[Column]) -> String {
    let mut args: Vec<String> = columns.iter().map(|c| quote_ident(&c.name)).collect();
    let nulls: Vec<String> = columns
        .iter()
        .filter(|c| c.nullable)
        .map(|c| format!("ISNULL({})", quote_ident(&c.name)))
        .collect();
    if !nulls.is_empty() {
        args.push(format!("CONCAT({})", nulls.join(", ")));
    }
    format!("CRC32(CONCAT_WS(X'1F', {}))", args.join(", "))
}

/// The manifest query of a paged table: one row per page
/// `(p, COUNT(*), BIT_XOR(h), SUM(h))`.
pub fn page_checksums_sql(t: &TableInfo, key: &str, width: u64) -> String {
    format!(
        "SELECT {k} DIV {width} AS _sbx_p, COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT {k}, {h} AS _sbx_h FROM {t}) AS _sbx_x GROUP BY _sbx_p ORDER BY _sbx_p",
        k = quote_ident(key),
        h = row_hash_sql(&t.columns),
        t = quote_ident(&t.name),
    )
}

/// The whole-table checksum query `(COUNT(*), BIT_XOR(h), SUM(h))`.
pub fn table_checksum_sql(t: &TableInfo) -> String {
    format!(
        "SELECT COUNT(*), BIT_XOR(_sbx_h), SUM(_sbx_h) FROM (SELECT {h} AS _sbx_h FROM {t}) AS _sbx_x",
        h = row_hash_sql(&t.columns),
        t = quote_ident(&t.name),
    )
}

/// `ORDER BY` columns of the serialization.
pub fn order_by(t: &TableInfo) -> String {
    let cols: Vec<String> = if t.primary_key.is_empty() {
        t.columns.iter().map(|c| quote_ident(&c.name)).collect()
    } else {
        t.primary_key.iter().map(|c| quote_ident(c)).collect()
    };
    cols.join(", ")
}

/// The query reading page `p` of a paged table.
pub fn page_rows_sql(t: &TableInfo, key: &str, p: i64, width: u64) -> String {
    let (lo, hi) = page_bounds(p, width);
    format!(
        "SELECT * FROM {t} WHERE {k} BETWEEN {lo} AND {hi} ORDER BY {o}",
        t = quote_ident(&t.name),
        k = quote_ident(key),
        o = order_by(t),
    )
}

/// The query reading pages `first..=last` with each row's hash as an extra
/// last column.
pub fn scan_pages_sql(t: &TableInfo, key: &str, first: i64, last: i64, width: u64) -> String {
    let (lo, _) = page_bounds(first, width);
    let (_, hi) = page_bounds(last, width);
    format!(
        "SELECT *, {h} FROM {t} WHERE {k} BETWEEN {lo} AND {hi} ORDER BY {o}",
        h = row_hash_sql(&t.columns),
        t = quote_ident(&t.name),
        k = quote_ident(key),
        o = order_by(t),
    )
}

/// The page of key `k` at width `w` (`k DIV w`, truncating).
pub fn page_of(k: i128, w: u64) -> i64 {
    (k / i128::from(w)) as i64
}

/// The query reading one batch of a streamed table.
pub fn stream_rows_sql(t: &TableInfo, offset: u64, limit: u64) -> String {
    format!(
        "SELECT * FROM {t} ORDER BY {o} LIMIT {limit} OFFSET {offset}",
        t = quote_ident(&t.name),
        o = order_by(t),
    )
}

/// The boundary hash of a row: 64-bit FNV-1a over its first
/// [`GROUP_HASH_PREFIX`] bytes, with the repository's chunker seed as the
/// offset basis (so group sizes do not reveal content across repositories).
pub fn row_hash(row: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed;
    for &b in &row[..row.len().min(GROUP_HASH_PREFIX)] {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Cuts a page's serialization into row groups, the page's blobs
/// (docs/FORMAT.md, "Row groups"): content-defined at row boundaries, so a
/// changed row changes only its own group and an inserted row only its
/// neighbours'.
pub fn group_rows(bytes: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    while pos < bytes.len() {
        let end = match bytes[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos + i + 1,
            None => bytes.len(),
        };
        let row = &bytes[pos..end];
        if row.len() >= GROUP_BIG_ROW {
            if start < pos {
                out.push(&bytes[start..pos]);
            }
            out.push(row);
            start = end;
        } else {
            let size = end - start;
            if size >= GROUP_MAX || (size >= GROUP_MIN && row_hash(row, seed) & GROUP_MASK == 0) {
                out.push(&bytes[start..end]);
                start = end;
            }
        }
        pos = end;
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_encoding_matches_the_format() {
        let mut out = Vec::new();
        encode_row(
            &[
                ColumnClass::Numeric,
                ColumnClass::Text,
                ColumnClass::Binary,
                ColumnClass::Text,
                ColumnClass::Numeric,
            ],
            [
                Some(&b"-1.50"[..]),
                Some(&b"it's\n\\ \x00\x1a\r \xf0\x9f\x9b\x92"[..]),
                Some(&b"\x00\xff"[..]),
                None,
                Some(&b"1e+100"[..]),
            ],
            &mut out,
        );
        assert_eq!(
            out,
            b"(-1.50,'it\\'s\\n\\\\ \\0\\Z\\r \xf0\x9f\x9b\x92',X'00ff',NULL,1e+100)\n"
        );
        let mut e = Vec::new();
        encode_value(ColumnClass::Binary, Some(b""), &mut e);
        assert_eq!(e, b"X''");
    }

    #[test]
    fn pages_tile_the_key_space() {
        for w in [1u64, 4, 1024] {
            let mut prev_hi: Option<i128> = None;
            for p in -3i64..=3 {
                let (lo, hi) = page_bounds(p, w);
                assert!(lo <= hi);
                if let Some(ph) = prev_hi {
                    if w > 1 || p != 0 {
                        assert_eq!(lo, ph + 1, "p={p} w={w}");
                    }
                }
                // Every key in the range has `key DIV w == p` (truncating).
                for k in [lo, hi] {
                    assert_eq!((k / i128::from(w)) as i64, p, "k={k} w={w}");
                }
                prev_hi = Some(hi);
            }
        }
        assert_eq!(choose_width(100_000, 1, 100_000), 1024);
        assert_eq!(choose_width(10, 1, 10), 1024);
        assert_eq!(choose_width(1000, 1, 1_000_000), 1 << 20);
        assert_eq!(choose_width(0, 0, 0), 1024);
    }

    #[test]
    fn sql_builders_quote_identifiers() {
        let t = TableInfo {
            name: "wp`x".into(),
            create: String::new(),
            columns: vec![
                Column {
                    name: "id".into(),
                    data_type: "bigint".into(),
                    nullable: false,
                },
                Column {
                    name: "v".into(),
                    data_type: "text".into(),
                    nullable: true,
                },
            ],
            primary_key: vec!["id".into()],
        };
        assert_eq!(
            row_hash_sql(&t.columns),
            "CRC32(CONCAT_WS(X'1F', `id`, `v`, CONCAT(ISNULL(`v`))))"
        );
        assert!(page_checksums_sql(&t, "id", 1024).contains("FROM `wp``x`"));
        assert_eq!(
            page_rows_sql(&t, "id", 2, 1024),
            "SELECT * FROM `wp``x` WHERE `id` BETWEEN 2048 AND 3071 ORDER BY `id`"
        );
        assert_eq!(t.page_key().map(|c| c.name.as_str()), Some("id"));
    }

    #[test]
    fn row_groups_are_content_defined() {
        let mut page = Vec::new();
        for i in 0..5000 {
            page.extend_from_slice(
                format!("({i},'row {i} of a page','{}')\n", "x".repeat(i % 50)).as_bytes(),
            );
        }
        let groups = group_rows(&page, 7);
        assert_eq!(groups.concat(), page);
        assert!(groups.len() > 3, "{} groups", groups.len());
        assert!(groups
            .iter()
            .all(|g| g.ends_with(b"\n") && g.len() <= GROUP_MAX + 200));
        // Changing one row changes one group; inserting one changes at most two.
        let edited = String::from_utf8(page.clone())
            .unwrap()
            .replace("(2500,'row 2500", "(2500,'ROW 2500");
        let g2 = group_rows(edited.as_bytes(), 7);
        let fresh = g2.iter().filter(|g| !groups.contains(g)).count();
        assert_eq!(fresh, 1);
        let inserted = String::from_utf8(page.clone())
            .unwrap()
            .replace("(100,", "(99.5,'new'),\n(100,");
        let g3 = group_rows(inserted.as_bytes(), 7);
        assert!(g3.iter().filter(|g| !groups.contains(g)).count() <= 2);
        // A big row stands alone.
        let mut big = b"(1,'a')\n".to_vec();
        big.extend_from_slice(&[b'y'; 70_000]);
        big.extend_from_slice(b"\n(3,'c')\n");
        let gb = group_rows(&big, 0);
        assert_eq!(gb.len(), 3);
        assert_eq!(gb[1].len(), 70_001);
        assert!(group_rows(b"", 0).is_empty());
        assert_ne!(
            group_rows(&page, 8),
            groups,
            "the seed moves the boundaries"
        );
    }
}
