//! The browser build, run by wasm-bindgen-test in Node and in headless
//! Chromium (`scripts/test-wasm`):
//! `cargo test --target wasm32-unknown-unknown --test web`.
//!
//! - WebCrypto produces the bytes the Rust code produces (so a repository
//!   written in the browser is read natively and the other way round).
//! - A whole repository life (init, backup of blobs, snapshot, check with
//!   read-data, wrong passphrase) works in wasm on in-memory storage.
//! - The Engine binding refuses bad options with a coded JS error.

#![cfg(target_arch = "wasm32")]

use std::sync::Arc;

use strongbox::crypto::{self, keyfile::KdfParams, Crypto, MasterKey};
use strongbox::pack::BlobType;
use strongbox::repo::saver::Saver;
use strongbox::repo::{InitOptions, Repository};
use strongbox::storage::memory::MemoryStorage;
use strongbox::storage::{DynStorage, FileKind, Storage};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

fn sample(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x % 7) as u8 + b'a'
        })
        .collect()
}

#[wasm_bindgen_test]
async fn webcrypto_matches_the_rust_code() {
    assert!(
        crypto::webcrypto::available(),
        "WebCrypto (crypto.subtle) is missing in this runtime"
    );
    let key = MasterKey::generate().unwrap();
    let c = Crypto::new(&key);
    for len in [0usize, 1, 15, 16, 17, 4096, 1 << 20] {
        let data = sample(len, len as u32 + 1);
        // Blob ids: WebCrypto HMAC == Rust HMAC.
        assert_eq!(
            c.blob_id_async(&data).await,
            c.blob_id(&data),
            "hmac, {len} bytes"
        );
        // Object names: WebCrypto SHA-256 == Rust SHA-256.
        assert_eq!(
            crypto::sha256_async(&data).await,
            crypto::sha256(&data),
            "sha256"
        );
        // Sealed by WebCrypto, opened by Rust; sealed by Rust, opened by WebCrypto.
        let web = c.seal_async(&data).await.unwrap();
        assert_eq!(web.len(), data.len() + crypto::ENVELOPE_OVERHEAD);
        assert_eq!(
            c.open(&web, &String::new).unwrap(),
            data,
            "rust opens webcrypto"
        );
        let rust = c.seal(&data).unwrap();
        assert_eq!(c.open_async(&rust, &String::new).await.unwrap(), data);
        // A flipped bit is refused by both.
        let mut bad = web.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(c.open_async(&bad, &String::new).await.is_err());
        assert!(c.open(&bad, &String::new).is_err());
    }
}

fn fast_init() -> InitOptions {
    InitOptions {
        // The smallest Argon2id parameters the key file accepts keep the
        // test fast; the format is the same.
        kdf: KdfParams {
            m_cost: 8 * 1024,
            t_cost: 1,
            p_cost: 1,
        },
        ..InitOptions::default()
    }
}

#[wasm_bindgen_test]
async fn a_repository_lives_in_wasm() {
    let mem = Arc::new(MemoryStorage::new());
    let storage: DynStorage = mem.clone();
    let repo = Repository::init(
        storage.clone(),
        Some("pw"),
        fast_init(),
        "wasm".into(),
        "t".into(),
    )
    .await
    .unwrap();
    let mut saver = Saver::new(&repo, repo.load_index().await.unwrap());
    let blobs: Vec<Vec<u8>> = (0..40)
        .map(|i| sample(50_000 + i * 977, i as u32))
        .collect();
    let mut ids = Vec::new();
    for b in &blobs {
        ids.push(saver.save(BlobType::Data, b, false).await.unwrap().0);
    }
    // Saving again stores nothing new.
    assert!(
        !saver
            .save(BlobType::Data, &blobs[3], false)
            .await
            .unwrap()
            .1
    );
    saver.finish().await.unwrap();

    let reopened = Repository::open(storage.clone(), Some("pw"), "wasm".into())
        .await
        .unwrap();
    let index = reopened.load_index().await.unwrap();
    for (id, b) in ids.iter().zip(&blobs) {
        assert_eq!(&reopened.read_blob(&index, id).await.unwrap(), b);
    }
    // Every stored pack is named by the SHA-256 of its bytes.
    for o in mem.list(FileKind::Pack).await.unwrap() {
        let bytes = mem.get(FileKind::Pack, &o.name).await.unwrap();
        assert_eq!(crypto::sha256(&bytes).to_hex(), o.name);
    }
    let report = strongbox::commands::check::run(
        &reopened,
        &strongbox::commands::check::CheckOptions {
            read_data: true,
            subset: None,
        },
        &strongbox::progress::NoProgress,
    )
    .await
    .unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let wrong = Repository::open(storage, Some("not the passphrase"), "wasm".into()).await;
    assert!(matches!(wrong, Err(strongbox::Error::WrongPassphrase)));
}

#[wasm_bindgen_test]
fn the_engine_refuses_bad_options_with_a_code() {
    let err = strongbox::web::Engine::new(JsValue::from_str("nonsense"))
        .err()
        .expect("must fail");
    let msg = js_sys::Reflect::get(&err, &"message".into()).unwrap();
    assert!(msg.as_string().unwrap().contains("Engine options"));
    let code = js_sys::Reflect::get(&err, &"code".into()).unwrap();
    assert_eq!(code.as_string().as_deref(), Some("error"));
    let opts =
        js_sys::JSON::parse(r#"{"restUrl":"ftp://x/","nonce":"n","destinationId":"d1","jobId":1}"#)
            .unwrap();
    assert!(strongbox::web::Engine::new(opts).is_err(), "ftp is refused");
}

/// A compressor that answers later (as a worker pool does), through the
/// same JS-facing entry point the workers use.
struct LaterCompress;

impl strongbox::repo::Compress for LaterCompress {
    fn start(
        &self,
        level: u32,
        data: &[u8],
        incompressible: bool,
    ) -> futures::future::LocalBoxFuture<'static, strongbox::Result<Option<Vec<u8>>>> {
        let out = strongbox::web::deflate(level, data, incompressible);
        Box::pin(async move {
            // Yield to the event loop first, like a worker's answer.
            let p = js_sys::Promise::resolve(&JsValue::NULL);
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
            Ok(out)
        })
    }

    fn parallelism(&self) -> usize {
        4
    }
}

#[wasm_bindgen_test]
async fn offloaded_compression_writes_the_same_repository_content() {
    let mem = Arc::new(MemoryStorage::new());
    let storage: DynStorage = mem.clone();
    let repo = Repository::init(
        storage.clone(),
        Some("pw"),
        fast_init(),
        "wasm".into(),
        "t".into(),
    )
    .await
    .unwrap();
    repo.offload.set(Some(std::rc::Rc::new(LaterCompress)));
    let mut saver = Saver::new(&repo, repo.load_index().await.unwrap());
    let blobs: Vec<Vec<u8>> = (0..30)
        .map(|i| sample(70_000 + i * 501, i as u32))
        .collect();
    let mut ids = Vec::new();
    for b in &blobs {
        ids.push(saver.save(BlobType::Data, b, false).await.unwrap().0);
    }
    // A duplicate while its first copy is still in flight is not stored twice.
    assert!(
        !saver
            .save(BlobType::Data, &blobs[29], false)
            .await
            .unwrap()
            .1
    );
    let (_, stats) = saver.finish().await.unwrap();
    assert_eq!(stats.blobs_new, 30);
    assert!(
        stats.bytes_stored < stats.bytes_new,
        "the blobs were deflated"
    );
    let index = repo.load_index().await.unwrap();
    for (id, b) in ids.iter().zip(&blobs) {
        assert_eq!(&repo.read_blob(&index, id).await.unwrap(), b);
        // Ids do not depend on where compression ran.
        assert_eq!(*id, repo.crypto.blob_id(b));
    }
}
