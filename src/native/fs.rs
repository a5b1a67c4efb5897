//! Local folders as a backup source and a restore target.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::commands::backup::{FileEntry, FileSource};
use crate::commands::restore::FileTarget;
use crate::error::{Error, Result};
use crate::tree::{Node, NodeKind};

fn join(root: &Path, path: &[Vec<u8>]) -> PathBuf {
    let mut p = root.to_path_buf();
    for c in path {
        p.push(OsStr::from_bytes(c));
    }
    p
}

fn entry(name: Vec<u8>, m: &std::fs::Metadata, target: Option<Vec<u8>>) -> Option<FileEntry> {
    let ft = m.file_type();
    let kind = if ft.is_symlink() {
        NodeKind::Symlink
    } else if ft.is_dir() {
        NodeKind::Dir
    } else if ft.is_file() {
        NodeKind::File
    } else {
        return None; // sockets, fifos, devices: not part of a site
    };
    Some(FileEntry {
        name,
        kind,
        mode: m.mode() & 0o7777,
        mtime_ns: m
            .mtime()
            .saturating_mul(1_000_000_000)
            .saturating_add(m.mtime_nsec()),
        size: if kind == NodeKind::File { m.len() } else { 0 },
        target,
    })
}

/// A local folder to back up.
#[derive(Debug)]
pub struct LocalFiles {
    root: PathBuf,
    open: Option<(PathBuf, std::fs::File)>,
}

impl LocalFiles {
    /// The folder `root`.
    ///
    /// # Errors
    /// When it is not a readable folder.
    pub fn new(root: &Path) -> Result<LocalFiles> {
        let root = root
            .canonicalize()
            .map_err(|e| Error::io(format!("opening the files source {}", root.display()), e))?;
        if !root.is_dir() {
            return Err(Error::Invalid(format!(
                "{} is not a folder",
                root.display()
            )));
        }
        Ok(LocalFiles { root, open: None })
    }
}

#[async_trait::async_trait(?Send)]
impl FileSource for LocalFiles {
    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    async fn read_dir(&mut self, path: &[Vec<u8>]) -> Result<Vec<FileEntry>> {
        let dir = join(&self.root, path);
        let rd = std::fs::read_dir(&dir)
            .map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let mut out = Vec::new();
        for e in rd {
            let e = e.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
            let Ok(m) = e.path().symlink_metadata() else {
                continue;
            }; // vanished
            let target = if m.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .ok()
                    .map(|t| t.as_os_str().as_bytes().to_vec())
            } else {
                None
            };
            if let Some(fe) = entry(e.file_name().as_bytes().to_vec(), &m, target) {
                out.push(fe);
            }
        }
        Ok(out)
    }

    async fn read(&mut self, path: &[Vec<u8>], offset: u64, len: u64) -> Result<Vec<u8>> {
        use std::io::{Read, Seek, SeekFrom};
        let p = join(&self.root, path);
        if self.open.as_ref().map(|(q, _)| q != &p).unwrap_or(true) {
            let f = std::fs::File::open(&p)
                .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
            self.open = Some((p.clone(), f));
        }
        let Some((_, f)) = self.open.as_mut() else {
            return Ok(Vec::new());
        };
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
        let mut buf = Vec::with_capacity(len as usize);
        f.take(len)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
        if (buf.len() as u64) < len {
            self.open = None;
        }
        Ok(buf)
    }

    async fn stat(&mut self, path: &[Vec<u8>]) -> Result<Option<FileEntry>> {
        let p = join(&self.root, path);
        match p.symlink_metadata() {
            Ok(m) => Ok(entry(path.last().cloned().unwrap_or_default(), &m, None)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
        }
    }
}

/// Restores into a local folder. Files are written to a temporary name in
/// their folder and renamed into place when complete, so a restore that
/// stops midway never leaves a truncated file under its real name.
#[derive(Debug)]
pub struct LocalTarget {
    root: PathBuf,
    current: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
    /// Overwrite existing files (otherwise an existing file is an error).
    pub overwrite: bool,
}

impl LocalTarget {
    /// The folder `root` (created when missing).
    pub fn new(root: &Path, overwrite: bool) -> LocalTarget {
        LocalTarget {
            root: root.to_path_buf(),
            current: None,
            overwrite,
        }
    }
}

/// Refuses to write below a symlink: every folder on the way from the
/// target's root to `path` must be a real folder (or not exist yet).
fn no_symlink_on_the_way(root: &Path, path: &[Vec<u8>]) -> Result<()> {
    let mut p = root.to_path_buf();
    for c in path.iter().take(path.len().saturating_sub(1)) {
        p.push(OsStr::from_bytes(c));
        if let Ok(m) = p.symlink_metadata() {
            if m.file_type().is_symlink() {
                return Err(Error::Invalid(format!(
                    "{} is a symlink: refusing to restore through it",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

fn tmp_name(p: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".strongbox-restore-");
    name.push(p.file_name().unwrap_or_default());
    p.with_file_name(name)
}

#[async_trait::async_trait(?Send)]
impl FileTarget for LocalTarget {
    async fn create_dir(&mut self, path: &[Vec<u8>]) -> Result<()> {
        no_symlink_on_the_way(&self.root, path)?;
        let p = join(&self.root, path);
        if p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(Error::Invalid(format!(
                "{} is a symlink: refusing to restore through it",
                p.display()
            )));
        }
        std::fs::create_dir_all(&p).map_err(|e| Error::io(format!("creating {}", p.display()), e))
    }

    async fn begin_file(&mut self, path: &[Vec<u8>]) -> Result<()> {
        no_symlink_on_the_way(&self.root, path)?;
        let p = join(&self.root, path);
        if !self.overwrite && p.symlink_metadata().is_ok() {
            return Err(Error::Invalid(format!(
                "{} exists; restore into an empty folder or pass --overwrite",
                p.display()
            )));
        }
        let tmp = tmp_name(&p);
        let f = std::fs::File::create(&tmp)
            .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
        self.current = Some((tmp, std::io::BufWriter::with_capacity(1 << 20, f)));
        Ok(())
    }

    async fn write(&mut self, data: &[u8]) -> Result<()> {
        let Some((tmp, w)) = self.current.as_mut() else {
            return Err(Error::Invalid("write without begin_file".into()));
        };
        w.write_all(data)
            .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))
    }

    async fn end_file(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        let (tmp, w) = self
            .current
            .take()
            .ok_or_else(|| Error::Invalid("end_file without begin_file".into()))?;
        let f = w
            .into_inner()
            .map_err(|e| Error::io(format!("writing {}", tmp.display()), e.into_error()))?;
        f.set_permissions(std::fs::Permissions::from_mode(node.mode & 0o7777))
            .map_err(|e| Error::io(format!("setting mode of {}", tmp.display()), e))?;
        let _ = f.set_modified(mtime(node));
        drop(f);
        let p = join(&self.root, path);
        std::fs::rename(&tmp, &p)
            .map_err(|e| Error::io(format!("renaming into {}", p.display()), e))
    }

    async fn symlink(&mut self, path: &[Vec<u8>], target: &[u8]) -> Result<()> {
        no_symlink_on_the_way(&self.root, path)?;
        let p = join(&self.root, path);
        if p.symlink_metadata().is_ok() {
            if !self.overwrite {
                return Err(Error::Invalid(format!(
                    "{} exists; pass --overwrite",
                    p.display()
                )));
            }
            let _ = std::fs::remove_file(&p);
        }
        std::os::unix::fs::symlink(OsStr::from_bytes(target), &p)
            .map_err(|e| Error::io(format!("creating symlink {}", p.display()), e))
    }

    async fn finish_dir(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        let p = join(&self.root, path);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(node.mode & 0o7777))
            .map_err(|e| Error::io(format!("setting mode of {}", p.display()), e))?;
        if let Ok(f) = std::fs::File::open(&p) {
            let _ = f.set_modified(mtime(node));
        }
        Ok(())
    }
}

fn mtime(node: &Node) -> std::time::SystemTime {
    let ns = node.mtime_ns;
    if ns >= 0 {
        std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns as u64)
    } else {
        std::time::UNIX_EPOCH - std::time::Duration::from_nanos(ns.unsigned_abs())
    }
}
