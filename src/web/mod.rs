//! The engine in the browser: wasm-bindgen bindings over the same core the
//! CLI uses (compiled only for wasm32).
//!
//! JavaScript (a module Web Worker, `plugin/strongbox/assets/js/engine-worker.js`)
//! creates one [`Engine`] per job. Site data comes from the plugin's REST
//! API ([`crate::site`]) with the admin's cookie and nonce; storage is
//! reached through URLs the plugin presigns, so the storage secret never
//! reaches the browser. Results are plain JS objects (JSON-shaped); errors
//! are `Error` objects with a `code` (see [`error_code`]) and a message in
//! plain words.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::LocalBoxFuture;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::commands::check::{self, CheckOptions};
use crate::error::Error;
use crate::progress::{Phase, Progress};
use crate::repo::{Compress, InitOptions, Repository};
use crate::site::presign::SitePresigner;
use crate::site::{self, Auth, SiteClient};
use crate::storage::retry::Retrying;
use crate::storage::DynStorage;

/// The `code` of a JS error for a core error ([`Error::code`]).
pub fn error_code(e: &Error) -> &'static str {
    e.code()
}

fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    let _ = js_sys::Reflect::set(&err, &"code".into(), &error_code(e).into());
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v).map_err(|e| js_error(&Error::Invalid(e.to_string())))?;
    js_sys::JSON::parse(&text)
}

fn from_js<T: for<'de> Deserialize<'de>>(v: &JsValue, what: &str) -> Result<T, JsValue> {
    let text: String = if v.is_undefined() || v.is_null() {
        "{}".into()
    } else {
        js_sys::JSON::stringify(v)?.into()
    };
    serde_json::from_str(&text).map_err(|e| js_error(&Error::Invalid(format!("{what}: {e}"))))
}

/// Options of `new Engine(...)`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EngineOptions {
    rest_url: String,
    nonce: String,
    destination_id: String,
    #[serde(deserialize_with = "u64_or_string")]
    job_id: u64,
}

/// Ids come as numbers or numeric strings from the REST API.
fn u64_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| serde::de::Error::custom("not a positive integer")),
        serde_json::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
        _ => Err(serde::de::Error::custom("not an id")),
    }
}

/// Progress as JS events: `{phase, item, items_done, items_total,
/// bytes_done, bytes_total, rate, eta_seconds}`, at most every 100 ms.
struct JsProgress {
    callback: RefCell<Option<js_sys::Function>>,
    cancel: Cell<bool>,
    started: Cell<f64>,
    last: Cell<f64>,
    phase: Cell<Phase>,
    item: RefCell<String>,
    items: Cell<(u64, u64)>,
    bytes: Cell<u64>,
    bytes_total: Cell<u64>,
}

#[derive(Serialize)]
struct ProgressEvent<'a> {
    phase: &'a str,
    item: &'a str,
    items_done: u64,
    items_total: u64,
    bytes_done: u64,
    bytes_total: u64,
    rate: f64,
    eta_seconds: Option<f64>,
}

impl JsProgress {
    fn new() -> JsProgress {
        JsProgress {
            callback: RefCell::new(None),
            cancel: Cell::new(false),
            started: Cell::new(0.0),
            last: Cell::new(0.0),
            phase: Cell::new(Phase::Files),
            item: RefCell::new(String::new()),
            items: Cell::new((0, 0)),
            bytes: Cell::new(0),
            bytes_total: Cell::new(0),
        }
    }

    fn reset(&self, bytes_total: u64) {
        self.cancel.set(false);
        self.started.set(js_sys::Date::now());
        self.last.set(0.0);
        self.bytes.set(0);
        self.bytes_total.set(bytes_total);
        self.items.set((0, 0));
        self.item.borrow_mut().clear();
    }

    fn emit(&self, force: bool) {
        let now = js_sys::Date::now();
        if !force && now - self.last.get() < 100.0 {
            return;
        }
        self.last.set(now);
        let Some(cb) = self.callback.borrow().clone() else {
            return;
        };
        let secs = ((now - self.started.get()) / 1000.0).max(0.001);
        let bytes = self.bytes.get();
        let rate = bytes as f64 / secs;
        let total = self.bytes_total.get();
        let (done, items_total) = self.items.get();
        let eta = if total > bytes && rate > 0.0 {
            Some((total - bytes) as f64 / rate)
        } else if items_total > done && done > 0 {
            Some(secs * (items_total - done) as f64 / done as f64)
        } else {
            None
        };
        let item = self.item.borrow();
        let ev = ProgressEvent {
            phase: self.phase.get().label(),
            item: &item,
            items_done: done,
            items_total,
            bytes_done: bytes,
            bytes_total: total,
            rate,
            eta_seconds: eta,
        };
        if let Ok(v) = to_js(&ev) {
            let _ = cb.call1(&JsValue::UNDEFINED, &v);
        }
    }
}

impl Progress for JsProgress {
    fn item(&self, phase: Phase, name: &str, done: u64, total: u64) {
        self.phase.set(phase);
        name.clone_into(&mut self.item.borrow_mut());
        self.items.set((done, total));
        self.emit(false);
    }

    fn bytes(&self, phase: Phase, n: u64) {
        self.phase.set(phase);
        self.bytes.set(self.bytes.get() + n);
        self.emit(false);
    }

    fn total(&self, bytes: u64) {
        self.bytes_total.set(bytes);
    }

    fn cancelled(&self) -> bool {
        self.cancel.get()
    }
}

/// Compression in a pool of workers: a JS function
/// `(level, incompressible, Uint8Array) => Promise<Uint8Array | null>`.
struct JsCompress {
    f: js_sys::Function,
    parallelism: usize,
}

impl Compress for JsCompress {
    fn start(
        &self,
        level: u32,
        data: &[u8],
        incompressible: bool,
    ) -> LocalBoxFuture<'static, Result<Option<Vec<u8>>, Error>> {
        let called = self.f.call3(
            &JsValue::UNDEFINED,
            &JsValue::from(level),
            &JsValue::from(incompressible),
            &js_sys::Uint8Array::from(data).into(),
        );
        let promise = called.and_then(|v| v.dyn_into::<js_sys::Promise>());
        async move {
            let fail = |e: JsValue| Error::Invalid(format!("a compression worker failed: {e:?}"));
            let v = JsFuture::from(promise.map_err(fail)?).await.map_err(fail)?;
            if v.is_null() || v.is_undefined() {
                Ok(None)
            } else {
                Ok(Some(js_sys::Uint8Array::new(&v).to_vec()))
            }
        }
        .boxed_local()
    }

    fn parallelism(&self) -> usize {
        self.parallelism
    }
}

/// Deflates one blob as the saver would (for compression workers): the
/// deflated bytes, or `undefined` to store it as is.
#[wasm_bindgen]
pub fn deflate(level: u32, data: &[u8], incompressible: bool) -> Option<Vec<u8>> {
    crate::compress::compress(data, level, incompressible)
}

struct Inner {
    compressor: RefCell<Option<Rc<dyn Compress>>>,
    client: Arc<SiteClient>,
    destination: String,
    job: u64,
    progress: JsProgress,
    repo: RefCell<Option<Rc<Repository>>>,
    /// The index and the snapshot the last snapshot-contents call read
    /// (`listTree`, `readFile`, `exportTable` are called many times for
    /// one snapshot: loading every index file each time cost 0.3 s a file).
    browsing: RefCell<Option<Browsing>>,
    host: String,
}

/// See [`Inner::browsing`].
type Browsing = (
    String,
    Rc<crate::index::Index>,
    crate::id::Id,
    Rc<crate::snapshot::Snapshot>,
);

impl Inner {
    /// The index and snapshot `spec` names, loaded once per engine while the
    /// same snapshot is browsed. A snapshot and the blobs it references
    /// never change, so the cached index stays valid for it.
    async fn snapshot_for_reading(
        &self,
        repo: &Repository,
        spec: &str,
    ) -> Result<
        (
            Rc<crate::index::Index>,
            crate::id::Id,
            Rc<crate::snapshot::Snapshot>,
        ),
        Error,
    > {
        if let Some((cached, index, id, snap)) = self.browsing.borrow().as_ref() {
            if cached == spec && spec != "latest" {
                return Ok((index.clone(), *id, snap.clone()));
            }
        }
        let (index, id, snap) = crate::commands::backup::load_for_read(repo, spec).await?;
        let (index, snap) = (Rc::new(index), Rc::new(snap));
        *self.browsing.borrow_mut() = Some((spec.to_string(), index.clone(), id, snap.clone()));
        Ok((index, id, snap))
    }

    async fn storage(&self) -> Result<DynStorage, Error> {
        let (_, s3) =
            SitePresigner::storage(self.client.clone(), &self.destination, self.job).await?;
        // The repository's storage type is an `Arc` on both targets; in the
        // browser nothing crosses threads.
        #[allow(clippy::arc_with_non_send_sync)]
        let storage: DynStorage = Arc::new(Retrying::new(s3, 4, Duration::from_millis(500)));
        Ok(storage)
    }

    fn repo(&self) -> Result<Rc<Repository>, Error> {
        self.repo.borrow().clone().ok_or_else(|| {
            Error::Invalid("the repository is not open: call open(passphrase) first".into())
        })
    }
}

/// One job's engine: `new Engine({restUrl, nonce, destinationId, jobId})`.
#[wasm_bindgen]
pub struct Engine {
    inner: Rc<Inner>,
}

fn run<F, T>(inner: &Rc<Inner>, fut: F) -> js_sys::Promise
where
    F: std::future::Future<Output = Result<T, Error>> + 'static,
    T: Serialize,
{
    let inner = inner.clone();
    future_to_promise(async move {
        let out = fut.await;
        inner.progress.emit(true);
        match out {
            Ok(v) => to_js(&v),
            Err(e) => Err(js_error(&e)),
        }
    })
}

#[wasm_bindgen]
impl Engine {
    /// A new engine for one job.
    ///
    /// # Errors
    /// A JS error for missing or invalid options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Engine, JsValue> {
        let o: EngineOptions = from_js(&options, "Engine options")?;
        let client = SiteClient::new(&o.rest_url, Auth::Nonce(Mutex::new(o.nonce)))
            .map_err(|e| js_error(&e))?;
        let host = client.base().host_str().unwrap_or("browser").to_string();
        Ok(Engine {
            inner: Rc::new(Inner {
                compressor: RefCell::new(None),
                client: Arc::new(client),
                destination: o.destination_id,
                job: o.job_id,
                progress: JsProgress::new(),
                repo: RefCell::new(None),
                browsing: RefCell::new(None),
                host,
            }),
        })
    }

    /// Sets the progress callback.
    #[wasm_bindgen(js_name = onProgress)]
    pub fn on_progress(&self, callback: js_sys::Function) {
        *self.inner.progress.callback.borrow_mut() = Some(callback);
    }

    /// Replaces the `wp_rest` nonce.
    #[wasm_bindgen(js_name = setNonce)]
    pub fn set_nonce(&self, nonce: &str) {
        self.inner.client.set_nonce(nonce);
    }

    /// Asks the running call to stop; it rejects with code `cancelled` and
    /// leaves the repository valid.
    pub fn cancel(&self) {
        self.inner.progress.cancel.set(true);
    }

    /// Compresses in a pool of workers: `compress(level, incompressible,
    /// bytes)` returns a promise of the deflated bytes or `null`;
    /// `parallelism` blobs are kept in flight. `null` compresses inline.
    #[wasm_bindgen(js_name = setCompressor)]
    pub fn set_compressor(&self, compress: Option<js_sys::Function>, parallelism: usize) {
        let c: Option<Rc<dyn Compress>> = compress.map(|f| {
            Rc::new(JsCompress {
                f,
                parallelism: parallelism.max(1),
            }) as Rc<dyn Compress>
        });
        if let Some(repo) = self.inner.repo.borrow().as_ref() {
            repo.offload.set(c.clone());
        }
        *self.inner.compressor.borrow_mut() = c;
    }

    /// Bytes of WebAssembly memory this engine's instance holds (it never
    /// shrinks: the high-water mark).
    #[wasm_bindgen(js_name = memoryBytes)]
    pub fn memory_bytes(&self) -> f64 {
        wasm_bindgen::memory()
            .dyn_into::<js_sys::WebAssembly::Memory>()
            .map(|m| f64::from(js_sys::ArrayBuffer::from(m.buffer()).byte_length()))
            .unwrap_or(0.0)
    }

    /// Whether WebCrypto is used for AES-GCM, HMAC and SHA-256.
    #[wasm_bindgen(js_name = usesWebCrypto)]
    pub fn uses_web_crypto(&self) -> bool {
        crate::crypto::webcrypto::available()
    }

    /// Creates the repository at the destination.
    pub fn init(&self, passphrase: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        run(&self.inner, async move {
            let storage = inner.storage().await?;
            let repo = Repository::init(
                storage,
                Some(&passphrase),
                InitOptions::default(),
                inner.host.clone(),
                "wp-admin".into(),
            )
            .await?;
            let out = serde_json::json!({"repository_id": repo.config.id, "key_id": repo.key_id.map(|k| k.to_hex()), "encrypted": repo.config.encrypted});
            repo.offload.set(inner.compressor.borrow().clone());
            *inner.repo.borrow_mut() = Some(Rc::new(repo));
            *inner.browsing.borrow_mut() = None;
            Ok(out)
        })
    }

    /// Opens the repository; a wrong passphrase is refused before any data
    /// moves.
    pub fn open(&self, passphrase: String) -> js_sys::Promise {
        let inner = self.inner.clone();
        run(&self.inner, async move {
            let storage = inner.storage().await?;
            let repo = Repository::open(storage, Some(&passphrase), inner.host.clone()).await?;
            let out = serde_json::json!({"repository_id": repo.config.id, "key_id": repo.key_id.map(|k| k.to_hex()), "encrypted": repo.config.encrypted});
            repo.offload.set(inner.compressor.borrow().clone());
            *inner.repo.borrow_mut() = Some(Rc::new(repo));
            *inner.browsing.borrow_mut() = None;
            Ok(out)
        })
    }

    /// Backs up the site: `{files, database, trigger, excludes}`.
    pub fn backup(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        let opts: site::SiteBackupOptions = from_js(&options, "backup options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            inner.progress.reset(0);
            let (id, snap, traffic) =
                site::backup_site(&repo, &inner.client, &opts, &inner.progress).await?;
            let mut stats =
                serde_json::to_value(snap.stats).map_err(|e| Error::Invalid(e.to_string()))?;
            stats["bytes_from_site"] = traffic.bytes_from_site.into();
            stats["site_requests"] = traffic.site_requests.into();
            Ok(serde_json::json!({
                "snapshot_id": id.to_hex(),
                "short_id": id.short(),
                "stats": stats,
                "warnings": snap.warnings,
            }))
        }))
    }

    /// The snapshots, oldest first.
    pub fn snapshots(&self) -> js_sys::Promise {
        let inner = self.inner.clone();
        run(&self.inner, async move {
            let repo = inner.repo()?;
            let list = repo.list_snapshots().await?;
            Ok(list
                .into_iter()
                .map(|(id, s)| {
                    serde_json::json!({
                        "id": id.to_hex(),
                        "short_id": id.short(),
                        "time": s.time,
                        "end_time": s.end_time,
                        "trigger": s.trigger,
                        "hostname": s.hostname,
                        "stats": s.stats,
                        "site": s.site,
                        "files": s.files.is_some(),
                        "tables": s.database.as_ref().map(|d| d.tables.iter().map(|t| serde_json::json!({"name": t.name, "rows": t.rows})).collect::<Vec<_>>()).unwrap_or_default(),
                        "warnings": s.warnings.len(),
                    })
                })
                .collect::<Vec<_>>())
        })
    }

    /// Restores into an open restore session: `{snapshot, database, files,
    /// tables, paths, sessionId, sessionKey}`.
    pub fn restore(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        let opts: site::SiteRestoreOptions = from_js(&options, "restore options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            inner.progress.reset(0);
            site::restore_site(&repo, &inner.client, &opts, &inner.progress).await
        }))
    }

    /// Checks the repository: `{readData}`.
    pub fn check(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Opts {
            read_data: bool,
        }
        let o: Opts = from_js(&options, "check options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            inner.progress.reset(0);
            let report = check::run(
                &repo,
                &CheckOptions {
                    read_data: o.read_data,
                    subset: None,
                },
                &inner.progress,
            )
            .await?;
            let mut v = serde_json::to_value(&report).map_err(|e| Error::Invalid(e.to_string()))?;
            v["ok"] = report.errors.is_empty().into();
            Ok(v)
        }))
    }

    /// Runs a job claimed from `POST /runner/claim` (the admin tab's
    /// background runner): `{job, lease, now}`, the claim's answer. Opens
    /// the job's repository itself, heartbeats while it works, reports the
    /// result to the site, and resolves to the outcome `{state, error_code,
    /// error_message, result, lease_lost}`. Progress events flow as for
    /// backup; `cancel()` stops it at the next item.
    #[wasm_bindgen(js_name = runJob)]
    pub fn run_job(&self, claim: JsValue) -> Result<js_sys::Promise, JsValue> {
        let c: site::runner::Claim = from_js(&claim, "the claimed job")?;
        let (Some(job), Some(lease)) = (c.job, c.lease) else {
            return Err(js_error(&Error::Invalid(
                "runJob needs a claim with a job and its lease".into(),
            )));
        };
        let now = c.now.unwrap_or_else(chrono::Utc::now);
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            inner.progress.reset(0);
            let progress = site::runner::JobProgress::forwarding(&inner.progress);
            let outcome =
                site::runner::run_and_report(&inner.client, &job, &lease, now, &progress).await?;
            let mut v =
                serde_json::to_value(&outcome).map_err(|e| Error::Invalid(e.to_string()))?;
            v["lease_lost"] = progress.lease_lost().into();
            Ok(v)
        }))
    }

    /// Applies a retention policy `{policy: {keep_last, keep_hourly, ...,
    /// keep_within}, dryRun}`: which snapshots it keeps and why, and (unless
    /// `dryRun`) removes the others. The data stays until a prune.
    pub fn forget(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(default, rename_all = "camelCase")]
        struct Opts {
            policy: crate::commands::forget::Policy,
            dry_run: bool,
        }
        let o: Opts = from_js(&options, "forget options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            crate::commands::forget::run(&repo, &o.policy, chrono::Utc::now(), o.dry_run, None)
                .await
        }))
    }

    /// Folders of a snapshot with recursive counts: `{snapshot, depth = 2}`
    /// → `[{path, files, dirs, links, bytes}]`, parents first.
    #[wasm_bindgen(js_name = folderSizes)]
    pub fn folder_sizes(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize)]
        #[serde(default)]
        struct Opts {
            snapshot: String,
            depth: usize,
        }
        impl Default for Opts {
            fn default() -> Self {
                Opts {
                    snapshot: "latest".into(),
                    depth: 2,
                }
            }
        }
        let o: Opts = from_js(&options, "folderSizes options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            let (index, _, snap) = inner.snapshot_for_reading(&repo, &o.snapshot).await?;
            crate::commands::browse::folder_sizes(&repo, &index, &snap, o.depth.min(16)).await
        }))
    }

    /// A page of a snapshot's files: `{snapshot, path = "", recursive =
    /// true, cursor, limit = 1000}` → `{entries: [{path, raw?, type, size,
    /// mode, mtime, target?}], next_cursor}` (depth first, folders before
    /// their contents).
    #[wasm_bindgen(js_name = listTree)]
    pub fn list_tree(&self, options: JsValue) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize)]
        #[serde(default)]
        struct Opts {
            snapshot: String,
            path: String,
            recursive: bool,
            cursor: Option<String>,
            limit: usize,
        }
        impl Default for Opts {
            fn default() -> Self {
                Opts {
                    snapshot: "latest".into(),
                    path: String::new(),
                    recursive: true,
                    cursor: None,
                    limit: 1000,
                }
            }
        }
        let o: Opts = from_js(&options, "listTree options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            let (index, _, snap) = inner.snapshot_for_reading(&repo, &o.snapshot).await?;
            let (entries, next) = crate::commands::browse::list_tree(
                &repo,
                &index,
                &snap,
                &o.path,
                o.recursive,
                o.cursor.as_deref(),
                o.limit,
            )
            .await?;
            Ok(serde_json::json!({"entries": entries, "next_cursor": next}))
        }))
    }

    /// Streams one file of a snapshot: `readFile({snapshot, path, raw?},
    /// onChunk)` (`raw`: base64 of the path's bytes, as listTree gives it for
    /// names that are not UTF-8);
    /// `onChunk(Uint8Array)` may return a promise, awaited before the next
    /// piece. Resolves to `{bytes}`.
    #[wasm_bindgen(js_name = readFile)]
    pub fn read_file(
        &self,
        options: JsValue,
        on_chunk: js_sys::Function,
    ) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Opts {
            snapshot: String,
            path: String,
            /// Base64 of the path's bytes (`raw` of a listTree entry).
            raw: Option<String>,
        }
        let o: Opts = from_js(&options, "readFile options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            let (index, _, snap) = inner.snapshot_for_reading(&repo, &o.snapshot).await?;
            let progress = &inner.progress;
            let mut sink = |data: Vec<u8>| chunk_to_js(&on_chunk, progress, data);
            let path = match &o.raw {
                Some(b) => {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD
                        .decode(b)
                        .map_err(|e| {
                            crate::Error::Invalid(format!("readFile: raw is not base64: {e}"))
                        })?
                }
                None => o.path.clone().into_bytes(),
            };
            let bytes =
                crate::commands::browse::read_file(&repo, &index, &snap, &path, &mut sink).await?;
            Ok(serde_json::json!({ "bytes": bytes }))
        }))
    }

    /// Streams one table of a snapshot as an importable SQL script:
    /// `exportTable({snapshot, table, rowsPerInsert = 500}, onChunk)`; each
    /// piece ends at a statement's end and can be imported on its own.
    /// Resolves to `{rows, bytes}`.
    #[wasm_bindgen(js_name = exportTable)]
    pub fn export_table(
        &self,
        options: JsValue,
        on_chunk: js_sys::Function,
    ) -> Result<js_sys::Promise, JsValue> {
        #[derive(Deserialize)]
        #[serde(default, rename_all = "camelCase")]
        struct Opts {
            snapshot: String,
            table: String,
            rows_per_insert: usize,
        }
        impl Default for Opts {
            fn default() -> Self {
                Opts {
                    snapshot: "latest".into(),
                    table: String::new(),
                    rows_per_insert: 500,
                }
            }
        }
        let o: Opts = from_js(&options, "exportTable options")?;
        let inner = self.inner.clone();
        Ok(run(&self.inner, async move {
            let repo = inner.repo()?;
            let (index, id, snap) = inner.snapshot_for_reading(&repo, &o.snapshot).await?;
            let progress = &inner.progress;
            let mut sink = |data: Vec<u8>| chunk_to_js(&on_chunk, progress, data);
            let (rows, bytes) = crate::commands::browse::export_table(
                &repo,
                &index,
                &id,
                &snap,
                &o.table,
                o.rows_per_insert.clamp(1, 100_000),
                &mut sink,
            )
            .await?;
            Ok(serde_json::json!({ "rows": rows, "bytes": bytes }))
        }))
    }
}

/// Hands a streamed piece to JavaScript and waits for the promise the
/// callback returns (backpressure); stops when the job is cancelled.
fn chunk_to_js<'a>(
    on_chunk: &'a js_sys::Function,
    progress: &'a JsProgress,
    data: Vec<u8>,
) -> LocalBoxFuture<'a, Result<(), Error>> {
    async move {
        if progress.cancelled() {
            return Err(Error::Cancelled);
        }
        let array = js_sys::Uint8Array::from(data.as_slice());
        drop(data);
        let answer = on_chunk
            .call1(&JsValue::NULL, &array)
            .map_err(|e| Error::Invalid(format!("the chunk handler failed: {e:?}")))?;
        if let Ok(p) = answer.dyn_into::<js_sys::Promise>() {
            JsFuture::from(p)
                .await
                .map_err(|e| Error::Invalid(format!("the chunk handler failed: {e:?}")))?;
        }
        Ok(())
    }
    .boxed_local()
}
