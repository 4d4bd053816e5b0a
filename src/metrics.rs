//! Prometheus metrics. Counts that every instance must agree on (requests by status and
//! kind, jobs, mail) are read from the store at scrape time; HTTP latency is per process.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntGaugeVec, Opts, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_duration: HistogramVec,
    pub requests: IntGaugeVec,
    pub jobs: IntGaugeVec,
    pub outbox: IntGaugeVec,
    pub outbox_oldest_pending: prometheus::IntGauge,
    /// Calls refused by a rate limit, per limit (`ip`, `email`); per process.
    pub rate_limited: prometheus::IntCounterVec,
    /// Closed requests whose personal fields the retention job erased (read from the store).
    pub request_erasures: prometheus::IntGauge,
    /// How many public intakes were written together per commit (group commit,
    /// `service::intake_writer`); per process.
    pub intake_group: prometheus::Histogram,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "inzage_http_request_duration_seconds",
                "HTTP request latency by method, route pattern and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )?;
        let requests = IntGaugeVec::new(
            Opts::new(
                "inzage_requests",
                "Data-subject requests by status and kind",
            ),
            &["status", "kind"],
        )?;
        let jobs = IntGaugeVec::new(
            Opts::new(
                "inzage_jobs",
                "Background jobs by state (queued, running, done, dead) and kind",
            ),
            &["state", "kind"],
        )?;
        let outbox = IntGaugeVec::new(
            Opts::new(
                "inzage_outbox",
                "Mail in the outbox by state (pending, sent, dead)",
            ),
            &["state"],
        )?;
        let outbox_oldest_pending = prometheus::IntGauge::new(
            "inzage_outbox_oldest_pending_seconds",
            "Age of the oldest mail not yet sent (0 when none): a stuck message shows here",
        )?;
        let rate_limited = prometheus::IntCounterVec::new(
            Opts::new(
                "inzage_rate_limited_total",
                "Public calls refused with 429, by limit (ip, email); per instance",
            ),
            &["limit"],
        )?;
        let request_erasures = prometheus::IntGauge::new(
            "inzage_request_erasures_total",
            "Closed requests whose personal fields were erased after the retention period",
        )?;
        let intake_group = prometheus::Histogram::with_opts(
            HistogramOpts::new(
                "inzage_intake_group_size",
                "Public intakes written together in one commit (group commit); per instance",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]),
        )?;
        registry.register(Box::new(intake_group.clone()))?;
        registry.register(Box::new(request_erasures.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(jobs.clone()))?;
        registry.register(Box::new(outbox.clone()))?;
        registry.register(Box::new(outbox_oldest_pending.clone()))?;
        Ok(Self {
            registry,
            http_duration,
            requests,
            jobs,
            outbox,
            outbox_oldest_pending,
            rate_limited,
            request_erasures,
            intake_group,
        })
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The text exposition of every registered metric.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut buf = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buf)?;
        String::from_utf8(buf).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}
