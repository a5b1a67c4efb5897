//! `key`: several passphrases for one repository.

use crate::crypto::keyfile::KdfParams;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::repo::lock::Lock;
use crate::repo::Repository;
use crate::storage::FileKind;

/// Adds a passphrase. `current` must open the repository.
///
/// # Errors
/// [`Error::WrongPassphrase`], storage errors.
pub async fn add(
    repo: &Repository,
    current: &str,
    new: &str,
    kdf: KdfParams,
    username: String,
) -> Result<Id> {
    if !repo.config.encrypted {
        return Err(Error::Invalid(
            "this repository is not encrypted: it has no keys".into(),
        ));
    }
    let master = repo.master_key(current).await?;
    repo.add_key(&master, new, kdf, username).await
}

/// Removes a key file, never the one in use nor the last one.
///
/// # Errors
/// [`Error::Invalid`] for the current or last key; storage errors.
pub async fn remove(repo: &Repository, prefix: &str) -> Result<Id> {
    let keys = repo.list_keys().await?;
    let matches: Vec<Id> = keys
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| id.to_hex().starts_with(prefix))
        .collect();
    let id = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Err(Error::NotFound {
                kind: FileKind::Key,
                name: prefix.to_string(),
            })
        }
        _ => {
            return Err(Error::Invalid(format!(
                "several keys start with {prefix}; give more digits"
            )))
        }
    };
    if Some(id) == repo.key_id {
        return Err(Error::Invalid("this is the key you opened the repository with; open it with another passphrase to remove this one".into()));
    }
    if keys.len() <= 1 {
        return Err(Error::Invalid(
            "the last key cannot be removed: the repository would be lost".into(),
        ));
    }
    let lock = Lock::acquire(repo, true, "key remove").await?;
    let res = repo.storage.delete(FileKind::Key, &id.to_hex()).await;
    lock.release(repo).await?;
    res.map(|_| id)
}
