//! `forget`: which snapshots a retention policy keeps, and removing the rest.
//!
//! The policy has restic's semantics (`restic forget --keep-*`), so a
//! policy written for restic keeps the same snapshots here:
//!
//! - Snapshots are grouped (by site and by what they contain: files,
//!   database, or both, so an hourly database schedule never pushes a daily
//!   files schedule's snapshots out) and each group is handled on its own.
//! - Within a group, snapshots are walked newest first. `keep_last` keeps
//!   the first n. Each of `keep_hourly`, `keep_daily`, `keep_weekly` (ISO
//!   weeks), `keep_monthly` and `keep_yearly` keeps a snapshot when its
//!   period (the hour, day, ... it falls in) differs from that of the
//!   previous snapshot this rule kept, until the rule's count is used up; so
//!   the newest snapshot of each period is kept. A count of -1 means no
//!   limit. While a rule still has count left when the walk reaches the
//!   oldest snapshot, that one is kept too (restic 0.15 and later), so the
//!   history is as long as the policy allows.
//! - `keep_within` (for example `2d`, `1y2m3d4h`) keeps every snapshot
//!   younger than the duration, measured back from the newest snapshot of
//!   the group that is not in the future (not from now: a site that stopped
//!   backing up keeps its last snapshots).
//! - Periods are computed in UTC (a fixed offset may be given).
//! - An empty policy keeps everything.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, Months, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::Id;
use crate::repo::lock::Lock;
use crate::repo::Repository;
use crate::snapshot::Snapshot;
use crate::storage::FileKind;

/// A retention policy. Counts: 0 = rule not used, -1 = no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// Keep the newest n snapshots.
    pub keep_last: i32,
    /// Keep the newest snapshot of each of the last n hours that have one.
    pub keep_hourly: i32,
    /// ... of each of the last n days.
    pub keep_daily: i32,
    /// ... of each of the last n ISO weeks.
    pub keep_weekly: i32,
    /// ... of each of the last n months.
    pub keep_monthly: i32,
    /// ... of each of the last n years.
    pub keep_yearly: i32,
    /// Keep every snapshot within this duration of the newest (`1y2m3d4h`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub keep_within: String,
}

/// A parsed `keep_within` duration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Within {
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
    /// Hours.
    pub hours: u32,
}

impl Within {
    /// Parses restic's duration syntax: numbers followed by `y`, `m`, `d`,
    /// `h`, in any combination (`1y2m`, `36h`). Empty gives zero.
    ///
    /// # Errors
    /// [`Error::Invalid`] for anything else.
    pub fn parse(s: &str) -> Result<Within> {
        let bad = || {
            Error::Invalid(format!(
                "keep-within {s:?}: use numbers with y (years), m (months), d (days), h (hours), for example 7d or 1y6m"
            ))
        };
        let mut w = Within::default();
        let mut num = String::new();
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u32 = num.parse().map_err(|_| bad())?;
            num.clear();
            let slot = match c {
                'y' => &mut w.years,
                'm' => &mut w.months,
                'd' => &mut w.days,
                'h' => &mut w.hours,
                _ => return Err(bad()),
            };
            *slot = slot.checked_add(n).ok_or_else(bad)?;
        }
        if !num.is_empty() {
            return Err(bad());
        }
        Ok(w)
    }

    /// Whether the duration is zero (rule not used).
    pub fn is_zero(&self) -> bool {
        *self == Within::default()
    }

    /// `t` minus this duration (calendar years and months, like Go's AddDate).
    fn before(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let months = self.years.saturating_mul(12).saturating_add(self.months);
        let t = t.checked_sub_months(Months::new(months)).unwrap_or(t);
        t - TimeDelta::days(i64::from(self.days)) - TimeDelta::hours(i64::from(self.hours))
    }
}

impl Policy {
    /// Whether no rule is set (everything is kept).
    pub fn is_empty(&self) -> bool {
        self.keep_last == 0
            && self.keep_hourly == 0
            && self.keep_daily == 0
            && self.keep_weekly == 0
            && self.keep_monthly == 0
            && self.keep_yearly == 0
            && self.keep_within.trim().is_empty()
    }

    /// Checks the values.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a count below -1 or a bad duration.
    pub fn validate(&self) -> Result<Within> {
        for (name, v) in [
            ("keep-last", self.keep_last),
            ("keep-hourly", self.keep_hourly),
            ("keep-daily", self.keep_daily),
            ("keep-weekly", self.keep_weekly),
            ("keep-monthly", self.keep_monthly),
            ("keep-yearly", self.keep_yearly),
        ] {
            if v < -1 {
                return Err(Error::Invalid(format!(
                    "{name} {v}: use a count, 0 (not used) or -1 (no limit)"
                )));
            }
        }
        Within::parse(&self.keep_within)
    }

    /// One line describing the policy.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "keep everything (no rule set)".into();
        }
        let mut parts = Vec::new();
        for (v, what) in [
            (self.keep_last, "latest"),
            (self.keep_hourly, "hourly"),
            (self.keep_daily, "daily"),
            (self.keep_weekly, "weekly"),
            (self.keep_monthly, "monthly"),
            (self.keep_yearly, "yearly"),
        ] {
            match v {
                -1 => parts.push(format!("all {what}")),
                n if n > 0 => parts.push(format!("{n} {what}")),
                _ => {}
            }
        }
        let mut s = format!("keep {}", parts.join(", "));
        if !self.keep_within.trim().is_empty() {
            if !parts.is_empty() {
                s.push_str(" and ");
            }
            s.push_str(&format!(
                "all within {} of the newest",
                self.keep_within.trim()
            ));
        }
        s
    }
}

/// Why a snapshot is kept.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    /// Snapshot id.
    pub id: Id,
    /// Its time.
    pub time: DateTime<Utc>,
    /// The group it was judged in.
    pub group: String,
    /// Kept?
    pub keep: bool,
    /// The rules that keep it (empty when removed).
    pub reasons: Vec<String>,
}

/// The group a snapshot belongs to: its site (URL, else host) and what it
/// holds.
pub fn group_of(s: &Snapshot) -> String {
    let site = s
        .site
        .as_ref()
        .map(|i| i.url.as_str())
        .filter(|u| !u.is_empty())
        .unwrap_or(&s.hostname);
    let parts = match (s.files.is_some(), s.database.is_some()) {
        (true, true) => "files+database",
        (true, false) => "files",
        (false, true) => "database",
        (false, false) => "empty",
    };
    format!("{site} [{parts}]")
}

/// Applies `policy` to one group of snapshot times. Returns, for each input
/// (in input order), the reasons it is kept (empty: removed). `now` bounds
/// the "newest" snapshot for `keep_within`; `offset` is the time zone of
/// the periods.
///
/// # Errors
/// [`Error::Invalid`] for a bad policy.
pub fn apply(
    policy: &Policy,
    times: &[DateTime<Utc>],
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Result<Vec<Vec<String>>> {
    let within = policy.validate()?;
    let mut out = vec![Vec::new(); times.len()];
    if times.is_empty() {
        return Ok(out);
    }
    if policy.is_empty() {
        for r in &mut out {
            r.push("policy is empty".to_string());
        }
        return Ok(out);
    }
    // Newest first; equal times keep their input order (a stable sort).
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_by(|a, b| times[*b].cmp(&times[*a]));
    let latest = times
        .iter()
        .filter(|t| **t < now)
        .max()
        .copied()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let within_from = (!within.is_zero()).then(|| within.before(latest));

    type Bucker = fn(DateTime<FixedOffset>, usize) -> i64;
    let always: Bucker = |_, nr| nr as i64;
    let hour: Bucker = |d, _| {
        i64::from(d.year()) * 1_000_000
            + i64::from(d.month()) * 10_000
            + i64::from(d.day()) * 100
            + i64::from(d.hour())
    };
    let day: Bucker =
        |d, _| i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day());
    let week: Bucker = |d, _| {
        let w = d.iso_week();
        i64::from(w.year()) * 100 + i64::from(w.week())
    };
    let month: Bucker = |d, _| i64::from(d.year()) * 100 + i64::from(d.month());
    let year: Bucker = |d, _| i64::from(d.year());
    let mut buckets: [(i32, Bucker, Option<i64>, &str); 6] = [
        (policy.keep_last, always, None, "last snapshot"),
        (policy.keep_hourly, hour, None, "hourly snapshot"),
        (policy.keep_daily, day, None, "daily snapshot"),
        (policy.keep_weekly, week, None, "weekly snapshot"),
        (policy.keep_monthly, month, None, "monthly snapshot"),
        (policy.keep_yearly, year, None, "yearly snapshot"),
    ];
    let n = order.len();
    for (nr, &i) in order.iter().enumerate() {
        let t = times[i];
        let reasons = &mut out[i];
        if let Some(from) = within_from {
            if t > from {
                reasons.push(format!("within {}", policy.keep_within.trim()));
            }
        }
        let local = t.with_timezone(&offset);
        for b in &mut buckets {
            if b.0 > 0 || b.0 == -1 {
                let val = (b.1)(local, nr);
                if Some(val) != b.2 || nr == n - 1 {
                    b.2 = Some(val);
                    if b.0 > 0 {
                        b.0 -= 1;
                    }
                    reasons.push(b.3.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// Decides for every snapshot of the repository, group by group.
///
/// # Errors
/// [`Error::Invalid`] for a bad policy.
pub fn plan(
    policy: &Policy,
    snapshots: &[(Id, Snapshot)],
    now: DateTime<Utc>,
    offset: FixedOffset,
) -> Result<Vec<Decision>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (_, s)) in snapshots.iter().enumerate() {
        groups.entry(group_of(s)).or_default().push(i);
    }
    let mut out = Vec::with_capacity(snapshots.len());
    for (group, members) in groups {
        let times: Vec<DateTime<Utc>> = members.iter().map(|&i| snapshots[i].1.time).collect();
        let reasons = apply(policy, &times, now, offset)?;
        for (k, &i) in members.iter().enumerate() {
            out.push(Decision {
                id: snapshots[i].0,
                time: snapshots[i].1.time,
                group: group.clone(),
                keep: !reasons[k].is_empty(),
                reasons: reasons[k].clone(),
            });
        }
    }
    out.sort_by(|a, b| (&a.group, b.time).cmp(&(&b.group, a.time)));
    Ok(out)
}

/// What `forget` did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
pub struct ForgetReport {
    /// The policy, in words.
    pub policy: String,
    /// Every snapshot with its decision.
    pub decisions: Vec<Decision>,
    /// Snapshots removed (or to be removed).
    pub removed: Vec<Id>,
    /// Snapshots kept.
    pub kept: usize,
    /// Whether nothing was deleted because this was a dry run.
    pub dry_run: bool,
}

/// Applies `policy` and deletes the snapshots it does not keep (under an
/// exclusive lock, rule W7 of docs/FORMAT.md). The data they referenced
/// stays until `prune`.
///
/// # Errors
/// A bad policy; [`Error::Locked`] while another process works on the
/// repository; storage errors.
pub async fn run(
    repo: &Repository,
    policy: &Policy,
    now: DateTime<Utc>,
    dry_run: bool,
    lock_wait: Option<std::time::Duration>,
) -> Result<ForgetReport> {
    policy.validate()?;
    let offset = FixedOffset::east_opt(0).ok_or_else(|| Error::Invalid("offset".into()))?;
    let lock = if dry_run {
        None
    } else {
        Some(Lock::take(repo, true, "forget", lock_wait).await?)
    };
    let result = async {
        let snapshots = repo.list_snapshots().await?;
        let decisions = plan(policy, &snapshots, now, offset)?;
        let removed: Vec<Id> = decisions.iter().filter(|d| !d.keep).map(|d| d.id).collect();
        if !dry_run {
            for id in &removed {
                repo.storage
                    .delete(FileKind::Snapshot, &id.to_hex())
                    .await?;
            }
        }
        Ok(ForgetReport {
            policy: policy.describe(),
            kept: decisions.len() - removed.len(),
            decisions,
            removed,
            dry_run,
        })
    }
    .await;
    if let Some(lock) = lock {
        let released = lock.release(repo).await;
        let report = result?;
        released?;
        return Ok(report);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    fn hours(start: DateTime<Utc>, n: i64) -> Vec<DateTime<Utc>> {
        (0..n).map(|h| start + TimeDelta::hours(h)).collect()
    }

    fn kept(times: &[DateTime<Utc>], policy: &Policy) -> Vec<DateTime<Utc>> {
        let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
        let r = apply(policy, times, far, utc()).unwrap();
        let mut k: Vec<_> = times
            .iter()
            .zip(r)
            .filter(|(_, r)| !r.is_empty())
            .map(|(t, _)| *t)
            .collect();
        k.sort();
        k
    }

    #[test]
    fn parses_durations() {
        assert_eq!(
            Within::parse("1y2m3d4h").unwrap(),
            Within {
                years: 1,
                months: 2,
                days: 3,
                hours: 4
            }
        );
        assert!(Within::parse("").unwrap().is_zero());
        assert!(Within::parse("3").is_err());
        assert!(Within::parse("2w").is_err());
        assert!(Within::parse("d").is_err());
    }

    #[test]
    fn empty_policy_keeps_everything() {
        let t = hours(Utc.with_ymd_and_hms(2026, 1, 1, 0, 30, 0).unwrap(), 10);
        assert_eq!(kept(&t, &Policy::default()).len(), 10);
    }

    #[test]
    fn a_week_of_hourly_snapshots() {
        // 168 hourly snapshots from Monday 2026-11-02 00:30.
        let t = hours(Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 0).unwrap(), 168);
        let p = Policy {
            keep_hourly: 24,
            keep_daily: 3,
            ..Policy::default()
        };
        let k = kept(&t, &p);
        // The last 24 hours, plus the newest of the two days before them
        // (the newest day's snapshot is already kept by the hourly rule).
        assert_eq!(k.len(), 26);
        assert_eq!(k[0], Utc.with_ymd_and_hms(2026, 11, 6, 23, 30, 0).unwrap());
        assert_eq!(k[1], Utc.with_ymd_and_hms(2026, 11, 7, 23, 30, 0).unwrap());
        assert_eq!(k[2], Utc.with_ymd_and_hms(2026, 11, 8, 0, 30, 0).unwrap());
        // keep_last and keep_within.
        let k = kept(
            &t,
            &Policy {
                keep_last: 5,
                ..Policy::default()
            },
        );
        assert_eq!(k.len(), 5);
        let k = kept(
            &t,
            &Policy {
                keep_within: "1d".into(),
                ..Policy::default()
            },
        );
        // Strictly after newest - 24 h: 23 older ones plus the newest.
        assert_eq!(k.len(), 24);
    }

    #[test]
    fn oldest_is_kept_while_counts_remain() {
        let t = hours(Utc.with_ymd_and_hms(2026, 11, 2, 0, 30, 0).unwrap(), 48);
        let k = kept(
            &t,
            &Policy {
                keep_daily: 7,
                ..Policy::default()
            },
        );
        // Two days: their newest snapshots, and the oldest of all.
        assert_eq!(k.len(), 3);
        assert_eq!(k[0], t[0]);
    }

    #[test]
    fn weeks_are_iso_weeks() {
        // Sunday 2026-11-08 and Monday 2026-11-09 are in different ISO weeks.
        let t = vec![
            Utc.with_ymd_and_hms(2026, 11, 7, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 8, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 9, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap(),
        ];
        let k = kept(
            &t,
            &Policy {
                keep_weekly: 2,
                ..Policy::default()
            },
        );
        assert_eq!(k, vec![t[1], t[3]]);
    }

    #[test]
    fn future_snapshots_do_not_move_keep_within() {
        let now = Utc.with_ymd_and_hms(2026, 11, 10, 0, 0, 0).unwrap();
        let t = vec![
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 9, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap(),
        ];
        let p = Policy {
            keep_within: "2d".into(),
            ..Policy::default()
        };
        let r = apply(&p, &t, now, utc()).unwrap();
        assert!(r[0].is_empty());
        assert!(!r[1].is_empty());
        assert!(!r[2].is_empty());
    }

    #[test]
    fn bad_counts_are_refused() {
        let p = Policy {
            keep_daily: -2,
            ..Policy::default()
        };
        assert!(p.validate().is_err());
    }
}
