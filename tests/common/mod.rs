//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use strongbox::crypto::keyfile::KdfParams;
use strongbox::repo::{InitOptions, Repository};
use strongbox::storage::DynStorage;

/// Fast Argon2 parameters for tests (the format accepts them; the default
/// is far stronger).
pub fn fast_kdf() -> KdfParams {
    KdfParams {
        m_cost: 8 * 1024,
        t_cost: 1,
        p_cost: 1,
    }
}

/// Small packs and chunks so a few MB exercise many packs and blobs.
pub fn small_opts() -> InitOptions {
    InitOptions {
        kdf: fast_kdf(),
        pack_size: 1024 * 1024,
        chunker: strongbox::chunker::ChunkerParams {
            min: 16 * 1024,
            avg: 64 * 1024,
            max: 256 * 1024,
            seed: 0,
        },
        ..InitOptions::default()
    }
}

pub async fn init(storage: DynStorage, pass: &str) -> Repository {
    Repository::init(
        storage,
        Some(pass),
        small_opts(),
        "test-host".into(),
        "tester".into(),
    )
    .await
    .expect("init")
}

pub async fn open(storage: DynStorage, pass: &str) -> Repository {
    Repository::open(storage, Some(pass), "test-host".into())
        .await
        .expect("open")
}

pub fn local(dir: &Path) -> DynStorage {
    Arc::new(strongbox::storage::local::LocalStorage::new(dir))
}

/// Deterministic pseudo-random bytes.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// A small site tree: code, media, a symlink, a non-UTF-8 name.
pub fn make_site(root: &Path) {
    use std::os::unix::ffi::OsStrExt;
    std::fs::create_dir_all(root.join("wp-content/uploads/2026/11")).unwrap();
    std::fs::create_dir_all(root.join("wp-content/plugins/shop")).unwrap();
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(noise(700_000, 1));
    std::fs::write(root.join("wp-content/uploads/2026/11/photo.jpg"), &jpeg).unwrap();
    for i in 0..20 {
        let code = format!("<?php\n// plugin file {i}\nfunction shop_{i}() {{ return {i}; }}\n")
            .repeat(300);
        std::fs::write(root.join(format!("wp-content/plugins/shop/f{i}.php")), code).unwrap();
    }
    std::fs::write(
        root.join("index.php"),
        b"<?php require 'wp-blog-header.php';\n",
    )
    .unwrap();
    std::fs::write(root.join("big.bin"), noise(3_000_000, 2)).unwrap();
    std::os::unix::fs::symlink("index.php", root.join("link.php")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9-\x01.txt");
    std::fs::write(root.join(odd), b"latin-1 name").unwrap();
}

/// Compares two folders recursively (content, symlink targets, modes).
pub fn assert_same_tree(a: &Path, b: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut ea: Vec<_> = std::fs::read_dir(a)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let mut eb: Vec<_> = std::fs::read_dir(b)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    ea.sort();
    eb.sort();
    assert_eq!(ea, eb, "entries of {} and {}", a.display(), b.display());
    for n in ea {
        let (pa, pb) = (a.join(&n), b.join(&n));
        let (ma, mb) = (
            pa.symlink_metadata().unwrap(),
            pb.symlink_metadata().unwrap(),
        );
        assert_eq!(ma.file_type().is_symlink(), mb.file_type().is_symlink());
        if ma.file_type().is_symlink() {
            assert_eq!(
                std::fs::read_link(&pa).unwrap(),
                std::fs::read_link(&pb).unwrap()
            );
        } else if ma.is_dir() {
            assert_same_tree(&pa, &pb);
        } else {
            assert_eq!(
                std::fs::read(&pa).unwrap(),
                std::fs::read(&pb).unwrap(),
                "{}",
                pa.display()
            );
            assert_eq!(
                ma.permissions().mode() & 0o7777,
                mb.permissions().mode() & 0o7777
            );
            assert_eq!(
                ma.modified().unwrap(),
                mb.modified().unwrap(),
                "mtime of {}",
                pa.display()
            );
        }
    }
}

/// Restores the files of snapshot `snap` (id prefix or `latest`) into `out`.
pub async fn restore_to(repo: &Repository, snap: &str, out: &Path) -> strongbox::Result<()> {
    let index = repo.load_index().await?;
    let (_, s) = repo.find_snapshot(snap).await?;
    let files = s
        .files
        .ok_or_else(|| strongbox::Error::Invalid("the snapshot holds no files".into()))?;
    let mut t = strongbox::native::fs::LocalTarget::new(out, false);
    strongbox::commands::restore::restore_files(
        repo,
        &index,
        &files.tree,
        &[],
        &mut t,
        &strongbox::progress::NoProgress,
    )
    .await
    .map(|_| ())
}
