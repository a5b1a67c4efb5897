//! The database path against a real MariaDB on 127.0.0.1 (started by
//! `scripts/mariadb start`; `.ci/run` starts it and sets the environment).
//! Edge cases: binary columns, NULLs, multi-MB rows, utf8mb4, no primary
//! key, composite and non-integer keys, negative keys.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::*;
use mysql::prelude::Queryable;
use strongbox::commands::backup::{self, BackupOptions};
use strongbox::db::source::DbSource;
use strongbox::db::{TableManifest, TableMode};
use strongbox::native::mysql::{live_table_checksum, restore_database, DbConfig, MysqlSource};
use strongbox::progress::NoProgress;

fn config(db: &str) -> Option<DbConfig> {
    let port = match std::env::var("STRONGBOX_DB_PORT") {
        Ok(p) => p.parse().expect("STRONGBOX_DB_PORT is a port"),
        Err(_) => {
            assert!(
                std::env::var("STRONGBOX_REQUIRE_SERVICES").is_err(),
                "STRONGBOX_REQUIRE_SERVICES is set but STRONGBOX_DB_PORT is not: start scripts/mariadb"
            );
            eprintln!("skipped: no MariaDB (run `eval \"$(scripts/mariadb env)\"` after `scripts/mariadb start`)");
            return None;
        }
    };
    Some(DbConfig {
        host: std::env::var("STRONGBOX_DB_HOST").unwrap_or_else(|_| "127.0.0.1".into()),
        port,
        socket: None,
        user: std::env::var("STRONGBOX_DB_USER").unwrap_or_else(|_| "wp".into()),
        password: std::env::var("STRONGBOX_DB_PASSWORD").unwrap_or_else(|_| "wp".into()),
        database: db.into(),
    })
}

fn admin(cfg: &DbConfig) -> mysql::Conn {
    let mut c = DbConfig {
        database: "mysql".into(),
        ..cfg.clone()
    };
    c.database = "information_schema".into();
    c.connect().expect("connect")
}

fn fresh_db(cfg: &DbConfig) {
    let mut c = admin(cfg);
    c.query_drop(format!("DROP DATABASE IF EXISTS `{}`", cfg.database))
        .unwrap();
    c.query_drop(format!(
        "CREATE DATABASE `{}` CHARACTER SET utf8mb4",
        cfg.database
    ))
    .unwrap();
}

fn seed(cfg: &DbConfig) {
    fresh_db(cfg);
    let mut c = cfg.connect().unwrap();
    c.query_drop(
        "CREATE TABLE wp_posts (ID bigint unsigned NOT NULL AUTO_INCREMENT, post_title text NOT NULL, post_content longtext, post_date datetime NOT NULL, price decimal(10,2) DEFAULT NULL, PRIMARY KEY (ID)) ENGINE=InnoDB",
    )
    .unwrap();
    c.query_drop("CREATE TABLE blobs (id int NOT NULL, data longblob, flags bit(8) DEFAULT NULL, h binary(4) DEFAULT NULL, PRIMARY KEY (id)) ENGINE=InnoDB").unwrap();
    c.query_drop("CREATE TABLE wp_term_relationships (object_id bigint unsigned NOT NULL, term_taxonomy_id bigint unsigned NOT NULL, term_order int NOT NULL DEFAULT 0, PRIMARY KEY (object_id, term_taxonomy_id)) ENGINE=InnoDB").unwrap();
    c.query_drop(
        "CREATE TABLE nokey (a varchar(20) DEFAULT NULL, b int DEFAULT NULL) ENGINE=InnoDB",
    )
    .unwrap();
    c.query_drop("CREATE TABLE sessions (session_key varchar(64) NOT NULL, v text, PRIMARY KEY (session_key)) ENGINE=InnoDB").unwrap();
    c.query_drop(
        "CREATE TABLE signed (k int NOT NULL, v varchar(10), PRIMARY KEY (k)) ENGINE=InnoDB",
    )
    .unwrap();
    c.query_drop("CREATE TABLE wc_orders (id bigint unsigned NOT NULL AUTO_INCREMENT, status varchar(20) NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB")
        .unwrap();
    c.query_drop("INSERT INTO wc_orders (status) SELECT 'wc-completed' FROM seq_1_to_5000")
        .unwrap();
    c.query_drop("CREATE TABLE `odd name ``x``` (id int NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB")
        .unwrap();

    let mut tx = c.start_transaction(mysql::TxOpts::default()).unwrap();
    for i in 1..=5000u64 {
        let content: Option<String> = if i % 7 == 0 {
            None
        } else {
            Some(format!(
                "Post {i} – ünïcödé 🛒 漢字\nline two \\ 'quote' \"dq\" \0 nul"
            ))
        };
        tx.exec_drop(
            "INSERT INTO wp_posts (ID, post_title, post_content, post_date, price) VALUES (?, ?, ?, ?, ?)",
            (i * 3, format!("Title {i}"), content, format!("2026-01-{:02} 10:00:00", 1 + i % 28), if i % 5 == 0 { None } else { Some(format!("{}.{:02}", i, i % 100)) }),
        )
        .unwrap();
    }
    for i in 0..50u32 {
        let data: Option<Vec<u8>> = if i == 3 {
            None
        } else {
            Some(noise(100 + i as usize * 13, u64::from(i)))
        };
        tx.exec_drop(
            "INSERT INTO blobs VALUES (?, ?, ?, ?)",
            (
                i,
                data,
                if i % 2 == 0 {
                    Some(vec![i as u8])
                } else {
                    None
                },
                vec![0u8, 1, 2, i as u8],
            ),
        )
        .unwrap();
    }
    // Rows of several MB.
    tx.exec_drop(
        "INSERT INTO blobs VALUES (1000, ?, NULL, NULL)",
        (noise(6_000_000, 99),),
    )
    .unwrap();
    tx.exec_drop("INSERT INTO wp_posts (ID, post_title, post_content, post_date) VALUES (99999, 'big', ?, '2026-01-01 00:00:00')", ("x".repeat(5_000_000),)).unwrap();
    for i in 1..=2000u64 {
        tx.exec_drop(
            "INSERT INTO wp_term_relationships VALUES (?, ?, ?)",
            (i / 3, i % 17, i % 4),
        )
        .ok();
    }
    for i in 0..300 {
        tx.exec_drop(
            "INSERT INTO nokey VALUES (?, ?)",
            (
                if i % 9 == 0 {
                    None
                } else {
                    Some(format!("r{i}"))
                },
                i % 11,
            ),
        )
        .unwrap();
    }
    for i in 0..300 {
        tx.exec_drop(
            "INSERT INTO sessions VALUES (?, ?)",
            (format!("s-{i:05}"), format!("cart {i}")),
        )
        .unwrap();
    }
    for k in -40..40 {
        tx.exec_drop(
            "INSERT INTO signed VALUES (?, ?)",
            (k * 37, format!("k{k}")),
        )
        .unwrap();
    }
    tx.exec_drop("INSERT INTO `odd name ``x``` VALUES (1)", ())
        .unwrap();
    tx.commit().unwrap();
}

async fn checksums(cfg: &DbConfig) -> Vec<(String, strongbox::db::Checksum)> {
    let mut src = MysqlSource::new(cfg.clone()).unwrap();
    let tables = src.tables().await.unwrap();
    let mut conn = cfg.connect().unwrap();
    tables
        .iter()
        .map(|t| (t.name.clone(), live_table_checksum(&mut conn, t).unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn database_pages_round_trip_and_only_changed_pages_are_read() {
    let Some(cfg) = config("sbx_test_src") else {
        return;
    };
    seed(&cfg);
    let tmp = tempfile::tempdir().unwrap();
    let repo = init(local(&tmp.path().join("repo")), "pw").await;

    let mut src = MysqlSource::new(cfg.clone()).unwrap();
    let (_, s1) = backup::run(
        &repo,
        None,
        Some(&mut src),
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    let db = s1.database.clone().unwrap();
    assert_eq!(db.consistency, "transaction");
    assert_eq!(db.tables.len(), 8);
    assert_eq!(
        s1.stats.rows,
        5001 + 51 + 2000 + 300 + 300 + 80 + 1 + 5000 - count_dupes()
    );
    let index = repo.load_index().await.unwrap();
    let mut modes = std::collections::HashMap::new();
    for t in &db.tables {
        let m: TableManifest = repo.read_json_blob(&index, &t.manifest).await.unwrap();
        modes.insert(t.name.clone(), m.mode.clone());
    }
    assert!(matches!(modes["wp_posts"], TableMode::Paged { ref key, .. } if key == "ID"));
    assert!(
        matches!(modes["wp_term_relationships"], TableMode::Paged { ref key, .. } if key == "object_id")
    );
    assert_eq!(modes["nokey"], TableMode::Stream);
    assert_eq!(modes["sessions"], TableMode::Stream);

    // An hour of activity: a few edits and inserts.
    let mut c = cfg.connect().unwrap();
    c.query_drop("UPDATE wp_posts SET post_title = 'edited' WHERE ID IN (30, 31, 9000)")
        .unwrap();
    c.query_drop("INSERT INTO wp_posts (ID, post_title, post_date) VALUES (15003, 'new order', '2026-11-25 10:00:00')").unwrap();
    c.query_drop("UPDATE wp_posts SET price = NULL WHERE ID = 3")
        .unwrap(); // same page as 30
    let mut src = MysqlSource::new(cfg.clone()).unwrap();
    // New orders move AUTO_INCREMENT, and so the CREATE statement; only the
    // last of wc_orders' pages changes.
    c.query_drop("INSERT INTO wc_orders (status) VALUES ('wc-processing')")
        .unwrap();
    c.query_drop(
        "INSERT INTO wp_posts (post_title, post_date) VALUES ('newest', '2026-11-25 11:00:00')",
    )
    .unwrap();
    let (_, s2) = backup::run(
        &repo,
        None,
        Some(&mut src),
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(
        s2.stats.pages_read <= 4,
        "pages read: {}",
        s2.stats.pages_read
    );
    // Exactly the pages whose checksum changed (or that are new) were read,
    // and every other page was referenced from the parent.
    let (total_units, changed_units) = {
        let index = repo.load_index().await.unwrap();
        let mut before = std::collections::HashMap::new();
        for t in &s1.database.as_ref().unwrap().tables {
            let m: TableManifest = repo.read_json_blob(&index, &t.manifest).await.unwrap();
            before.insert(t.name.clone(), m);
        }
        let (mut n, mut changed) = (0u64, 0u64);
        for t in &s2.database.as_ref().unwrap().tables {
            let m: TableManifest = repo.read_json_blob(&index, &t.manifest).await.unwrap();
            let old = &before[&t.name];
            if m.mode == TableMode::Stream {
                n += 1;
                changed += u64::from(m.checksum != old.checksum);
            } else {
                n += m.pages.len() as u64;
                changed += m
                    .pages
                    .iter()
                    .filter(|p| {
                        !old.pages
                            .iter()
                            .any(|q| q.page == p.page && q.checksum == p.checksum)
                    })
                    .count() as u64;
            }
        }
        (n, changed)
    };
    assert_eq!(
        s2.stats.pages_read, changed_units,
        "only changed pages are read"
    );
    assert_eq!(s2.stats.pages_read + s2.stats.pages_reused, total_units);
    assert!(
        s2.stats.pages_reused >= total_units - 4,
        "pages reused: {} of {total_units}",
        s2.stats.pages_reused
    );
    assert!(
        s2.stats.bytes_stored < 400_000,
        "stored {}",
        s2.stats.bytes_stored
    );

    // Restore into another database: every table's checksum matches.
    let target = config("sbx_test_dst").unwrap();
    fresh_db(&target);
    // A stale table with the same name is replaced atomically.
    target
        .connect()
        .unwrap()
        .query_drop("CREATE TABLE wp_posts (x int)")
        .unwrap();
    let index = repo.load_index().await.unwrap();
    let db2 = s2.database.clone().unwrap();
    let mut manifests = Vec::new();
    for t in &db2.tables {
        manifests.push(
            repo.read_json_blob::<TableManifest>(&index, &t.manifest)
                .await
                .unwrap(),
        );
    }
    let rows = restore_database(&repo, &index, &manifests, &target, &NoProgress)
        .await
        .unwrap();
    assert_eq!(rows, s2.stats.rows);
    assert_eq!(checksums(&cfg).await, checksums(&target).await);
    let mut t = target.connect().unwrap();
    let big: Option<u64> = t
        .query_first("SELECT LENGTH(data) FROM blobs WHERE id = 1000")
        .unwrap();
    assert_eq!(big, Some(6_000_000));
    let leftovers: Vec<String> = t.query("SHOW TABLES LIKE '\\_sbx\\_%'").unwrap();
    assert!(leftovers.is_empty(), "staging tables left: {leftovers:?}");

    // The same tables as SQL files load with the `mariadb` client.
    let sqldir = tmp.path().join("sql");
    std::fs::create_dir_all(&sqldir).unwrap();
    let third = config("sbx_test_sql").unwrap();
    fresh_db(&third);
    for m in &manifests {
        let path = sqldir.join(format!(
            "{}.sql",
            m.name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        ));
        let mut sink = strongbox::db::restore::ScriptSink { out: Vec::new() };
        for s in strongbox::db::restore::SESSION_PREAMBLE {
            strongbox::db::restore::SqlSink::execute(&mut sink, s.as_bytes().to_vec())
                .await
                .unwrap();
        }
        strongbox::db::restore::restore_table(
            &repo,
            &index,
            m,
            &m.name,
            &mut sink,
            1 << 20,
            &NoProgress,
        )
        .await
        .unwrap();
        std::fs::write(&path, &sink.out).unwrap();
        let status = std::process::Command::new("mariadb")
            .args([
                "--no-defaults",
                "-h",
                &third.host,
                "-P",
                &third.port.to_string(),
                "-u",
                &third.user,
                &format!("-p{}", third.password),
                &third.database,
            ])
            .stdin(std::fs::File::open(&path).unwrap())
            .status()
            .expect("the mariadb client runs");
        assert!(status.success(), "mariadb accepted {}", path.display());
    }
    assert_eq!(checksums(&cfg).await, checksums(&third).await);
}

/// `wp_term_relationships` rows collide on (i/3, i%17) for a few i.
fn count_dupes() -> u64 {
    let mut seen = std::collections::HashSet::new();
    (1..=2000u64)
        .filter(|i| !seen.insert((i / 3, i % 17)))
        .count() as u64
}

/// The snapshot browser: every table exported as SQL pieces that the
/// `mariadb` client imports one by one into an equal table; files listed
/// page by page exactly once and streamed back byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn snapshots_browse_list_stream_and_export_importable_sql() {
    use strongbox::commands::browse;
    let Some(cfg) = config("sbx_test_browse") else {
        return;
    };
    seed(&cfg);
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    let repo = init(local(&tmp.path().join("repo")), "pw").await;
    let mut files = strongbox::native::fs::LocalFiles::new(&site).unwrap();
    let mut src = MysqlSource::new(cfg.clone()).unwrap();
    let (id, snap) = backup::run(
        &repo,
        Some(&mut files),
        Some(&mut src),
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    let index = repo.load_index().await.unwrap();

    // Tables: pieces of at most ~1 MiB, each imported on its own.
    let out = DbConfig {
        database: "sbx_test_browse_out".into(),
        ..cfg.clone()
    };
    fresh_db(&out);
    let mut pieces_total = 0;
    for t in &snap.database.as_ref().unwrap().tables {
        let mut pieces: Vec<Vec<u8>> = Vec::new();
        let mut sink = |data: Vec<u8>| {
            pieces.push(data);
            Box::pin(async { Ok(()) }) as futures::future::LocalBoxFuture<'_, strongbox::Result<()>>
        };
        let (rows, bytes) = browse::export_table(&repo, &index, &id, &snap, &t.name, 7, &mut sink)
            .await
            .unwrap();
        assert_eq!(rows, t.rows, "{}", t.name);
        assert_eq!(bytes, pieces.iter().map(|p| p.len() as u64).sum::<u64>());
        for p in &pieces {
            assert!(p.ends_with(b";\n"), "a piece ends at a statement's end");
            let mut child = std::process::Command::new("mariadb")
                .args([
                    "--no-defaults",
                    "-h",
                    &out.host,
                    "-P",
                    &out.port.to_string(),
                    "-u",
                    &out.user,
                    &format!("-p{}", out.password),
                    &out.database,
                ])
                .stdin(std::process::Stdio::piped())
                .spawn()
                .expect("the mariadb client runs");
            use std::io::Write;
            child.stdin.take().unwrap().write_all(p).unwrap();
            assert!(
                child.wait().unwrap().success(),
                "piece of {} imported",
                t.name
            );
        }
        pieces_total += pieces.len();
    }
    assert!(pieces_total > snap.database.as_ref().unwrap().tables.len());
    assert_eq!(checksums(&cfg).await, checksums(&out).await);

    // Files: a paged listing sees every entry once, in depth-first order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (entries, next) =
            browse::list_tree(&repo, &index, &snap, "", true, cursor.as_deref(), 3)
                .await
                .unwrap();
        seen.extend(entries);
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let files: Vec<_> = seen.iter().filter(|e| e.kind == "file").collect();
    assert_eq!(files.len() as u64, snap.stats.files);
    let paths: std::collections::HashSet<_> = seen.iter().map(|e| &e.path).collect();
    assert_eq!(paths.len(), seen.len(), "no entry twice");
    let folder = seen.iter().position(|e| e.path == "wp-content").unwrap();
    let inside = seen
        .iter()
        .position(|e| e.path == "wp-content/plugins")
        .unwrap();
    assert!(folder < inside, "a folder comes before its contents");
    for f in files.iter().filter(|f| f.raw.is_none()) {
        let mut got = Vec::new();
        let mut sink = |data: Vec<u8>| {
            got.extend_from_slice(&data);
            Box::pin(async { Ok(()) }) as futures::future::LocalBoxFuture<'_, strongbox::Result<()>>
        };
        let n = browse::read_file(&repo, &index, &snap, f.path.as_bytes(), &mut sink)
            .await
            .unwrap();
        assert_eq!(n, f.size);
        assert_eq!(
            got,
            std::fs::read(site.join(&f.path)).unwrap(),
            "{}",
            f.path
        );
    }
    assert!(
        browse::read_file(&repo, &index, &snap, b"wp-content", &mut |_| Box::pin(
            async { Ok(()) }
        ))
        .await
        .is_err()
    );
    let sizes = browse::folder_sizes(&repo, &index, &snap, 2).await.unwrap();
    assert_eq!(sizes[0].path, "");
    assert_eq!(sizes[0].bytes, snap.stats.file_bytes);
    assert_eq!(sizes[0].files, snap.stats.files);
    let uploads = sizes
        .iter()
        .find(|s| s.path == "wp-content/uploads")
        .unwrap();
    assert!(uploads.bytes >= 700_000);
}
