//! Retrying wrapper: repeats storage calls that failed for a transient reason.
//!
//! Transient: a request that never got an answer (connection refused or
//! reset, timeout, a cut-off body) and HTTP 5xx (except 501) / 408 / 429.
//! Everything else (4xx, not found, access denied, exists already, malformed
//! answers) is final and returned at once.
//!
//! Waits grow exponentially from `base_delay` (capped at [`MAX_DELAY`]) with
//! random jitter, so many clients that failed together do not retry together.

use std::time::Duration;

use super::{FileKind, ObjectInfo, Storage};
use crate::error::{Error, Result};

/// Longest single wait between two attempts.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// Default number of attempts (the first try included).
pub const DEFAULT_ATTEMPTS: u32 = 5;

/// Default wait before the second attempt.
pub const DEFAULT_BASE_DELAY: Duration = Duration::from_millis(500);

/// A [`Storage`] that retries the transient failures of `inner`.
#[derive(Debug)]
pub struct Retrying<S> {
    inner: S,
    attempts: u32,
    base_delay: Duration,
}

impl<S> Retrying<S> {
    /// Wraps `inner`; `attempts` counts the first try (0 is taken as 1).
    pub fn new(inner: S, attempts: u32, base_delay: Duration) -> Self {
        Retrying {
            inner,
            attempts: attempts.max(1),
            base_delay,
        }
    }

    /// Wraps `inner` with [`DEFAULT_ATTEMPTS`] and [`DEFAULT_BASE_DELAY`].
    pub fn with_defaults(inner: S) -> Self {
        Retrying::new(inner, DEFAULT_ATTEMPTS, DEFAULT_BASE_DELAY)
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the backend.
    pub fn into_inner(self) -> S {
        self.inner
    }

    /// The wait after failed attempt number `attempt` (1-based): the
    /// exponential delay, with the upper half randomized.
    fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        let full = self.base_delay.saturating_mul(factor).min(MAX_DELAY);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let random = getrandom::u64().unwrap_or(0);
        let extra = if jitter_ms == 0 {
            0
        } else {
            random % (jitter_ms + 1)
        };
        half + Duration::from_millis(extra)
    }
}

/// Whether an error is worth retrying.
pub fn is_transient(e: &Error) -> bool {
    match e {
        Error::Storage { status: None, .. } => true,
        Error::Storage {
            status: Some(s), ..
        } => matches!(*s, 408 | 429) || (*s >= 500 && *s != 501),
        _ => false,
    }
}

/// Sleeps for `d` (tokio timer natively).
#[cfg(not(target_arch = "wasm32"))]
pub async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

/// Sleeps for `d` (`setTimeout` of `globalThis` in the browser, so it works
/// in windows and workers alike).
#[cfg(target_arch = "wasm32")]
pub async fn sleep(d: Duration) {
    use wasm_bindgen::{JsCast, JsValue};

    let ms = f64::from(u32::try_from(d.as_millis()).unwrap_or(u32::MAX));
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                if let Err(e) = f.call2(&global, &resolve, &JsValue::from_f64(ms)) {
                    let _ = reject.call1(&JsValue::UNDEFINED, &e);
                }
            }
            None => {
                // No timer at all: resolve at once rather than hang.
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl<S: Storage> Retrying<S> {
    /// Runs `call` until it succeeds, fails for good, or attempts run out.
    async fn run<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let mut attempt = 1;
        loop {
            match call(attempt).await {
                Err(e) if attempt < self.attempts && is_transient(&e) => {
                    sleep(self.delay(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
impl<S: Storage> Storage for Retrying<S> {
    fn location(&self) -> String {
        self.inner.location()
    }

    /// Retries like the other calls; an [`Error::AlreadyExists`] on a retry
    /// (the failed attempt may have stored the object after all) counts as
    /// success when the stored size equals `data.len()`.
    async fn put(&self, kind: FileKind, name: &str, data: Vec<u8>) -> Result<()> {
        let len = data.len() as u64;
        let data = &data;
        self.run(|attempt| async move {
            match self.inner.put(kind, name, data.clone()).await {
                Err(Error::AlreadyExists { kind, name }) if attempt > 1 => {
                    match self.inner.stat(kind, &name).await? {
                        Some(size) if size == len => Ok(()),
                        _ => Err(Error::AlreadyExists { kind, name }),
                    }
                }
                other => other,
            }
        })
        .await
    }

    async fn get(&self, kind: FileKind, name: &str) -> Result<Vec<u8>> {
        self.run(|_| self.inner.get(kind, name)).await
    }

    async fn get_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>> {
        self.run(|_| self.inner.get_range(kind, name, offset, length))
            .await
    }

    async fn stat(&self, kind: FileKind, name: &str) -> Result<Option<u64>> {
        self.run(|_| self.inner.stat(kind, name)).await
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<ObjectInfo>> {
        self.run(|_| self.inner.list(kind)).await
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<()> {
        self.run(|_| self.inner.delete(kind, name)).await
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// An in-memory store that fails the first calls as scripted.
    #[derive(Default)]
    struct Flaky {
        objects: Mutex<HashMap<String, Vec<u8>>>,
        /// Errors to return, one per call, before behaving.
        failures: Mutex<Vec<Error>>,
        /// Whether a failing put stores its data anyway (lost answer).
        store_before_failing: bool,
        /// Whether what a failing put stores is cut to one byte.
        store_truncated: bool,
        calls: Mutex<u32>,
    }

    impl Flaky {
        fn fail(&self) -> Option<Error> {
            *self.calls.lock().unwrap() += 1;
            let mut f = self.failures.lock().unwrap();
            if f.is_empty() {
                None
            } else {
                Some(f.remove(0))
            }
        }
    }

    fn transient() -> Error {
        Error::Storage {
            op: "test",
            key: "k".into(),
            message: "HTTP 503".into(),
            status: Some(503),
        }
    }

    #[async_trait::async_trait]
    impl Storage for Flaky {
        fn location(&self) -> String {
            "flaky".into()
        }
        async fn put(&self, kind: FileKind, name: &str, data: Vec<u8>) -> Result<()> {
            let mut objects = self.objects.lock().unwrap();
            if objects.contains_key(name) {
                return Err(Error::AlreadyExists {
                    kind,
                    name: name.into(),
                });
            }
            if let Some(e) = self.fail() {
                if self.store_before_failing {
                    let stored = if self.store_truncated {
                        data[..1].to_vec()
                    } else {
                        data
                    };
                    objects.insert(name.into(), stored);
                }
                return Err(e);
            }
            objects.insert(name.into(), data);
            Ok(())
        }
        async fn get(&self, kind: FileKind, name: &str) -> Result<Vec<u8>> {
            if let Some(e) = self.fail() {
                return Err(e);
            }
            self.objects
                .lock()
                .unwrap()
                .get(name)
                .cloned()
                .ok_or(Error::NotFound {
                    kind,
                    name: name.into(),
                })
        }
        async fn get_range(&self, kind: FileKind, name: &str, o: u64, l: u64) -> Result<Vec<u8>> {
            let all = self.get(kind, name).await?;
            Ok(all[o as usize..(o + l) as usize].to_vec())
        }
        async fn stat(&self, _: FileKind, name: &str) -> Result<Option<u64>> {
            Ok(self
                .objects
                .lock()
                .unwrap()
                .get(name)
                .map(|d| d.len() as u64))
        }
        async fn list(&self, _: FileKind) -> Result<Vec<ObjectInfo>> {
            if let Some(e) = self.fail() {
                return Err(e);
            }
            Ok(Vec::new())
        }
        async fn delete(&self, _: FileKind, name: &str) -> Result<()> {
            self.objects.lock().unwrap().remove(name);
            Ok(())
        }
    }

    fn retrying(f: Flaky) -> Retrying<Flaky> {
        Retrying::new(f, 4, Duration::from_millis(1))
    }

    #[test]
    fn classifies_errors() {
        assert!(is_transient(&transient()));
        let with = |status| Error::Storage {
            op: "x",
            key: "k".into(),
            message: String::new(),
            status,
        };
        assert!(is_transient(&with(None)));
        assert!(is_transient(&with(Some(429))));
        assert!(is_transient(&with(Some(500))));
        assert!(!is_transient(&with(Some(501))));
        assert!(!is_transient(&with(Some(400))));
        assert!(!is_transient(&with(Some(404))));
        assert!(!is_transient(&Error::AccessDenied {
            op: "x",
            key: "k".into(),
            status: 403
        }));
        assert!(!is_transient(&Error::NotFound {
            kind: FileKind::Pack,
            name: "n".into()
        }));
        assert!(!is_transient(&Error::AlreadyExists {
            kind: FileKind::Pack,
            name: "n".into()
        }));
    }

    #[test]
    fn delays_grow_and_are_capped() {
        let r = Retrying::new((), 10, Duration::from_millis(100));
        for _ in 0..50 {
            let d1 = r.delay(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = r.delay(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400));
            assert!(r.delay(30) <= MAX_DELAY);
        }
        assert_eq!(Retrying::new((), 0, Duration::ZERO).attempts, 1);
    }

    #[tokio::test]
    async fn retries_transient_failures_then_succeeds() {
        let f = Flaky::default();
        *f.failures.lock().unwrap() = vec![transient(), transient()];
        let r = retrying(f);
        r.put(FileKind::Pack, "a", b"xyz".to_vec()).await.unwrap();
        assert_eq!(*r.inner().calls.lock().unwrap(), 3);
        assert_eq!(r.get(FileKind::Pack, "a").await.unwrap(), b"xyz");
    }

    #[tokio::test]
    async fn gives_up_after_the_last_attempt() {
        let f = Flaky::default();
        *f.failures.lock().unwrap() = (0..10).map(|_| transient()).collect();
        let r = retrying(f);
        let e = r.list(FileKind::Index).await.unwrap_err();
        assert!(is_transient(&e));
        assert_eq!(*r.inner().calls.lock().unwrap(), 4);
    }

    #[tokio::test]
    async fn does_not_retry_final_errors() {
        let f = Flaky::default();
        *f.failures.lock().unwrap() = vec![Error::AccessDenied {
            op: "x",
            key: "k".into(),
            status: 403,
        }];
        let r = retrying(f);
        assert!(matches!(
            r.get(FileKind::Pack, "a").await,
            Err(Error::AccessDenied { .. })
        ));
        assert_eq!(*r.inner().calls.lock().unwrap(), 1);
        assert!(matches!(
            r.get(FileKind::Pack, "missing").await,
            Err(Error::NotFound { .. })
        ));
        assert_eq!(*r.inner().calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_put_that_landed_before_failing_counts_as_done() {
        let f = Flaky {
            store_before_failing: true,
            ..Flaky::default()
        };
        *f.failures.lock().unwrap() = vec![transient()];
        let r = retrying(f);
        r.put(FileKind::Pack, "a", b"xyz".to_vec()).await.unwrap();
    }

    #[tokio::test]
    async fn already_exists_is_final_on_the_first_attempt_or_with_another_size() {
        let r = retrying(Flaky::default());
        r.put(FileKind::Pack, "a", b"xyz".to_vec()).await.unwrap();
        assert!(matches!(
            r.put(FileKind::Pack, "a", b"xyz".to_vec()).await,
            Err(Error::AlreadyExists { .. })
        ));
        // The failed attempt left an object of another size: not ours.
        let f = Flaky {
            store_before_failing: true,
            store_truncated: true,
            ..Flaky::default()
        };
        *f.failures.lock().unwrap() = vec![transient()];
        let r = retrying(f);
        assert!(matches!(
            r.put(FileKind::Pack, "c", b"12345".to_vec()).await,
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(*r.inner().calls.lock().unwrap(), 1);
    }
}
