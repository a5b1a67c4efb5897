//! Strongbox: backup and disaster recovery for WordPress and WooCommerce.
//!
//! The same core runs natively (the `strongbox` CLI) and in the browser
//! (WebAssembly inside wp-admin). Modules, by concept:
//!
//! - [`chunker`], [`compress`], [`crypto`]: turning bytes into blobs.
//! - [`pack`], [`index`]: blobs gathered into packs, and where each blob is.
//! - [`tree`], [`snapshot`], [`db`]: what a snapshot of a site holds.
//! - [`repo`]: the repository (keys, config, objects, the blob saver, locks).
//! - [`storage`]: backends (memory, local folder, S3-compatible).
//! - [`site`]: the WordPress site through the plugin's REST API.
//! - [`commands`]: one module per verb, shared by the CLI and the browser.
//! - `native`: what only exists outside the browser (files, MariaDB).
//!
//! The repository format is specified in `docs/FORMAT.md`.

#![warn(missing_docs)]

pub mod chunker;
pub mod commands;
pub mod compress;
pub mod crypto;
pub mod db;
pub mod error;
pub mod id;
pub mod index;
pub mod pack;
pub mod progress;
pub mod repo;
pub mod site;
pub mod snapshot;
pub mod storage;
pub mod tree;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
pub use id::Id;
pub use repo::Repository;
