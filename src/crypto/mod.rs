//! Cryptography: the encryption envelope, keyed blob ids and plain hashes.
//!
//! - Objects and blobs are sealed with AES-256-GCM under the repository's
//!   master encryption key: `nonce (12 random bytes) || ciphertext || tag (16)`.
//! - Blob ids are HMAC-SHA-256 of the plaintext under the master MAC key, so
//!   whoever holds only the storage cannot test it for known content.
//! - Stored object names are plain SHA-256 of the stored bytes, so anyone can
//!   check an object with `sha256sum`.
//!
//! The passphrase-wrapped key files live in [`keyfile`].

use aes_gcm::aead::{AeadCore, AeadInOut, KeyInit};
use aes_gcm::Aes256Gcm;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::id::Id;

pub mod keyfile;
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;

/// Bytes an encrypted envelope adds to its plaintext (nonce + tag).
pub const ENVELOPE_OVERHEAD: usize = NONCE_LEN + TAG_LEN;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Fills `buf` with bytes from the operating system's (or browser's) CSPRNG.
///
/// # Errors
/// [`Error::Invalid`] if no random source is available.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| Error::Invalid(format!("no random source: {e}")))
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> Id {
    Id(Sha256::digest(data).into())
}

/// The master key material of a repository.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// AES-256-GCM key for every sealed object and blob.
    pub encrypt: [u8; 32],
    /// HMAC-SHA-256 key for blob ids.
    pub mac: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A fresh random master key.
    ///
    /// # Errors
    /// When no random source is available.
    pub fn generate() -> Result<MasterKey> {
        let mut k = MasterKey {
            encrypt: [0; 32],
            mac: [0; 32],
        };
        random_bytes(&mut k.encrypt)?;
        random_bytes(&mut k.mac)?;
        Ok(k)
    }
}

/// Seals and opens data and computes blob ids for one repository.
///
/// An unencrypted repository (`init --no-encryption`) has no encryption key:
/// sealing is the identity and only blob ids are keyed.
#[derive(Clone)]
pub struct Crypto {
    cipher: Option<Aes256Gcm>,
    mac: Hmac<Sha256>,
    /// The same keys in WebCrypto (browser only).
    #[cfg(target_arch = "wasm32")]
    web: webcrypto::WebKeys,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Crypto(encrypted: {})", self.cipher.is_some())
    }
}

impl Crypto {
    /// Crypto for an encrypted repository.
    pub fn new(key: &MasterKey) -> Crypto {
        Crypto {
            cipher: Some(Aes256Gcm::new(&key.encrypt.into())),
            mac: mac_for(&key.mac),
            #[cfg(target_arch = "wasm32")]
            web: webcrypto::WebKeys::new(Some(key.encrypt), key.mac),
        }
    }

    /// Crypto for an unencrypted repository: blob ids keyed by `mac_key`.
    pub fn unencrypted(mac_key: &[u8; 32]) -> Crypto {
        Crypto {
            cipher: None,
            mac: mac_for(mac_key),
            #[cfg(target_arch = "wasm32")]
            web: webcrypto::WebKeys::new(None, *mac_key),
        }
    }

    /// Whether data is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.cipher.is_some()
    }

    /// The id of a blob: HMAC-SHA-256 of its plaintext.
    pub fn blob_id(&self, plaintext: &[u8]) -> Id {
        let mut m = self.mac.clone();
        m.update(plaintext);
        Id(m.finalize().into_bytes().into())
    }

    /// Seals `plaintext` into a new envelope.
    ///
    /// # Errors
    /// When no random source is available for the nonce.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let Some(cipher) = &self.cipher else {
            return Ok(plaintext.to_vec());
        };
        let mut out = Vec::with_capacity(plaintext.len() + ENVELOPE_OVERHEAD);
        let mut nonce = [0u8; NONCE_LEN];
        random_bytes(&mut nonce)?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let nonce = aes_gcm::Nonce::<<Aes256Gcm as AeadCore>::NonceSize>::from(nonce);
        let tag = cipher
            .encrypt_inout_detached(&nonce, &[], (&mut out[NONCE_LEN..]).into())
            .map_err(|_| Error::Invalid("plaintext too long to encrypt".into()))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    /// Opens an envelope; `what` names it in errors.
    ///
    /// # Errors
    /// [`Error::Decrypt`] if the envelope is too short, altered or sealed with
    /// another key.
    pub fn open(&self, envelope: &[u8], what: &dyn Fn() -> String) -> Result<Vec<u8>> {
        let Some(cipher) = &self.cipher else {
            return Ok(envelope.to_vec());
        };
        if envelope.len() < ENVELOPE_OVERHEAD {
            return Err(Error::Decrypt { what: what() });
        }
        let (nonce, rest) = envelope.split_at(NONCE_LEN);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let mut buf = ct.to_vec();
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        let nonce = aes_gcm::Nonce::<<Aes256Gcm as AeadCore>::NonceSize>::from(n);
        let mut t = [0u8; TAG_LEN];
        t.copy_from_slice(tag);
        let tag = aes_gcm::Tag::<<Aes256Gcm as AeadCore>::TagSize>::from(t);
        cipher
            .decrypt_inout_detached(&nonce, &[], (&mut buf[..]).into(), &tag)
            .map_err(|_| Error::Decrypt { what: what() })?;
        Ok(buf)
    }
}

impl Crypto {
    /// [`Crypto::blob_id`], through WebCrypto in the browser.
    pub async fn blob_id_async(&self, plaintext: &[u8]) -> Id {
        #[cfg(target_arch = "wasm32")]
        if let Some(id) = self.web.hmac(plaintext).await {
            return Id(id);
        }
        self.blob_id(plaintext)
    }

    /// [`Crypto::seal`], through WebCrypto in the browser.
    ///
    /// # Errors
    /// As [`Crypto::seal`].
    pub async fn seal_async(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        #[cfg(target_arch = "wasm32")]
        if self.cipher.is_some() {
            let mut nonce = [0u8; NONCE_LEN];
            random_bytes(&mut nonce)?;
            if let Some(ct) = self.web.encrypt(&nonce, plaintext).await {
                let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
                out.extend_from_slice(&nonce);
                out.extend_from_slice(&ct);
                return Ok(out);
            }
        }
        self.seal(plaintext)
    }

    /// [`Crypto::open`], through WebCrypto in the browser.
    ///
    /// # Errors
    /// As [`Crypto::open`].
    pub async fn open_async(&self, envelope: &[u8], what: &dyn Fn() -> String) -> Result<Vec<u8>> {
        #[cfg(target_arch = "wasm32")]
        if self.cipher.is_some() && envelope.len() >= ENVELOPE_OVERHEAD {
            let (nonce, rest) = envelope.split_at(NONCE_LEN);
            match self.web.decrypt(nonce, rest).await {
                Some(Ok(plain)) => return Ok(plain),
                Some(Err(())) => return Err(Error::Decrypt { what: what() }),
                None => {}
            }
        }
        self.open(envelope, what)
    }
}

/// [`sha256`], through WebCrypto in the browser.
pub async fn sha256_async(data: &[u8]) -> Id {
    #[cfg(target_arch = "wasm32")]
    if let Some(h) = webcrypto::sha256(data).await {
        return Id(h);
    }
    sha256(data)
}

fn mac_for(key: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// Seals with a raw AES-256-GCM key (used for key files).
pub(crate) fn seal_with(key: &[u8; 32], plaintext: &[u8]) -> Result<Vec<u8>> {
    Crypto {
        cipher: Some(Aes256Gcm::new(&(*key).into())),
        mac: mac_for(&[0; 32]),
        #[cfg(target_arch = "wasm32")]
        web: webcrypto::WebKeys::new(None, [0; 32]),
    }
    .seal(plaintext)
}

/// Opens with a raw AES-256-GCM key (used for key files).
pub(crate) fn open_with(key: &[u8; 32], envelope: &[u8]) -> Option<Vec<u8>> {
    Crypto {
        cipher: Some(Aes256Gcm::new(&(*key).into())),
        mac: mac_for(&[0; 32]),
        #[cfg(target_arch = "wasm32")]
        web: webcrypto::WebKeys::new(None, [0; 32]),
    }
    .open(envelope, &String::new)
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let c = Crypto::new(&MasterKey::generate().unwrap());
        let env = c.seal(b"hello").unwrap();
        assert_eq!(env.len(), 5 + ENVELOPE_OVERHEAD);
        assert_eq!(c.open(&env, &|| "x".into()).unwrap(), b"hello");
        let mut bad = env.clone();
        bad[14] ^= 1;
        assert!(matches!(
            c.open(&bad, &|| "x".into()),
            Err(Error::Decrypt { .. })
        ));
        assert!(c.open(&env[..20], &|| "x".into()).is_err());
        let other = Crypto::new(&MasterKey::generate().unwrap());
        assert!(other.open(&env, &|| "x".into()).is_err());
    }

    #[test]
    fn blob_ids_are_keyed() {
        let a = Crypto::unencrypted(&[1; 32]);
        let b = Crypto::unencrypted(&[2; 32]);
        assert_ne!(a.blob_id(b"x"), b.blob_id(b"x"));
        assert_eq!(a.blob_id(b"x"), a.blob_id(b"x"));
        assert_ne!(a.blob_id(b"x"), sha256(b"x"));
        // RFC 4231 test case 2.
        let mut m = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(b"Jefe").unwrap();
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
