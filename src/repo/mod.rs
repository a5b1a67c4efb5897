//! The repository: storage plus keys, the configuration and typed access to
//! its objects (sealed JSON objects, packs and blobs).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::chunker::ChunkerParams;
use crate::compress;
use crate::crypto::keyfile::{KdfParams, KeyFile};
use crate::crypto::{self, Crypto, MasterKey};
use crate::error::{Error, Result};
use crate::id::Id;
use crate::index::{Index, IndexFile};
use crate::pack::{self, BlobType, PackEntry};
use crate::snapshot::Snapshot;
use crate::storage::{DynStorage, FileKind};

pub mod config;
pub mod lock;
pub mod saver;

pub use config::Config;
pub use saver::{Compress, Offload, PreparedBlob, SaveStats, Saver};

/// Options of `init`.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Encrypt (the default). Without encryption anyone with storage access
    /// reads every file and every order of the shop.
    pub encrypted: bool,
    /// Chunker sizes for files (the seed is always drawn at random).
    pub chunker: ChunkerParams,
    /// Chunker sizes for database streams.
    pub db_chunker: ChunkerParams,
    /// Target pack size.
    pub pack_size: u32,
    /// Deflate level.
    pub compression_level: u32,
    /// Argon2id parameters of the first key.
    pub kdf: KdfParams,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            encrypted: true,
            chunker: ChunkerParams::default(),
            db_chunker: ChunkerParams::database_default(),
            pack_size: config::DEFAULT_PACK_SIZE,
            compression_level: compress::DEFAULT_LEVEL,
            kdf: KdfParams::default(),
        }
    }
}

/// An open repository.
pub struct Repository {
    /// Where objects are stored.
    pub storage: DynStorage,
    /// Keys in use.
    pub crypto: Crypto,
    /// The configuration.
    pub config: Config,
    /// Host name recorded in locks and snapshots.
    pub hostname: String,
    /// The key file that opened the repository.
    pub key_id: Option<Id>,
    /// Where savers compress (browser workers, when set).
    pub offload: Offload,
    /// The last tree pack read whole (trees are read one by one while
    /// walking a snapshot; one request per pack instead of per tree).
    tree_pack: TreePackCache,
}

/// The last tree pack read whole.
#[derive(Default)]
struct TreePackCache(std::sync::Mutex<Option<(Id, std::sync::Arc<Vec<u8>>)>>);

/// Tree packs up to this span are read whole into the cache.
const TREE_PACK_CACHE_MAX: u64 = 24 * 1024 * 1024;

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repository({})", self.storage.location())
    }
}

impl Repository {
    /// Creates a repository on empty storage.
    ///
    /// # Errors
    /// [`Error::RepositoryExists`] when a config exists; storage errors.
    pub async fn init(
        storage: DynStorage,
        passphrase: Option<&str>,
        opts: InitOptions,
        hostname: String,
        username: String,
    ) -> Result<Repository> {
        if storage.stat(FileKind::Config, "config").await?.is_some() {
            return Err(Error::RepositoryExists {
                location: storage.location(),
            });
        }
        let mut chunker = opts.chunker;
        let mut seed = [0u8; 8];
        crypto::random_bytes(&mut seed)?;
        chunker.seed = u64::from_le_bytes(seed);
        let db_chunker = ChunkerParams {
            seed: chunker.seed,
            ..opts.db_chunker
        };
        let mut rid = [0u8; 32];
        crypto::random_bytes(&mut rid)?;
        let master = MasterKey::generate()?;
        let mut config = Config {
            version: config::VERSION,
            id: hex::encode(rid),
            encrypted: opts.encrypted,
            chunker,
            db_chunker: Some(db_chunker),
            pack_size: opts.pack_size,
            compression_level: opts.compression_level,
            mac_key: None,
        };
        config.validate()?;
        let (crypto, key_id) = if opts.encrypted {
            let pass = passphrase.ok_or_else(|| {
                Error::Invalid("a passphrase is needed to create an encrypted repository".into())
            })?;
            let kf = KeyFile::create(&master, pass, opts.kdf, hostname.clone(), username)?;
            let bytes =
                serde_json::to_vec_pretty(&kf).map_err(|e| Error::Invalid(e.to_string()))?;
            let id = crypto::sha256(&bytes);
            storage.put(FileKind::Key, &id.to_hex(), bytes).await?;
            (Crypto::new(&master), Some(id))
        } else {
            use base64::Engine as _;
            config.mac_key = Some(base64::engine::general_purpose::STANDARD.encode(master.mac));
            (Crypto::unencrypted(&master.mac), None)
        };
        let plain =
            serde_json::to_vec_pretty(&config).map_err(|e| Error::Invalid(e.to_string()))?;
        let stored = if opts.encrypted {
            crypto.seal(&plain)?
        } else {
            plain
        };
        storage.put(FileKind::Config, "config", stored).await?;
        Ok(Repository {
            storage,
            crypto,
            config,
            hostname,
            key_id,
            offload: Offload::default(),
            tree_pack: TreePackCache::default(),
        })
    }

    /// Opens a repository with a passphrase (ignored when unencrypted).
    ///
    /// # Errors
    /// [`Error::NoRepository`], [`Error::WrongPassphrase`], storage errors.
    pub async fn open(
        storage: DynStorage,
        passphrase: Option<&str>,
        hostname: String,
    ) -> Result<Repository> {
        let raw = match storage.get(FileKind::Config, "config").await {
            Ok(r) => r,
            Err(e) if e.is_not_found() => {
                return Err(Error::NoRepository {
                    location: storage.location(),
                })
            }
            Err(e) => return Err(e),
        };
        // An unencrypted config is JSON; a sealed one is not.
        if let Ok(config) = serde_json::from_slice::<Config>(&raw) {
            config.validate()?;
            if config.encrypted {
                return Err(Error::malformed(
                    "config",
                    "claims encryption but is stored in the clear",
                ));
            }
            // A plain config beside key files means someone replaced the
            // sealed config: opening it would write new backups in the clear.
            if !storage.list(FileKind::Key).await?.is_empty() {
                return Err(Error::malformed(
                    "config",
                    "it is stored in the clear but the repository has key files: the storage may have been tampered with; refusing to write unencrypted data",
                ));
            }
            let mac = config.plain_mac_key()?;
            return Ok(Repository {
                storage,
                crypto: Crypto::unencrypted(&mac),
                config,
                hostname,
                key_id: None,
                offload: Offload::default(),
                tree_pack: TreePackCache::default(),
            });
        }
        let pass = passphrase.ok_or_else(|| {
            Error::Invalid(
                "this repository is encrypted: give the passphrase (--password-file or STRONGBOX_PASSWORD)"
                    .into(),
            )
        })?;
        let (master, key_id) = Self::unlock(&storage, pass).await?;
        let crypto = Crypto::new(&master);
        let plain = crypto.open(&raw, &|| "config".to_string())?;
        let config: Config =
            serde_json::from_slice(&plain).map_err(|e| Error::malformed("config", e))?;
        config.validate()?;
        Ok(Repository {
            storage,
            crypto,
            config,
            hostname,
            key_id: Some(key_id),
            offload: Offload::default(),
            tree_pack: TreePackCache::default(),
        })
    }

    async fn unlock(storage: &DynStorage, pass: &str) -> Result<(MasterKey, Id)> {
        let keys = storage.list(FileKind::Key).await?;
        if keys.is_empty() {
            return Err(Error::malformed(
                "repository",
                "it is encrypted but has no key files left",
            ));
        }
        for k in keys {
            let Ok(id) = Id::parse(&k.name) else { continue };
            let raw = storage.get(FileKind::Key, &k.name).await?;
            let Ok(kf) = serde_json::from_slice::<KeyFile>(&raw) else {
                continue;
            };
            match kf.open(pass) {
                Ok(master) => return Ok((master, id)),
                Err(Error::WrongPassphrase) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Error::WrongPassphrase)
    }

    /// Adds a key file for another passphrase.
    ///
    /// # Errors
    /// When the repository is unencrypted; storage errors.
    pub async fn add_key(
        &self,
        master: &MasterKey,
        passphrase: &str,
        kdf: KdfParams,
        username: String,
    ) -> Result<Id> {
        let kf = KeyFile::create(master, passphrase, kdf, self.hostname.clone(), username)?;
        let bytes = serde_json::to_vec_pretty(&kf).map_err(|e| Error::Invalid(e.to_string()))?;
        let id = crypto::sha256(&bytes);
        self.storage.put(FileKind::Key, &id.to_hex(), bytes).await?;
        Ok(id)
    }

    /// Unwraps the master key again with `passphrase` (for `key add`).
    ///
    /// # Errors
    /// [`Error::WrongPassphrase`].
    pub async fn master_key(&self, passphrase: &str) -> Result<MasterKey> {
        Ok(Self::unlock(&self.storage, passphrase).await?.0)
    }

    /// Lists key files.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn list_keys(&self) -> Result<Vec<(Id, KeyFile)>> {
        let mut out = Vec::new();
        for k in self.storage.list(FileKind::Key).await? {
            let Ok(id) = Id::parse(&k.name) else { continue };
            let raw = self.storage.get(FileKind::Key, &k.name).await?;
            let kf: KeyFile = serde_json::from_slice(&raw)
                .map_err(|e| Error::malformed(format!("key {id}"), e))?;
            out.push((id, kf));
        }
        out.sort_by_key(|(_, k)| k.created);
        Ok(out)
    }

    /// Seals a JSON object and stores it under the SHA-256 of its bytes.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn save_json<T: Serialize>(&self, kind: FileKind, value: &T) -> Result<Id> {
        let plain = serde_json::to_vec(value).map_err(|e| Error::Invalid(e.to_string()))?;
        let stored = self.crypto.seal(&plain)?;
        let id = crypto::sha256(&stored);
        self.storage.put(kind, &id.to_hex(), stored).await?;
        Ok(id)
    }

    /// Reads an object, checks its hash and opens it.
    ///
    /// # Errors
    /// [`Error::NotFound`], [`Error::HashMismatch`], [`Error::Decrypt`].
    pub async fn load_object(&self, kind: FileKind, id: &Id) -> Result<Vec<u8>> {
        let name = id.to_hex();
        let raw = self.storage.get(kind, &name).await?;
        let actual = crypto::sha256(&raw);
        if actual != *id {
            return Err(Error::HashMismatch {
                kind,
                name,
                actual: actual.to_hex(),
            });
        }
        self.crypto.open(&raw, &|| format!("{kind} {name}"))
    }

    /// Reads and parses a sealed JSON object.
    ///
    /// # Errors
    /// As [`Repository::load_object`], plus [`Error::Malformed`].
    pub async fn load_json<T: DeserializeOwned>(&self, kind: FileKind, id: &Id) -> Result<T> {
        let plain = self.load_object(kind, id).await?;
        serde_json::from_slice(&plain).map_err(|e| Error::malformed(format!("{kind} {id}"), e))
    }

    /// Loads and merges every index file, skipping superseded ones.
    ///
    /// # Errors
    /// Storage and decoding errors (a corrupt index file is an error: run
    /// `check`).
    pub async fn load_index(&self) -> Result<Index> {
        let mut files = Vec::new();
        for obj in self.storage.list(FileKind::Index).await? {
            let Ok(id) = Id::parse(&obj.name) else {
                continue;
            };
            let f: IndexFile = self.load_json(FileKind::Index, &id).await?;
            files.push((id, f));
        }
        let superseded: std::collections::HashSet<Id> = files
            .iter()
            .flat_map(|(_, f)| f.supersedes.iter().copied())
            .collect();
        let mut index = Index::new();
        for (id, f) in &files {
            if !superseded.contains(id) {
                index.add_file(*id, f);
            }
        }
        Ok(index)
    }

    /// Reads a pack's header with ranged reads.
    ///
    /// # Errors
    /// Storage errors and malformed headers.
    pub async fn read_pack_header(&self, pack: &Id, size: u64) -> Result<Vec<PackEntry>> {
        let name = pack.to_hex();
        if size < 4 {
            return Err(Error::malformed(
                format!("pack {name}"),
                "shorter than 4 bytes",
            ));
        }
        let tail = self
            .storage
            .get_range(FileKind::Pack, &name, size - 4, 4)
            .await?;
        let hl = pack::header_len(&tail, size, &name)?;
        let sealed = self
            .storage
            .get_range(FileKind::Pack, &name, size - 4 - hl as u64, hl as u64)
            .await?;
        pack::parse_header(&self.crypto, &sealed, size - 4 - hl as u64, &name)
    }

    /// Reads one blob's plaintext, verified against its id.
    ///
    /// # Errors
    /// [`Error::BlobMissing`] when not indexed; storage and integrity errors.
    pub async fn read_blob(&self, index: &Index, id: &Id) -> Result<Vec<u8>> {
        let loc = index
            .get(id)
            .ok_or_else(|| Error::BlobMissing { id: id.to_hex() })?;
        if loc.entry.blob_type == BlobType::Tree {
            if let Some(span) = index
                .pack_span(&loc.pack)
                .filter(|s| *s <= TREE_PACK_CACHE_MAX)
            {
                let cached = self.tree_pack.0.lock().ok().and_then(|c| {
                    c.as_ref()
                        .filter(|(p, _)| *p == loc.pack)
                        .map(|(_, d)| d.clone())
                });
                let data = match cached {
                    Some(d) => d,
                    None => {
                        let d = std::sync::Arc::new(
                            self.storage
                                .get_range(FileKind::Pack, &loc.pack.to_hex(), 0, span)
                                .await?,
                        );
                        if let Ok(mut c) = self.tree_pack.0.lock() {
                            *c = Some((loc.pack, d.clone()));
                        }
                        d
                    }
                };
                let start = loc.entry.offset as usize;
                let end = start + loc.entry.length as usize;
                let sealed = data.get(start..end).ok_or_else(|| {
                    Error::malformed(
                        format!("pack {}", loc.pack),
                        "shorter than its index says (truncated?)",
                    )
                })?;
                return self.decode_blob(&loc.pack, &loc.entry, sealed).await;
            }
        }
        let sealed = self
            .storage
            .get_range(
                FileKind::Pack,
                &loc.pack.to_hex(),
                u64::from(loc.entry.offset),
                u64::from(loc.entry.length),
            )
            .await?;
        self.decode_blob(&loc.pack, &loc.entry, &sealed).await
    }

    /// Opens, inflates and verifies a sealed blob read from `pack`.
    ///
    /// # Errors
    /// [`Error::Decrypt`], [`Error::Malformed`], [`Error::BlobMismatch`].
    pub async fn decode_blob(
        &self,
        pack: &Id,
        entry: &PackEntry,
        sealed: &[u8],
    ) -> Result<Vec<u8>> {
        let what = || format!("blob {} in pack {}", entry.id, pack);
        let opened = self.crypto.open_async(sealed, &what).await?;
        let plain = match entry.uncompressed {
            Some(n) => compress::decompress(&opened, n as usize, &what)?,
            None => opened,
        };
        if self.crypto.blob_id_async(&plain).await != entry.id {
            return Err(Error::BlobMismatch {
                id: entry.id.to_hex(),
                pack: pack.to_hex(),
            });
        }
        Ok(plain)
    }

    /// Reads a tree-type blob as JSON.
    ///
    /// # Errors
    /// As [`Repository::read_blob`], plus [`Error::Malformed`].
    pub async fn read_json_blob<T: DeserializeOwned>(&self, index: &Index, id: &Id) -> Result<T> {
        let plain = self.read_blob(index, id).await?;
        serde_json::from_slice(&plain).map_err(|e| Error::malformed(format!("tree blob {id}"), e))
    }

    /// Every snapshot, oldest first.
    ///
    /// # Errors
    /// Storage and decoding errors.
    pub async fn list_snapshots(&self) -> Result<Vec<(Id, Snapshot)>> {
        let mut out = Vec::new();
        for obj in self.storage.list(FileKind::Snapshot).await? {
            let Ok(id) = Id::parse(&obj.name) else {
                continue;
            };
            let s: Snapshot = self.load_json(FileKind::Snapshot, &id).await?;
            out.push((id, s));
        }
        out.sort_by_key(|(id, s)| (s.time, *id));
        Ok(out)
    }

    /// Finds a snapshot by `latest`, a full id or a unique id prefix.
    ///
    /// # Errors
    /// [`Error::Snapshot`] when none or several match.
    pub async fn find_snapshot(&self, spec: &str) -> Result<(Id, Snapshot)> {
        let names: Vec<String> = self
            .storage
            .list(FileKind::Snapshot)
            .await?
            .into_iter()
            .map(|o| o.name)
            .collect();
        if spec == "latest" {
            let all = self.list_snapshots().await?;
            return all.into_iter().last().ok_or_else(|| {
                Error::Snapshot("latest: the repository has no snapshots yet".into())
            });
        }
        let spec_l = spec.to_ascii_lowercase();
        let matches: Vec<&String> = names.iter().filter(|n| n.starts_with(&spec_l)).collect();
        match matches.as_slice() {
            [one] => {
                let id = Id::parse(one)?;
                Ok((id, self.load_json(FileKind::Snapshot, &id).await?))
            }
            [] => Err(Error::Snapshot(format!(
                "{spec}: no snapshot has this id; `strongbox snapshots` lists them"
            ))),
            _ => Err(Error::Snapshot(format!(
                "{spec}: {} snapshots start with it; give more digits",
                matches.len()
            ))),
        }
    }

    /// Prepares a blob for a pack: id, compression, sealing. Pure CPU work,
    /// safe to run on worker threads.
    ///
    /// # Errors
    /// When no random source is available.
    pub fn prepare_blob(
        &self,
        blob_type: BlobType,
        data: &[u8],
        incompressible: bool,
    ) -> Result<PreparedBlob> {
        saver::prepare(
            &self.crypto,
            self.config.compression_level,
            blob_type,
            data,
            incompressible,
        )
    }
}

/// Host name of this machine, or `browser`.
pub fn local_hostname() -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "localhost".into())
    }
    #[cfg(target_arch = "wasm32")]
    {
        "browser".into()
    }
}
