//! Local folders as a backup source and a restore target.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

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
///
/// Files are written by a few writer threads (one file wholly by one
/// thread, files dealt out in turn), so the kernel's work of creating and
/// filling them runs beside the decoding of the next blobs; at most
/// [`WRITE_BUDGET`] bytes wait for a writer. Folder modes and times are
/// set at [`FileTarget::finish`], deepest first, once every file is in.
pub struct LocalTarget {
    root: PathBuf,
    /// Overwrite existing files (else an existing path is an error).
    pub overwrite: bool,
    writers: Vec<Writer>,
    /// The writer of the file being sent, if any.
    current: Option<usize>,
    next: usize,
    shared: Arc<Shared>,
    dirs: Vec<(PathBuf, u32, std::time::SystemTime)>,
}

impl std::fmt::Debug for LocalTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTarget")
            .field("root", &self.root)
            .field("overwrite", &self.overwrite)
            .field("writers", &self.writers.len())
            .finish()
    }
}

/// Bytes of file content queued for the writers at most.
pub const WRITE_BUDGET: usize = 64 << 20;

struct Writer {
    tx: Option<std::sync::mpsc::Sender<Op>>,
    handle: Option<std::thread::JoinHandle<()>>,
}

enum Op {
    Begin {
        path: PathBuf,
        depth: Vec<PathBuf>,
    },
    Write(Vec<u8>),
    End {
        path: PathBuf,
        mode: u32,
        mtime: std::time::SystemTime,
    },
}

/// What the writers share with the restore: the first error, and the
/// bytes queued.
struct Shared {
    root: PathBuf,
    overwrite: bool,
    error: Mutex<Option<Error>>,
    queued: Mutex<usize>,
    freed: Condvar,
}

impl Shared {
    fn fail(&self, e: Error) {
        let mut slot = self.error.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(e);
        }
    }

    fn take_error(&self) -> Option<Error> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn failed(&self) -> bool {
        self.error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Waits until `n` more bytes fit in the budget (a single larger
    /// piece waits for an empty queue).
    fn reserve(&self, n: usize) {
        let mut q = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        while *q > 0 && *q + n > WRITE_BUDGET {
            q = self.freed.wait(q).unwrap_or_else(|p| p.into_inner());
        }
        *q += n;
    }

    fn release(&self, n: usize) {
        let mut q = self.queued.lock().unwrap_or_else(|p| p.into_inner());
        *q = q.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// One writer thread: files in the order sent, one at a time.
fn writer_loop(shared: &Shared, rx: &std::sync::mpsc::Receiver<Op>) {
    let mut open: Option<(PathBuf, std::fs::File)> = None;
    for op in rx {
        match op {
            Op::Begin { path, depth } => {
                open = None;
                if shared.failed() {
                    continue;
                }
                match begin(shared, &path, &depth) {
                    Ok(f) => open = Some((tmp_name(&path), f)),
                    Err(e) => shared.fail(e),
                }
            }
            Op::Write(data) => {
                let n = data.len();
                if let Some((tmp, f)) = open.as_mut() {
                    if let Err(e) = f.write_all(&data) {
                        shared.fail(Error::io(format!("writing {}", tmp.display()), e));
                        open = None;
                    }
                }
                drop(data);
                shared.release(n);
            }
            Op::End { path, mode, mtime } => {
                if let Some((tmp, f)) = open.take() {
                    if let Err(e) = end(&tmp, f, &path, mode, mtime) {
                        shared.fail(e);
                    }
                }
            }
        }
    }
}

fn begin(shared: &Shared, path: &Path, depth: &[PathBuf]) -> Result<std::fs::File> {
    for p in depth {
        if p.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(Error::Invalid(format!(
                "{} is a symlink: refusing to restore through it",
                p.display()
            )));
        }
    }
    if !shared.overwrite && path.symlink_metadata().is_ok() {
        return Err(Error::Invalid(format!(
            "{} exists; restore into an empty folder or pass --overwrite",
            path.display()
        )));
    }
    let tmp = tmp_name(path);
    std::fs::File::create(&tmp).map_err(|e| Error::io(format!("writing {}", tmp.display()), e))
}

fn end(
    tmp: &Path,
    f: std::fs::File,
    path: &Path,
    mode: u32,
    mtime: std::time::SystemTime,
) -> Result<()> {
    f.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))
        .map_err(|e| Error::io(format!("setting mode of {}", tmp.display()), e))?;
    let _ = f.set_modified(mtime);
    drop(f);
    std::fs::rename(tmp, path)
        .map_err(|e| Error::io(format!("renaming into {}", path.display()), e))
}

impl LocalTarget {
    /// A target writing below `root` (created if missing) with as many
    /// writer threads as the machine has cores, 2 to 8.
    pub fn new(root: &Path, overwrite: bool) -> LocalTarget {
        let n = std::thread::available_parallelism()
            .map(std::num::NonZeroUsize::get)
            .unwrap_or(2)
            .clamp(2, 8);
        LocalTarget::with_writers(root, overwrite, n)
    }

    /// A target with `n` writer threads (at least one).
    pub fn with_writers(root: &Path, overwrite: bool, n: usize) -> LocalTarget {
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            overwrite,
            error: Mutex::new(None),
            queued: Mutex::new(0),
            freed: Condvar::new(),
        });
        let writers = (0..n.max(1))
            .map(|i| {
                let (tx, rx) = std::sync::mpsc::channel();
                let sh = Arc::clone(&shared);
                let handle = std::thread::Builder::new()
                    .name(format!("restore-writer-{i}"))
                    .spawn(move || writer_loop(&sh, &rx))
                    .ok();
                Writer {
                    tx: handle.as_ref().map(|_| tx),
                    handle,
                }
            })
            .filter(|w| w.handle.is_some())
            .collect();
        LocalTarget {
            root: root.to_path_buf(),
            overwrite,
            writers,
            current: None,
            next: 0,
            shared,
            dirs: Vec::new(),
        }
    }

    fn send(&mut self, op: Op) -> Result<()> {
        let Some(w) = self.current.and_then(|i| self.writers.get(i)) else {
            return Err(Error::Invalid("write without begin_file".into()));
        };
        let sent = w.tx.as_ref().is_some_and(|tx| tx.send(op).is_ok());
        if sent {
            Ok(())
        } else {
            Err(self
                .shared
                .take_error()
                .unwrap_or_else(|| Error::Invalid("a restore writer thread stopped".into())))
        }
    }

    /// Stops the writers and waits for them.
    fn join(&mut self) {
        for w in &mut self.writers {
            w.tx = None;
        }
        for w in &mut self.writers {
            if let Some(h) = w.handle.take() {
                let _ = h.join();
            }
        }
    }
}

impl Drop for LocalTarget {
    fn drop(&mut self) {
        self.join();
    }
}

/// The folders from the target's root down to `path`'s parent, which
/// must not be symlinks.
fn folders_on_the_way(root: &Path, path: &[Vec<u8>]) -> Vec<PathBuf> {
    let mut p = root.to_path_buf();
    let mut out = Vec::new();
    for c in path.iter().take(path.len().saturating_sub(1)) {
        p.push(OsStr::from_bytes(c));
        out.push(p.clone());
    }
    out
}

/// Refuses to write below a symlink: every folder on the way from the
/// target's root to `path` must be a real folder (or not exist yet).
fn no_symlink_on_the_way(root: &Path, path: &[Vec<u8>]) -> Result<()> {
    for p in folders_on_the_way(root, path) {
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
        if let Some(e) = self.shared.take_error() {
            return Err(e);
        }
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
        if let Some(e) = self.shared.take_error() {
            return Err(e);
        }
        if self.writers.is_empty() {
            return Err(Error::Invalid(
                "no restore writer thread could be started".into(),
            ));
        }
        self.current = Some(self.next % self.writers.len());
        self.next = self.next.wrapping_add(1);
        let op = Op::Begin {
            path: join(&self.shared.root, path),
            depth: folders_on_the_way(&self.root, path),
        };
        self.send(op)
    }

    async fn write(&mut self, data: Vec<u8>) -> Result<()> {
        self.shared.reserve(data.len());
        let n = data.len();
        self.send(Op::Write(data))
            .inspect_err(|_| self.shared.release(n))
    }

    async fn end_file(&mut self, path: &[Vec<u8>], node: &Node) -> Result<()> {
        let op = Op::End {
            path: join(&self.root, path),
            mode: node.mode,
            mtime: mtime(node),
        };
        self.send(op)?;
        self.current = None;
        Ok(())
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
        self.dirs
            .push((join(&self.root, path), node.mode, mtime(node)));
        Ok(())
    }

    async fn finish(&mut self) -> Result<()> {
        self.join();
        if let Some(e) = self.shared.take_error() {
            return Err(e);
        }
        // Post-order: a folder comes after its subfolders, so setting its
        // time last keeps it.
        for (p, mode, time) in std::mem::take(&mut self.dirs) {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode & 0o7777))
                .map_err(|e| Error::io(format!("setting mode of {}", p.display()), e))?;
            if let Ok(f) = std::fs::File::open(&p) {
                let _ = f.set_modified(time);
            }
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
