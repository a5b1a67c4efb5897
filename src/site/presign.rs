//! Storage access through URLs the plugin presigns: the storage secret
//! stays on the server.

use std::sync::Arc;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::SiteClient;
use crate::error::{Error, Result};
use crate::storage::presign::{PresignRequest, Presigner};
use crate::storage::s3::{S3Config, S3Storage, DEFAULT_REGION};

/// A destination as the plugin shows it (never with its secret).
#[derive(Debug, Clone, Deserialize)]
pub struct Destination {
    /// Id (`d` and 12 hex digits).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// `https://host[:port]` of the S3 service.
    pub endpoint: String,
    /// Signing region.
    #[serde(default)]
    pub region: String,
    /// Bucket.
    pub bucket: String,
    /// Folder inside the bucket.
    #[serde(default)]
    pub prefix: String,
    /// Path-style addressing.
    #[serde(default)]
    pub path_style: bool,
}

impl Destination {
    /// Loads destination `id`.
    ///
    /// # Errors
    /// [`Error::Site`] when it does not exist or access is refused.
    pub async fn load(client: &SiteClient, id: &str) -> Result<Destination> {
        client.get_json(&format!("destinations/{id}"), &[]).await
    }

    /// The S3 settings, without credentials.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unusable endpoint.
    pub fn s3_config(&self) -> Result<S3Config> {
        let endpoint = Url::parse(&self.endpoint)
            .map_err(|e| Error::Invalid(format!("destination endpoint {}: {e}", self.endpoint)))?;
        let repo_url = format!(
            "s3:{}/{}/{}",
            endpoint.as_str().trim_end_matches('/'),
            self.bucket,
            self.prefix.trim_matches('/')
        );
        let region = if self.region.is_empty() {
            DEFAULT_REGION
        } else {
            &self.region
        };
        Ok(S3Config::from_repo_url(&repo_url, "", "")?
            .with_region(region)
            .with_path_style(self.path_style))
    }
}

/// Presigns through `POST /destinations/{id}/presign` for a running job.
#[derive(Debug)]
pub struct SitePresigner {
    client: Arc<SiteClient>,
    destination: String,
    job: u64,
    lease: Option<String>,
}

#[derive(Deserialize)]
struct PresignAnswer {
    urls: Vec<PresignedUrl>,
}

#[derive(Deserialize)]
struct PresignedUrl {
    url: String,
}

impl SitePresigner {
    /// A presigner for `destination`, on behalf of job `job`.
    pub fn new(client: Arc<SiteClient>, destination: &str, job: u64) -> SitePresigner {
        SitePresigner {
            client,
            destination: destination.to_string(),
            job,
            lease: None,
        }
    }

    /// The destination's storage for a job held under a lease (a runner's
    /// scheduled job: the site presigns only for the lease holder).
    ///
    /// # Errors
    /// See [`Destination::load`].
    pub async fn leased_storage(
        client: Arc<SiteClient>,
        destination: &str,
        job: u64,
        lease: &str,
    ) -> Result<(Destination, S3Storage)> {
        let d = Destination::load(&client, destination).await?;
        let http = client.http().clone();
        let mut presigner = SitePresigner::new(client, destination, job);
        presigner.lease = Some(lease.to_string());
        let storage = S3Storage::presigned(d.s3_config()?, http, Arc::new(presigner))?;
        Ok((d, storage))
    }

    /// The destination's storage, reached through presigned URLs.
    ///
    /// # Errors
    /// See [`Destination::load`].
    pub async fn storage(
        client: Arc<SiteClient>,
        destination: &str,
        job: u64,
    ) -> Result<(Destination, S3Storage)> {
        let d = Destination::load(&client, destination).await?;
        let http = client.http().clone();
        let presigner = Arc::new(SitePresigner::new(client, destination, job));
        let storage = S3Storage::presigned(d.s3_config()?, http, presigner)?;
        Ok((d, storage))
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
impl Presigner for SitePresigner {
    async fn presign(&self, requests: &[PresignRequest]) -> Result<Vec<String>> {
        let reqs: Vec<serde_json::Value> = requests
            .iter()
            .map(|r| {
                let mut v = json!({"method": r.method, "key": r.key});
                if let Some(c) = &r.continuation {
                    v["continuation"] = json!(c);
                }
                v
            })
            .collect();
        let mut body = json!({"job_id": self.job, "expires": 900, "requests": reqs});
        if let Some(lease) = &self.lease {
            body["lease"] = json!(lease);
        }
        let answer: PresignAnswer = self
            .client
            .send_json(
                Method::POST,
                &format!("destinations/{}/presign", self.destination),
                &body,
            )
            .await?;
        if answer.urls.len() != requests.len() {
            return Err(Error::malformed(
                "the site's presigned URLs",
                format!("asked for {}, got {}", requests.len(), answer.urls.len()),
            ));
        }
        Ok(answer.urls.into_iter().map(|u| u.url).collect())
    }
}
