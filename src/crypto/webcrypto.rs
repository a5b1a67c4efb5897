//! AES-256-GCM, HMAC-SHA-256 and SHA-256 through the browser's WebCrypto
//! (`crypto.subtle`), which is 6-14x (AES) and 2x (SHA-256) faster than the
//! same algorithms compiled to wasm (docs/BENCHMARKS.md). The output bytes
//! are the same as the Rust crates' (a test proves it), so a repository
//! written in the browser is read by the native CLI and the other way
//! round. Where WebCrypto is missing (a non-secure context, an old runtime)
//! every call returns `None` and the caller uses the Rust code.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// `crypto.subtle` of the current global (window or worker).
fn subtle() -> Option<Object> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok()?;
    subtle.dyn_into::<Object>().ok()
}

/// Whether WebCrypto is available here.
pub fn available() -> bool {
    subtle().is_some()
}

/// Calls `crypto.subtle[method](args...)` and awaits it.
async fn call(method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let s = subtle().ok_or(JsValue::NULL)?;
    let f: Function = Reflect::get(&s, &method.into())?.dyn_into()?;
    let arr = Array::new();
    for a in args {
        arr.push(a);
    }
    let p: Promise = f.apply(&s, &arr)?.dyn_into()?;
    JsFuture::from(p).await
}

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o.into()
}

fn bytes_of(v: &JsValue) -> Vec<u8> {
    Uint8Array::new(v).to_vec()
}

/// The imported AES-GCM key (none when unencrypted) and HMAC key.
type Imported = (Option<JsValue>, JsValue);

/// Imported keys of one repository (imported on first use).
#[derive(Clone)]
pub struct WebKeys {
    enc: Option<[u8; 32]>,
    mac: [u8; 32],
    imported: Rc<RefCell<Option<Imported>>>,
    /// Set after a failure: use the Rust code from then on.
    broken: Rc<RefCell<bool>>,
}

impl WebKeys {
    /// Keys for AES-256-GCM (`enc`, none when unencrypted) and HMAC (`mac`).
    pub fn new(enc: Option<[u8; 32]>, mac: [u8; 32]) -> WebKeys {
        WebKeys {
            enc,
            mac,
            imported: Rc::new(RefCell::new(None)),
            broken: Rc::new(RefCell::new(!available())),
        }
    }

    async fn keys(&self) -> Option<Imported> {
        if *self.broken.borrow() {
            return None;
        }
        if let Some(k) = self.imported.borrow().clone() {
            return Some(k);
        }
        let import = |raw: &[u8], alg: JsValue, usages: &[&str]| {
            let u = Array::new();
            for s in usages {
                u.push(&(*s).into());
            }
            let data: JsValue = Uint8Array::from(raw).into();
            vec!["raw".into(), data, alg, false.into(), u.into()]
        };
        let aes = match &self.enc {
            Some(k) => {
                let args = import(
                    k,
                    obj(&[("name", "AES-GCM".into())]),
                    &["encrypt", "decrypt"],
                );
                match call("importKey", &args).await {
                    Ok(v) => Some(v),
                    Err(_) => {
                        *self.broken.borrow_mut() = true;
                        return None;
                    }
                }
            }
            None => None,
        };
        let hmac_alg = obj(&[("name", "HMAC".into()), ("hash", "SHA-256".into())]);
        let hmac = match call("importKey", &import(&self.mac, hmac_alg, &["sign"])).await {
            Ok(v) => v,
            Err(_) => {
                *self.broken.borrow_mut() = true;
                return None;
            }
        };
        *self.imported.borrow_mut() = Some((aes.clone(), hmac.clone()));
        Some((aes, hmac))
    }

    /// HMAC-SHA-256 of `data`.
    pub async fn hmac(&self, data: &[u8]) -> Option<[u8; 32]> {
        let (_, key) = self.keys().await?;
        let v = call("sign", &["HMAC".into(), key, Uint8Array::from(data).into()])
            .await
            .ok()?;
        bytes_of(&v).try_into().ok()
    }

    /// AES-256-GCM of `plaintext` under `nonce`: ciphertext || tag.
    pub async fn encrypt(&self, nonce: &[u8; 12], plaintext: &[u8]) -> Option<Vec<u8>> {
        let (Some(key), _) = self.keys().await? else {
            return None;
        };
        let alg = obj(&[
            ("name", "AES-GCM".into()),
            ("iv", Uint8Array::from(&nonce[..]).into()),
        ]);
        let v = call("encrypt", &[alg, key, Uint8Array::from(plaintext).into()])
            .await
            .ok()?;
        Some(bytes_of(&v))
    }

    /// Opens ciphertext || tag: `Some(Err(()))` when it does not
    /// authenticate, `None` when WebCrypto cannot be used.
    pub async fn decrypt(&self, nonce: &[u8], sealed: &[u8]) -> Option<Result<Vec<u8>, ()>> {
        let (Some(key), _) = self.keys().await? else {
            return None;
        };
        let alg = obj(&[
            ("name", "AES-GCM".into()),
            ("iv", Uint8Array::from(nonce).into()),
        ]);
        match call("decrypt", &[alg, key, Uint8Array::from(sealed).into()]).await {
            Ok(v) => Some(Ok(bytes_of(&v))),
            // OperationError: the tag does not match.
            Err(e)
                if Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|n| n.as_string())
                    .as_deref()
                    == Some("OperationError") =>
            {
                Some(Err(()))
            }
            Err(_) => None,
        }
    }
}

/// SHA-256 of `data`, `None` when WebCrypto cannot be used.
pub async fn sha256(data: &[u8]) -> Option<[u8; 32]> {
    let v = call("digest", &["SHA-256".into(), Uint8Array::from(data).into()])
        .await
        .ok()?;
    bytes_of(&v).try_into().ok()
}
