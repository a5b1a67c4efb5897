//! Running the site's scheduled jobs: claim a due job under a lease, keep
//! the lease alive with heartbeats while the job runs, report the result.
//!
//! The site decides what is due (`POST /runner/claim` runs its planner) and
//! gives each job to one runner at a time: the native `strongbox agent`
//! (system cron or a systemd timer) or an administrator's open wp-admin
//! tab. A runner that stops heartbeating loses the lease after its
//! time-to-live and the job goes to the next runner; a runner that learns
//! it lost the lease (HTTP 409) stops the job at the next item, leaving the
//! repository valid, and does not report.
//!
//! Everything here is target-independent: the browser's runner uses the
//! same code through the WebAssembly bindings.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::client::SiteClient;
use super::presign::SitePresigner;
use super::SiteBackupOptions;
use crate::commands::check::{self, CheckOptions, Subset};
use crate::commands::forget::{self, Policy};
use crate::commands::prune::{self, PruneOptions};
use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};
use crate::repo::Repository;
use crate::storage::retry::Retrying;
use crate::storage::DynStorage;

/// How long a job waits for another process's conflicting lock (a prune,
/// a backup) before it fails as `locked`.
const LOCK_WAIT: Duration = Duration::from_secs(15 * 60);

/// How long retention after a backup waits for a lock before it leaves
/// the work to the next backup.
const FORGET_WAIT: Duration = Duration::from_secs(60);

/// Who is running jobs.
#[derive(Debug, Clone, Serialize)]
pub struct RunnerInfo {
    /// Stable id, e.g. `agent@host`.
    pub id: String,
    /// `agent` or `browser`.
    pub kind: String,
    /// Strongbox version.
    pub version: String,
}

/// A lease on a job.
#[derive(Debug, Clone, Deserialize)]
pub struct Lease {
    /// Token to send with heartbeats and the finish call.
    pub token: String,
    /// When it runs out unless renewed.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Its time to live in seconds.
    #[serde(default)]
    pub ttl: u64,
    /// Heartbeat interval the site asks for, in seconds.
    #[serde(default)]
    pub heartbeat_every: u64,
}

/// What a job carries.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct JobParams {
    /// Backup: `database`, `files`.
    pub parts: Vec<String>,
    /// Check: `all`, or `1/7` for a rotating seventh of the packs.
    pub check_subset: String,
    /// Check: which seventh this run reads (0-based).
    pub check_offset: u32,
    /// The destination's retention policy, applied after a backup.
    pub retention: Option<Policy>,
}

/// A job given to this runner.
#[derive(Debug, Clone, Deserialize)]
pub struct Job {
    /// Job id.
    pub id: u64,
    /// `backup`, `check`, `prune`, `drill`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// `schedule`, `before-update`, `manual`, `api`.
    #[serde(default)]
    pub trigger: String,
    /// The destination (repository) it works on.
    #[serde(default)]
    pub destination_id: Option<String>,
    /// The schedule that made it.
    #[serde(default)]
    pub schedule_id: Option<String>,
    /// When it fell due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// Its parameters.
    #[serde(default)]
    pub params: JobParams,
}

/// The answer of `POST /runner/claim`.
#[derive(Debug, Clone, Deserialize)]
pub struct Claim {
    /// The job, or `None` when nothing is due.
    pub job: Option<Job>,
    /// The lease on it.
    #[serde(default)]
    pub lease: Option<Lease>,
    /// The site's clock (scheduled snapshots carry this time).
    #[serde(default)]
    pub now: Option<DateTime<Utc>>,
    /// When the next job falls due, if the site knows.
    #[serde(default)]
    pub next_due: Option<DateTime<Utc>>,
}

/// Asks the site for a due job of one of `types` (all when empty).
///
/// # Errors
/// Site errors.
pub async fn claim(client: &SiteClient, runner: &RunnerInfo, types: &[String]) -> Result<Claim> {
    let mut body = json!({ "runner": runner });
    if !types.is_empty() {
        body["types"] = json!(types);
    }
    client.send_json(Method::POST, "runner/claim", &body).await
}

/// A [`Progress`] that remembers where the job is, for heartbeats, and
/// turns a lost lease (or a cancel request) into cancellation.
#[derive(Default)]
pub struct JobProgress<'a> {
    phase: Cell<Option<Phase>>,
    item: RefCell<String>,
    done: Cell<u64>,
    total: Cell<u64>,
    stop: Cell<bool>,
    lost: Cell<bool>,
    forward: Option<&'a dyn Progress>,
}

impl std::fmt::Debug for JobProgress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobProgress")
            .field("done", &self.done.get())
            .field("stop", &self.stop.get())
            .field("lost", &self.lost.get())
            .finish_non_exhaustive()
    }
}

impl<'a> JobProgress<'a> {
    /// A progress that also passes every event to `inner` (a screen), and
    /// stops when `inner` is cancelled.
    pub fn forwarding(inner: &'a dyn Progress) -> JobProgress<'a> {
        JobProgress {
            forward: Some(inner),
            ..JobProgress::default()
        }
    }

    /// Whether the lease was lost (the job must not report).
    pub fn lease_lost(&self) -> bool {
        self.lost.get()
    }

    /// Asks the job to stop at the next item.
    pub fn stop(&self) {
        self.stop.set(true);
    }

    /// Whether the job was asked to stop.
    pub fn cancelled_flag(&self) -> bool {
        self.stop.get()
    }
}

impl Progress for JobProgress<'_> {
    fn item(&self, phase: Phase, name: &str, done: u64, total: u64) {
        self.phase.set(Some(phase));
        name.clone_into(&mut self.item.borrow_mut());
        if let Some(f) = self.forward {
            f.item(phase, name, done, total);
        }
    }
    fn bytes(&self, phase: Phase, n: u64) {
        self.done.set(self.done.get() + n);
        if let Some(f) = self.forward {
            f.bytes(phase, n);
        }
    }
    fn total(&self, bytes: u64) {
        self.total.set(bytes);
        if let Some(f) = self.forward {
            f.total(bytes);
        }
    }
    fn cancelled(&self) -> bool {
        self.stop.get() || self.forward.is_some_and(|f| f.cancelled())
    }
}

#[derive(Deserialize)]
struct HeartbeatAnswer {
    #[serde(default)]
    cancel_requested: bool,
}

/// Renews the lease every `heartbeat_every` seconds until the job ends.
/// On a lost lease or a cancel request it stops the job and then waits
/// (the job future decides when everything ends).
async fn heartbeats(client: &SiteClient, job: u64, lease: &Lease, progress: &JobProgress<'_>) {
    let every = Duration::from_secs(lease.heartbeat_every.clamp(5, 300));
    let mut failures = 0u32;
    loop {
        crate::storage::retry::sleep(every).await;
        let body = json!({
            "lease": lease.token,
            "phase": progress.phase.get().map_or("", |p| p.label()),
            "message": progress.item.borrow().clone(),
            "bytes_done": progress.done.get(),
            "bytes_total": progress.total.get(),
        });
        let answer: Result<HeartbeatAnswer> = client
            .send_json(Method::POST, &format!("jobs/{job}/heartbeat"), &body)
            .await;
        match answer {
            Ok(a) => {
                failures = 0;
                if a.cancel_requested {
                    progress.stop();
                }
            }
            Err(Error::Site { status: 409, .. }) | Err(Error::Site { status: 404, .. }) => {
                progress.lost.set(true);
                progress.stop();
                return std::future::pending::<()>().await;
            }
            Err(_) => {
                // A passing network failure: keep working while the lease
                // may still be valid (three intervals of silence are well
                // within the time to live the site gives).
                failures += 1;
                if u64::from(failures) * every.as_secs() >= lease.ttl.max(60) {
                    progress.lost.set(true);
                    progress.stop();
                    return std::future::pending::<()>().await;
                }
            }
        }
    }
}

/// The outcome of one job, as reported to the site.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// `succeeded`, `failed` or `cancelled`.
    pub state: String,
    /// Stable error code (`strongbox_` + [`Error::code`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Figures of the job.
    pub result: Value,
}

/// Runs `job` under `lease` and reports it, unless the lease was lost.
/// Returns the outcome (also when it could not be reported).
///
/// # Errors
/// Only when the report itself fails; the job's own failure is an
/// [`Outcome`] with state `failed`.
pub async fn run_and_report(
    client: &Arc<SiteClient>,
    job: &Job,
    lease: &Lease,
    now: DateTime<Utc>,
    progress: &JobProgress<'_>,
) -> Result<Outcome> {
    let work = run_job(client, job, lease, now, progress);
    let beat = heartbeats(client, job.id, lease, progress);
    futures::pin_mut!(work);
    futures::pin_mut!(beat);
    let result = match futures::future::select(work, beat).await {
        futures::future::Either::Left((r, _)) => r,
        futures::future::Either::Right(((), work)) => work.await,
    };
    let outcome = match result {
        Ok((ok, result)) => Outcome {
            state: if ok { "succeeded" } else { "failed" }.into(),
            error_code: (!ok).then(|| format!("strongbox_{}_failed", job.job_type)),
            error_message: (!ok).then(|| {
                result
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("the job found problems")
                    .to_string()
            }),
            result,
        },
        Err(Error::Cancelled) => Outcome {
            state: "cancelled".into(),
            error_code: Some("strongbox_cancelled".into()),
            error_message: Some(if progress.lease_lost() {
                "this runner lost its lease on the job (another runner took it over)".into()
            } else {
                "cancelled on request".into()
            }),
            result: json!({}),
        },
        Err(e) => Outcome {
            state: "failed".into(),
            // The site turns these into its destination health alert.
            error_code: Some(match e.code() {
                "storage" | "cors" => "strongbox_destination_unreachable".to_string(),
                code => format!("strongbox_{code}"),
            }),
            error_message: Some(e.to_string()),
            result: json!({}),
        },
    };
    if progress.lease_lost() {
        return Ok(outcome);
    }
    let mut body = serde_json::to_value(&outcome).map_err(|e| Error::Invalid(e.to_string()))?;
    body["lease"] = json!(lease.token);
    let _: Value = client
        .send_json(Method::POST, &format!("jobs/{}/finish", job.id), &body)
        .await?;
    Ok(outcome)
}

#[derive(Deserialize)]
struct PassphraseAnswer {
    passphrase: String,
}

/// Opens the job's repository through URLs the site presigns for it.
///
/// # Errors
/// Site and storage errors; [`Error::WrongPassphrase`].
pub async fn open_repository(
    client: &Arc<SiteClient>,
    job: &Job,
    lease: &Lease,
) -> Result<Repository> {
    let destination = job
        .destination_id
        .as_deref()
        .ok_or_else(|| Error::Invalid(format!("job {} names no destination", job.id)))?;
    let (_, s3) =
        SitePresigner::leased_storage(client.clone(), destination, job.id, &lease.token).await?;
    #[allow(clippy::arc_with_non_send_sync)]
    let storage: DynStorage = Arc::new(Retrying::new(s3, 4, Duration::from_millis(500)));
    let pass: PassphraseAnswer = client
        .get_json(
            &format!("jobs/{}/passphrase", job.id),
            &[("lease", lease.token.as_str())],
        )
        .await?;
    let host = client.base().host_str().unwrap_or("site").to_string();
    Repository::open(storage, Some(&pass.passphrase), host).await
}

/// Runs one job. Returns whether it succeeded and its result figures.
///
/// # Errors
/// What stops the job (site, storage, repository errors, cancellation).
pub async fn run_job(
    client: &Arc<SiteClient>,
    job: &Job,
    lease: &Lease,
    now: DateTime<Utc>,
    progress: &JobProgress<'_>,
) -> Result<(bool, Value)> {
    let repo = open_repository(client, job, lease).await?;
    match job.job_type.as_str() {
        "backup" => {
            let parts = &job.params.parts;
            let opts = SiteBackupOptions {
                files: parts.is_empty() || parts.iter().any(|p| p == "files"),
                database: parts.is_empty() || parts.iter().any(|p| p == "database"),
                trigger: if job.trigger.is_empty() {
                    "schedule".into()
                } else {
                    job.trigger.clone()
                },
                excludes: Vec::new(),
                time: Some(now),
                lock_wait_secs: LOCK_WAIT.as_secs(),
            };
            let (id, snap, traffic) = super::backup_site(&repo, client, &opts, progress).await?;
            let mut result = json!({
                "snapshot_id": id.to_hex(),
                "stats": snap.stats,
                "traffic": traffic,
                "warnings": snap.warnings,
            });
            if let Some(policy) = job.params.retention.as_ref().filter(|p| !p.is_empty()) {
                // The snapshot is safe whatever happens here: retention
                // that cannot run now (another process holds a lock) runs
                // after the next backup.
                result["forget"] =
                    match forget::run(&repo, policy, now, false, Some(FORGET_WAIT)).await {
                        Ok(f) => json!({
                            "policy": f.policy,
                            "removed": f.removed.iter().map(|i| i.to_hex()).collect::<Vec<_>>(),
                            "kept": f.kept,
                        }),
                        Err(e @ (Error::Locked { .. } | Error::LockExpired { .. })) => {
                            json!({"skipped": e.to_string()})
                        }
                        Err(e) => return Err(e),
                    };
            }
            Ok((true, result))
        }
        "check" => {
            let subset = match job.params.check_subset.as_str() {
                "" | "all" => None,
                s => {
                    let (_, m) = s.split_once('/').ok_or_else(|| {
                        Error::Invalid(format!("check subset {s:?}: use all or 1/N"))
                    })?;
                    let m: u32 = m
                        .parse()
                        .map_err(|_| Error::Invalid(format!("check subset {s:?}")))?;
                    let m = m.max(1);
                    Some(Subset::Group(job.params.check_offset % m + 1, m))
                }
            };
            let report = check::run(
                &repo,
                &CheckOptions {
                    read_data: subset.is_none(),
                    subset,
                },
                progress,
            )
            .await?;
            let ok = report.ok();
            let message = (!ok).then(|| {
                format!(
                    "check found {} problems; snapshots affected: {}",
                    report.errors.len(),
                    report.damaged_snapshots.len()
                )
            });
            Ok((
                ok,
                json!({
                    "ok": ok,
                    "message": message,
                    "packs_checked": report.packs_read,
                    "packs_total": report.packs,
                    "blobs_checked": report.blobs_read,
                    "errors": report.errors.iter().take(50).collect::<Vec<_>>(),
                    "damaged_snapshots": report.damaged_snapshots,
                }),
            ))
        }
        "prune" => {
            let mut result = json!({});
            if let Some(policy) = job.params.retention.as_ref().filter(|p| !p.is_empty()) {
                let f = forget::run(&repo, policy, now, false, Some(LOCK_WAIT)).await?;
                result["forget"] = json!({"removed": f.removed.len(), "kept": f.kept});
            }
            let r = prune::run(
                &repo,
                &PruneOptions {
                    lock_wait: Some(LOCK_WAIT),
                    ..PruneOptions::default()
                },
                progress,
            )
            .await?;
            result["packs_deleted"] = json!(r.packs_deleted + r.packs_unindexed);
            result["packs_repacked"] = json!(r.packs_repacked);
            result["bytes_freed"] = json!(r.bytes_freed);
            result["bytes_total"] = json!(r.bytes_total);
            Ok((true, result))
        }
        "drill" => {
            let r = super::drill::drill_site(&repo, client, "latest", progress).await?;
            let mut v = serde_json::to_value(&r).map_err(|e| Error::Invalid(e.to_string()))?;
            if !r.ok {
                v["message"] = json!(format!(
                    "the restore drill of snapshot {} found {} differences: {}",
                    &r.snapshot_id[..8.min(r.snapshot_id.len())],
                    r.mismatches.len(),
                    r.mismatches.first().map_or("", String::as_str)
                ));
            }
            Ok((r.ok, v))
        }
        other => Err(Error::Invalid(format!(
            "this runner does not run {other} jobs (strongbox {})",
            env!("CARGO_PKG_VERSION")
        ))),
    }
}
