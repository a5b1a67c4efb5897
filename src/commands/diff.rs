//! `diff`: what changed between two snapshots.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ls::{entries, Entry};
use crate::error::Result;
use crate::index::Index;
use crate::repo::Repository;
use crate::snapshot::Snapshot;

/// One difference.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    /// `+` added, `-` removed, `M` content changed, `T` type changed.
    pub change: String,
    /// The entry's path (`db/<table>` for tables).
    pub path: String,
}

/// Differences from `a` to `b`.
///
/// # Errors
/// Storage and integrity errors.
pub async fn run(
    repo: &Repository,
    index: &Index,
    a: &Snapshot,
    b: &Snapshot,
) -> Result<Vec<Change>> {
    let ea: BTreeMap<String, Entry> = entries(repo, index, a)
        .await?
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    let eb: BTreeMap<String, Entry> = entries(repo, index, b)
        .await?
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect();
    let mut out = Vec::new();
    for (p, x) in &ea {
        match eb.get(p) {
            None => out.push(Change {
                change: "-".into(),
                path: p.clone(),
            }),
            Some(y) if x.kind != y.kind => out.push(Change {
                change: "T".into(),
                path: p.clone(),
            }),
            Some(y) if x.blobs != y.blobs || x.size != y.size || x.rows != y.rows => {
                out.push(Change {
                    change: "M".into(),
                    path: p.clone(),
                })
            }
            _ => {}
        }
    }
    for p in eb.keys() {
        if !ea.contains_key(p) {
            out.push(Change {
                change: "+".into(),
                path: p.clone(),
            });
        }
    }
    out.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(out)
}
