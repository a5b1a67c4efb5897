//! Presigned access: an S3 backend that holds no secret.
//!
//! In the browser the storage secret must never be present. The S3 backend
//! then asks a [`Presigner`] (the WordPress plugin, which keeps the secret)
//! for a URL per request and sends the request to that URL unsigned. Only
//! the operations the plugin signs exist in this mode: `GET`, `HEAD`, `PUT`,
//! `DELETE` of one object and a listing (ListObjectsV2) of a key prefix;
//! multipart uploads do not (packs stay far below S3's 5 GiB single-`PUT`
//! limit).
//!
//! [`KeyPresigner`] signs locally with a key pair: it is what the plugin does,
//! in Rust, so the presigned mode is tested natively against a server that
//! checks signatures strictly.

use chrono::Utc;

use super::s3::S3Config;
use super::sigv4;
use super::StorageBounds;
use crate::error::Result;

/// What a presigned URL is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignRequest {
    /// `GET`, `HEAD`, `PUT`, `DELETE`, or `LIST` (a ListObjectsV2 of a prefix).
    pub method: &'static str,
    /// The full object key inside the bucket (for `LIST`: the key prefix).
    pub key: String,
    /// `LIST` only: the continuation token of the previous page.
    pub continuation: Option<String>,
}

/// Hands out presigned URLs.
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
pub trait Presigner: StorageBounds {
    /// One URL per request, in order.
    ///
    /// # Errors
    /// When the signer refuses (for example an operation the job may not do).
    async fn presign(&self, requests: &[PresignRequest]) -> Result<Vec<String>>;
}

/// Presigns locally from a key pair (what the plugin's presign route does).
#[derive(Debug, Clone)]
pub struct KeyPresigner {
    config: S3Config,
    expires_secs: u64,
}

impl KeyPresigner {
    /// A presigner for the bucket of `config`, URLs valid `expires_secs`.
    pub fn new(config: S3Config, expires_secs: u64) -> KeyPresigner {
        KeyPresigner {
            config,
            expires_secs,
        }
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
impl Presigner for KeyPresigner {
    async fn presign(&self, requests: &[PresignRequest]) -> Result<Vec<String>> {
        let now = Utc::now();
        let creds = self.config.credentials();
        Ok(requests
            .iter()
            .map(|r| {
                let (method, key, query) = if r.method == "LIST" {
                    let mut q = vec![("list-type", "2"), ("prefix", r.key.as_str())];
                    if let Some(t) = &r.continuation {
                        q.push(("continuation-token", t.as_str()));
                    }
                    ("GET", None, q)
                } else {
                    (r.method, Some(r.key.as_str()), Vec::new())
                };
                let (base, host, path) = self.config.target(key);
                sigv4::presign(
                    method,
                    &base,
                    &host,
                    &path,
                    &query,
                    &creds,
                    &self.config.region,
                    self.expires_secs,
                    now,
                )
                .url
            })
            .collect())
    }
}
