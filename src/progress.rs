//! Progress reporting, shown by the CLI as bars and by the browser as events.

/// What a long operation is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading the site's files.
    Files,
    /// Reading the database.
    Database,
    /// Writing a restore.
    Restore,
    /// Verifying.
    Check,
    /// Removing unreferenced data.
    Prune,
}

impl Phase {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Files => "files",
            Phase::Database => "database",
            Phase::Restore => "restore",
            Phase::Check => "check",
            Phase::Prune => "prune",
        }
    }
}

/// Receives progress. Implementations must be cheap: they are called per
/// item and per buffer.
pub trait Progress {
    /// Starts item `done` of `total` (0 when unknown) named `name`.
    fn item(&self, phase: Phase, name: &str, done: u64, total: u64);
    /// `n` more bytes were processed.
    fn bytes(&self, phase: Phase, n: u64);
    /// The bytes the whole operation will process, once known (for a rate
    /// and an ETA).
    fn total(&self, _bytes: u64) {}
    /// Whether the user asked to stop. Long operations check it between
    /// items and stop with [`crate::Error::Cancelled`], leaving the
    /// repository valid.
    fn cancelled(&self) -> bool {
        false
    }
}

/// Reports nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn item(&self, _: Phase, _: &str, _: u64, _: u64) {}
    fn bytes(&self, _: Phase, _: u64) {}
}
