//! Typed errors of the Strongbox library.
//!
//! Every variant names what failed and, where it helps, what the user can do
//! about it. The CLI adds context; the library never panics on outside input.

use crate::storage::FileKind;

/// Result type of the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong inside the core. (Field names say what
/// they hold; the variant docs say when each occurs.)
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The passphrase does not open any key file of the repository.
    #[error("wrong passphrase: no key file of this repository opens with it (check the password file or STRONGBOX_PASSWORD)")]
    WrongPassphrase,

    /// The repository has no `config` object.
    #[error(
        "no repository at {location}: run `strongbox init` first, or check the repository address"
    )]
    NoRepository { location: String },

    /// `init` found an existing repository.
    #[error("a repository already exists at {location}; refusing to overwrite it")]
    RepositoryExists { location: String },

    /// A stored object is missing.
    #[error("{kind} object {name} is missing from the storage: run `strongbox check` to see which snapshots are affected")]
    NotFound { kind: FileKind, name: String },

    /// A stored object's bytes do not hash to its name.
    #[error("{kind} object {name} is corrupt: its SHA-256 is {actual}; the storage altered or truncated it. Run `strongbox check --read-data`")]
    HashMismatch {
        kind: FileKind,
        name: String,
        actual: String,
    },

    /// Authenticated decryption failed.
    #[error("cannot decrypt {what}: the data was altered, truncated or written with another key")]
    Decrypt { what: String },

    /// A structure could not be parsed.
    #[error("{what} is malformed: {reason}")]
    Malformed { what: String, reason: String },

    /// A blob is not in the index.
    #[error(
        "blob {id} is not in any index: the repository is missing data; run `strongbox check`"
    )]
    BlobMissing { id: String },

    /// A blob's content does not match its id.
    #[error("blob {id} in pack {pack} does not match its id: the pack is corrupt")]
    BlobMismatch { id: String, pack: String },

    /// Storage access failed.
    #[error("storage error while {op} {key}: {message}")]
    Storage {
        op: &'static str,
        key: String,
        message: String,
        /// HTTP status, when the storage speaks HTTP.
        status: Option<u16>,
    },

    /// The storage refused access.
    #[error("the storage refused {op} {key} (HTTP {status}): check the access key, secret, bucket policy and region")]
    AccessDenied {
        op: &'static str,
        key: String,
        status: u16,
    },

    /// An object exists already (create-only write).
    #[error("{kind} object {name} exists already; objects are never overwritten")]
    AlreadyExists { kind: FileKind, name: String },

    /// The repository is locked by another process.
    #[error("the repository is locked by {holder} since {since}; if that process is gone, run `strongbox unlock` (locks older than 30 minutes are stale and removed automatically)")]
    Locked { holder: String, since: String },

    /// This process's own lock went stale (not refreshed for longer than
    /// the stale limit), so a prune may have run meanwhile.
    #[error("this {operation}'s lock was not refreshed for {minutes} minutes (the computer slept, the tab was frozen, or the storage was unreachable), so another process may have removed data it relies on; it stopped before writing anything that could refer to such data. Run it again")]
    LockExpired { operation: String, minutes: i64 },

    /// A snapshot id or prefix matches nothing or several snapshots.
    #[error("snapshot {0}")]
    Snapshot(String),

    /// Local I/O (native only).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Database error (native only).
    #[error("database: {0}")]
    Database(String),

    /// Invalid argument or configuration.
    #[error("{0}")]
    Invalid(String),

    /// The repository version is unknown.
    #[error("repository format version {0} is not supported by this strongbox; upgrade strongbox")]
    UnsupportedVersion(u32),

    /// The WordPress site's Strongbox API refused or failed a request.
    #[error("the site answered HTTP {status} to {what}: {message} ({code})")]
    Site {
        what: String,
        status: u16,
        code: String,
        message: String,
    },

    /// The operation was cancelled.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// A stable short code for programs (the browser engine's error codes,
    /// the runners' job results): `wrong_password`, `no_repository`,
    /// `exists`, `cancelled`, `locked`, `lock_expired`, `cors`, `storage`,
    /// `site`, `corrupt`, `error`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::WrongPassphrase => "wrong_password",
            Error::NoRepository { .. } => "no_repository",
            Error::RepositoryExists { .. } => "exists",
            Error::Cancelled => "cancelled",
            Error::Locked { .. } => "locked",
            Error::LockExpired { .. } => "lock_expired",
            Error::Storage {
                status: None,
                message,
                ..
            } if message.contains("CORS rule") => "cors",
            Error::Storage { .. } | Error::AccessDenied { .. } | Error::NotFound { .. } => {
                "storage"
            }
            Error::Site { .. } => "site",
            Error::HashMismatch { .. }
            | Error::Decrypt { .. }
            | Error::Malformed { .. }
            | Error::BlobMissing { .. }
            | Error::BlobMismatch { .. } => "corrupt",
            _ => "error",
        }
    }

    /// Shorthand for [`Error::Malformed`].
    pub fn malformed(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::Malformed {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// Whether the error means "the object is not there" (as opposed to a failure).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }
}
