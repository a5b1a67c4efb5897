//! Locks: which processes work on the repository.
//!
//! A lock is a sealed JSON object under `locks/<id>`. Backups take shared
//! locks; operations that delete data (prune, key removal) take an exclusive
//! lock and refuse to run beside any other lock. A lock not refreshed for
//! [`STALE_AFTER_SECS`] is stale and ignored (then removed).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Repository;
use crate::error::{Error, Result};
use crate::id::Id;
use crate::storage::FileKind;

/// A lock older than this (30 minutes, as restic) is stale.
pub const STALE_AFTER_SECS: i64 = 30 * 60;
/// Locks are refreshed this often during long operations.
pub const REFRESH_AFTER_SECS: i64 = 5 * 60;

/// A lock object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockFile {
    /// When the lock was taken or last refreshed.
    pub time: DateTime<Utc>,
    /// Exclusive or shared.
    pub exclusive: bool,
    /// Host of the holder.
    pub hostname: String,
    /// Process id of the holder (0 in a browser).
    pub pid: u32,
    /// What the holder does (`backup`, `prune`, ...).
    #[serde(default)]
    pub operation: String,
}

impl LockFile {
    /// Whether the lock is stale at `now`.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        (now - self.time).num_seconds() > STALE_AFTER_SECS
    }
}

/// A held lock; call [`Lock::release`] when done. Refreshing needs only a
/// shared reference, so the blob saver can refresh the lock of the backup
/// that owns it during every phase.
#[derive(Debug)]
pub struct Lock {
    id: std::cell::Cell<Id>,
    time: std::cell::Cell<DateTime<Utc>>,
    file: LockFile,
}

impl Lock {
    /// Takes a lock, after checking that no conflicting live lock exists.
    ///
    /// # Errors
    /// [`Error::Locked`] when another process holds a conflicting lock.
    pub async fn acquire(repo: &Repository, exclusive: bool, operation: &str) -> Result<Lock> {
        let now = Utc::now();
        let file = LockFile {
            time: now,
            exclusive,
            hostname: repo.hostname.clone(),
            pid: pid(),
            operation: operation.to_string(),
        };
        Self::check_conflicts(repo, exclusive, None).await?;
        let id = repo.save_json(FileKind::Lock, &file).await?;
        // Re-check: two processes may have written at the same moment. The
        // one whose conflicting lock is visible backs off.
        if let Err(e) = Self::check_conflicts(repo, exclusive, Some(id)).await {
            repo.storage.delete(FileKind::Lock, &id.to_hex()).await?;
            return Err(e);
        }
        Ok(Lock {
            id: std::cell::Cell::new(id),
            time: std::cell::Cell::new(file.time),
            file,
        })
    }

    async fn check_conflicts(repo: &Repository, exclusive: bool, own: Option<Id>) -> Result<()> {
        let now = Utc::now();
        for obj in repo.storage.list(FileKind::Lock).await? {
            let Ok(id) = Id::parse(&obj.name) else {
                continue;
            };
            if Some(id) == own {
                continue;
            }
            let lock: LockFile = match repo.load_json(FileKind::Lock, &id).await {
                Ok(l) => l,
                // A lock removed meanwhile, or unreadable: not a live holder.
                Err(_) => continue,
            };
            if lock.is_stale(now) {
                let _ = repo.storage.delete(FileKind::Lock, &obj.name).await;
                continue;
            }
            if exclusive || lock.exclusive {
                return Err(Error::Locked {
                    holder: format!(
                        "{} on {} (pid {}{})",
                        if lock.operation.is_empty() {
                            "another process"
                        } else {
                            &lock.operation
                        },
                        lock.hostname,
                        lock.pid,
                        if lock.exclusive { ", exclusive" } else { "" }
                    ),
                    since: lock.time.to_rfc3339(),
                });
            }
        }
        Ok(())
    }

    /// Takes a lock like [`Lock::acquire`], waiting up to `wait` for a
    /// conflicting lock to go away (checking again every few seconds).
    ///
    /// # Errors
    /// [`Error::Locked`] when the conflict outlasts `wait`; storage errors.
    pub async fn acquire_waiting(
        repo: &Repository,
        exclusive: bool,
        operation: &str,
        wait: std::time::Duration,
    ) -> Result<Lock> {
        let start = Utc::now();
        let mut delay = std::time::Duration::from_secs(2);
        loop {
            match Self::acquire(repo, exclusive, operation).await {
                Err(Error::Locked { .. })
                    if (Utc::now() - start).to_std().unwrap_or_default() + delay <= wait =>
                {
                    crate::storage::retry::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(30));
                }
                other => return other,
            }
        }
    }

    /// [`Lock::acquire`] without `wait`, [`Lock::acquire_waiting`] with it.
    ///
    /// # Errors
    /// As those.
    pub async fn take(
        repo: &Repository,
        exclusive: bool,
        operation: &str,
        wait: Option<std::time::Duration>,
    ) -> Result<Lock> {
        match wait {
            Some(w) => Self::acquire_waiting(repo, exclusive, operation, w).await,
            None => Self::acquire(repo, exclusive, operation).await,
        }
    }

    /// Refreshes the lock when it is older than [`REFRESH_AFTER_SECS`].
    ///
    /// # Errors
    /// [`Error::LockExpired`] when the lock is already stale: another
    /// process may have treated it as dead and deleted data (a prune), so
    /// the holder must not write anything that refers to existing data.
    /// Storage errors.
    pub async fn refresh(&self, repo: &Repository) -> Result<()> {
        let now = Utc::now();
        let age = (now - self.time.get()).num_seconds();
        if age > STALE_AFTER_SECS - 60 {
            return Err(Error::LockExpired {
                operation: self.file.operation.clone(),
                minutes: age / 60,
            });
        }
        if age < REFRESH_AFTER_SECS {
            return Ok(());
        }
        let mut file = self.file.clone();
        file.time = now;
        let id = repo.save_json(FileKind::Lock, &file).await?;
        let old = self.id.replace(id);
        self.time.set(now);
        repo.storage.delete(FileKind::Lock, &old.to_hex()).await
    }

    /// Pretends the lock was last refreshed `secs` earlier (tests of the
    /// stale-lock rules; no effect on the stored object).
    #[doc(hidden)]
    pub fn backdate(&self, secs: i64) {
        self.time
            .set(self.time.get() - chrono::TimeDelta::seconds(secs));
    }

    /// Removes the lock.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn release(self, repo: &Repository) -> Result<()> {
        repo.storage
            .delete(FileKind::Lock, &self.id.get().to_hex())
            .await
    }
}

/// Removes every lock (`strongbox unlock --remove-all`) or only stale ones.
///
/// # Errors
/// Storage errors.
pub async fn remove_locks(repo: &Repository, all: bool) -> Result<usize> {
    let now = Utc::now();
    let mut n = 0;
    for obj in repo.storage.list(FileKind::Lock).await? {
        let Ok(id) = Id::parse(&obj.name) else {
            continue;
        };
        let stale = match repo.load_json::<LockFile>(FileKind::Lock, &id).await {
            Ok(l) => l.is_stale(now),
            Err(_) => true,
        };
        if all || stale {
            repo.storage.delete(FileKind::Lock, &obj.name).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// The process id, or 0 in a browser.
fn pid() -> u32 {
    #[cfg(target_arch = "wasm32")]
    {
        0
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::process::id()
    }
}
