//! The kinds of background job (`jobs.kind`): pure names, so that the service can enqueue a
//! job without depending on the workers that run it.

/// Kinds of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Deadline reminders and overdue flags (every `INZAGE_SWEEP_INTERVAL_SECS`).
    DeadlineSweep,
    /// Hourly pruning: finished jobs, spent tokens.
    Maintenance,
    /// Hourly: deletes ID copies and bundles past their retention.
    Retention,
    /// Compiles one request's bundle (payload `{"bundle_id"}`).
    Bundle,
    /// Once per rule change: recomputes the dates of open requests (the early reading of the
    /// holidays; `service::recompute`).
    DeadlineRecompute,
    /// Carries out one approved plan (payload `{"plan_id"}`): rectification, erasure or
    /// restriction in the tenant's databases.
    Execution,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DeadlineSweep => "deadline_sweep",
            Self::Maintenance => "maintenance",
            Self::Retention => "retention",
            Self::Bundle => "bundle",
            Self::DeadlineRecompute => "deadline_recompute",
            Self::Execution => "execution",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deadline_sweep" => Some(Self::DeadlineSweep),
            "maintenance" => Some(Self::Maintenance),
            "retention" => Some(Self::Retention),
            "bundle" => Some(Self::Bundle),
            "deadline_recompute" => Some(Self::DeadlineRecompute),
            "execution" => Some(Self::Execution),
            _ => None,
        }
    }
}
