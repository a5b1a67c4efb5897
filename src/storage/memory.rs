//! In-memory storage, for tests and for a browser-side scratch repository.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{FileKind, ObjectInfo, Storage};
use crate::error::{Error, Result};

/// Objects in a map. Cheap to clone behind an `Arc`.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    objects: Mutex<BTreeMap<(FileKind, String), Vec<u8>>>,
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// Replaces an object's bytes (tests use it to corrupt data).
    pub fn corrupt(&self, kind: FileKind, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> bool {
        let mut m = self.lock();
        match m.get_mut(&(kind, name.to_string())) {
            Some(v) => {
                f(v);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(FileKind, String), Vec<u8>>> {
        // A poisoned map is still a consistent map: every write is one insert.
        self.objects.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
impl Storage for MemoryStorage {
    fn location(&self) -> String {
        "memory:".into()
    }

    async fn put(&self, kind: FileKind, name: &str, data: Vec<u8>) -> Result<()> {
        let mut m = self.lock();
        let key = (kind, name.to_string());
        if m.contains_key(&key) {
            return Err(Error::AlreadyExists {
                kind,
                name: name.to_string(),
            });
        }
        m.insert(key, data);
        Ok(())
    }

    async fn get(&self, kind: FileKind, name: &str) -> Result<Vec<u8>> {
        self.lock()
            .get(&(kind, name.to_string()))
            .cloned()
            .ok_or_else(|| Error::NotFound {
                kind,
                name: name.to_string(),
            })
    }

    async fn get_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>> {
        let m = self.lock();
        let v = m
            .get(&(kind, name.to_string()))
            .ok_or_else(|| Error::NotFound {
                kind,
                name: name.to_string(),
            })?;
        let end = offset.checked_add(length).filter(|&e| e <= v.len() as u64);
        match end {
            Some(end) => Ok(v[offset as usize..end as usize].to_vec()),
            None => Err(Error::Storage {
                op: "reading",
                key: kind.path(name),
                message: format!(
                    "range {offset}+{length} is beyond the object's {} bytes",
                    v.len()
                ),
                status: None,
            }),
        }
    }

    async fn stat(&self, kind: FileKind, name: &str) -> Result<Option<u64>> {
        Ok(self
            .lock()
            .get(&(kind, name.to_string()))
            .map(|v| v.len() as u64))
    }

    async fn list(&self, kind: FileKind) -> Result<Vec<ObjectInfo>> {
        Ok(self
            .lock()
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|((_, n), v)| ObjectInfo {
                name: n.clone(),
                size: v.len() as u64,
            })
            .collect())
    }

    async fn delete(&self, kind: FileKind, name: &str) -> Result<()> {
        self.lock().remove(&(kind, name.to_string()));
        Ok(())
    }
}
