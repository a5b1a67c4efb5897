//! HTTP client of the plugin's REST API (`/wp-json/strongbox/v1/`).

use std::sync::Mutex;

use reqwest::{Method, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Result};

/// How requests authenticate.
#[derive(Debug)]
pub enum Auth {
    /// The admin's login cookie (sent by the browser) plus the `wp_rest`
    /// nonce in `X-WP-Nonce`. The nonce can be replaced when refreshed.
    Nonce(Mutex<String>),
    /// An Application Password (HTTP Basic), for programs.
    ApplicationPassword {
        /// WordPress user name.
        user: String,
        /// The application password.
        password: String,
    },
}

/// A client of one site's Strongbox API.
#[derive(Debug)]
pub struct SiteClient {
    base: Url,
    auth: Auth,
    http: reqwest::Client,
}

impl SiteClient {
    /// A client for the API at `rest_url` (`https://shop/wp-json/strongbox/v1/`,
    /// or `https://shop/?rest_route=/strongbox/v1/` without pretty links).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an unusable URL.
    pub fn new(rest_url: &str, auth: Auth) -> Result<SiteClient> {
        let mut base = Url::parse(rest_url)
            .map_err(|e| Error::Invalid(format!("site API address {rest_url}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(Error::Invalid(format!(
                "site API address {rest_url}: must be http or https"
            )));
        }
        if base.query().is_none() && !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let http = {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .connect_timeout(std::time::Duration::from_secs(30))
                .read_timeout(std::time::Duration::from_secs(300))
                .build()
        };
        #[cfg(target_arch = "wasm32")]
        let http = reqwest::Client::builder().build();
        let http =
            http.map_err(|e| Error::Invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(SiteClient { base, auth, http })
    }

    /// The HTTP client (shared with the storage backend).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The API's address.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Replaces the `wp_rest` nonce (no effect with an application password).
    pub fn set_nonce(&self, nonce: &str) {
        if let Auth::Nonce(n) = &self.auth {
            if let Ok(mut guard) = n.lock() {
                *guard = nonce.to_string();
            }
        }
    }

    /// The URL of `route` (relative, like `files/read`) with `query`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the route makes no URL.
    pub fn url(&self, route: &str, query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.base.clone();
        let rest_route = url
            .query_pairs()
            .find(|(k, _)| k == "rest_route")
            .map(|(_, v)| v.into_owned());
        match rest_route {
            Some(r) => {
                let joined = format!("{}/{}", r.trim_end_matches('/'), route);
                let others: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "rest_route")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let mut q = url.query_pairs_mut();
                q.clear();
                q.append_pair("rest_route", &joined);
                for (k, v) in &others {
                    q.append_pair(k, v);
                }
            }
            None => {
                url = url
                    .join(route)
                    .map_err(|e| Error::Invalid(format!("site API route {route}: {e}")))?;
            }
        }
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// A request with authentication.
    pub fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let req = self.http.request(method, url);
        match &self.auth {
            Auth::Nonce(n) => {
                let nonce = n.lock().map(|g| g.clone()).unwrap_or_default();
                let req = req.header("x-wp-nonce", nonce);
                #[cfg(target_arch = "wasm32")]
                let req = req.fetch_credentials_same_origin();
                req
            }
            Auth::ApplicationPassword { user, password } => req.basic_auth(user, Some(password)),
        }
    }

    /// Sends a request and turns a non-success answer into [`Error::Site`].
    ///
    /// # Errors
    /// [`Error::Site`] for refusals, [`Error::Storage`]-like network failures
    /// as [`Error::Site`] with status 0.
    pub async fn send(&self, what: &str, req: RequestBuilder) -> Result<Response> {
        let resp = req.send().await.map_err(|e| Error::Site {
            what: what.to_string(),
            status: 0,
            code: "network".into(),
            message: format!(
                "the site could not be reached ({e}); check that it is online and retry"
            ),
        })?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let (code, message) = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => (
                v.get("code")
                    .and_then(|c| c.as_str())
                    .unwrap_or("unknown")
                    .to_string(),
                v.get("message")
                    .and_then(|c| c.as_str())
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(_) => (
                "unknown".to_string(),
                text.chars().take(300).collect::<String>(),
            ),
        };
        let message = match code.as_str() {
            "rest_cookie_invalid_nonce" => {
                "the page's security token expired; reload the page and start again".to_string()
            }
            _ if message.is_empty() => format!("HTTP {status}"),
            _ => message,
        };
        Err(Error::Site {
            what: what.to_string(),
            status,
            code,
            message,
        })
    }

    /// `GET` of a JSON route.
    ///
    /// # Errors
    /// See [`SiteClient::send`]; [`Error::Malformed`] for an unexpected body.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        route: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        let url = self.url(route, query)?;
        let resp = self.send(route, self.request(Method::GET, url)).await?;
        Self::json(route, resp).await
    }

    /// A JSON request with a JSON body.
    ///
    /// # Errors
    /// See [`SiteClient::get_json`].
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        method: Method,
        route: &str,
        body: &serde_json::Value,
    ) -> Result<T> {
        let url = self.url(route, &[])?;
        let req = self
            .request(method, url)
            .header("content-type", "application/json")
            .body(body.to_string());
        let resp = self.send(route, req).await?;
        Self::json(route, resp).await
    }

    /// The body of a successful response.
    ///
    /// # Errors
    /// [`Error::Site`] when the transfer breaks.
    pub async fn body(what: &str, resp: Response) -> Result<Vec<u8>> {
        resp.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| Error::Site {
                what: what.to_string(),
                status: 0,
                code: "network".into(),
                message: format!("the answer was cut off ({e}); retry"),
            })
    }

    async fn json<T: DeserializeOwned>(what: &str, resp: Response) -> Result<T> {
        let body = Self::body(what, resp).await?;
        serde_json::from_slice(&body).map_err(|e| {
            Error::malformed(
                format!("the site's answer to {what}"),
                format!(
                    "{e}; starts with {:?}",
                    String::from_utf8_lossy(&body[..body.len().min(120)])
                ),
            )
        })
    }
}
