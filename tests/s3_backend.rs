//! The S3 backend against real S3 servers on 127.0.0.1.
//!
//! - s3s-fs runs in-process (always): it checks SigV4 strictly, so these
//!   tests prove the signatures, including presigned URLs.
//! - moto runs only when `STRONGBOX_MOTO_ENDPOINT` is set: to the address of
//!   a running `moto_server` (`http://127.0.0.1:PORT`), or to `spawn` to let
//!   the test start `moto_server` itself. Otherwise the test says it is
//!   skipped.
//!
//! A small TCP proxy in front of either server injects 503 answers, reset
//! connections and lost answers, to exercise [`Retrying`].

#![cfg(not(target_arch = "wasm32"))]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use reqwest::Method;
use strongbox::error::Error;
use strongbox::storage::presign::KeyPresigner;
use strongbox::storage::retry::Retrying;
use strongbox::storage::s3::{S3Config, S3Storage};
use strongbox::storage::{FileKind, Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const AK: &str = "strongbox-test-key";
const SK: &str = "strongbox-test-secret-0123456789";
const MIB: usize = 1024 * 1024;

/// Deterministic, incompressible-looking test data.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A 64-hex-digit name derived from `i`.
fn name(i: u64) -> String {
    strongbox::storage::sigv4::sha256_hex(&i.to_le_bytes())
}

/// An s3s-fs server on 127.0.0.1 with one bucket, `bucket`.
struct S3sServer {
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

async fn start_s3s() -> S3sServer {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("bucket")).unwrap();
    let fs = s3s_fs::FileSystem::new(dir.path()).unwrap();
    let mut builder = s3s::service::S3ServiceBuilder::new(fs);
    builder.set_auth(s3s::auth::SimpleAuth::from_single(AK, SK));
    let service = builder.build();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        while let Ok((socket, _)) = listener.accept().await {
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    S3sServer { addr, _dir: dir }
}

/// A plain HTTP client (natively, reqwest needs a rustls provider even for
/// plain HTTP).
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn config(endpoint: &str, bucket_and_prefix: &str, secret: &str) -> S3Config {
    S3Config::from_repo_url(&format!("s3:{endpoint}/{bucket_and_prefix}"), AK, secret)
        .unwrap()
        .with_multipart(6 * MIB, 5 * MIB)
}

fn storage(endpoint: &str, bucket_and_prefix: &str) -> S3Storage {
    S3Storage::new(config(endpoint, bucket_and_prefix, SK)).unwrap()
}

/// put/get/range/stat/list/delete, shared by the s3s-fs and moto tests.
async fn round_trip(s: &impl Storage) {
    let config = data(300, 1);
    s.put(FileKind::Config, "config", config.clone())
        .await
        .unwrap();
    assert_eq!(s.get(FileKind::Config, "config").await.unwrap(), config);

    let packs: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (name(i), data(1000 + i as usize * 17, i + 10)))
        .collect();
    for (n, d) in &packs {
        s.put(FileKind::Pack, n, d.clone()).await.unwrap();
    }
    s.put(FileKind::Index, &name(100), data(10, 100))
        .await
        .unwrap();
    s.put(FileKind::Key, &name(101), data(11, 101))
        .await
        .unwrap();

    // Ranges: start, middle, end, empty, outside.
    let (n0, d0) = &packs[0];
    assert_eq!(
        s.get_range(FileKind::Pack, n0, 0, 10).await.unwrap(),
        d0[..10]
    );
    assert_eq!(
        s.get_range(FileKind::Pack, n0, 500, 123).await.unwrap(),
        d0[500..623]
    );
    assert_eq!(
        s.get_range(FileKind::Pack, n0, 990, 10).await.unwrap(),
        d0[990..1000]
    );
    assert!(s
        .get_range(FileKind::Pack, n0, 10, 0)
        .await
        .unwrap()
        .is_empty());
    let e = s.get_range(FileKind::Pack, n0, 995, 10).await.unwrap_err();
    assert!(matches!(e, Error::Storage { .. }), "{e:?}");
    let e = s.get_range(FileKind::Pack, n0, 5000, 10).await.unwrap_err();
    assert!(matches!(e, Error::Storage { .. }), "{e:?}");
    let e = s
        .get_range(FileKind::Pack, &name(999), 0, 10)
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");

    // Stat.
    assert_eq!(s.stat(FileKind::Pack, n0).await.unwrap(), Some(1000));
    assert_eq!(s.stat(FileKind::Pack, &name(999)).await.unwrap(), None);

    // Lists: packs across shard folders, by last path component.
    let mut listed = s.list(FileKind::Pack).await.unwrap();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    let mut expected: Vec<(String, u64)> = packs
        .iter()
        .map(|(n, d)| (n.clone(), d.len() as u64))
        .collect();
    expected.sort();
    assert_eq!(
        listed
            .iter()
            .map(|o| (o.name.clone(), o.size))
            .collect::<Vec<_>>(),
        expected
    );
    let index = s.list(FileKind::Index).await.unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(index[0].name, name(100));
    assert_eq!(index[0].size, 10);
    let cfg = s.list(FileKind::Config).await.unwrap();
    assert_eq!(cfg.len(), 1);
    assert_eq!((cfg[0].name.as_str(), cfg[0].size), ("config", 300));
    assert!(s.list(FileKind::Snapshot).await.unwrap().is_empty());

    // Create-only.
    let e = s.put(FileKind::Pack, n0, d0.clone()).await.unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
    assert_eq!(s.get(FileKind::Pack, n0).await.unwrap(), *d0);

    // Missing objects.
    let e = s.get(FileKind::Snapshot, &name(999)).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                kind: FileKind::Snapshot,
                ..
            }
        ),
        "{e:?}"
    );

    // Delete, twice.
    s.delete(FileKind::Pack, n0).await.unwrap();
    s.delete(FileKind::Pack, n0).await.unwrap();
    assert_eq!(s.stat(FileKind::Pack, n0).await.unwrap(), None);
    assert!(s.get(FileKind::Pack, n0).await.unwrap_err().is_not_found());
    assert_eq!(s.list(FileKind::Pack).await.unwrap().len(), 4);
}

/// Multipart upload above the threshold, shared by both servers.
async fn multipart(s: &impl Storage) {
    let big = data(11 * MIB + 12345, 7);
    let n = name(7);
    s.put(FileKind::Pack, &n, big.clone()).await.unwrap();
    assert_eq!(
        s.stat(FileKind::Pack, &n).await.unwrap(),
        Some(big.len() as u64)
    );
    let got = s.get(FileKind::Pack, &n).await.unwrap();
    assert!(got == big, "multipart object differs");
    // A range across the first part boundary.
    let at = 5 * MIB as u64 - 100;
    assert_eq!(
        s.get_range(FileKind::Pack, &n, at, 200).await.unwrap(),
        big[at as usize..at as usize + 200]
    );
    let e = s.put(FileKind::Pack, &n, big).await.unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_round_trip_with_prefix_and_at_the_root() {
    let server = start_s3s().await;
    let endpoint = format!("http://{}", server.addr);
    let s = storage(&endpoint, "bucket/repos/shop-1");
    assert_eq!(s.location(), format!("s3:{endpoint}/bucket/repos/shop-1"));
    round_trip(&s).await;
    assert!(!s.conditional_put_unsupported());
    // A second repository at the bucket root does not see the first.
    let root = storage(&endpoint, "bucket");
    assert!(root.list(FileKind::Pack).await.unwrap().is_empty());
    assert!(root.list(FileKind::Config).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_multipart_upload() {
    let server = start_s3s().await;
    let s = storage(&format!("http://{}", server.addr), "bucket/mp");
    multipart(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_list_follows_continuation_tokens() {
    let server = start_s3s().await;
    let s = Arc::new(storage(&format!("http://{}", server.addr), "bucket/many"));
    let count = 1005u64;
    let mut tasks = Vec::new();
    for chunk in 0..8u64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = chunk;
            while i < count {
                s.put(FileKind::Index, &name(i), vec![1; (i % 7) as usize])
                    .await
                    .unwrap();
                i += 8;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let listed = s.list(FileKind::Index).await.unwrap();
    assert_eq!(listed.len(), count as usize);
    let mut names: Vec<_> = listed.iter().map(|o| o.name.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count as usize);
    assert!(listed.iter().all(|o| o.size < 7));
}

/// The browser's mode: no secret in the backend, every request sent to a
/// URL presigned elsewhere (here by [`KeyPresigner`], the plugin's job in
/// production), checked strictly by s3s.
fn presigned(endpoint: &str, bucket_and_prefix: &str, secret: &str) -> S3Storage {
    let signer = Arc::new(KeyPresigner::new(
        config(endpoint, bucket_and_prefix, secret),
        600,
    ));
    let mut public = config(endpoint, bucket_and_prefix, "x");
    public.access_key.clear();
    public.secret_key.clear();
    S3Storage::presigned(public, http_client(), signer).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_presigned_mode_round_trip_and_listing() {
    let server = start_s3s().await;
    let endpoint = format!("http://{}", server.addr);
    let s = presigned(&endpoint, "bucket/browser", SK);
    round_trip(&s).await;
    // Large objects go up in one PUT (no multipart through presigned URLs).
    let big = data(40 << 20, 7);
    s.put(FileKind::Pack, &name(900), big.clone())
        .await
        .unwrap();
    assert_eq!(s.get(FileKind::Pack, &name(900)).await.unwrap(), big);
    // Listings page through continuation tokens (presigned per page).
    let before = s.list(FileKind::Index).await.unwrap().len();
    for i in 0..1003u64 {
        s.put(FileKind::Index, &name(50_000 + i), vec![1])
            .await
            .unwrap();
    }
    assert_eq!(s.list(FileKind::Index).await.unwrap().len(), before + 1003);
    // What the keyed backend wrote, the presigned one reads, and back.
    let keyed = storage(&endpoint, "bucket/browser");
    assert_eq!(keyed.get(FileKind::Pack, &name(900)).await.unwrap(), big);
    // A signer with the wrong secret gets refused by the server.
    let bad = presigned(&endpoint, "bucket/browser", "not-the-secret");
    let e = bad.get(FileKind::Pack, &name(900)).await.unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied { status: 403, .. }),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_refuses_a_wrong_secret() {
    let server = start_s3s().await;
    let endpoint = format!("http://{}", server.addr);
    let good = storage(&endpoint, "bucket/r");
    good.put(FileKind::Key, &name(1), b"k".to_vec())
        .await
        .unwrap();

    let bad = S3Storage::new(config(&endpoint, "bucket/r", "not-the-secret")).unwrap();
    let e = bad
        .put(FileKind::Key, &name(2), b"k".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied { status: 403, .. }),
        "{e:?}"
    );
    let e = bad.get(FileKind::Key, &name(1)).await.unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied { status: 403, .. }),
        "{e:?}"
    );
    let e = bad.list(FileKind::Key).await.unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied { status: 403, .. }),
        "{e:?}"
    );
    // Nothing was written with the wrong secret.
    assert_eq!(good.stat(FileKind::Key, &name(2)).await.unwrap(), None);
    // The retry wrapper does not retry it.
    let retrying = Retrying::new(bad, 5, Duration::from_secs(10));
    let started = std::time::Instant::now();
    assert!(matches!(
        retrying.get(FileKind::Key, &name(1)).await,
        Err(Error::AccessDenied { .. })
    ));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_presigned_urls() {
    let server = start_s3s().await;
    let s = storage(&format!("http://{}", server.addr), "bucket/p");
    let http = http_client();
    let body = data(4321, 3);
    let n = name(3);

    // A presigned PUT, as a browser would send it.
    let put = s.presign_url(Method::PUT, FileKind::Pack, &n, 600, Utc::now());
    assert!(
        put.contains(&format!("/bucket/p/data/{}/{n}?", &n[..2])),
        "{put}"
    );
    let resp = http
        .put(&put)
        .header("content-type", "application/octet-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(s.get(FileKind::Pack, &n).await.unwrap(), body);

    // A presigned GET.
    let get = s.presign_url(Method::GET, FileKind::Pack, &n, 600, Utc::now());
    let resp = http.get(&get).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap(), body);

    // Tampered: another signature, another object, a longer validity.
    let last = get.chars().last().unwrap();
    let flipped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &get[..get.len() - 1]);
    let other = get.replace(&format!("/{n}?"), &format!("/{}?", name(4)));
    let longer = get.replace("X-Amz-Expires=600", "X-Amz-Expires=6000");
    for url in [tampered, other, longer] {
        let resp = http.get(&url).send().await.unwrap();
        assert_eq!(resp.status(), 403, "{url} was accepted");
    }
    // Tampered PUT: the URL of one object used for another.
    let put_other = put.replace(&format!("/{n}?"), &format!("/{}?", name(5)));
    let resp = http
        .put(&put_other)
        .header("content-type", "application/octet-stream")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(s.stat(FileKind::Pack, &name(5)).await.unwrap(), None);

    // Expired.
    let old = Utc::now() - chrono::Duration::hours(2);
    let expired = s.presign_url(Method::GET, FileKind::Pack, &n, 60, old);
    let resp = http.get(&expired).send().await.unwrap();
    assert_eq!(resp.status(), 403);
}

// ---- Fault-injecting proxy ----

/// What the proxy does with one incoming connection.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// Reads the request, answers 503 SlowDown.
    Http503,
    /// Reads the request, then resets the connection.
    Reset,
    /// Forwards the request, waits for the answer, then drops the
    /// connection without passing the answer on (the write happened).
    Swallow,
}

struct Proxy {
    addr: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    connections: Arc<AtomicUsize>,
    /// When set, requests with `If-None-Match` get `501 Not Implemented`,
    /// like servers without conditional writes (one request per connection).
    no_conditional: Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn inject(&self, faults: &[Fault]) {
        self.faults.lock().unwrap().extend(faults.iter().copied());
    }

    fn pending(&self) -> usize {
        self.faults.lock().unwrap().len()
    }
}

/// Reads one HTTP/1.1 request or response (head and Content-Length body).
async fn read_message(conn: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = conn.read(&mut chunk).await.unwrap();
        if n == 0 {
            return buf;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = conn.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf
}

async fn start_proxy(upstream: SocketAddr) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let faults = Arc::new(Mutex::new(VecDeque::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let no_conditional = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (f, c, nc) = (faults.clone(), connections.clone(), no_conditional.clone());
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let fault = f.lock().unwrap().pop_front();
            let strict = nc.load(Ordering::SeqCst);
            tokio::spawn(async move {
                match fault {
                    None if strict => {
                        let request = read_message(&mut client).await;
                        let head_end = request
                            .windows(4)
                            .position(|w| w == b"\r\n\r\n")
                            .unwrap_or(request.len());
                        let head =
                            String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
                        if head.contains("\r\nif-none-match:") {
                            let body = "<Error><Code>NotImplemented</Code><Message>A header you provided implies functionality that is not implemented</Message></Error>";
                            let resp = format!(
                                "HTTP/1.1 501 Not Implemented\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                            let _ = client.write_all(resp.as_bytes()).await;
                            let _ = client.shutdown().await;
                        } else {
                            let mut server = TcpStream::connect(upstream).await.unwrap();
                            server.write_all(&request).await.unwrap();
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    }
                    None => {
                        let mut server = TcpStream::connect(upstream).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                    Some(Fault::Http503) => {
                        read_message(&mut client).await;
                        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                        let resp = format!(
                            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                            body.len()
                        );
                        let _ = client.write_all(resp.as_bytes()).await;
                        let _ = client.shutdown().await;
                    }
                    Some(Fault::Reset) => {
                        read_message(&mut client).await;
                        let _ = client.set_zero_linger();
                        drop(client);
                    }
                    Some(Fault::Swallow) => {
                        let request = read_message(&mut client).await;
                        let mut server = TcpStream::connect(upstream).await.unwrap();
                        server.write_all(&request).await.unwrap();
                        read_message(&mut server).await;
                        let _ = client.set_zero_linger();
                        drop(client);
                    }
                }
            });
        }
    });
    Proxy {
        addr,
        faults,
        connections,
        no_conditional,
    }
}

/// A backend whose client opens a new connection for every request, so
/// that each request meets the proxy's next fault.
fn unpooled(endpoint: &str, bucket_and_prefix: &str) -> S3Storage {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    S3Storage::with_client(config(endpoint, bucket_and_prefix, SK), client).unwrap()
}

/// Retry behaviour through the fault proxy, shared by both servers.
async fn retries_through_faults(proxy: &Proxy, bucket_and_prefix: &str) {
    let direct = unpooled(&proxy.url(), bucket_and_prefix);
    let s = Retrying::new(direct, 4, Duration::from_millis(20));

    // 503 then a reset connection, then success.
    proxy.inject(&[Fault::Http503, Fault::Reset]);
    let d = data(2000, 42);
    s.put(FileKind::Snapshot, &name(42), d.clone())
        .await
        .unwrap();
    assert_eq!(proxy.pending(), 0);
    proxy.inject(&[Fault::Reset, Fault::Http503]);
    assert_eq!(s.get(FileKind::Snapshot, &name(42)).await.unwrap(), d);
    proxy.inject(&[Fault::Http503]);
    assert_eq!(s.list(FileKind::Snapshot).await.unwrap().len(), 1);
    proxy.inject(&[Fault::Reset]);
    assert_eq!(
        s.get_range(FileKind::Snapshot, &name(42), 100, 50)
            .await
            .unwrap(),
        d[100..150]
    );

    // The first PUT lands but its answer is lost: the retry finds the
    // object (412), sees the same size and reports success.
    proxy.inject(&[Fault::Swallow]);
    s.put(FileKind::Snapshot, &name(43), d.clone())
        .await
        .unwrap();
    assert_eq!(s.get(FileKind::Snapshot, &name(43)).await.unwrap(), d);

    // An object of another size under that name is not ours.
    proxy.inject(&[Fault::Reset]);
    let e = s
        .put(FileKind::Snapshot, &name(43), data(10, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");

    // Without the wrapper the 503 is an error with its S3 code.
    let direct = unpooled(&proxy.url(), bucket_and_prefix);
    proxy.inject(&[Fault::Http503]);
    match direct.get(FileKind::Snapshot, &name(42)).await.unwrap_err() {
        Error::Storage {
            status: Some(503),
            message,
            ..
        } => assert!(message.contains("SlowDown"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }
    // A reset is a request error without status.
    proxy.inject(&[Fault::Reset]);
    let e = direct.get(FileKind::Snapshot, &name(42)).await.unwrap_err();
    assert!(matches!(e, Error::Storage { status: None, .. }), "{e:?}");

    // Attempts run out.
    proxy.inject(&[Fault::Http503; 4]);
    let before = proxy.connections.load(Ordering::SeqCst);
    let e = s.get(FileKind::Snapshot, &name(42)).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Storage {
                status: Some(503),
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(proxy.connections.load(Ordering::SeqCst) - before, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_retries_through_injected_faults() {
    let server = start_s3s().await;
    let proxy = start_proxy(server.addr).await;
    retries_through_faults(&proxy, "bucket/retry").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3s_falls_back_when_if_none_match_is_not_implemented() {
    let server = start_s3s().await;
    let proxy = start_proxy(server.addr).await;
    proxy.no_conditional.store(true, Ordering::SeqCst);
    let s = unpooled(&proxy.url(), "bucket/no-inm");
    let small = data(100, 5);
    s.put(FileKind::Index, &name(5), small.clone())
        .await
        .unwrap();
    assert!(s.conditional_put_unsupported());
    assert_eq!(s.get(FileKind::Index, &name(5)).await.unwrap(), small);
    let e = s.put(FileKind::Index, &name(5), small).await.unwrap_err();
    assert!(matches!(e, Error::AlreadyExists { .. }), "{e:?}");

    // Multipart: a fresh backend learns it at CompleteMultipartUpload.
    let s = unpooled(&proxy.url(), "bucket/no-inm-mp");
    multipart(&s).await;
    assert!(s.conditional_put_unsupported());
}

// ---- moto ----

/// A moto_server process this test started, killed on drop.
struct Moto(std::process::Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn moto_endpoint() -> Option<(String, Option<Moto>)> {
    let value = std::env::var("STRONGBOX_MOTO_ENDPOINT").ok()?;
    if value != "spawn" {
        return Some((value.trim_end_matches('/').to_string(), None));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .env("MOTO_DISABLE_GLOBAL_CORS", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server on PATH");
    let moto = Moto(child);
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Some((format!("http://127.0.0.1:{port}"), Some(moto)));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto_server did not start on port {port}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_conditional_writes_multipart_and_retries() {
    let Some((endpoint, _moto)) = moto_endpoint().await else {
        assert!(
            std::env::var("STRONGBOX_REQUIRE_SERVICES").is_err(),
            "STRONGBOX_REQUIRE_SERVICES is set but STRONGBOX_MOTO_ENDPOINT is not: start scripts/moto"
        );
        println!("skipped: set STRONGBOX_MOTO_ENDPOINT=http://127.0.0.1:PORT (a running moto_server) or =spawn");
        return;
    };
    // moto does not check signatures: create the bucket with a plain PUT.
    let bucket = format!("strongbox-{}", std::process::id());
    let http = http_client();
    let resp = http
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "creating the bucket: {}",
        resp.status()
    );

    let s = storage(&endpoint, &format!("{bucket}/repo"));
    round_trip(&s).await;
    // moto answers If-None-Match: * with 412, so no fallback was needed.
    assert!(!s.conditional_put_unsupported());
    multipart(&s).await;

    let upstream: SocketAddr = endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("moto endpoint as http://IP:PORT");
    let proxy = start_proxy(upstream).await;
    retries_through_faults(&proxy, &format!("{bucket}/retry")).await;
}
