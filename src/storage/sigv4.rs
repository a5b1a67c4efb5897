//! AWS Signature Version 4: header signing and query-string presigning.
//!
//! Everything here is a pure function of its inputs, including the signing
//! time, so the published AWS test vectors can pin the output byte for byte.
//!
//! Conventions, as S3 expects them (and as the generic AWS test suite uses
//! them for the requests it covers):
//!
//! - paths are given *decoded* (`/test$file.text`); every segment is
//!   URI-encoded exactly once with [`uri_encode`], slashes kept. S3 does not
//!   double-encode, unlike most other AWS services, and does not normalize
//!   `.`/`..` segments, so neither does this module;
//! - query parameters are given decoded as `(name, value)` pairs; both parts
//!   are URI-encoded (slashes too) and sorted by encoded name, then value;
//! - header names are lowercased, values trimmed with inner runs of spaces
//!   collapsed to one, repeated headers joined with `,` in the order given,
//!   and the list sorted by name;
//! - the payload is represented by its SHA-256 in hex, or by
//!   [`UNSIGNED_PAYLOAD`].

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The signing algorithm name, first line of every string to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The payload hash that tells S3 the body is not covered by the signature
/// (used by presigned URLs, whose body is unknown when signing).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// SHA-256 of the empty string, the payload hash of bodiless requests.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Longest validity S3 accepts for a presigned URL: 7 days, in seconds.
pub const MAX_PRESIGN_EXPIRES: u64 = 7 * 24 * 3600;

/// The service name S3 signs with.
pub const S3_SERVICE: &str = "s3";

/// Access key, secret key and optional session token (temporary credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id (`AKIA...`).
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token of temporary (STS) credentials, sent as
    /// `X-Amz-Security-Token` and covered by the signature.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// A request as the signer sees it. All strings are decoded (not
/// percent-encoded); the signer encodes them.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method in upper case (`GET`, `PUT`, ...).
    pub method: &'a str,
    /// Decoded absolute path (`/bucket/key`), starting with `/`.
    pub path: &'a str,
    /// Decoded query parameters, in any order.
    pub query: &'a [(&'a str, &'a str)],
    /// Every header to sign (name, value), including `host` and, for header
    /// signing, `x-amz-date`. Names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// Hex SHA-256 of the body, or [`UNSIGNED_PAYLOAD`].
    pub payload_hash: &'a str,
}

/// The intermediate and final results of signing one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The canonical request (task 1 of the SigV4 process).
    pub canonical_request: String,
    /// The string to sign (task 2).
    pub string_to_sign: String,
    /// `;`-separated lowercase names of the signed headers.
    pub signed_headers: String,
    /// The signature, 64 lowercase hex digits (task 3).
    pub signature: String,
    /// The credential scope `yyyymmdd/region/service/aws4_request`.
    pub scope: String,
}

impl Signature {
    /// The `Authorization` header value for `access_key`.
    pub fn authorization(&self, access_key: &str) -> String {
        format!(
            "{ALGORITHM} Credential={access_key}/{}, SignedHeaders={}, Signature={}",
            self.scope, self.signed_headers, self.signature
        )
    }
}

/// `20130524T000000Z`: the `x-amz-date` form of a time.
pub fn amz_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `20130524`: the date part of the credential scope.
pub fn scope_date(time: DateTime<Utc>) -> String {
    time.format("%Y%m%d").to_string()
}

/// The credential scope `yyyymmdd/region/service/aws4_request`.
pub fn credential_scope(time: DateTime<Utc>, region: &str, service: &str) -> String {
    format!("{}/{region}/{service}/aws4_request", scope_date(time))
}

/// AWS `UriEncode`: every byte except the unreserved characters
/// `A-Z a-z 0-9 - . _ ~` becomes `%XX` (upper-case hex); `/` is kept when
/// `encode_slash` is false (paths) and encoded when true (query parts).
pub fn uri_encode(input: &str, encode_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &b in input.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (b == b'/' && !encode_slash);
        if keep {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// The canonical URI of a decoded path: each segment encoded once, slashes
/// kept; an empty path becomes `/`.
pub fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    uri_encode(path, false)
}

/// The canonical query string: parameters encoded, sorted by name then value,
/// joined with `&`; a parameter without value is written `name=`.
pub fn canonical_query(query: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Trims a header value and collapses inner runs of spaces to one space.
fn canonical_header_value(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical headers block (each line `name:value\n`) and the signed
/// headers list, from headers in any order and case.
pub fn canonical_headers(headers: &[(&str, &str)]) -> (String, String) {
    // Stable sort by name keeps repeated headers in their given order.
    let mut lowered: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), canonical_header_value(v)))
        .collect();
    lowered.sort_by(|a, b| a.0.cmp(&b.0));
    let mut block = String::new();
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lowered.len() {
        let name = &lowered[i].0;
        let mut values = vec![lowered[i].1.as_str()];
        let mut j = i + 1;
        while j < lowered.len() && lowered[j].0 == *name {
            values.push(lowered[j].1.as_str());
            j += 1;
        }
        block.push_str(name);
        block.push(':');
        block.push_str(&values.join(","));
        block.push('\n');
        names.push(name.clone());
        i = j;
    }
    (block, names.join(";"))
}

/// Task 1: the canonical request and the signed headers list.
pub fn canonical_request(req: &SignableRequest<'_>) -> (String, String) {
    let (headers, signed) = canonical_headers(req.headers);
    let creq = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        canonical_uri(req.path),
        canonical_query(req.query),
        headers,
        signed,
        req.payload_hash
    );
    (creq, signed)
}

/// Task 2: the string to sign of a canonical request.
pub fn string_to_sign(time: DateTime<Utc>, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        amz_date(time),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Hex SHA-256 of `data` (the payload hash of a signed body).
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an
    // all-zero MAC rather than panic if a future version disagrees.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0u8; 32],
    }
}

/// Task 3a: the signing key derived from the secret, date, region and service.
pub fn signing_key(secret_key: &str, time: DateTime<Utc>, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(
        format!("AWS4{secret_key}").as_bytes(),
        scope_date(time).as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Signs a request whose headers are complete (they must already contain
/// `host` and `x-amz-date`, and any `x-amz-content-sha256` or
/// `x-amz-security-token` that should be signed).
pub fn sign(
    req: &SignableRequest<'_>,
    secret_key: &str,
    region: &str,
    service: &str,
    time: DateTime<Utc>,
) -> Signature {
    let (creq, signed_headers) = canonical_request(req);
    let scope = credential_scope(time, region, service);
    let sts = string_to_sign(time, &scope, &creq);
    let key = signing_key(secret_key, time, region, service);
    let signature = hex::encode(hmac_sha256(&key, sts.as_bytes()));
    Signature {
        canonical_request: creq,
        string_to_sign: sts,
        signed_headers,
        signature,
        scope,
    }
}

/// Signs an S3 request with an `Authorization` header.
///
/// `headers` are the request's own headers to sign besides `host` (for
/// example `range`, `if-none-match`, `content-type`). Returns the headers to
/// add to the request: `x-amz-date`, `x-amz-content-sha256`,
/// `x-amz-security-token` (with temporary credentials) and `authorization`.
/// The caller must not send a different `Host` than `host`.
#[allow(clippy::too_many_arguments)]
pub fn sign_s3_headers(
    method: &str,
    host: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    payload_hash: &str,
    credentials: &Credentials,
    region: &str,
    time: DateTime<Utc>,
) -> Vec<(String, String)> {
    let date = amz_date(time);
    let mut all: Vec<(&str, &str)> = Vec::with_capacity(headers.len() + 4);
    all.push(("host", host));
    all.extend_from_slice(headers);
    all.push(("x-amz-content-sha256", payload_hash));
    all.push(("x-amz-date", &date));
    if let Some(token) = &credentials.session_token {
        all.push(("x-amz-security-token", token));
    }
    let req = SignableRequest {
        method,
        path,
        query,
        headers: &all,
        payload_hash,
    };
    let sig = sign(&req, &credentials.secret_key, region, S3_SERVICE, time);
    let mut out = vec![
        ("x-amz-date".to_string(), date.clone()),
        ("x-amz-content-sha256".to_string(), payload_hash.to_string()),
    ];
    if let Some(token) = &credentials.session_token {
        out.push(("x-amz-security-token".to_string(), token.clone()));
    }
    out.push((
        "authorization".to_string(),
        sig.authorization(&credentials.access_key),
    ));
    out
}

/// A presigned URL and how it was computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The full URL to hand out.
    pub url: String,
    /// The signature details (canonical request, string to sign, ...).
    pub signature: Signature,
}

/// Presigns an S3 request in the query string (`X-Amz-Signature=...`).
///
/// `base` is `scheme://host[:port]` (no trailing slash), `host` the value of
/// the `Host` header the client will send (the host of `base`), `path` the
/// decoded path and `query` any extra decoded parameters the request needs
/// (for example `partNumber` and `uploadId`). Only `host` is signed, the
/// payload is `UNSIGNED-PAYLOAD`. `expires_secs` is clamped to 1..=7 days,
/// the range S3 accepts.
#[allow(clippy::too_many_arguments)]
pub fn presign(
    method: &str,
    base: &str,
    host: &str,
    path: &str,
    query: &[(&str, &str)],
    credentials: &Credentials,
    region: &str,
    expires_secs: u64,
    time: DateTime<Utc>,
) -> Presigned {
    let date = amz_date(time);
    let credential = format!(
        "{}/{}",
        credentials.access_key,
        credential_scope(time, region, S3_SERVICE)
    );
    let expires = expires_secs.clamp(1, MAX_PRESIGN_EXPIRES).to_string();
    let mut params: Vec<(&str, &str)> = query.to_vec();
    params.push(("X-Amz-Algorithm", ALGORITHM));
    params.push(("X-Amz-Credential", &credential));
    params.push(("X-Amz-Date", &date));
    params.push(("X-Amz-Expires", &expires));
    params.push(("X-Amz-SignedHeaders", "host"));
    if let Some(token) = &credentials.session_token {
        params.push(("X-Amz-Security-Token", token));
    }
    let req = SignableRequest {
        method,
        path,
        query: &params,
        headers: &[("host", host)],
        payload_hash: UNSIGNED_PAYLOAD,
    };
    let signature = sign(&req, &credentials.secret_key, region, S3_SERVICE, time);
    let url = format!(
        "{base}{}?{}&X-Amz-Signature={}",
        canonical_uri(path),
        canonical_query(&params),
        signature.signature
    );
    Presigned { url, signature }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encode_keeps_only_unreserved() {
        assert_eq!(uri_encode("a-b_c.d~e/f", false), "a-b_c.d~e/f");
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
        assert_eq!(uri_encode("a b+c$", false), "a%20b%2Bc%24");
        assert_eq!(uri_encode("ሴ", false), "%E1%88%B4");
        assert_eq!(uri_encode("%", true), "%25");
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        assert_eq!(canonical_header_value("  a   b  c "), "a b c");
        assert_eq!(canonical_header_value(""), "");
        let (block, names) = canonical_headers(&[("B", " 2 "), ("a", "1"), ("b", "3")]);
        assert_eq!(block, "a:1\nb:2,3\n");
        assert_eq!(names, "a;b");
    }

    #[test]
    fn query_is_sorted_after_encoding() {
        assert_eq!(
            canonical_query(&[("b", "2"), ("a", "x y"), ("a", "1"), ("uploads", "")]),
            "a=1&a=x%20y&b=2&uploads="
        );
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn presign_clamps_expiry() {
        let creds = Credentials {
            access_key: "AK".into(),
            secret_key: "SK".into(),
            session_token: None,
        };
        let t = DateTime::from_timestamp(0, 0).unwrap_or_default();
        let p = presign(
            "GET",
            "http://h",
            "h",
            "/k",
            &[],
            &creds,
            "r",
            10_000_000,
            t,
        );
        assert!(p.url.contains("X-Amz-Expires=604800&"), "{}", p.url);
        let p = presign("GET", "http://h", "h", "/k", &[], &creds, "r", 0, t);
        assert!(p.url.contains("X-Amz-Expires=1&"), "{}", p.url);
    }
}
