//! S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Wasabi, R2, ...).
//!
//! Requests are signed with [`super::sigv4`] and sent with `reqwest`, so the
//! same code runs natively and in the browser (where `reqwest` uses `fetch`
//! and the bucket needs a CORS rule that allows the `x-amz-*` headers and
//! exposes `ETag`).
//!
//! Writes are create-only: a single `PUT` carries `If-None-Match: *`, a
//! multipart upload checks with `HEAD` first and completes with
//! `If-None-Match: *`. A server that answers `501 Not Implemented` to the
//! condition is remembered and then served with `HEAD`-then-`PUT` (which
//! leaves a small race between two writers of the same name; Strongbox names
//! are content hashes, so both would write the same bytes).

use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use url::Url;

use super::presign::{PresignRequest, Presigner};
use super::sigv4::{self, Credentials, EMPTY_SHA256};
use super::{FileKind, ObjectInfo, Storage};
use crate::error::{Error, Result};

/// Region used when the repository address does not say otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";

/// Objects larger than this go up as multipart uploads by default.
pub const DEFAULT_MULTIPART_THRESHOLD: usize = 32 * 1024 * 1024;

/// Default part size of multipart uploads: big enough to keep the number of
/// requests low, small enough that a failed part costs little to resend.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// Smallest part S3 accepts (except for the last part of an upload).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// Most parts S3 accepts in one multipart upload.
pub const MAX_PARTS: usize = 10_000;

/// How to reach a bucket, and where in it the repository lives.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// `scheme://host[:port]` of the service, without the bucket.
    pub endpoint: Url,
    /// Bucket name.
    pub bucket: String,
    /// Signing region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// Folder of the repository inside the bucket, without leading or
    /// trailing slash; empty for the bucket root.
    pub prefix: String,
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
    /// `https://host/bucket/key` when true, `https://bucket.host/key` when false.
    pub path_style: bool,
    /// Objects strictly larger than this many bytes use multipart uploads.
    pub multipart_threshold: usize,
    /// Size of each part of a multipart upload (at least [`MIN_PART_SIZE`]).
    pub part_size: usize,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint.as_str())
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("path_style", &self.path_style)
            .field("multipart_threshold", &self.multipart_threshold)
            .field("part_size", &self.part_size)
            .finish()
    }
}

fn invalid(s: &str, why: impl std::fmt::Display) -> Error {
    Error::Invalid(format!(
        "invalid S3 repository address {s:?}: {why} (expected s3:https://host[:port]/bucket[/prefix])"
    ))
}

/// Decodes `%XX` escapes of a URL path segment.
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether `bucket` can be a DNS label of a virtual-hosted address.
fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

impl S3Config {
    /// Parses `s3:http(s)://host[:port]/bucket[/prefix]`.
    ///
    /// Path-style addressing is chosen for IP addresses, `localhost`,
    /// explicit ports and bucket names that cannot be a DNS label;
    /// virtual-hosted addressing otherwise. The region is
    /// [`DEFAULT_REGION`]; change it and the rest with the `with_*` setters.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the address is not of that form.
    pub fn from_repo_url(
        s: &str,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<S3Config> {
        let rest = s
            .strip_prefix("s3:")
            .ok_or_else(|| invalid(s, "it does not start with s3:"))?;
        if rest.starts_with("//") {
            return Err(invalid(s, "the service address is missing"));
        }
        // The URL parser resolves `.` and `..`, which would silently move
        // the repository: refuse them in the raw text.
        let raw_path = rest.split_once("://").map_or("", |(_, r)| r);
        let dot_segment = raw_path.split(['/', '?', '#']).skip(1).any(|seg| {
            let seg = seg.to_ascii_lowercase().replace("%2e", ".");
            seg == "." || seg == ".."
        });
        if dot_segment {
            return Err(invalid(s, "the path may not contain . or .."));
        }
        let url = Url::parse(rest).map_err(|e| invalid(s, e))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(invalid(s, "the scheme must be http or https"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                s,
                "credentials do not belong in the address; pass the access key and secret separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(s, "a query or fragment is not allowed"));
        }
        let host = url
            .host()
            .ok_or_else(|| invalid(s, "the host is missing"))?;
        let mut segments = Vec::new();
        for seg in url.path().split('/').filter(|p| !p.is_empty()) {
            let decoded = percent_decode(seg).ok_or_else(|| invalid(s, "bad %-escape in path"))?;
            segments.push(decoded);
        }
        if segments.is_empty() {
            return Err(invalid(s, "the bucket is missing"));
        }
        let bucket = segments.remove(0);
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(invalid(s, format!("{bucket:?} is not a bucket name")));
        }
        let prefix = segments.join("/");
        let local = match host {
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
            url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        };
        let path_style = local || url.port().is_some() || !dns_compatible(&bucket);
        let mut endpoint = url.clone();
        endpoint.set_path("");
        Ok(S3Config {
            endpoint,
            bucket,
            region: DEFAULT_REGION.to_string(),
            prefix,
            access_key: access_key.into(),
            secret_key: secret_key.into(),
            session_token: None,
            path_style,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
        })
    }

    /// Sets the signing region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Forces path-style (`true`) or virtual-hosted (`false`) addressing.
    pub fn with_path_style(mut self, path_style: bool) -> Self {
        self.path_style = path_style;
        self
    }

    /// Sets the session token of temporary credentials.
    pub fn with_session_token(mut self, token: Option<String>) -> Self {
        self.session_token = token;
        self
    }

    /// Sets the multipart threshold and part size, in bytes.
    pub fn with_multipart(mut self, threshold: usize, part_size: usize) -> Self {
        self.multipart_threshold = threshold;
        self.part_size = part_size;
        self
    }

    /// Checks the settings that the parser cannot.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty bucket, region or access key, or a part
    /// size under [`MIN_PART_SIZE`].
    pub fn validate(&self) -> Result<()> {
        if self.access_key.is_empty() || self.secret_key.is_empty() {
            return Err(Error::Invalid(
                "the S3 access key or secret key is empty".into(),
            ));
        }
        self.validate_address()
    }

    /// [`S3Config::validate`] without the credentials (presigned mode).
    fn validate_address(&self) -> Result<()> {
        if self.bucket.is_empty() {
            return Err(Error::Invalid("the S3 bucket name is empty".into()));
        }
        if self.region.is_empty() {
            return Err(Error::Invalid("the S3 region is empty".into()));
        }
        if self.part_size < MIN_PART_SIZE {
            return Err(Error::Invalid(format!(
                "the S3 part size {} is below the minimum of {MIN_PART_SIZE} bytes",
                self.part_size
            )));
        }
        if self.endpoint.host_str().is_none() {
            return Err(Error::Invalid("the S3 endpoint has no host".into()));
        }
        Ok(())
    }

    /// `s3:http://host:port/bucket/prefix`, for messages.
    pub fn location(&self) -> String {
        let mut base = self.endpoint.as_str().trim_end_matches('/').to_string();
        base.push('/');
        base.push_str(&self.bucket);
        if !self.prefix.is_empty() {
            base.push('/');
            base.push_str(&self.prefix);
        }
        format!("s3:{base}")
    }

    /// The signing credentials.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            session_token: self.session_token.clone(),
        }
    }

    /// The object key (inside the bucket) of `(kind, name)`.
    pub fn object_key(&self, kind: FileKind, name: &str) -> String {
        self.under_prefix(&kind.path(name))
    }

    fn under_prefix(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    /// Base URL (`scheme://host[:port]`), `Host` header value and decoded
    /// request path of an object key (`None`: the bucket itself).
    pub(crate) fn target(&self, key: Option<&str>) -> (String, String, String) {
        let scheme = self.endpoint.scheme();
        let host = self.endpoint.host_str().unwrap_or_default();
        let port = self
            .endpoint
            .port()
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        if self.path_style {
            let path = match key {
                Some(k) => format!("/{}/{k}", self.bucket),
                None => format!("/{}", self.bucket),
            };
            (
                format!("{scheme}://{host}{port}"),
                format!("{host}{port}"),
                path,
            )
        } else {
            let path = match key {
                Some(k) => format!("/{k}"),
                None => "/".to_string(),
            };
            (
                format!("{scheme}://{}.{host}{port}", self.bucket),
                format!("{}.{host}{port}", self.bucket),
                path,
            )
        }
    }
}

/// An S3 bucket (or a folder of one) as a [`Storage`].
pub struct S3Storage {
    config: S3Config,
    client: reqwest::Client,
    /// Set in presigned mode: every request goes to a URL from here.
    presigner: Option<std::sync::Arc<dyn Presigner>>,
    /// Set once the server answered `501` to `If-None-Match: *`.
    no_conditional_put: AtomicBool,
    /// Presigned mode: `GET` URLs signed ahead, by key, with the time
    /// (seconds) until which they are used.
    get_urls: std::sync::Mutex<std::collections::HashMap<String, (String, i64)>>,
}

/// Presigned `GET` URLs are asked for when a listing names the objects
/// (one request for up to this many), and used for this long (the signer
/// makes them valid for longer).
const PRESIGN_AHEAD_BATCH: usize = 1000;
const PRESIGN_AHEAD_SECS: i64 = 600;

impl std::fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Storage")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The chain of an error and its sources, for messages.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = first_line(&e.to_string());
    let mut source = e.source();
    while let Some(inner) = source {
        let text = first_line(&inner.to_string());
        if !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// The first line of an error's text: in the browser a failed `fetch`
/// reads `JsValue(TypeError: Failed to fetch` followed by the JavaScript
/// stack, which says nothing to a person and floods logs and notices.
fn first_line(text: &str) -> String {
    match text.split_once('\n') {
        Some((head, _)) => {
            let mut head = head.trim_end().to_string();
            if head.matches('(').count() > head.matches(')').count() {
                head.push(')');
            }
            head
        }
        None => text.to_string(),
    }
}

/// What a request is about, for error mapping.
#[derive(Clone, Copy)]
struct Op<'a> {
    /// Verb for messages (`reading`, `uploading`, ...).
    what: &'static str,
    /// Object key or bucket, for messages.
    key: &'a str,
    /// The object, when a 404 means "this object does not exist".
    object: Option<(FileKind, &'a str)>,
}

impl S3Storage {
    /// A backend with its own HTTP client.
    ///
    /// Natively this installs `ring` as the process-wide rustls crypto
    /// provider if none is installed yet.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the configuration is invalid or the HTTP client
    /// cannot be built.
    pub fn new(config: S3Config) -> Result<S3Storage> {
        config.validate()?;
        #[cfg(not(target_arch = "wasm32"))]
        let builder = {
            // Err only means another provider was installed first: fine.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(30))
                .read_timeout(std::time::Duration::from_secs(120))
        };
        #[cfg(target_arch = "wasm32")]
        let builder = reqwest::Client::builder();
        let client = builder.build().map_err(|e| {
            Error::Invalid(format!("cannot build the HTTP client: {}", error_chain(&e)))
        })?;
        S3Storage::with_client(config, client)
    }

    /// A backend that shares an existing HTTP client.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the configuration is invalid.
    pub fn with_client(config: S3Config, client: reqwest::Client) -> Result<S3Storage> {
        config.validate()?;
        Ok(S3Storage {
            config,
            client,
            presigner: None,
            no_conditional_put: AtomicBool::new(false),
            get_urls: std::sync::Mutex::default(),
        })
    }

    /// A backend that holds no secret: each request is sent to a URL from
    /// `presigner` (see [`super::presign`]). Objects go up in one `PUT`
    /// whatever their size.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the configuration is invalid.
    pub fn presigned(
        mut config: S3Config,
        client: reqwest::Client,
        presigner: std::sync::Arc<dyn Presigner>,
    ) -> Result<S3Storage> {
        config.multipart_threshold = usize::MAX;
        config.validate_address()?;
        Ok(S3Storage {
            config,
            client,
            presigner: Some(presigner),
            no_conditional_put: AtomicBool::new(false),
            get_urls: std::sync::Mutex::default(),
        })
    }

    /// Presigned mode: signs `GET` URLs for `keys` in batches now, so that
    /// reading each listed object costs no request to the signer.
    async fn presign_gets_ahead(&self, keys: Vec<String>) -> Result<()> {
        let Some(presigner) = &self.presigner else {
            return Ok(());
        };
        for chunk in keys.chunks(PRESIGN_AHEAD_BATCH) {
            let requests: Vec<PresignRequest> = chunk
                .iter()
                .map(|k| PresignRequest {
                    method: "GET",
                    key: k.clone(),
                    continuation: None,
                })
                .collect();
            let urls = presigner.presign(&requests).await?;
            let until = chrono::Utc::now().timestamp() + PRESIGN_AHEAD_SECS;
            if let Ok(mut cache) = self.get_urls.lock() {
                for (k, u) in chunk.iter().zip(urls) {
                    cache.insert(k.clone(), (u, until));
                }
            }
        }
        Ok(())
    }

    /// A `GET` URL signed ahead for `key`, while still fresh.
    fn cached_get_url(&self, key: &str) -> Option<String> {
        let now = chrono::Utc::now().timestamp();
        let mut cache = self.get_urls.lock().ok()?;
        match cache.get(key) {
            Some((url, until)) if *until > now => Some(url.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &S3Config {
        &self.config
    }

    /// Whether the server was found not to support `If-None-Match: *`.
    pub fn conditional_put_unsupported(&self) -> bool {
        self.no_conditional_put.load(Ordering::Relaxed)
    }

    /// A URL presigned for `method` on the object `(kind, name)`, valid for
    /// `expires_secs` seconds from `now` (clamped to 1 s..7 days, the range
    /// S3 accepts). Only the `Host` header is signed and the payload is
    /// unsigned, so a browser can `PUT` any body with any `Content-Type`.
    pub fn presign_url(
        &self,
        method: Method,
        kind: FileKind,
        name: &str,
        expires_secs: u64,
        now: DateTime<Utc>,
    ) -> String {
        let key = self.config.object_key(kind, name);
        let (base, host, path) = self.config.target(Some(&key));
        sigv4::presign(
            method.as_str(),
            &base,
            &host,
            &path,
            &[],
            &self.config.credentials(),
            &self.config.region,
            expires_secs,
            now,
        )
        .url
    }

    /// Creates the bucket when it does not exist (as `init` does, like
    /// restic). Returns whether it was created.
    ///
    /// # Errors
    /// Storage errors, [`Error::AccessDenied`] when the key may not create
    /// buckets (create it in the provider's console then).
    pub async fn ensure_bucket(&self) -> Result<bool> {
        let bucket = self.config.bucket.clone();
        let op = Op {
            what: "checking bucket",
            key: &bucket,
            object: None,
        };
        let resp = self.send(op, Method::HEAD, None, &[], &[], None).await?;
        if resp.status().is_success() {
            return Ok(false);
        }
        if resp.status() != StatusCode::NOT_FOUND {
            return Err(Self::failure(op, resp).await);
        }
        let body = if self.config.region == DEFAULT_REGION {
            Bytes::new()
        } else {
            Bytes::from(format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.config.region
            ))
        };
        let op = Op {
            what: "creating bucket",
            key: &bucket,
            object: None,
        };
        let resp = self
            .send(
                op,
                Method::PUT,
                None,
                &[],
                &[("content-type", "application/xml")],
                Some(body),
            )
            .await?;
        if resp.status().is_success() {
            Ok(true)
        } else {
            Err(Self::failure(op, resp).await)
        }
    }

    /// Sends one signed request; the body's SHA-256 is signed.
    async fn send(
        &self,
        op: Op<'_>,
        method: Method,
        key: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Result<reqwest::Response> {
        if let Some(presigner) = &self.presigner {
            return self
                .send_presigned(presigner.as_ref(), op, method, key, query, headers, body)
                .await;
        }
        let (base, host, path) = self.config.target(key);
        let mut url = format!("{base}{}", sigv4::canonical_uri(&path));
        if !query.is_empty() {
            url.push('?');
            url.push_str(&sigv4::canonical_query(query));
        }
        let payload_hash = match &body {
            Some(b) => sigv4::sha256_hex(b),
            None => EMPTY_SHA256.to_string(),
        };
        let signed = sigv4::sign_s3_headers(
            method.as_str(),
            &host,
            &path,
            query,
            headers,
            &payload_hash,
            &self.config.credentials(),
            &self.config.region,
            Utc::now(),
        );
        let mut req = self.client.request(method, &url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        for (name, value) in signed {
            req = req.header(name, value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        req.send().await.map_err(|e| Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: error_chain(&e),
            status: None,
        })
    }

    /// Sends one request to a presigned URL.
    #[allow(clippy::too_many_arguments)]
    async fn send_presigned(
        &self,
        presigner: &dyn Presigner,
        op: Op<'_>,
        method: Method,
        key: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Bytes>,
    ) -> Result<reqwest::Response> {
        let request = match (key, query) {
            (Some(k), []) => PresignRequest {
                method: match method {
                    Method::GET => "GET",
                    Method::HEAD => "HEAD",
                    Method::PUT => "PUT",
                    Method::DELETE => "DELETE",
                    _ => return Err(unavailable_presigned(op)),
                },
                key: k.to_string(),
                continuation: None,
            },
            (None, q) if method == Method::GET && q.first() == Some(&("list-type", "2")) => {
                let find = |name: &str| q.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
                PresignRequest {
                    method: "LIST",
                    key: find("prefix").unwrap_or_default().to_string(),
                    continuation: find("continuation-token").map(str::to_string),
                }
            }
            _ => return Err(unavailable_presigned(op)),
        };
        let ahead = (request.method == "GET")
            .then(|| self.cached_get_url(&request.key))
            .flatten();
        let url = match ahead {
            Some(u) => u,
            None => presigner
                .presign(std::slice::from_ref(&request))
                .await?
                .pop()
                .ok_or_else(|| Error::Storage {
                    op: op.what,
                    key: op.key.to_string(),
                    message: "the signer returned no URL".into(),
                    status: None,
                })?,
        };
        let mut req = self.client.request(method, &url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        req.send().await.map_err(|e| Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: send_failure_hint(&error_chain(&e)),
            status: None,
        })
    }

    /// Reads a response body, mapping read failures to a transient error.
    async fn body(op: Op<'_>, resp: reqwest::Response) -> Result<Bytes> {
        resp.bytes().await.map_err(|e| Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: format!("reading the response failed: {}", error_chain(&e)),
            status: None,
        })
    }

    /// The error of a non-success response.
    async fn failure(op: Op<'_>, resp: reqwest::Response) -> Error {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let (code, message) = xml::error_code_message(&text);
        status_error(op, status, code.as_deref(), message.as_deref())
    }

    /// `HEAD` of an object key: its size, or `None` if it does not exist.
    async fn head(&self, op: Op<'_>, key: &str) -> Result<Option<u64>> {
        let resp = self
            .send(op, Method::HEAD, Some(key), &[], &[], None)
            .await?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(Self::failure(Op { object: None, ..op }, resp).await);
        }
        let len = resp
            .headers()
            .get(reqwest::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| Error::Storage {
                op: op.what,
                key: op.key.to_string(),
                message: "the server sent no valid Content-Length".into(),
                status: Some(status.as_u16()),
            })?;
        Ok(Some(len))
    }

    /// A single `PUT`, conditional or not. `Ok(None)` means the server does
    /// not implement the condition.
    async fn put_single(
        &self,
        op: Op<'_>,
        key: &str,
        data: &Bytes,
        conditional: bool,
    ) -> Result<Option<()>> {
        let mut headers = vec![("content-type", "application/octet-stream")];
        if conditional {
            headers.push(("if-none-match", "*"));
        }
        let resp = self
            .send(
                op,
                Method::PUT,
                Some(key),
                &[],
                &headers,
                Some(data.clone()),
            )
            .await?;
        let status = resp.status();
        if status.is_success() {
            return Ok(Some(()));
        }
        if status == StatusCode::PRECONDITION_FAILED {
            return Err(already_exists(op));
        }
        let err = Self::failure(Op { object: None, ..op }, resp).await;
        if conditional && not_implemented(&err) {
            return Ok(None);
        }
        Err(err)
    }

    /// Creates, fills and completes a multipart upload; aborts it on failure.
    async fn put_multipart(&self, op: Op<'_>, key: &str, data: Bytes) -> Result<()> {
        // Checking first saves uploading all parts of an existing object.
        if self.head(op, key).await?.is_some() {
            return Err(already_exists(op));
        }
        let resp = self
            .send(
                op,
                Method::POST,
                Some(key),
                &[("uploads", "")],
                &[("content-type", "application/octet-stream")],
                Some(Bytes::new()),
            )
            .await?;
        if !resp.status().is_success() {
            return Err(Self::failure(Op { object: None, ..op }, resp).await);
        }
        let text = Self::body(op, resp).await?;
        let upload_id = xml::upload_id(&String::from_utf8_lossy(&text)).ok_or_else(|| {
            Error::malformed(
                format!("CreateMultipartUpload answer for {key}"),
                "no UploadId",
            )
        })?;
        let result = self.upload_parts(op, key, &upload_id, data).await;
        if result.is_err() {
            // Best effort: a leftover upload only costs storage until a
            // lifecycle rule removes it.
            let _ = self
                .send(
                    op,
                    Method::DELETE,
                    Some(key),
                    &[("uploadId", &upload_id)],
                    &[],
                    None,
                )
                .await;
        }
        result
    }

    async fn upload_parts(
        &self,
        op: Op<'_>,
        key: &str,
        upload_id: &str,
        data: Bytes,
    ) -> Result<()> {
        let part_size = self.config.part_size.max(MIN_PART_SIZE);
        let count = data.len().div_ceil(part_size).max(1);
        if count > MAX_PARTS {
            return Err(Error::Invalid(format!(
                "{key}: {} bytes need {count} parts of {part_size} bytes; S3 allows {MAX_PARTS}",
                data.len()
            )));
        }
        let mut etags = Vec::with_capacity(count);
        for index in 0..count {
            let start = index * part_size;
            let end = (start + part_size).min(data.len());
            let number = (index + 1).to_string();
            let resp = self
                .send(
                    op,
                    Method::PUT,
                    Some(key),
                    &[("partNumber", &number), ("uploadId", upload_id)],
                    &[],
                    Some(data.slice(start..end)),
                )
                .await?;
            if !resp.status().is_success() {
                return Err(Self::failure(Op { object: None, ..op }, resp).await);
            }
            let etag = resp
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .ok_or_else(|| Error::Storage {
                    op: op.what,
                    key: key.to_string(),
                    message: format!(
                        "part {number} was stored but its ETag is not readable (in a browser, the bucket's CORS rule must expose the ETag header)"
                    ),
                    status: Some(resp.status().as_u16()),
                })?;
            etags.push(etag);
        }
        let body = Bytes::from(xml::complete_body(&etags));
        let mut conditional = !self.conditional_put_unsupported();
        loop {
            let mut headers = vec![("content-type", "application/xml")];
            if conditional {
                headers.push(("if-none-match", "*"));
            }
            let resp = self
                .send(
                    op,
                    Method::POST,
                    Some(key),
                    &[("uploadId", upload_id)],
                    &headers,
                    Some(body.clone()),
                )
                .await?;
            let status = resp.status();
            if status == StatusCode::PRECONDITION_FAILED {
                return Err(already_exists(op));
            }
            if !status.is_success() {
                let err = Self::failure(Op { object: None, ..op }, resp).await;
                if conditional && not_implemented(&err) {
                    self.no_conditional_put.store(true, Ordering::Relaxed);
                    if self.head(op, key).await?.is_some() {
                        return Err(already_exists(op));
                    }
                    conditional = false;
                    continue;
                }
                return Err(err);
            }
            // CompleteMultipartUpload can fail after a 200 status line.
            let text = Self::body(op, resp).await?;
            let text = String::from_utf8_lossy(&text);
            let (code, message) = xml::error_code_message(&text);
            if let Some(code) = code {
                if code == "PreconditionFailed" {
                    return Err(already_exists(op));
                }
                return Err(Error::Storage {
                    op: op.what,
                    key: key.to_string(),
                    message: format!(
                        "completing the upload failed: {code}: {}",
                        message.unwrap_or_default()
                    ),
                    status: None,
                });
            }
            return Ok(());
        }
    }

    /// All objects whose key starts with `list_prefix` (ListObjectsV2).
    async fn list_keys(&self, op: Op<'_>, list_prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type", "2"), ("prefix", list_prefix)];
            if let Some(t) = &token {
                query.push(("continuation-token", t.as_str()));
            }
            let resp = self.send(op, Method::GET, None, &query, &[], None).await?;
            if !resp.status().is_success() {
                return Err(Self::failure(op, resp).await);
            }
            let text = Self::body(op, resp).await?;
            let page = xml::parse_list(&String::from_utf8_lossy(&text)).map_err(|reason| {
                Error::malformed(format!("bucket listing of {list_prefix}"), reason)
            })?;
            out.extend(page.objects);
            match (page.truncated, page.next_token) {
                (true, Some(next)) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                (true, _) => {
                    return Err(Error::malformed(
                        format!("bucket listing of {list_prefix}"),
                        "truncated without a new NextContinuationToken",
                    ))
                }
                (false, _) => return Ok(out),
            }
        }
    }
}

fn unavailable_presigned(op: Op<'_>) -> Error {
    Error::Invalid(format!(
        "{} {} is not possible through presigned URLs",
        op.what, op.key
    ))
}

/// In a browser a refused CORS preflight shows up only as a failed send:
/// say what it most likely means.
fn send_failure_hint(chain: &str) -> String {
    if cfg!(target_arch = "wasm32") {
        format!("{chain} (the request did not reach the storage: if the storage is online, its bucket's CORS rule must allow this site's origin for GET, PUT, HEAD and DELETE with the headers content-type, if-none-match and range, and expose ETag; use Test connection in Strongbox's settings)")
    } else {
        chain.to_string()
    }
}

fn already_exists(op: Op<'_>) -> Error {
    match op.object {
        Some((kind, name)) => Error::AlreadyExists {
            kind,
            name: name.to_string(),
        },
        None => Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: "the object exists already".into(),
            status: Some(412),
        },
    }
}

/// Whether an error says the server does not implement a request feature.
fn not_implemented(e: &Error) -> bool {
    match e {
        Error::Storage {
            status, message, ..
        } => *status == Some(501) || message.contains("NotImplemented"),
        _ => false,
    }
}

/// Maps an HTTP error status (and S3 error code/message) to an [`Error`].
fn status_error(op: Op<'_>, status: u16, code: Option<&str>, message: Option<&str>) -> Error {
    let detail = match (code, message) {
        (Some(c), Some(m)) => format!("HTTP {status} {c}: {m}"),
        (Some(c), None) => format!("HTTP {status} {c}"),
        (None, Some(m)) => format!("HTTP {status}: {m}"),
        (None, None) => format!("HTTP {status}"),
    };
    match (status, code, op.object) {
        // A wrong clock is not an access problem: say so.
        (403, Some("RequestTimeTooSkewed"), _) => Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: format!("{detail} (this computer's clock is wrong; fix it, then retry)"),
            status: Some(status),
        },
        (401 | 403, _, _) => Error::AccessDenied {
            op: op.what,
            key: op.key.to_string(),
            status,
        },
        (404, c, Some((kind, name))) if c != Some("NoSuchBucket") => Error::NotFound {
            kind,
            name: name.to_string(),
        },
        _ => Error::Storage {
            op: op.what,
            key: op.key.to_string(),
            message: detail,
            status: Some(status),
        },
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
impl Storage for S3Storage {
    fn location(&self) -> String {
        self.config.location()
    }

    async fn put(&self, kind: FileKind, name: &str, data: Vec<u8>) -> Result<()> {
        let key = self.config.object_key(kind, name);
        let op = Op {
            what: "uploading",
            key: &key,
            object: Some((kind, name)),
        };
        let data = Bytes::from(data);
        if data.len() > self.config.multipart_threshold {
            return self.put_multipart(op, &key, data).await;
        }
        if !self.conditional_put_unsupported() {
            if self.put_single(op, &key, &data, true).await?.is_some() {
                return Ok(());
            }
            self.no_conditional_put.store(true, Ordering::Relaxed);
        }
        if self.head(op, &key).await?.is_some() {
            return Err(already_exists(op));
        }
        self.put_single(op, &key, &data, false).await?;
        Ok(())
    }

    async fn get(&self, kind: FileKind, name: &str) -> Result<Vec<u8>> {
        let key = self.config.object_key(kind, name);
        let op = Op {
            what: "reading",
            key: &key,
            object: Some((kind, name)),
        };
        let resp = self
            .send(op, Method::GET, Some(&key), &[], &[], None)
            .await?;
        if !resp.status().is_success() {
            return Err(Self::failure(op, resp).await);
        }
        let expected = resp.content_length();
        let body = Self::body(op, resp).await?;
        if let Some(expected) = expected {
            if body.len() as u64 != expected {
                return Err(Error::Storage {
                    op: op.what,
                    key: key.clone(),
                    message: format!(
                        "the server announced {expected} bytes but sent {}",
                        body.len()
                    ),
                    status: None,
                });
            }
        }
        Ok(body.into())
    }

    async fn get_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>> {
        let key = self.config.object_key(kind, name);
        let op = Op {
            what: "reading a range of",
            key: &key,
            object: Some((kind, name)),
        };
        let out_of_range = |size: u64| Error::Storage {
            op: op.what,
            key: key.clone(),
            message: format!(
                "bytes {offset}..{} lie outside the object ({size} bytes)",
                offset.saturating_add(length)
            ),
            status: Some(416),
        };
        if length == 0 {
            return match self.head(op, &key).await? {
                None => Err(Error::NotFound {
                    kind,
                    name: name.to_string(),
                }),
                Some(size) if offset > size => Err(out_of_range(size)),
                Some(_) => Ok(Vec::new()),
            };
        }
        let last = offset
            .checked_add(length - 1)
            .ok_or_else(|| Error::Invalid(format!("range {offset}+{length} overflows")))?;
        let range = format!("bytes={offset}-{last}");
        let resp = self
            .send(op, Method::GET, Some(&key), &[], &[("range", &range)], None)
            .await?;
        let status = resp.status();
        let len = usize::try_from(length)
            .map_err(|_| Error::Invalid(format!("range length {length} too large")))?;
        if status == StatusCode::PARTIAL_CONTENT {
            let body = Self::body(op, resp).await?;
            if body.len() != len {
                return Err(Error::Storage {
                    op: op.what,
                    key: key.clone(),
                    message: format!(
                        "asked for {length} bytes at {offset}, got {} (object shorter, or transfer cut)",
                        body.len()
                    ),
                    status: None,
                });
            }
            return Ok(body.into());
        }
        if status == StatusCode::OK {
            // The server ignored Range and sent the whole object.
            let body = Self::body(op, resp).await?;
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            return match start.checked_add(len) {
                Some(end) if end <= body.len() => Ok(body.slice(start..end).into()),
                _ => Err(out_of_range(body.len() as u64)),
            };
        }
        if status == StatusCode::RANGE_NOT_SATISFIABLE {
            let size = self.head(op, &key).await?.unwrap_or(0);
            return Err(out_of_range(size));
        }
        Err(Self::failure(op, resp).await)
    }

    async fn stat(&self, kind: FileKind, name: &str) -> Result<Option<u64>> {
        let key = self.config.object_key(kind, name);
        let op = Op {
            what: "checking",
            key: &key,
            object: Some((kind, name)),
        };
        self.head(op, &key).await
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<ObjectInfo>> {
        let list_prefix = match kind {
            FileKind::Config => self.config.object_key(FileKind::Config, ""),
            other => self.config.under_prefix(&format!("{}/", other.dir())),
        };
        let op = Op {
            what: "listing",
            key: &list_prefix,
            object: None,
        };
        let keys = self.list_keys(op, &list_prefix).await?;
        // Index files, snapshots and keys are read right after they are
        // listed: through a signer, sign all their reads in one request.
        if self.presigner.is_some()
            && matches!(kind, FileKind::Index | FileKind::Snapshot | FileKind::Key)
            && !keys.is_empty()
        {
            let wanted: Vec<String> = keys
                .iter()
                .filter(|(k, _)| self.cached_get_url(k).is_none())
                .map(|(k, _)| k.clone())
                .collect();
            self.presign_gets_ahead(wanted).await?;
        }
        let mut out = Vec::new();
        for (key, size) in keys {
            let Some(rest) = key.strip_prefix(&list_prefix) else {
                continue;
            };
            let name = match kind {
                FileKind::Config if rest.is_empty() => "config",
                FileKind::Config => continue,
                // Packs live in shard folders: data/ab/abcd...
                FileKind::Pack => rest.rsplit('/').next().unwrap_or_default(),
                _ if rest.contains('/') => continue,
                _ => rest,
            };
            if name.is_empty() {
                continue;
            }
            out.push(ObjectInfo {
                name: name.to_string(),
                size,
            });
        }
        Ok(out)
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<()> {
        let key = self.config.object_key(kind, name);
        let op = Op {
            what: "deleting",
            key: &key,
            object: None,
        };
        let resp = self
            .send(op, Method::DELETE, Some(&key), &[], &[], None)
            .await?;
        let status = resp.status();
        if status.is_success() || status == StatusCode::NOT_FOUND {
            return Ok(());
        }
        Err(Self::failure(op, resp).await)
    }
}

/// The few S3 XML documents the backend reads and writes.
mod xml {
    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// A parsed element: name, text content and children.
    #[derive(Debug, Default)]
    pub(super) struct Node {
        pub name: String,
        pub text: String,
        pub children: Vec<Node>,
    }

    impl Node {
        /// The first child named `name`.
        pub fn child(&self, name: &str) -> Option<&Node> {
            self.children.iter().find(|c| c.name == name)
        }

        /// The text of the first child named `name`.
        pub fn child_text(&self, name: &str) -> Option<&str> {
            self.child(name).map(|c| c.text.as_str())
        }
    }

    /// Parses a document into its root element.
    pub(super) fn parse(text: &str) -> Result<Node, String> {
        let mut reader = Reader::from_str(text);
        let mut stack: Vec<Node> = vec![Node::default()];
        loop {
            let event = reader.read_event().map_err(|e| e.to_string())?;
            match event {
                Event::Start(e) => stack.push(Node {
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                }),
                Event::Empty(e) => {
                    let node = Node {
                        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                        ..Node::default()
                    };
                    if let Some(parent) = stack.last_mut() {
                        parent.children.push(node);
                    }
                }
                Event::End(_) => {
                    let node = stack.pop().ok_or("unbalanced end tag")?;
                    let parent = stack.last_mut().ok_or("unbalanced end tag")?;
                    parent.children.push(node);
                }
                Event::Text(t) => {
                    let s = t.xml10_content().map_err(|e| e.to_string())?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Event::CData(t) => {
                    let s = t.decode().map_err(|e| e.to_string())?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .map_err(|e| e.to_string())?
                            .map(String::from)
                    } else {
                        let name = r.decode().map_err(|e| e.to_string())?;
                        quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                    };
                    let s = resolved.ok_or("unknown entity reference")?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        if stack.len() != 1 {
            return Err("unclosed element".into());
        }
        stack
            .pop()
            .and_then(|doc| doc.children.into_iter().next())
            .ok_or_else(|| "no root element".to_string())
    }

    /// `Code` and `Message` of an `<Error>` document (both `None` otherwise).
    pub(super) fn error_code_message(text: &str) -> (Option<String>, Option<String>) {
        match parse(text) {
            Ok(root) if root.name == "Error" => (
                root.child_text("Code").map(|s| s.trim().to_string()),
                root.child_text("Message").map(|s| s.trim().to_string()),
            ),
            _ => (None, None),
        }
    }

    /// The `UploadId` of an `InitiateMultipartUploadResult`.
    pub(super) fn upload_id(text: &str) -> Option<String> {
        let root = parse(text).ok()?;
        let id = root.child_text("UploadId")?.trim();
        (!id.is_empty()).then(|| id.to_string())
    }

    /// One page of a ListObjectsV2 answer.
    #[derive(Debug, Default)]
    pub(super) struct ListPage {
        pub objects: Vec<(String, u64)>,
        pub truncated: bool,
        pub next_token: Option<String>,
    }

    /// Parses a `ListBucketResult`.
    pub(super) fn parse_list(text: &str) -> Result<ListPage, String> {
        let root = parse(text)?;
        if root.name != "ListBucketResult" {
            return Err(format!("unexpected root element {}", root.name));
        }
        let mut page = ListPage {
            truncated: root
                .child_text("IsTruncated")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("true")),
            next_token: root
                .child_text("NextContinuationToken")
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            ..ListPage::default()
        };
        for c in root.children.iter().filter(|c| c.name == "Contents") {
            let key = c.child_text("Key").ok_or("Contents without Key")?;
            let size = c
                .child_text("Size")
                .ok_or("Contents without Size")?
                .trim()
                .parse::<u64>()
                .map_err(|e| format!("bad Size of {key}: {e}"))?;
            page.objects.push((key.to_string(), size));
        }
        Ok(page)
    }

    /// The body of a CompleteMultipartUpload request.
    pub(super) fn complete_body(etags: &[String]) -> String {
        let mut s = String::from("<CompleteMultipartUpload>");
        for (i, etag) in etags.iter().enumerate() {
            s.push_str(&format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                i + 1,
                quick_xml::escape::escape(etag.as_str())
            ));
        }
        s.push_str("</CompleteMultipartUpload>");
        s
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn parses_a_list_page_with_entities() {
            let page = parse_list(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix>data/</Prefix><KeyCount>2</KeyCount>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents><Key>data/ab/a&amp;b&#x20;c</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>
    <ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key><![CDATA[data/cd/x]]></Key><Size>0</Size></Contents>
</ListBucketResult>"#,
            )
            .unwrap();
            assert!(page.truncated);
            assert_eq!(
                page.next_token.as_deref(),
                Some("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
            );
            assert_eq!(
                page.objects,
                vec![
                    ("data/ab/a&b c".to_string(), 434234),
                    ("data/cd/x".to_string(), 0)
                ]
            );
        }

        #[test]
        fn parses_an_empty_last_page() {
            let page = parse_list(
                "<ListBucketResult><IsTruncated>false</IsTruncated><KeyCount>0</KeyCount></ListBucketResult>",
            )
            .unwrap();
            assert!(!page.truncated);
            assert!(page.objects.is_empty());
            assert!(page.next_token.is_none());
        }

        #[test]
        fn rejects_broken_documents() {
            assert!(parse_list("<ListBucketResult><Contents><Key>a</Key></Contents>").is_err());
            assert!(parse_list("<Error><Code>X</Code></Error>").is_err());
            assert!(parse_list(
                "<ListBucketResult><Contents><Key>a</Key><Size>x</Size></Contents></ListBucketResult>"
            )
            .is_err());
            assert!(parse("").is_err());
            assert!(parse("<a></b>").is_err());
        }

        #[test]
        fn reads_error_code_and_message() {
            let (c, m) = error_code_message(
                "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key></Error>",
            );
            assert_eq!(c.as_deref(), Some("NoSuchKey"));
            assert_eq!(m.as_deref(), Some("The specified key does not exist."));
            assert_eq!(error_code_message("not xml <"), (None, None));
            assert_eq!(error_code_message(""), (None, None));
        }

        #[test]
        fn reads_upload_id_and_writes_complete_body() {
            assert_eq!(
                upload_id("<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>")
                    .as_deref(),
                Some("VXBsb2FkIElE")
            );
            assert_eq!(upload_id("<InitiateMultipartUploadResult/>"), None);
            assert_eq!(
                complete_body(&["\"a\"".to_string(), "b&".to_string()]),
                "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>b&amp;</ETag></Part></CompleteMultipartUpload>"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(s: &str) -> Result<S3Config> {
        S3Config::from_repo_url(s, "AK", "SK")
    }

    #[test]
    fn parses_repository_addresses() {
        let c = cfg("s3:http://127.0.0.1:9000/bucket/some/prefix").unwrap();
        assert_eq!(c.endpoint.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(c.bucket, "bucket");
        assert_eq!(c.prefix, "some/prefix");
        assert_eq!(c.region, "us-east-1");
        assert!(c.path_style);
        assert_eq!(c.location(), "s3:http://127.0.0.1:9000/bucket/some/prefix");
        assert_eq!(
            c.object_key(FileKind::Pack, "abcd"),
            "some/prefix/data/ab/abcd"
        );

        let c = cfg("s3:https://s3.eu-west-1.amazonaws.com/my-bucket").unwrap();
        assert!(!c.path_style);
        assert_eq!(c.prefix, "");
        assert_eq!(c.object_key(FileKind::Config, "x"), "config");
        let (base, host, path) = c.target(Some("config"));
        assert_eq!(base, "https://my-bucket.s3.eu-west-1.amazonaws.com");
        assert_eq!(host, "my-bucket.s3.eu-west-1.amazonaws.com");
        assert_eq!(path, "/config");

        assert!(cfg("s3:http://localhost/b/").unwrap().path_style);
        assert!(cfg("s3:https://[::1]/bucket").unwrap().path_style);
        assert!(
            cfg("s3:https://example.com:8443/bucket")
                .unwrap()
                .path_style
        );
        assert!(cfg("s3:https://example.com/Bucket_1").unwrap().path_style);
        let c = cfg("s3:https://example.com/b/a%20b//c/").unwrap();
        assert_eq!(c.prefix, "a b/c");
        let c = c.with_region("eu-central-1").with_path_style(true);
        assert_eq!(c.region, "eu-central-1");
        assert_eq!(c.target(None).2, "/b");
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in [
            "http://host/bucket",
            "s3://bucket/prefix",
            "s3:ftp://host/bucket",
            "s3:https://host",
            "s3:https://host/",
            "s3:https://user:pw@host/bucket",
            "s3:https://host/bucket?x=1",
            "s3:https://host/bu%2Fcket",
            "s3:https://host/bucket/../x",
            "s3:https://host/bucket/%2E%2e/x",
            "s3:https://host/./bucket",
            "s3:not a url",
        ] {
            assert!(
                matches!(cfg(bad), Err(Error::Invalid(_))),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn validates_part_size() {
        let c = cfg("s3:http://127.0.0.1:9000/b")
            .unwrap()
            .with_multipart(1, 1024);
        assert!(matches!(c.validate(), Err(Error::Invalid(_))));
        assert!(S3Storage::new(c).is_err());
    }

    #[test]
    fn maps_statuses_to_errors() {
        let op = Op {
            what: "reading",
            key: "data/ab/abcd",
            object: Some((FileKind::Pack, "abcd")),
        };
        assert!(matches!(
            status_error(op, 403, Some("AccessDenied"), None),
            Error::AccessDenied { status: 403, .. }
        ));
        assert!(matches!(
            status_error(op, 404, Some("NoSuchKey"), None),
            Error::NotFound {
                kind: FileKind::Pack,
                ..
            }
        ));
        assert!(matches!(
            status_error(op, 404, Some("NoSuchBucket"), None),
            Error::Storage {
                status: Some(404),
                ..
            }
        ));
        match status_error(op, 503, Some("SlowDown"), Some("Please reduce")) {
            Error::Storage {
                status: Some(503),
                message,
                ..
            } => assert_eq!(message, "HTTP 503 SlowDown: Please reduce"),
            other => panic!("unexpected {other:?}"),
        }
        match status_error(op, 403, Some("RequestTimeTooSkewed"), None) {
            Error::Storage { message, .. } => assert!(message.contains("clock")),
            other => panic!("unexpected {other:?}"),
        }
        assert!(not_implemented(&status_error(op, 501, None, None)));
        assert!(not_implemented(&status_error(
            op,
            400,
            Some("NotImplemented"),
            None
        )));
        assert!(!not_implemented(&status_error(op, 500, None, None)));
    }
}
