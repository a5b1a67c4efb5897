//! Key files: the master key wrapped by a key derived from a passphrase.
//!
//! A key file is plain JSON (so the KDF parameters can be read before any
//! key is known); its `data` field is the master key JSON sealed with
//! AES-256-GCM under Argon2id(passphrase, salt).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{open_with, random_bytes, seal_with, MasterKey};
use crate::error::{Error, Result};

/// Argon2id parameters of a key file.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Parallelism.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// 32 MiB, 3 passes, 1 lane: about 0.1 s natively; above OWASP's
    /// recommended minimum (19 MiB and 2 passes, or its equivalents). Memory
    /// is the one fixed cost of opening a repository, so it is kept below
    /// the 64 MiB the whole backup may use (docs/BENCHMARKS.md).
    fn default() -> Self {
        KdfParams {
            m_cost: 32 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

impl KdfParams {
    /// Refuses parameters too weak or too large to be honest (a hostile
    /// storage could otherwise make a client spend all its memory).
    fn validate(&self) -> Result<()> {
        if !(8 * 1024..=4 * 1024 * 1024).contains(&self.m_cost)
            || !(1..=100).contains(&self.t_cost)
            || !(1..=16).contains(&self.p_cost)
        {
            return Err(Error::malformed(
                "key file",
                format!("Argon2id parameters out of range: {self:?}"),
            ));
        }
        Ok(())
    }
}

/// A key file as stored under `keys/<id>`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyFile {
    /// When the key was added.
    pub created: DateTime<Utc>,
    /// Who added it (host name), for `key list`.
    #[serde(default)]
    pub hostname: String,
    /// Who added it (user name), for `key list`.
    #[serde(default)]
    pub username: String,
    /// Always `argon2id`.
    pub kdf: String,
    /// The KDF parameters.
    #[serde(flatten)]
    pub params: KdfParams,
    /// Base64 salt (16 bytes).
    pub salt: String,
    /// Base64 sealed master key JSON.
    pub data: String,
}

#[derive(Serialize, Deserialize)]
struct MasterKeyJson {
    encrypt: String,
    mac: String,
}

fn derive(passphrase: &str, salt: &[u8], p: &KdfParams) -> Result<[u8; 32]> {
    p.validate()?;
    let params = argon2::Params::new(p.m_cost, p.t_cost, p.p_cost, Some(32))
        .map_err(|e| Error::malformed("key file", e))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    a.hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| Error::malformed("key file", e))?;
    Ok(out)
}

impl KeyFile {
    /// Wraps `master` under `passphrase`.
    ///
    /// # Errors
    /// When no random source is available.
    pub fn create(
        master: &MasterKey,
        passphrase: &str,
        params: KdfParams,
        hostname: String,
        username: String,
    ) -> Result<KeyFile> {
        if passphrase.is_empty() {
            return Err(Error::Invalid(
                "an empty passphrase would protect nothing: choose one".into(),
            ));
        }
        let mut salt = [0u8; 16];
        random_bytes(&mut salt)?;
        let wrap = derive(passphrase, &salt, &params)?;
        let json = serde_json::to_vec(&MasterKeyJson {
            encrypt: B64.encode(master.encrypt),
            mac: B64.encode(master.mac),
        })
        .map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(KeyFile {
            created: Utc::now(),
            hostname,
            username,
            kdf: "argon2id".into(),
            params,
            salt: B64.encode(salt),
            data: B64.encode(seal_with(&wrap, &json)?),
        })
    }

    /// Unwraps the master key.
    ///
    /// # Errors
    /// [`Error::WrongPassphrase`] if the passphrase does not open it;
    /// [`Error::Malformed`] if the file is not a key file.
    pub fn open(&self, passphrase: &str) -> Result<MasterKey> {
        if self.kdf != "argon2id" {
            return Err(Error::malformed(
                "key file",
                format!("unknown KDF {:?}", self.kdf),
            ));
        }
        let salt = B64
            .decode(&self.salt)
            .map_err(|e| Error::malformed("key file salt", e))?;
        let data = B64
            .decode(&self.data)
            .map_err(|e| Error::malformed("key file data", e))?;
        let wrap = derive(passphrase, &salt, &self.params)?;
        let json = open_with(&wrap, &data).ok_or(Error::WrongPassphrase)?;
        let mk: MasterKeyJson =
            serde_json::from_slice(&json).map_err(|e| Error::malformed("master key", e))?;
        let mut key = MasterKey {
            encrypt: [0; 32],
            mac: [0; 32],
        };
        decode32(&mk.encrypt, &mut key.encrypt)?;
        decode32(&mk.mac, &mut key.mac)?;
        Ok(key)
    }
}

fn decode32(s: &str, out: &mut [u8; 32]) -> Result<()> {
    let v = B64
        .decode(s)
        .map_err(|e| Error::malformed("master key", e))?;
    if v.len() != 32 {
        return Err(Error::malformed("master key", "key is not 32 bytes"));
    }
    out.copy_from_slice(&v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> KdfParams {
        KdfParams {
            m_cost: 8 * 1024,
            t_cost: 1,
            p_cost: 1,
        }
    }

    #[test]
    fn wrap_and_unwrap() {
        let mk = MasterKey::generate().unwrap();
        let kf = KeyFile::create(&mk, "secret", fast(), "h".into(), "u".into()).unwrap();
        assert_eq!(kf.open("secret").unwrap(), mk);
        assert!(matches!(kf.open("wrong"), Err(Error::WrongPassphrase)));
        let mut evil = kf.clone();
        evil.params.m_cost = u32::MAX;
        assert!(matches!(evil.open("secret"), Err(Error::Malformed { .. })));
        assert!(KeyFile::create(&mk, "", fast(), String::new(), String::new()).is_err());
    }
}
