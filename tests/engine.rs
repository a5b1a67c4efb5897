//! End-to-end behaviour of the engine on real folders and a local
//! repository: round trips, incremental reads, damage, keys, locks,
//! interrupted and cancelled backups.

#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::cell::Cell;
use std::sync::Arc;

use common::*;
use strongbox::commands::backup::{self, BackupOptions, FileEntry, FileSource};
use strongbox::commands::check::{self, CheckOptions, Subset};
use strongbox::commands::restore::{restore_files, split_path};
use strongbox::native::fs::{LocalFiles, LocalTarget};
use strongbox::progress::{NoProgress, Phase, Progress};
use strongbox::repo::lock::Lock;
use strongbox::repo::Repository;
use strongbox::storage::{FileKind, Storage};
use strongbox::{Error, Id};

async fn backup_dir(
    repo: &Repository,
    dir: &std::path::Path,
) -> (Id, strongbox::snapshot::Snapshot) {
    let mut src = LocalFiles::new(dir).unwrap();
    backup::run(
        repo,
        Some(&mut src),
        None,
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .expect("backup")
}

#[tokio::test]
async fn round_trip_incremental_and_object_names_are_sha256() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    let storage = local(&tmp.path().join("repo"));
    let repo = init(storage.clone(), "pw").await;

    let (_, s1) = backup_dir(&repo, &site).await;
    assert_eq!(s1.stats.files, 24);
    assert_eq!(s1.stats.files_read, 24);
    assert!(s1.stats.bytes_stored > 0);
    // Code deflates, the JPEG and random data do not: stored < plaintext.
    assert!(s1.stats.bytes_stored < s1.stats.bytes_new);

    // Change one file, add one, delete one.
    std::fs::write(
        site.join("wp-content/plugins/shop/f3.php"),
        b"<?php // edited\n",
    )
    .unwrap();
    std::fs::write(site.join("new.txt"), b"new").unwrap();
    std::fs::remove_file(site.join("index.php")).unwrap();
    let (id2, s2) = backup_dir(&repo, &site).await;
    assert_eq!(
        s2.stats.files_read, 2,
        "only the changed and the new file are read"
    );
    assert!(
        s2.stats.bytes_stored < 64 * 1024,
        "stored {}",
        s2.stats.bytes_stored
    );

    let out = tmp.path().join("out");
    restore_to(&repo, &id2.to_hex()[..8], &out).await.unwrap();
    assert_same_tree(&site, &out);

    // The older snapshot restores as it was.
    let out1 = tmp.path().join("out1");
    let snaps = repo.list_snapshots().await.unwrap();
    restore_to(&repo, &snaps[0].0.to_hex(), &out1)
        .await
        .unwrap();
    assert!(out1.join("index.php").exists());
    assert!(!out1.join("new.txt").exists());

    // Every stored object is named by the SHA-256 of its bytes.
    for kind in [
        FileKind::Pack,
        FileKind::Index,
        FileKind::Snapshot,
        FileKind::Key,
    ] {
        for o in storage.list(kind).await.unwrap() {
            let bytes = storage.get(kind, &o.name).await.unwrap();
            assert_eq!(
                strongbox::crypto::sha256(&bytes).to_hex(),
                o.name,
                "{kind} {}",
                o.name
            );
        }
    }
    let report = check::run(
        &repo,
        &CheckOptions {
            read_data: true,
            subset: None,
        },
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(report.ok(), "{:?}", report.errors);
    assert!(report.blobs_read > 20);

    // Selective restore of one folder.
    let part = tmp.path().join("part");
    let index = repo.load_index().await.unwrap();
    let includes = vec![split_path("wp-content/uploads").unwrap()];
    let mut t = LocalTarget::new(&part, false);
    let st = restore_files(
        &repo,
        &index,
        &s2.files.unwrap().tree,
        &includes,
        &mut t,
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(st.files, 1);
    assert!(part.join("wp-content/uploads/2026/11/photo.jpg").exists());
    assert!(!part.join("big.bin").exists());
    assert!(split_path("../etc").is_err());
}

#[tokio::test]
async fn wrong_passphrase_and_several_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = local(tmp.path());
    let repo = init(storage.clone(), "first").await;
    let err = Repository::open(storage.clone(), Some("nope"), "h".into())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WrongPassphrase), "{err}");
    assert!(err.to_string().contains("wrong passphrase"));

    let second = strongbox::commands::key::add(&repo, "first", "second", fast_kdf(), "u".into())
        .await
        .unwrap();
    assert!(
        strongbox::commands::key::add(&repo, "bad", "x", fast_kdf(), "u".into())
            .await
            .is_err()
    );
    let r2 = open(storage.clone(), "second").await;
    assert_eq!(r2.key_id, Some(second));
    assert_eq!(r2.config.id, repo.config.id);
    // The key in use and the last key are never removed.
    let e = strongbox::commands::key::remove(&r2, &second.to_hex()[..8])
        .await
        .unwrap_err();
    assert!(e.to_string().contains("opened the repository with"), "{e}");
    let first = repo.key_id.unwrap();
    strongbox::commands::key::remove(&r2, &first.to_hex())
        .await
        .unwrap();
    assert!(matches!(
        Repository::open(storage.clone(), Some("first"), "h".into()).await,
        Err(Error::WrongPassphrase)
    ));
    assert!(strongbox::commands::key::remove(&r2, &second.to_hex())
        .await
        .is_err());
}

#[tokio::test]
async fn unencrypted_repository_says_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = local(tmp.path());
    let opts = strongbox::repo::InitOptions {
        encrypted: false,
        ..small_opts()
    };
    let repo = Repository::init(storage.clone(), None, opts, "h".into(), "u".into())
        .await
        .unwrap();
    assert!(!repo.crypto.is_encrypted());
    let cfg: serde_json::Value =
        serde_json::from_slice(&storage.get(FileKind::Config, "config").await.unwrap()).unwrap();
    assert_eq!(cfg["encrypted"], false);
    let reopened = Repository::open(storage, None, "h".into()).await.unwrap();
    assert_eq!(reopened.config.id, repo.config.id);
}

/// Damage of every kind is detected, named, and mapped to snapshots.
#[tokio::test]
async fn damage_is_detected_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    let repo_dir = tmp.path().join("repo");
    let storage = local(&repo_dir);
    let repo = init(storage.clone(), "pw").await;
    let (sid, _) = backup_dir(&repo, &site).await;
    let packs = storage.list(FileKind::Pack).await.unwrap();
    assert!(packs.len() >= 3);
    let pack_path = |name: &str| repo_dir.join(FileKind::Pack.path(name));

    // 1. A bit flipped inside a pack: the structure looks fine, reading finds it.
    // A pack of file data (trees are read by the structural check too).
    let mut victim = None;
    for p in &packs {
        let entries = repo
            .read_pack_header(&Id::parse(&p.name).unwrap(), p.size)
            .await
            .unwrap();
        if entries
            .iter()
            .all(|e| e.blob_type == strongbox::pack::BlobType::Data)
        {
            victim = Some(p.name.clone());
            break;
        }
    }
    let victim = &victim.expect("a data pack");
    let mut bytes = std::fs::read(pack_path(victim)).unwrap();
    bytes[10] ^= 0x40;
    std::fs::write(pack_path(victim), &bytes).unwrap();
    let structural = check::run(&repo, &CheckOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(structural.ok(), "{:?}", structural.errors);
    let full = check::run(
        &repo,
        &CheckOptions {
            read_data: true,
            subset: None,
        },
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(!full.ok());
    assert!(
        full.errors.iter().any(|e| e.contains(victim.as_str())),
        "{:?}",
        full.errors
    );
    assert_eq!(full.damaged_snapshots, vec![sid.to_hex()]);
    bytes[10] ^= 0x40;
    std::fs::write(pack_path(victim), &bytes).unwrap();

    // 2. A truncated pack: found without reading data; restore fails clearly.
    std::fs::write(pack_path(victim), &bytes[..bytes.len() - 100]).unwrap();
    let r = check::run(&repo, &CheckOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(
        r.errors.iter().any(|e| e.contains("truncated or altered")),
        "{:?}",
        r.errors
    );
    assert_eq!(r.damaged_snapshots, vec![sid.to_hex()]);
    std::fs::write(pack_path(victim), &bytes).unwrap();

    // 3. A missing pack.
    std::fs::rename(pack_path(victim), tmp.path().join("moved")).unwrap();
    let r = check::run(&repo, &CheckOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.contains("missing from the storage")),
        "{:?}",
        r.errors
    );
    let out = tmp.path().join("out-missing");
    let e = restore_to(&repo, "latest", &out).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                kind: FileKind::Pack,
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string().contains(victim.as_str()) && e.to_string().contains("strongbox check"),
        "{e}"
    );
    std::fs::rename(tmp.path().join("moved"), pack_path(victim)).unwrap();

    // 4. A corrupt index file is named.
    let idx = storage.list(FileKind::Index).await.unwrap()[0].name.clone();
    let ipath = repo_dir.join(FileKind::Index.path(&idx));
    let orig = std::fs::read(&ipath).unwrap();
    let mut bad = orig.clone();
    bad[20] ^= 1;
    std::fs::write(&ipath, &bad).unwrap();
    let r = check::run(&repo, &CheckOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(
        r.errors.iter().any(|e| e.contains(&idx[..8])),
        "{:?}",
        r.errors
    );
    assert!(matches!(
        repo.load_index().await,
        Err(Error::HashMismatch { .. })
    ));
    std::fs::write(&ipath, &orig).unwrap();

    // 5. A corrupt snapshot is named; a missing one is "not found".
    let spath = repo_dir.join(FileKind::Snapshot.path(&sid.to_hex()));
    let orig = std::fs::read(&spath).unwrap();
    std::fs::write(&spath, &orig[..orig.len() / 2]).unwrap();
    let r = check::run(&repo, &CheckOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert!(
        r.errors.iter().any(|e| e.contains(&sid.short())),
        "{:?}",
        r.errors
    );
    std::fs::remove_file(&spath).unwrap();
    let e = repo.find_snapshot(&sid.to_hex()).await.unwrap_err();
    assert!(e.to_string().contains("no snapshot has this id"), "{e}");
    std::fs::write(&spath, &orig).unwrap();

    let r = check::run(
        &repo,
        &CheckOptions {
            read_data: false,
            subset: Some(Subset::Group(1, 2)),
        },
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(r.ok());
    assert!(r.packs_read >= 1 && r.packs_read < packs.len());
}

/// A file source that fails after a number of reads, like a killed process.
struct Failing<'a> {
    inner: LocalFiles,
    reads_left: &'a Cell<i64>,
    vanish: Option<&'static str>,
    change: Option<&'static str>,
}

#[async_trait::async_trait(?Send)]
impl FileSource for Failing<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn read_dir(&mut self, path: &[Vec<u8>]) -> strongbox::Result<Vec<FileEntry>> {
        self.inner.read_dir(path).await
    }
    async fn read(
        &mut self,
        path: &[Vec<u8>],
        offset: u64,
        len: u64,
    ) -> strongbox::Result<Vec<u8>> {
        let name = String::from_utf8_lossy(path.last().unwrap()).into_owned();
        if Some(name.as_str()) == self.vanish {
            return Err(Error::io(
                "reading",
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        }
        self.reads_left.set(self.reads_left.get() - 1);
        if self.reads_left.get() < 0 {
            return Err(Error::Storage {
                op: "reading",
                key: name,
                message: "connection reset".into(),
                status: None,
            });
        }
        self.inner.read(path, offset, len).await
    }
    async fn stat(&mut self, path: &[Vec<u8>]) -> strongbox::Result<Option<FileEntry>> {
        let mut e = self.inner.stat(path).await?;
        let name = String::from_utf8_lossy(path.last().unwrap()).into_owned();
        if Some(name.as_str()) == self.change {
            if let Some(e) = e.as_mut() {
                e.mtime_ns += 1;
            }
        }
        Ok(e)
    }
}

#[tokio::test]
async fn interrupted_backup_is_resumed_without_reuploading() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    for i in 0..6 {
        std::fs::write(site.join(format!("media{i}.bin")), noise(900_000, 10 + i)).unwrap();
    }
    let storage = local(&tmp.path().join("repo"));
    let repo = init(storage.clone(), "pw").await;
    let left = Cell::new(8);
    let mut src = Failing {
        inner: LocalFiles::new(&site).unwrap(),
        reads_left: &left,
        vanish: None,
        change: None,
    };
    let err = backup::run(
        &repo,
        Some(&mut src),
        None,
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
    assert!(
        storage.list(FileKind::Snapshot).await.unwrap().is_empty(),
        "no snapshot from a failed backup"
    );
    assert!(
        storage.list(FileKind::Lock).await.unwrap().is_empty(),
        "the lock is released"
    );
    let stored_before: u64 = storage
        .list(FileKind::Pack)
        .await
        .unwrap()
        .iter()
        .map(|o| o.size)
        .sum();
    assert!(
        stored_before > 1_000_000,
        "work before the failure was stored ({stored_before})"
    );
    let report = check::run(
        &repo,
        &CheckOptions {
            read_data: true,
            subset: None,
        },
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(
        report.ok(),
        "an interrupted backup leaves a valid repository: {:?}",
        report.errors
    );

    let (_, s) = backup_dir(&repo, &site).await;
    let total: u64 = storage
        .list(FileKind::Pack)
        .await
        .unwrap()
        .iter()
        .map(|o| o.size)
        .sum();
    assert!(s.stats.bytes_stored + stored_before <= total + 1);
    assert!(
        s.stats.bytes_stored < total - stored_before / 2,
        "resumed: {} new of {total}",
        s.stats.bytes_stored
    );
    let out = tmp.path().join("out");
    restore_to(&repo, "latest", &out).await.unwrap();
    assert_same_tree(&site, &out);
}

#[tokio::test]
async fn files_that_change_or_vanish_while_read_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    let repo = init(local(&tmp.path().join("repo")), "pw").await;
    let left = Cell::new(i64::MAX);
    let mut src = Failing {
        inner: LocalFiles::new(&site).unwrap(),
        reads_left: &left,
        vanish: Some("f1.php"),
        change: Some("f2.php"),
    };
    let (_, s) = backup::run(
        &repo,
        Some(&mut src),
        None,
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings);
    assert!(s
        .warnings
        .iter()
        .any(|w| w.contains("f1.php") && w.contains("vanished")));
    assert!(s
        .warnings
        .iter()
        .any(|w| w.contains("f2.php") && w.contains("changed while it was read")));
    assert_eq!(s.stats.files, 23);
}

struct CancelAfter(Cell<u32>);

impl Progress for CancelAfter {
    fn item(&self, _: Phase, _: &str, _: u64, _: u64) {
        self.0.set(self.0.get().saturating_sub(1));
    }
    fn bytes(&self, _: Phase, _: u64) {}
    fn cancelled(&self) -> bool {
        self.0.get() == 0
    }
}

#[tokio::test]
async fn cancel_leaves_a_valid_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    let storage = local(&tmp.path().join("repo"));
    let repo = init(storage.clone(), "pw").await;
    let mut src = LocalFiles::new(&site).unwrap();
    let err = backup::run(
        &repo,
        Some(&mut src),
        None,
        &BackupOptions::default(),
        &CancelAfter(Cell::new(5)),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Cancelled));
    assert!(storage.list(FileKind::Snapshot).await.unwrap().is_empty());
    assert!(
        !storage.list(FileKind::Index).await.unwrap().is_empty(),
        "work done before the cancel is indexed"
    );
    let r = check::run(
        &repo,
        &CheckOptions {
            read_data: true,
            subset: None,
        },
        &NoProgress,
    )
    .await
    .unwrap();
    assert!(r.ok(), "{:?}", r.errors);
}

#[tokio::test]
async fn exclusive_locks_exclude_and_stale_locks_do_not() {
    let storage: Arc<dyn Storage> = Arc::new(strongbox::storage::memory::MemoryStorage::new());
    let repo = init(storage.clone(), "pw").await;
    let shared = Lock::acquire(&repo, false, "backup").await.unwrap();
    let other = Lock::acquire(&repo, false, "backup").await.unwrap();
    let e = Lock::acquire(&repo, true, "prune").await.unwrap_err();
    assert!(matches!(e, Error::Locked { .. }));
    assert!(e.to_string().contains("backup on test-host"), "{e}");
    shared.release(&repo).await.unwrap();
    other.release(&repo).await.unwrap();
    let ex = Lock::acquire(&repo, true, "prune").await.unwrap();
    assert!(Lock::acquire(&repo, false, "backup").await.is_err());
    ex.release(&repo).await.unwrap();
    // A lock from two hours ago is stale: ignored and removed.
    let old = strongbox::repo::lock::LockFile {
        time: chrono::Utc::now() - chrono::Duration::hours(2),
        exclusive: true,
        hostname: "gone".into(),
        pid: 1,
        operation: "prune".into(),
    };
    repo.save_json(FileKind::Lock, &old).await.unwrap();
    let l = Lock::acquire(&repo, true, "prune").await.unwrap();
    l.release(&repo).await.unwrap();
    assert!(storage.list(FileKind::Lock).await.unwrap().is_empty());
}

#[tokio::test]
async fn dump_files_back_up_and_restore_as_sql() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("shop.sql");
    let mut sql = String::from("/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `wp_options` (\n  `option_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n  `option_name` varchar(191) NOT NULL DEFAULT '',\n  `option_value` longtext NOT NULL,\n  PRIMARY KEY (`option_id`)\n) ENGINE=InnoDB;\n");
    for batch in 0..3 {
        sql.push_str("INSERT INTO `wp_options` VALUES ");
        let rows: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    "({},'opt_{}','v;a\\'l(ue) {} 🛒')",
                    batch * 500 + i + 1,
                    i,
                    i
                )
            })
            .collect();
        sql.push_str(&rows.join(","));
        sql.push_str(";\n");
    }
    std::fs::write(&dump, &sql).unwrap();
    let repo = init(local(&tmp.path().join("repo")), "pw").await;
    let mut src = strongbox::db::dump::DumpSource::open(&dump).unwrap();
    let (_, s) = backup::run(
        &repo,
        None,
        Some(&mut src),
        &BackupOptions::default(),
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(s.stats.tables, 1);
    assert_eq!(s.stats.rows, 1500);
    let index = repo.load_index().await.unwrap();
    let db = s.database.unwrap();
    assert_eq!(db.consistency, "dump");
    let m: strongbox::db::TableManifest = repo
        .read_json_blob(&index, &db.tables[0].manifest)
        .await
        .unwrap();
    let mut sink = strongbox::db::restore::ScriptSink { out: Vec::new() };
    let rows = strongbox::db::restore::restore_table(
        &repo,
        &index,
        &m,
        "wp_options",
        &mut sink,
        10_000,
        &NoProgress,
    )
    .await
    .unwrap();
    assert_eq!(rows, 1500);
    let text = String::from_utf8(sink.out).unwrap();
    assert!(text.starts_with("DROP TABLE IF EXISTS `wp_options`;\nCREATE TABLE `wp_options` ("));
    assert!(
        text.matches("INSERT INTO `wp_options` VALUES ").count() > 5,
        "statements are split by size"
    );
    assert!(text.contains("(1500,'opt_499','v;a\\'l(ue) 499 🛒')"));
}

#[tokio::test]
async fn a_plain_config_beside_key_files_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = local(tmp.path());
    let repo = init(storage.clone(), "pw").await;
    // An attacker with write access replaces the sealed config with a plain one.
    let mut cfg = repo.config.clone();
    cfg.encrypted = false;
    cfg.mac_key = Some("A".repeat(43) + "=");
    std::fs::write(tmp.path().join("config"), serde_json::to_vec(&cfg).unwrap()).unwrap();
    let e = Repository::open(storage, None, "h".into())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tampered"), "{e}");
}

#[tokio::test]
async fn a_crafted_tree_cannot_write_outside_the_target() {
    use strongbox::pack::BlobType;
    use strongbox::repo::Saver;
    use strongbox::tree::{Node, NodeKind, Tree};
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let repo = init(local(&tmp.path().join("repo")), "pw").await;
    let mut saver = Saver::new(&repo, repo.load_index().await.unwrap());
    let (content, _) = saver.save(BlobType::Data, b"pwned", false).await.unwrap();
    let node = |name: &str, kind| Node {
        name: name.into(),
        name_raw: None,
        kind,
        mode: 0o755,
        mtime_ns: 0,
        size: 0,
        content: vec![],
        subtree: None,
        target: None,
        target_raw: None,
    };
    let inner = Tree {
        nodes: vec![Node {
            size: 5,
            content: vec![content],
            ..node("evil.txt", NodeKind::File)
        }],
    };
    let (inner_id, _) = saver
        .save(BlobType::Tree, &serde_json::to_vec(&inner).unwrap(), false)
        .await
        .unwrap();
    let root = Tree {
        nodes: vec![
            Node {
                target: Some(outside.display().to_string()),
                ..node("a", NodeKind::Symlink)
            },
            Node {
                subtree: Some(inner_id),
                ..node("a", NodeKind::Dir)
            },
        ],
    };
    let (root_id, _) = saver
        .save(BlobType::Tree, &serde_json::to_vec(&root).unwrap(), false)
        .await
        .unwrap();
    let (index, _) = saver.finish().await.unwrap();
    let mut t = LocalTarget::new(&tmp.path().join("target"), true);
    let e = restore_files(&repo, &index, &root_id, &[], &mut t, &NoProgress)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("twice"), "{e}");
    assert!(!outside.join("evil.txt").exists());

    // A symlink already in the target is not followed either.
    let target = tmp.path().join("target2");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("a")).unwrap();
    let only_dir = Tree {
        nodes: vec![Node {
            subtree: Some(inner_id),
            ..node("a", NodeKind::Dir)
        }],
    };
    let mut saver = Saver::new(&repo, index);
    let (dir_id, _) = saver
        .save(
            BlobType::Tree,
            &serde_json::to_vec(&only_dir).unwrap(),
            false,
        )
        .await
        .unwrap();
    let (index, _) = saver.finish().await.unwrap();
    let mut t = LocalTarget::new(&target, true);
    let e = restore_files(&repo, &index, &dir_id, &[], &mut t, &NoProgress)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("symlink"), "{e}");
    assert!(!outside.join("evil.txt").exists());
}

#[tokio::test]
async fn parallel_restore_writers_keep_folders_times_and_refusals() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    make_site(&site);
    // Many files in many folders, so every writer gets work; a read-only
    // folder with files inside (its mode can only be set once they are in);
    // folder times that writing the files would change.
    for d in 0..12 {
        let dir = site.join(format!("wp-content/cache/d{d}"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..25 {
            let body: Vec<u8> = (0..(f * 997 + d * 13))
                .map(|i| ((i * 31 + f) % 251) as u8)
                .collect();
            std::fs::write(dir.join(format!("f{f}.bin")), body).unwrap();
        }
    }
    let ro = site.join("wp-content/readonly");
    std::fs::create_dir_all(&ro).unwrap();
    std::fs::write(ro.join("a.txt"), b"locked").unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    for d in ["wp-content/cache/d3", "wp-content/readonly", "wp-content"] {
        std::fs::File::open(site.join(d))
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();

    let repo = init(local(&tmp.path().join("repo")), "pw").await;
    let (_, snap) = backup_dir(&repo, &site).await;
    let tree = snap.files.unwrap().tree;
    let index = repo.load_index().await.unwrap();
    for writers in [1, 3] {
        let out = tmp.path().join(format!("out{writers}"));
        let mut t = LocalTarget::with_writers(&out, false, writers);
        let st = restore_files(&repo, &index, &tree, &[], &mut t, &NoProgress)
            .await
            .unwrap();
        assert_eq!(st.files, snap.stats.files);
        assert_same_tree(&site, &out);
        for d in ["wp-content/cache/d3", "wp-content/readonly", "wp-content"] {
            let m = std::fs::metadata(out.join(d)).unwrap();
            assert_eq!(m.modified().unwrap(), old, "{d} with {writers} writers");
        }
        assert_eq!(
            std::fs::metadata(out.join("wp-content/readonly"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o555
        );
    }

    // Without --overwrite an existing file is an error that names it, found
    // by a writer thread and reported by the restore; the file is kept.
    let out = tmp.path().join("busy");
    std::fs::create_dir_all(out.join("wp-content/cache/d7")).unwrap();
    std::fs::write(out.join("wp-content/cache/d7/f4.bin"), b"mine").unwrap();
    let mut t = LocalTarget::with_writers(&out, false, 3);
    let e = restore_files(&repo, &index, &tree, &[], &mut t, &NoProgress)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("f4.bin") && e.to_string().contains("exists"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(out.join("wp-content/cache/d7/f4.bin")).unwrap(),
        b"mine"
    );
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    for writers in [1, 3] {
        let p = tmp.path().join(format!("out{writers}/wp-content/readonly"));
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}
