//! Argument parsing, repository opening and output of the CLI.

mod progress;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use strongbox::commands::{self, backup::BackupOptions, check::CheckOptions};
use strongbox::crypto::keyfile::KdfParams;
use strongbox::db::dump::DumpSource;
use strongbox::db::restore::{restore_table, ScriptSink, MAX_STATEMENT, SESSION_PREAMBLE};
use strongbox::db::source::DbSource;
use strongbox::native::fs::{LocalFiles, LocalTarget};
use strongbox::native::mysql::{DbConfig, MysqlSource};
use strongbox::repo::{InitOptions, Repository};
use strongbox::storage::local::LocalStorage;
use strongbox::storage::DynStorage;
use strongbox::Error;

/// Exit codes (documented in README.md).
mod exit {
    pub const FATAL: u8 = 1;
    pub const WARNINGS: u8 = 3;
    pub const CHECK_FAILED: u8 = 4;
    pub const NO_REPOSITORY: u8 = 10;
    pub const LOCKED: u8 = 11;
    pub const WRONG_PASSWORD: u8 = 12;
    pub const CANCELLED: u8 = 130;
}

#[derive(Parser)]
#[command(
    name = "strongbox",
    version,
    about = "Encrypted, deduplicated backups of WordPress and WooCommerce shops"
)]
struct Cli {
    /// Repository: a local folder or s3:http(s)://host[:port]/bucket[/prefix]
    #[arg(
        short = 'r',
        long = "repo",
        env = "STRONGBOX_REPOSITORY",
        global = true
    )]
    repo: Option<String>,
    /// File holding the passphrase (else STRONGBOX_PASSWORD, else a prompt)
    #[arg(long, env = "STRONGBOX_PASSWORD_FILE", global = true)]
    password_file: Option<PathBuf>,
    /// Print machine-readable JSON on standard output
    #[arg(long, global = true)]
    json: bool,
    /// No progress bars
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new repository
    Init(InitArgs),
    /// Back up site files and/or a database
    Backup(BackupArgs),
    /// List snapshots
    Snapshots,
    /// List the files and tables of a snapshot
    Ls {
        /// Snapshot id (prefix) or `latest`
        snapshot: String,
    },
    /// Show what changed between two snapshots
    Diff {
        /// Older snapshot
        a: String,
        /// Newer snapshot
        b: String,
    },
    /// Restore files into a folder and tables into SQL files or a database
    Restore(RestoreArgs),
    /// Verify the repository (structure; with --read-data, every blob)
    Check(CheckArgs),
    /// Print an object in the clear: config | key ID | index ID | snapshot ID | pack ID | blob ID | lock ID
    Cat {
        /// Object type
        kind: String,
        /// Object id or prefix (snapshots also take `latest`)
        id: Option<String>,
    },
    /// Remove snapshots by a retention policy (restic's --keep-* semantics; the data stays until prune)
    Forget(ForgetArgs),
    /// Remove data no snapshot references (repacks partly used packs)
    Prune(PruneArgs),
    /// Repository size and deduplication
    Stats,
    /// Manage passphrases
    #[command(subcommand)]
    Key(KeyCmd),
    /// Run the site's due jobs (scheduled backups, checks, prunes, drills) unattended
    Agent(AgentArgs),
    /// Remove stale locks (or all with --remove-all)
    Unlock {
        /// Also remove locks that look alive
        #[arg(long)]
        remove_all: bool,
    },
}

#[derive(Args)]
struct InitArgs {
    /// Store data unencrypted: anyone with access to the storage can read every file, customer and order
    #[arg(long)]
    no_encryption: bool,
    /// Target pack size in MiB
    #[arg(long, default_value_t = 16)]
    pack_size_mib: u32,
    /// Deflate level 0-9 (0: never compress)
    #[arg(long, default_value_t = strongbox::compress::DEFAULT_LEVEL)]
    compression_level: u32,
    /// Chunker sizes in KiB as MIN,AVG,MAX
    #[arg(long)]
    chunk_kib: Option<String>,
    /// Argon2id memory in KiB for the key (tests use less)
    #[arg(long, hide = true)]
    kdf_memory_kib: Option<u32>,
}

#[derive(Args)]
struct DbArgs {
    /// Database name (enables the live database source)
    #[arg(long = "db-name", env = "STRONGBOX_DB_NAME")]
    name: Option<String>,
    /// Database host
    #[arg(
        long = "db-host",
        env = "STRONGBOX_DB_HOST",
        default_value = "127.0.0.1"
    )]
    host: String,
    /// Database port
    #[arg(long = "db-port", env = "STRONGBOX_DB_PORT", default_value_t = 3306)]
    port: u16,
    /// Database unix socket (preferred over host and port)
    #[arg(long = "db-socket", env = "STRONGBOX_DB_SOCKET")]
    socket: Option<String>,
    /// Database user
    #[arg(long = "db-user", env = "STRONGBOX_DB_USER", default_value = "root")]
    user: String,
    /// Database password
    #[arg(
        long = "db-password",
        env = "STRONGBOX_DB_PASSWORD",
        default_value = "",
        hide_env_values = true
    )]
    password: String,
}

impl DbArgs {
    fn config(&self) -> Option<DbConfig> {
        self.name.as_ref().map(|name| DbConfig {
            host: self.host.clone(),
            port: self.port,
            socket: self.socket.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            database: name.clone(),
        })
    }
}

#[derive(Args)]
struct BackupArgs {
    /// Folder of site files to back up
    #[arg(long)]
    files: Option<PathBuf>,
    /// SQL dump file to back up as the database (instead of a live connection)
    #[arg(long)]
    db_dump: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    /// Leave out files matching this pattern (* and ?), by path or name
    #[arg(long)]
    exclude: Vec<String>,
    /// Leave out this table
    #[arg(long)]
    exclude_table: Vec<String>,
    /// Tag the snapshot
    #[arg(long)]
    tag: Vec<String>,
    /// What started the backup
    #[arg(long, default_value = "cli")]
    trigger: String,
    /// Compare with this snapshot instead of the latest of the same sources
    #[arg(long)]
    parent: Option<String>,
    /// Read every file even when unchanged
    #[arg(long)]
    force: bool,
    /// Site URL recorded in the snapshot
    #[arg(long)]
    site_url: Option<String>,
    /// Back up a WordPress site through the Strongbox plugin's REST API
    /// (`https://shop.example`), authenticated with an Application Password
    /// from STRONGBOX_SITE_USER and STRONGBOX_SITE_PASSWORD
    #[arg(long, conflicts_with_all = ["files", "db_dump"])]
    site: Option<String>,
    /// With --site: leave out the files
    #[arg(long, requires = "site")]
    no_site_files: bool,
    /// With --site: leave out the database
    #[arg(long, requires = "site")]
    no_site_db: bool,
    /// Record this time (RFC 3339, for example 2026-11-25T15:00:00Z) as the snapshot's, instead of now
    #[arg(long)]
    time: Option<chrono::DateTime<chrono::Utc>>,
    /// Wait up to this many seconds for a conflicting lock (a prune) to go away
    #[arg(long, value_name = "SECONDS")]
    retry_lock: Option<u64>,
}

#[derive(Args)]
struct RestoreArgs {
    /// Snapshot id (prefix) or `latest`
    snapshot: String,
    /// Folder to restore files into
    #[arg(long)]
    target: Option<PathBuf>,
    /// Restore only these paths (below the files root)
    #[arg(long)]
    include: Vec<String>,
    /// Replace existing files in the target
    #[arg(long)]
    overwrite: bool,
    /// Write each table as DIR/<table>.sql
    #[arg(long)]
    sql_dir: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    /// Restore only these tables
    #[arg(long)]
    table: Vec<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// Read and verify every blob of every pack
    #[arg(long)]
    read_data: bool,
    /// Read a subset: n/m (for example 1/7) or a percentage (10%)
    #[arg(long)]
    read_data_subset: Option<String>,
}

#[derive(Args)]
struct ForgetArgs {
    /// Keep the newest N snapshots (-1: all)
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_last: i32,
    /// Keep the newest snapshot of each of the last N hours that have one
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_hourly: i32,
    /// ... of each of the last N days
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_daily: i32,
    /// ... of each of the last N ISO weeks
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_weekly: i32,
    /// ... of each of the last N months
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_monthly: i32,
    /// ... of each of the last N years
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    keep_yearly: i32,
    /// Keep every snapshot within this duration of the newest (for example 7d, 1y6m, 36h)
    #[arg(long, default_value = "")]
    keep_within: String,
    /// Only say what would be removed
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Run prune afterwards when snapshots were removed
    #[arg(long)]
    prune: bool,
    /// With --prune: see `prune --max-unused`
    #[arg(long, default_value = "5%")]
    max_unused: String,
    /// Wait up to this many seconds for other processes' locks to go away
    #[arg(long, value_name = "SECONDS")]
    retry_lock: Option<u64>,
}

#[derive(Args)]
struct PruneArgs {
    /// Unused space tolerated in kept packs, as a percentage of the used data ("5%"); "0%" repacks every partly used pack, "100%" never repacks
    #[arg(long, default_value = "5%")]
    max_unused: String,
    /// Only say what would be removed
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Wait up to this many seconds for other processes' locks to go away
    #[arg(long, value_name = "SECONDS")]
    retry_lock: Option<u64>,
}

#[derive(Args)]
struct AgentArgs {
    /// The WordPress site (`https://shop.example`); the Application Password comes from STRONGBOX_SITE_USER and STRONGBOX_SITE_PASSWORD
    #[arg(long, env = "STRONGBOX_SITE")]
    site: String,
    /// Run what is due now, then exit (for cron or a systemd timer); without it the agent keeps polling
    #[arg(long)]
    once: bool,
    /// Seconds between polls when nothing is due
    #[arg(long, default_value_t = 60)]
    poll: u64,
    /// Only these job types (backup, check, prune, drill); default all
    #[arg(long = "type", value_delimiter = ',')]
    types: Vec<String>,
    /// This runner's name as the site shows it (default agent@<hostname>)
    #[arg(long)]
    runner_id: Option<String>,
}

fn parse_percent(s: &str) -> Result<f64> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| anyhow!("--max-unused {s:?}: give a percentage such as 5%"))?;
    if !(0.0..=100.0).contains(&v) {
        bail!("--max-unused {s:?}: give a percentage between 0% and 100%");
    }
    Ok(v)
}

async fn run_prune(
    cli: &Cli,
    repo: &Repository,
    opts: &commands::prune::PruneOptions,
    show_bar: bool,
    cancel: Arc<AtomicBool>,
) -> Result<commands::prune::PruneReport> {
    let bar = progress::Bar::new(show_bar, cancel);
    let report = commands::prune::run(repo, opts, &bar).await;
    bar.finish();
    let r = report?;
    if !cli.json {
        let verb = if r.dry_run { "would" } else { "did" };
        println!(
            "{} snapshots; {} packs, {} in all: {} in use, {} unused",
            r.snapshots,
            r.packs_total,
            human(r.bytes_total),
            human(r.bytes_used),
            human(r.bytes_unused)
        );
        println!(
            "prune {verb} delete {} unused packs and {} packs no index names, repack {} partly used packs, and free {}",
            r.packs_deleted,
            r.packs_unindexed,
            r.packs_repacked,
            human(r.bytes_freed)
        );
        if !r.dry_run && r.packs_written > 0 {
            println!(
                "  wrote {} new packs ({}), {} index files replaced by {}",
                r.packs_written,
                human(r.bytes_written),
                r.index_files_replaced,
                r.index_files_written
            );
        }
        println!("  unused data left: {}", human(r.bytes_unused_after));
    }
    Ok(r)
}

#[derive(Subcommand)]
enum KeyCmd {
    /// List key files
    List,
    /// Add a passphrase (read from --new-password-file, else prompted)
    Add {
        /// File holding the new passphrase
        #[arg(long)]
        new_password_file: Option<PathBuf>,
        /// Argon2id memory in KiB (tests use less)
        #[arg(long, hide = true)]
        kdf_memory_kib: Option<u32>,
    },
    /// Remove a key file by id (prefix)
    Remove {
        /// Key id or prefix
        id: String,
    },
}

pub fn main() -> ExitCode {
    // Buffers of STRONGBOX_MMAP_THRESHOLD_KIB (default 4 MiB) and more (packs)
    // are mapped and unmapped on their own, so freed packs go back to the
    // system instead of lingering in malloc's heap: without this, glibc's
    // adaptive threshold kept peak RSS about 20 MB higher (docs/BENCHMARKS.md).
    let threshold_kib: i32 = std::env::var("STRONGBOX_MMAP_THRESHOLD_KIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4096);
    if threshold_kib > 0 {
        // SAFETY: mallopt only changes allocator tuning; called before any thread starts.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, threshold_kib.saturating_mul(1024));
        }
    }
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("strongbox: cannot start the runtime: {e}");
            return ExitCode::from(exit::FATAL);
        }
    };
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        rt.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!(
                    "\nstrongbox: stopping after the current item (Ctrl-C again to abort now)…"
                );
                cancel.store(true, Ordering::Relaxed);
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(exit::CANCELLED));
                }
            }
        });
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    match rt.block_on(run(cli, cancel)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("strongbox: {e:#}");
            let code = match e.downcast_ref::<Error>() {
                Some(Error::NoRepository { .. }) => exit::NO_REPOSITORY,
                Some(Error::Locked { .. }) => exit::LOCKED,
                Some(Error::WrongPassphrase) => exit::WRONG_PASSWORD,
                Some(Error::Cancelled) => exit::CANCELLED,
                _ => exit::FATAL,
            };
            ExitCode::from(code)
        }
    }
}

async fn open_storage(repo: Option<&str>, create: bool) -> Result<DynStorage> {
    let repo =
        repo.ok_or_else(|| anyhow!("no repository: pass -r/--repo or set STRONGBOX_REPOSITORY"))?;
    if repo.starts_with("s3:") {
        let access = std::env::var("AWS_ACCESS_KEY_ID")
            .context("an S3 repository needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY")
            .context("an S3 repository needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
        return s3_storage(repo, access, secret, create).await;
    }
    let path = repo.strip_prefix("local:").unwrap_or(repo);
    Ok(Arc::new(LocalStorage::new(path)))
}

async fn s3_storage(
    repo: &str,
    access: String,
    secret: String,
    create_bucket: bool,
) -> Result<DynStorage> {
    use strongbox::storage::s3::{S3Config, S3Storage};
    let mut cfg = S3Config::from_repo_url(repo, access, secret)?;
    if let Ok(region) = std::env::var("AWS_DEFAULT_REGION").or_else(|_| std::env::var("AWS_REGION"))
    {
        cfg.region = region;
    }
    if let Ok(token) = std::env::var("AWS_SESSION_TOKEN") {
        cfg.session_token = Some(token);
    }
    let s3 = S3Storage::new(cfg)?;
    if create_bucket && s3.ensure_bucket().await? {
        eprintln!("created bucket {}", s3.config().bucket);
    }
    Ok(Arc::new(strongbox::storage::retry::Retrying::new(
        s3,
        6,
        std::time::Duration::from_millis(250),
    )))
}

fn read_password(cli: &Cli, prompt: &str, confirm: bool) -> Result<String> {
    if let Some(f) = &cli.password_file {
        let s = std::fs::read_to_string(f)
            .with_context(|| format!("reading the password file {}", f.display()))?;
        return Ok(s.trim_end_matches(['\n', '\r']).to_string());
    }
    if let Ok(p) = std::env::var("STRONGBOX_PASSWORD") {
        return Ok(p);
    }
    prompt_password(prompt, confirm)
}

fn prompt_password(prompt: &str, confirm: bool) -> Result<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        bail!("no passphrase: use --password-file or STRONGBOX_PASSWORD (no terminal to ask on)");
    }
    let p = rpassword::prompt_password(prompt)?;
    if confirm && rpassword::prompt_password("Repeat it: ")? != p {
        bail!("the two passphrases differ");
    }
    Ok(p)
}

async fn open_repo(cli: &Cli) -> Result<Repository> {
    let storage = open_storage(cli.repo.as_deref(), false).await?;
    // An unencrypted repository needs no passphrase: try without first only
    // when none is configured.
    let pass = match (&cli.password_file, std::env::var("STRONGBOX_PASSWORD")) {
        (None, Err(_)) => {
            match Repository::open(storage.clone(), None, strongbox::repo::local_hostname()).await {
                Ok(r) => return Ok(r),
                Err(Error::Invalid(_)) => Some(prompt_password("Repository passphrase: ", false)?),
                Err(e) => return Err(e.into()),
            }
        }
        _ => Some(read_password(cli, "Repository passphrase: ", false)?),
    };
    Ok(Repository::open(storage, pass.as_deref(), strongbox::repo::local_hostname()).await?)
}

fn username() -> String {
    std::env::var("USER").unwrap_or_default()
}

fn out_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}

fn human(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < units.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}

async fn run(cli: Cli, cancel: Arc<AtomicBool>) -> Result<u8> {
    use std::io::IsTerminal;
    let show_bar = !cli.quiet && !cli.json && std::io::stderr().is_terminal();
    match &cli.command {
        Command::Init(a) => {
            let storage = open_storage(cli.repo.as_deref(), true).await?;
            let mut opts = InitOptions {
                encrypted: !a.no_encryption,
                pack_size: a
                    .pack_size_mib
                    .checked_mul(1024 * 1024)
                    .ok_or_else(|| anyhow!("pack size too large"))?,
                compression_level: a.compression_level,
                ..InitOptions::default()
            };
            if let Some(m) = a.kdf_memory_kib {
                opts.kdf = KdfParams {
                    m_cost: m,
                    t_cost: 1,
                    p_cost: 1,
                };
            }
            if let Some(c) = &a.chunk_kib {
                let v: Vec<u32> = c
                    .split(',')
                    .map(|x| x.trim().parse::<u32>())
                    .collect::<Result<_, _>>()
                    .context("--chunk-kib takes MIN,AVG,MAX in KiB")?;
                let [min, avg, max] = v[..] else {
                    bail!("--chunk-kib takes three numbers")
                };
                opts.chunker = strongbox::chunker::ChunkerParams {
                    min: min * 1024,
                    avg: avg * 1024,
                    max: max * 1024,
                    seed: 0,
                };
            }
            let pass = if opts.encrypted {
                Some(read_password(&cli, "New repository passphrase: ", true)?)
            } else {
                eprintln!("WARNING: this repository is NOT encrypted. Anyone who can read the storage can read every file, customer and order it holds.");
                None
            };
            let repo = Repository::init(
                storage,
                pass.as_deref(),
                opts,
                strongbox::repo::local_hostname(),
                username(),
            )
            .await?;
            if cli.json {
                out_json(
                    &serde_json::json!({"id": repo.config.id, "location": repo.storage.location(), "encrypted": repo.config.encrypted}),
                )?;
            } else {
                println!(
                    "created repository {} at {}",
                    &repo.config.id[..8],
                    repo.storage.location()
                );
                if repo.config.encrypted {
                    println!("Keep the passphrase safe: without it the backups cannot be restored by anyone.");
                }
            }
            Ok(0)
        }
        Command::Backup(a) if a.site.is_some() => {
            let repo = open_repo(&cli).await?;
            let client = std::sync::Arc::new(site_client(a.site.as_deref().unwrap_or_default())?);
            let opts = strongbox::site::SiteBackupOptions {
                files: !a.no_site_files,
                database: !a.no_site_db,
                trigger: a.trigger.clone(),
                excludes: a.exclude.clone(),
                time: a.time,
                lock_wait_secs: a.retry_lock.unwrap_or(0),
            };
            let bar = progress::Bar::new(show_bar, cancel);
            let res = strongbox::site::backup_site(&repo, &client, &opts, &bar).await;
            bar.finish();
            let (id, snap, traffic) = res?;
            if cli.json {
                out_json(&serde_json::json!({"id": id, "snapshot": snap, "traffic": traffic}))?;
            } else {
                print_backup_summary(&id, &snap);
                println!(
                    "  site:     {} received in {} requests",
                    human(traffic.bytes_from_site),
                    traffic.site_requests
                );
            }
            Ok(if snap.warnings.is_empty() {
                0
            } else {
                exit::WARNINGS
            })
        }
        Command::Backup(a) => {
            let repo = open_repo(&cli).await?;
            let mut files = match &a.files {
                Some(p) => Some(LocalFiles::new(p)?),
                None => None,
            };
            let mut db: Option<Box<dyn DbSource>> = match (&a.db_dump, a.db.config()) {
                (Some(_), Some(_)) => bail!("give either --db-dump or --db-name, not both"),
                (Some(p), None) => Some(Box::new(DumpSource::open(p)?)),
                (None, Some(cfg)) => {
                    let mut s = MysqlSource::new(cfg)?;
                    s.exclude = a.exclude_table.clone();
                    Some(Box::new(s))
                }
                (None, None) => None,
            };
            if files.is_none() && db.is_none() {
                bail!("nothing to back up: give --files DIR and/or --db-name NAME (or --db-dump FILE)");
            }
            let opts = BackupOptions {
                trigger: a.trigger.clone(),
                tags: a.tag.clone(),
                site: a.site_url.as_ref().map(|u| strongbox::snapshot::SiteInfo {
                    url: u.clone(),
                    ..Default::default()
                }),
                excludes: a.exclude.clone(),
                parent: a.parent.clone(),
                force: a.force,
                time: a.time,
                lock_wait: a.retry_lock.map(std::time::Duration::from_secs),
            };
            let bar = progress::Bar::new(show_bar, cancel);
            let res = commands::backup::run(
                &repo,
                files
                    .as_mut()
                    .map(|f| f as &mut dyn commands::backup::FileSource),
                db.as_mut().map(|d| &mut **d as &mut dyn DbSource),
                &opts,
                &bar,
            )
            .await;
            bar.finish();
            let (id, snap) = res?;
            if cli.json {
                out_json(&serde_json::json!({"id": id, "snapshot": snap}))?;
            } else {
                print_backup_summary(&id, &snap);
            }
            Ok(if snap.warnings.is_empty() {
                0
            } else {
                exit::WARNINGS
            })
        }
        Command::Snapshots => {
            let repo = open_repo(&cli).await?;
            let snaps = repo.list_snapshots().await?;
            if cli.json {
                let v: Vec<_> = snaps.iter().map(|(id, s)| serde_json::json!({"id": id, "short_id": id.short(), "snapshot": s})).collect();
                out_json(&v)?;
            } else {
                println!(
                    "{:<10} {:<20} {:<10} {:>8} {:>7} {:>10} {:>10}",
                    "ID", "Time", "Trigger", "Files", "Tables", "Size", "Added"
                );
                for (id, s) in &snaps {
                    println!(
                        "{:<10} {:<20} {:<10} {:>8} {:>7} {:>10} {:>10}",
                        id.short(),
                        s.time.format("%Y-%m-%d %H:%M:%S"),
                        s.trigger,
                        s.stats.files,
                        s.stats.tables,
                        human(s.stats.file_bytes + s.stats.db_bytes),
                        human(s.stats.bytes_stored)
                    );
                }
                println!("{} snapshots", snaps.len());
            }
            Ok(0)
        }
        Command::Ls { snapshot } => {
            let repo = open_repo(&cli).await?;
            let (index, _, snap) = commands::backup::load_for_read(&repo, snapshot).await?;
            let entries = commands::ls::entries(&repo, &index, &snap).await?;
            if cli.json {
                out_json(&entries)?;
            } else {
                for e in entries {
                    match e.rows {
                        Some(r) => {
                            println!("{:<8} {:>12} {:>10} rows  {}", e.kind, e.size, r, e.path)
                        }
                        None => println!("{:<8} {:>12}  {}", e.kind, e.size, e.path),
                    }
                }
            }
            Ok(0)
        }
        Command::Diff { a, b } => {
            let repo = open_repo(&cli).await?;
            let index = repo.load_index().await?;
            let (_, sa) = repo.find_snapshot(a).await?;
            let (_, sb) = repo.find_snapshot(b).await?;
            let changes = commands::diff::run(&repo, &index, &sa, &sb).await?;
            if cli.json {
                out_json(&changes)?;
            } else {
                for c in &changes {
                    println!("{}  {}", c.change, c.path);
                }
                println!("{} changes", changes.len());
            }
            Ok(0)
        }
        Command::Restore(a) => restore(&cli, a, show_bar, cancel).await,
        Command::Check(a) => {
            let repo = open_repo(&cli).await?;
            let opts = CheckOptions {
                read_data: a.read_data,
                subset: a
                    .read_data_subset
                    .as_deref()
                    .map(commands::check::Subset::parse)
                    .transpose()?,
            };
            let bar = progress::Bar::new(show_bar, cancel);
            let report = commands::check::run(&repo, &opts, &bar).await;
            bar.finish();
            let report = report?;
            if cli.json {
                out_json(&report)?;
            } else {
                for w in &report.warnings {
                    println!("warning: {w}");
                }
                for e in &report.errors {
                    println!("error: {e}");
                }
                println!(
                    "{} snapshots, {} packs checked{}",
                    report.snapshots,
                    report.packs,
                    if report.packs_read > 0 {
                        format!(
                            ", {} packs and {} blobs read and verified",
                            report.packs_read, report.blobs_read
                        )
                    } else {
                        String::new()
                    }
                );
                if report.ok() {
                    println!("no errors were found");
                } else {
                    println!(
                        "{} errors; snapshots affected: {}",
                        report.errors.len(),
                        if report.damaged_snapshots.is_empty() {
                            "none".to_string()
                        } else {
                            report
                                .damaged_snapshots
                                .iter()
                                .map(|s| s[..8].to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        }
                    );
                    println!("Restore what you need from unaffected snapshots, and run a new backup: it stores missing data again.");
                }
            }
            Ok(if report.ok() { 0 } else { exit::CHECK_FAILED })
        }
        Command::Cat { kind, id } => {
            use commands::cat::Target;
            let repo = open_repo(&cli).await?;
            let need = || id.clone().ok_or_else(|| anyhow!("cat {kind} needs an id"));
            let target = match kind.as_str() {
                "config" => Target::Config,
                "key" => Target::Key(need()?),
                "index" => Target::Index(need()?),
                "snapshot" => Target::Snapshot(need()?),
                "pack" => Target::Pack(need()?),
                "blob" => Target::Blob(need()?),
                "lock" => Target::Lock(need()?),
                other => bail!(
                    "unknown object type {other:?}: config, key, index, snapshot, pack, blob, lock"
                ),
            };
            let bytes = commands::cat::run(&repo, &target).await?;
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            if bytes.last() != Some(&b'\n')
                && matches!(
                    target,
                    Target::Config
                        | Target::Index(_)
                        | Target::Snapshot(_)
                        | Target::Pack(_)
                        | Target::Lock(_)
                )
            {
                writeln!(out)?;
            }
            Ok(0)
        }
        Command::Stats => {
            let repo = open_repo(&cli).await?;
            let index = repo.load_index().await?;
            let s = commands::stats::run(&repo, &index).await?;
            if cli.json {
                out_json(&s)?;
            } else {
                println!("snapshots:        {}", s.snapshots);
                println!("packs:            {} ({})", s.packs, human(s.pack_bytes));
                println!("metadata:         {}", human(s.metadata_bytes));
                println!(
                    "unique blobs:     {} ({} plaintext)",
                    s.blobs,
                    human(s.unique_bytes)
                );
                println!(
                    "restore size:     {} (all snapshots)",
                    human(s.restore_bytes)
                );
                println!("dedup ratio:      {:.2}x", s.dedup_ratio);
            }
            Ok(0)
        }
        Command::Key(k) => {
            let repo = open_repo(&cli).await?;
            match k {
                KeyCmd::List => {
                    let keys = repo.list_keys().await?;
                    if cli.json {
                        let v: Vec<_> = keys.iter().map(|(id, k)| serde_json::json!({"id": id, "current": Some(*id) == repo.key_id, "created": k.created, "hostname": k.hostname, "username": k.username})).collect();
                        out_json(&v)?;
                    } else {
                        for (id, k) in keys {
                            let cur = if Some(id) == repo.key_id { "*" } else { " " };
                            println!(
                                "{cur}{} {} {}@{}",
                                id.short(),
                                k.created.format("%Y-%m-%d %H:%M:%S"),
                                k.username,
                                k.hostname
                            );
                        }
                    }
                }
                KeyCmd::Add {
                    new_password_file,
                    kdf_memory_kib,
                } => {
                    let current = read_password(&cli, "Current passphrase: ", false)?;
                    let new = match new_password_file {
                        Some(f) => std::fs::read_to_string(f)
                            .with_context(|| format!("reading {}", f.display()))?
                            .trim_end_matches(['\n', '\r'])
                            .to_string(),
                        None => prompt_password("New passphrase: ", true)?,
                    };
                    let kdf = kdf_memory_kib
                        .map(|m| KdfParams {
                            m_cost: m,
                            t_cost: 1,
                            p_cost: 1,
                        })
                        .unwrap_or_default();
                    let id = commands::key::add(&repo, &current, &new, kdf, username()).await?;
                    println!("added key {}", id.short());
                }
                KeyCmd::Remove { id } => {
                    let id = commands::key::remove(&repo, id).await?;
                    println!("removed key {}", id.short());
                }
            }
            Ok(0)
        }
        Command::Forget(a) => {
            let repo = open_repo(&cli).await?;
            let policy = commands::forget::Policy {
                keep_last: a.keep_last,
                keep_hourly: a.keep_hourly,
                keep_daily: a.keep_daily,
                keep_weekly: a.keep_weekly,
                keep_monthly: a.keep_monthly,
                keep_yearly: a.keep_yearly,
                keep_within: a.keep_within.clone(),
            };
            let wait = a.retry_lock.map(std::time::Duration::from_secs);
            let report =
                commands::forget::run(&repo, &policy, chrono::Utc::now(), a.dry_run, wait).await?;
            let pruned = if a.prune && !a.dry_run && !report.removed.is_empty() {
                let opts = commands::prune::PruneOptions {
                    max_unused_percent: parse_percent(&a.max_unused)?,
                    dry_run: false,
                    lock_wait: wait,
                };
                if !cli.json {
                    print_forget(&report);
                }
                Some(run_prune(&cli, &repo, &opts, show_bar, cancel).await?)
            } else {
                if !cli.json {
                    print_forget(&report);
                }
                None
            };
            if cli.json {
                out_json(&serde_json::json!({"forget": report, "prune": pruned}))?;
            }
            Ok(0)
        }
        Command::Prune(a) => {
            let repo = open_repo(&cli).await?;
            let opts = commands::prune::PruneOptions {
                max_unused_percent: parse_percent(&a.max_unused)?,
                dry_run: a.dry_run,
                lock_wait: a.retry_lock.map(std::time::Duration::from_secs),
            };
            let report = run_prune(&cli, &repo, &opts, show_bar, cancel).await?;
            if cli.json {
                out_json(&report)?;
            }
            Ok(0)
        }
        Command::Agent(a) => agent(&cli, a, cancel).await,
        Command::Unlock { remove_all } => {
            let repo = open_repo(&cli).await?;
            let n = strongbox::repo::lock::remove_locks(&repo, *remove_all).await?;
            println!("removed {n} locks");
            Ok(0)
        }
    }
}

async fn agent(cli: &Cli, a: &AgentArgs, cancel: Arc<AtomicBool>) -> Result<u8> {
    use strongbox::site::runner::{self, JobProgress, RunnerInfo};
    let client = Arc::new(site_client(&a.site)?);
    let runner = RunnerInfo {
        id: a
            .runner_id
            .clone()
            .unwrap_or_else(|| format!("agent@{}", strongbox::repo::local_hostname())),
        kind: "agent".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let mut failed = 0u32;
    let mut ran = 0u32;
    loop {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let claim = runner::claim(&client, &runner, &a.types)
            .await
            .with_context(|| format!("asking {} for due jobs", a.site))?;
        let (Some(job), Some(lease)) = (claim.job, claim.lease) else {
            if a.once {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(a.poll.max(5))) => {}
                _ = wait_cancel(cancel.clone()) => break,
            }
            continue;
        };
        let now = claim.now.unwrap_or_else(chrono::Utc::now);
        if !cli.quiet {
            eprintln!(
                "job {}: {} ({}) for destination {}",
                job.id,
                job.job_type,
                job.trigger,
                job.destination_id.as_deref().unwrap_or("-")
            );
        }
        let progress = JobProgress::default();
        let outcome = {
            let work = runner::run_and_report(&client, &job, &lease, now, &progress);
            tokio::pin!(work);
            loop {
                tokio::select! {
                    r = &mut work => break r,
                    _ = wait_cancel(cancel.clone()), if !progress.cancelled_flag() => progress.stop(),
                }
            }
        };
        let outcome = outcome.with_context(|| format!("reporting job {} to the site", job.id))?;
        ran += 1;
        if outcome.state != "succeeded" {
            failed += 1;
        }
        if cli.json {
            // One line per job (JSON Lines), so a log can be followed.
            println!(
                "{}",
                serde_json::json!({"job": job.id, "type": job.job_type, "outcome": outcome})
            );
        } else {
            println!(
                "job {} {}: {}{}",
                job.id,
                job.job_type,
                outcome.state,
                outcome
                    .error_message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            );
        }
        if progress.lease_lost() {
            eprintln!("job {}: the lease was lost; another runner has it", job.id);
        }
    }
    if !cli.quiet {
        eprintln!("{ran} jobs run, {failed} not successful");
    }
    Ok(if failed > 0 { exit::FATAL } else { 0 })
}

async fn wait_cancel(cancel: Arc<AtomicBool>) {
    while !cancel.load(Ordering::Relaxed) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn print_forget(r: &commands::forget::ForgetReport) {
    println!("policy: {}", r.policy);
    let mut group = "";
    for d in &r.decisions {
        if d.group != group {
            group = &d.group;
            println!("{group}");
        }
        println!(
            "  {}  {}  {}",
            d.id.short(),
            d.time.format("%Y-%m-%d %H:%M:%S"),
            if d.keep {
                format!("keep ({})", d.reasons.join(", "))
            } else {
                "remove".to_string()
            }
        );
    }
    println!(
        "{} {} snapshots, {} kept",
        if r.dry_run { "would remove" } else { "removed" },
        r.removed.len(),
        r.kept
    );
}

async fn restore(
    cli: &Cli,
    a: &RestoreArgs,
    show_bar: bool,
    cancel: Arc<AtomicBool>,
) -> Result<u8> {
    let repo = open_repo(cli).await?;
    let (index, id, snap) = commands::backup::load_for_read(&repo, &a.snapshot).await?;
    let db_cfg = a.db.config();
    if a.target.is_none() && a.sql_dir.is_none() && db_cfg.is_none() {
        bail!("say where to restore: --target DIR for files, --sql-dir DIR or --db-name NAME for tables");
    }
    let bar = progress::Bar::new(show_bar, cancel);
    let mut stats = commands::restore::RestoreStats::default();
    let files_part = async {
        let Some(target) = &a.target else {
            return Ok(None);
        };
        let files = snap
            .files
            .as_ref()
            .ok_or_else(|| anyhow!("snapshot {} has no files", id.short()))?;
        let includes: Vec<Vec<Vec<u8>>> = a
            .include
            .iter()
            .map(|p| commands::restore::split_path(p))
            .collect::<Result<_, _>>()?;
        let mut t = LocalTarget::new(target, a.overwrite);
        let s =
            commands::restore::restore_files(&repo, &index, &files.tree, &includes, &mut t, &bar)
                .await?;
        anyhow::Ok(Some(s))
    };
    let tables_part = || async {
        if a.sql_dir.is_none() && db_cfg.is_none() {
            return anyhow::Ok((0, 0));
        }
        let db = snap
            .database
            .as_ref()
            .ok_or_else(|| anyhow!("snapshot {} has no database", id.short()))?;
        let tables: Vec<_> = db
            .tables
            .iter()
            .filter(|t| a.table.is_empty() || a.table.contains(&t.name))
            .collect();
        for want in &a.table {
            if !db.tables.iter().any(|t| &t.name == want) {
                bail!("table {want} is not in snapshot {}", id.short());
            }
        }
        let mut manifests = Vec::new();
        for t in &tables {
            manifests.push(
                repo.read_json_blob::<strongbox::db::TableManifest>(&index, &t.manifest)
                    .await?,
            );
        }
        let (mut rows, mut n) = (0u64, 0u64);
        if let Some(dir) = &a.sql_dir {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for m in &manifests {
                let path = dir.join(format!("{}.sql", safe_file_name(&m.name)));
                let f = std::fs::File::create(&path)
                    .with_context(|| format!("creating {}", path.display()))?;
                let mut sink = ScriptSink {
                    out: std::io::BufWriter::new(f),
                };
                for s in SESSION_PREAMBLE {
                    strongbox::db::restore::SqlSink::execute(&mut sink, s.as_bytes().to_vec())
                        .await?;
                }
                rows += restore_table(&repo, &index, m, &m.name, &mut sink, MAX_STATEMENT, &bar)
                    .await?;
                sink.out.flush()?;
                n += 1;
            }
        }
        if let Some(cfg) = &db_cfg {
            rows +=
                strongbox::native::mysql::restore_database(&repo, &index, &manifests, cfg, &bar)
                    .await?;
            n += manifests.len() as u64;
        }
        Ok((rows, n))
    };
    // Files and tables are restored side by side: the tables on a thread of
    // their own, so decoding them overlaps the files' (two cores: about a
    // third less wall time for the benchmark shop, docs/BENCHMARKS.md).
    let rt = tokio::runtime::Handle::current();
    let (files_res, tables_res) = tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            let tables = scope.spawn(|| rt.block_on(tables_part()));
            let files = rt.block_on(files_part);
            let tables = tables
                .join()
                .unwrap_or_else(|_| Err(anyhow!("the table restore thread failed")));
            (files, tables)
        })
    });
    if let Some(s) = files_res? {
        stats.files = s.files;
        stats.dirs = s.dirs;
        stats.bytes = s.bytes;
    }
    let (rows, n) = tables_res?;
    stats.rows = rows;
    stats.tables = n;
    bar.finish();
    if cli.json {
        out_json(&stats)?;
    } else {
        println!(
            "restored snapshot {}: {} files ({}), {} tables ({} rows)",
            id.short(),
            stats.files,
            human(stats.bytes),
            stats.tables,
            stats.rows
        );
    }
    Ok(0)
}

fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The human summary of a backup.
fn print_backup_summary(id: &strongbox::Id, snap: &strongbox::snapshot::Snapshot) {
    let s = &snap.stats;
    println!("snapshot {} saved", id.short());
    if snap.files.is_some() {
        println!(
            "  files:    {} files, {} dirs, {} ({} files read)",
            s.files,
            s.dirs,
            human(s.file_bytes),
            s.files_read
        );
    }
    if snap.database.is_some() {
        println!(
            "  database: {} tables, {} rows, {} ({} pages read, {} unchanged)",
            s.tables,
            s.rows,
            human(s.db_bytes),
            s.pages_read,
            s.pages_reused
        );
    }
    println!(
        "  added:    {} new blobs, {} of data, {} stored",
        s.blobs_new,
        human(s.bytes_new),
        human(s.bytes_stored)
    );
    println!("  took:     {:.1} s", s.duration_ms as f64 / 1000.0);
    for w in &snap.warnings {
        eprintln!("warning: {w}");
    }
}

/// A client of the site's Strongbox API at `site` (its home address).
fn site_client(site: &str) -> Result<strongbox::site::SiteClient> {
    let user = std::env::var("STRONGBOX_SITE_USER").context(
        "STRONGBOX_SITE_USER is not set (the WordPress user of the Application Password)",
    )?;
    let password = std::env::var("STRONGBOX_SITE_PASSWORD").context(
        "STRONGBOX_SITE_PASSWORD is not set (an Application Password: Users > Profile > Application Passwords)",
    )?;
    let api = format!("{}/wp-json/strongbox/v1/", site.trim_end_matches('/'));
    Ok(strongbox::site::SiteClient::new(
        &api,
        strongbox::site::Auth::ApplicationPassword { user, password },
    )?)
}
