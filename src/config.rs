//! Settings, read once at start from the environment (`INZAGE_*`) over an optional TOML file
//! with the same keys in lower case (`--config FILE`), validated before anything runs.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Every setting. Secrets are wrapped so they never print.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `INZAGE_DATABASE_URL`: the service's own store, `sqlite://PATH` (embedded, one
    /// instance) or `postgres://…` (production, many instances). Default `sqlite://inzage.db`.
    pub database_url: SecretString,
    /// `INZAGE_BIND`: listen address. Default `127.0.0.1:8080`.
    pub bind: String,
    /// `INZAGE_PUBLIC_URL`: base of links in e-mails and bundles. Default `http://127.0.0.1:8080`.
    pub public_url: String,
    /// `INZAGE_SECRET_KEY`: signs tokens and derives the keys that encrypt files at rest.
    /// Default: generated once and kept in `$INZAGE_DATA_DIR/secret.key`, with a warning.
    pub secret_key: SecretString,
    /// `INZAGE_DATA_DIR`: bundles, uploaded ID documents (both encrypted), mail files. Default `./var`.
    pub data_dir: PathBuf,
    /// `INZAGE_SMTP_URL`: `smtp://host:port` or `smtps://user:pass@host`; unset writes .eml files.
    pub smtp_url: Option<SecretString>,
    /// `INZAGE_MAIL_FROM`: sender address. Default `inzage@localhost`.
    pub mail_from: String,
    /// `INZAGE_LOG`: tracing filter. Default `info`.
    pub log: String,
    /// `INZAGE_LOG_FORMAT`: `text` (default) or `json`.
    pub log_json: bool,
    /// `INZAGE_DB_POOL_SIZE`: connections to the store per instance. Default 16.
    pub pool_size: u32,
    /// `INZAGE_WORKERS`: HTTP worker threads. Default: the number of CPUs.
    pub workers: Option<usize>,
    /// `INZAGE_BRIDGE_DAYS`: extra non-working days (comma-separated YYYY-MM-DD), e.g.
    /// bridge days declared by decree: the office is closed (reminders skip them), but they do
    /// not move a legal or extended date (the early reading, `domain::deadline`). Default none.
    pub bridge_days: Vec<NaiveDate>,
    /// `INZAGE_BUNDLE_RETENTION_DAYS`: days a compiled bundle is kept. Default 30.
    pub bundle_retention_days: u32,
    /// `INZAGE_REQUEST_RETENTION_DAYS`: days after closing that a request keeps its personal
    /// fields (GDPR art. 5(1)(e)); then they are erased and the anonymous record stays.
    /// Default 1095 (three years, long enough to show accountability).
    pub request_retention_days: u32,
    /// `INZAGE_DOWNLOAD_LINK_DAYS`: days a bundle download link is valid. Default 7.
    pub download_link_days: u32,
    /// `INZAGE_RUN_JOBS`: whether this instance runs background jobs. Default true.
    pub run_jobs: bool,
    /// `INZAGE_JOB_WORKERS`: job workers per instance. Default 2.
    pub job_workers: usize,
    /// `INZAGE_JOB_LEASE_SECS`: how long a claimed job is a worker's before another instance may
    /// take it over (renewed while the job runs). Default 60.
    pub job_lease_secs: u32,
    /// `INZAGE_SWEEP_INTERVAL_SECS`: how often the deadline sweep runs. Default 300.
    pub sweep_interval_secs: u32,
    /// `INZAGE_PROCESSOR_NAME`: the processor's name, signing every e-mail. Default `inzage`.
    pub processor_name: String,
    /// `INZAGE_SUPPORT_EMAIL`: the support team's mailbox for deadline reminders and overdue
    /// flags. Default: unset (reminders go to the tenant only, and show in the queue).
    pub support_email: Option<String>,
    /// `INZAGE_RATE_LIMIT_PER_IP`: requests per minute one client IP may make to the public
    /// routes (intake without a staff token, the verification link, the status view, the ID
    /// copy page and upload), per instance. `0` disables. Default 30.
    pub rate_limit_per_ip: u32,
    /// `INZAGE_RATE_LIMIT_IP_BURST`: how many of those may come at once. Default 10.
    pub rate_limit_ip_burst: u32,
    /// `INZAGE_RATE_LIMIT_PER_EMAIL`: public intakes per hour for one subject e-mail address
    /// (normalised), per instance. `0` disables. Default 5.
    pub rate_limit_per_email: u32,
    /// `INZAGE_TRUSTED_PROXIES`: reverse proxies (comma-separated IPs or CIDRs) whose
    /// `X-Forwarded-For` names the client. Default none: the peer address is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// `INZAGE_LOGIN_FAILURES_PER_IP`: failed sign-ins one client IP may make before it must
    /// wait (1 s, doubling with every further failure, at most 15 minutes). `0` disables.
    /// Default 20.
    pub login_failures_per_ip: u32,
    /// `INZAGE_LOGIN_FAILURES_PER_ACCOUNT`: the same per staff e-mail address. `0` disables.
    /// Default 5.
    pub login_failures_per_account: u32,
    /// `INZAGE_PASSWORD_CHECKS`: how many password hashes (argon2) are checked at once; the
    /// rest wait, so sign-ins can never take every core. Default: half the CPUs, at least 1.
    pub password_checks: usize,
    /// `INZAGE_METRICS_BIND`: the separate listen address of `/metrics` (Prometheus), which
    /// shows counts per status and kind over all tenants. Default `127.0.0.1:9464` (this
    /// host only); `off` serves no separate listener.
    pub metrics_bind: Option<String>,
    /// `INZAGE_METRICS_TOKEN`: when set, the main listener also answers `/metrics` to
    /// `Authorization: Bearer <token>` (else it answers 404 there). At least 32 characters.
    pub metrics_token: Option<SecretString>,
    /// Whether the secret key was generated (and should be warned about).
    pub secret_generated: bool,
}

/// An IP network (`10.0.0.0/8`, `::1`, `fd00::/8`), for `INZAGE_TRUSTED_PROXIES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse().ok()?, None),
        };
        let max = match addr {
            std::net::IpAddr::V4(_) => 32,
            std::net::IpAddr::V6(_) => 128,
        };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Self { addr, prefix })
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// The TOML file's shape: the environment variables' names in lower case, without `inzage_`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    public_url: Option<String>,
    secret_key: Option<String>,
    data_dir: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    log: Option<String>,
    log_format: Option<String>,
    db_pool_size: Option<u32>,
    workers: Option<usize>,
    bridge_days: Option<Vec<String>>,
    bundle_retention_days: Option<u32>,
    request_retention_days: Option<u32>,
    download_link_days: Option<u32>,
    run_jobs: Option<bool>,
    job_workers: Option<usize>,
    job_lease_secs: Option<u32>,
    sweep_interval_secs: Option<u32>,
    processor_name: Option<String>,
    support_email: Option<String>,
    rate_limit_per_ip: Option<u32>,
    rate_limit_ip_burst: Option<u32>,
    rate_limit_per_email: Option<u32>,
    trusted_proxies: Option<Vec<String>>,
    login_failures_per_ip: Option<u32>,
    login_failures_per_account: Option<u32>,
    password_checks: Option<usize>,
    metrics_bind: Option<String>,
    metrics_token: Option<String>,
}

/// Reads one setting: the environment wins over the file.
fn pick(env: &dyn Fn(&str) -> Option<String>, key: &str, file: Option<String>) -> Option<String> {
    env(&format!("INZAGE_{}", key.to_uppercase()))
        .filter(|v| !v.is_empty())
        .or(file)
}

fn parse_num<T: std::str::FromStr>(key: &str, v: Option<String>) -> Result<Option<T>, ConfigError> {
    v.map(|s| {
        s.trim().parse::<T>().map_err(|_| {
            ConfigError::Invalid(format!("INZAGE_{} must be a number", key.to_uppercase()))
        })
    })
    .transpose()
}

impl Settings {
    /// Loads settings from the process environment and an optional file.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_from(config_file, &|k| std::env::var(k).ok())
    }

    /// Loads settings with an explicit environment (tests pass a map).
    pub fn load_from(
        config_file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file = read_file(config_file)?;
        let database_url = pick(env, "database_url", file.database_url)
            .unwrap_or_else(|| "sqlite://inzage.db".to_owned());
        if !(database_url.starts_with("sqlite://")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid(
                "INZAGE_DATABASE_URL must start with sqlite:// or postgres://".into(),
            ));
        }
        let bind = pick(env, "bind", file.bind).unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let public_url = pick(env, "public_url", file.public_url)
            .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "INZAGE_PUBLIC_URL must be an http(s) URL".into(),
            ));
        }
        let data_dir = PathBuf::from(
            pick(env, "data_dir", file.data_dir).unwrap_or_else(|| "./var".to_owned()),
        );
        let log_format =
            pick(env, "log_format", file.log_format).unwrap_or_else(|| "text".to_owned());
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            _ => {
                return Err(ConfigError::Invalid(
                    "INZAGE_LOG_FORMAT must be text or json".into(),
                ));
            }
        };
        let bridge_days = parse_bridge_days(env, file.bridge_days.clone())?;
        let run_jobs = match pick(env, "run_jobs", file.run_jobs.map(|b| b.to_string())).as_deref()
        {
            None | Some("true") | Some("1") => true,
            Some("false") | Some("0") => false,
            Some(_) => {
                return Err(ConfigError::Invalid(
                    "INZAGE_RUN_JOBS must be true or false".into(),
                ));
            }
        };
        let (secret_key, secret_generated) = match pick(env, "secret_key", file.secret_key) {
            Some(s) if s.chars().count() < 32 => {
                return Err(ConfigError::Invalid(
                    "INZAGE_SECRET_KEY must be at least 32 characters".into(),
                ));
            }
            Some(s) => (s, false),
            None => (load_or_generate_secret(&data_dir)?, true),
        };
        let num = |key: &str, from_file: Option<u32>, default: u32| {
            parse_num::<u32>(key, pick(env, key, from_file.map(|n| n.to_string())))
                .map(|v| v.unwrap_or(default))
        };
        let rate_limit_per_ip = num("rate_limit_per_ip", file.rate_limit_per_ip, 30)?;
        let rate_limit_ip_burst = num("rate_limit_ip_burst", file.rate_limit_ip_burst, 10)?.max(1);
        let rate_limit_per_email = num("rate_limit_per_email", file.rate_limit_per_email, 5)?;
        let trusted_proxies = parse_trusted_proxies(env, file.trusted_proxies.clone())?;
        let login_failures_per_ip = num("login_failures_per_ip", file.login_failures_per_ip, 20)?;
        let login_failures_per_account = num(
            "login_failures_per_account",
            file.login_failures_per_account,
            5,
        )?;
        let password_checks = parse_num::<usize>(
            "password_checks",
            pick(
                env,
                "password_checks",
                file.password_checks.map(|n| n.to_string()),
            ),
        )?
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| usize::from(n) / 2))
        .max(1);
        let metrics_bind = match pick(env, "metrics_bind", file.metrics_bind) {
            Some(v) if v.trim() == "off" => None,
            Some(v) => Some(v.trim().to_owned()),
            None => Some("127.0.0.1:9464".to_owned()),
        };
        let metrics_token = match pick(env, "metrics_token", file.metrics_token) {
            Some(t) if t.chars().count() < 32 => {
                return Err(ConfigError::Invalid(
                    "INZAGE_METRICS_TOKEN must be at least 32 characters".into(),
                ));
            }
            t => t.map(SecretString::from),
        };
        let pool_size = parse_num::<u32>(
            "db_pool_size",
            pick(
                env,
                "db_pool_size",
                file.db_pool_size.map(|n| n.to_string()),
            ),
        )?
        .unwrap_or(16);
        Ok(Self {
            database_url: SecretString::from(database_url),
            bind,
            public_url,
            secret_key: SecretString::from(secret_key),
            data_dir,
            smtp_url: pick(env, "smtp_url", file.smtp_url).map(SecretString::from),
            mail_from: pick(env, "mail_from", file.mail_from)
                .unwrap_or_else(|| "inzage@localhost".to_owned()),
            log: pick(env, "log", file.log).unwrap_or_else(|| "info".to_owned()),
            log_json,
            pool_size,
            workers: parse_num(
                "workers",
                pick(env, "workers", file.workers.map(|n| n.to_string())),
            )?,
            bridge_days,
            bundle_retention_days: parse_num(
                "bundle_retention_days",
                pick(
                    env,
                    "bundle_retention_days",
                    file.bundle_retention_days.map(|n| n.to_string()),
                ),
            )?
            .unwrap_or(30),
            request_retention_days: parse_num(
                "request_retention_days",
                pick(
                    env,
                    "request_retention_days",
                    file.request_retention_days.map(|n| n.to_string()),
                ),
            )?
            .unwrap_or(1095),
            download_link_days: parse_num(
                "download_link_days",
                pick(
                    env,
                    "download_link_days",
                    file.download_link_days.map(|n| n.to_string()),
                ),
            )?
            .unwrap_or(7),
            run_jobs,
            job_workers: parse_num(
                "job_workers",
                pick(env, "job_workers", file.job_workers.map(|n| n.to_string())),
            )?
            .unwrap_or(2),
            job_lease_secs: parse_num(
                "job_lease_secs",
                pick(
                    env,
                    "job_lease_secs",
                    file.job_lease_secs.map(|n| n.to_string()),
                ),
            )?
            .unwrap_or(60)
            .max(1),
            sweep_interval_secs: parse_num(
                "sweep_interval_secs",
                pick(
                    env,
                    "sweep_interval_secs",
                    file.sweep_interval_secs.map(|n| n.to_string()),
                ),
            )?
            .unwrap_or(300)
            .max(1),
            processor_name: pick(env, "processor_name", file.processor_name)
                .unwrap_or_else(|| "inzage".to_owned()),
            support_email: pick(env, "support_email", file.support_email),
            rate_limit_per_ip,
            rate_limit_ip_burst,
            rate_limit_per_email,
            trusted_proxies,
            login_failures_per_ip,
            login_failures_per_account,
            password_checks,
            metrics_bind,
            metrics_token,
            secret_generated,
        })
    }

    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    pub fn secret_bytes(&self) -> &[u8] {
        self.secret_key.expose_secret().as_bytes()
    }
}

fn read_file(config_file: Option<&Path>) -> Result<FileSettings, ConfigError> {
    let Some(path) = config_file else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display())))
}

fn parse_bridge_days(
    env: &dyn Fn(&str) -> Option<String>,
    from_file: Option<Vec<String>>,
) -> Result<Vec<NaiveDate>, ConfigError> {
    let list: Vec<String> = match env("INZAGE_BRIDGE_DAYS").filter(|v| !v.is_empty()) {
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        None => from_file.unwrap_or_default(),
    };
    list.iter()
        .map(|d| {
            d.parse::<NaiveDate>().map_err(|_| {
                ConfigError::Invalid(format!("bridge day {d:?} is not a YYYY-MM-DD date"))
            })
        })
        .collect()
}

fn parse_trusted_proxies(
    env: &dyn Fn(&str) -> Option<String>,
    from_file: Option<Vec<String>>,
) -> Result<Vec<IpNet>, ConfigError> {
    let list: Vec<String> = match env("INZAGE_TRUSTED_PROXIES").filter(|v| !v.is_empty()) {
        Some(list) => list.split(',').map(|s| s.trim().to_owned()).collect(),
        None => from_file.unwrap_or_default(),
    };
    list.iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            IpNet::parse(s).ok_or_else(|| {
                ConfigError::Invalid(format!(
                    "INZAGE_TRUSTED_PROXIES: {s:?} is not an IP address or CIDR network"
                ))
            })
        })
        .collect()
}

/// Only the configured bridge days (for `inzage deadline`, which needs no store or secret).
pub fn load_bridge_days(config_file: Option<&Path>) -> Result<Vec<NaiveDate>, ConfigError> {
    let file = read_file(config_file)?;
    parse_bridge_days(&|k| std::env::var(k).ok(), file.bridge_days)
}

/// The generated secret lives in the data dir, readable by the owner only.
fn load_or_generate_secret(data_dir: &Path) -> Result<String, ConfigError> {
    let path = data_dir.join("secret.key");
    let io = |source| ConfigError::Io {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().to_owned()),
        Ok(_) => {
            return Err(ConfigError::Invalid(format!(
                "{} is too short",
                path.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let secret = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    };
    write_private(&path, &secret).map_err(io)?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ip_networks() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let net = IpNet::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        assert!(IpNet::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        assert!(!IpNet::parse("127.0.0.1").unwrap().contains(ip("127.0.0.2")));
        assert!(IpNet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(IpNet::parse("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert!(!IpNet::parse("fd00::/8").unwrap().contains(ip("10.0.0.1")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/x", ""] {
            assert!(IpNet::parse(bad).is_none(), "{bad}");
        }
    }

    fn env(map: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = map
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn defaults_and_a_generated_secret_kept_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_owned();
        let s = Settings::load_from(None, &env(&[("INZAGE_DATA_DIR", &d)])).unwrap();
        assert_eq!(s.database_url(), "sqlite://inzage.db");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert!(s.secret_generated);
        let again = Settings::load_from(None, &env(&[("INZAGE_DATA_DIR", &d)])).unwrap();
        assert_eq!(s.secret_bytes(), again.secret_bytes());
        assert!(!format!("{s:?}").contains(std::str::from_utf8(s.secret_bytes()).unwrap()));
    }

    #[test]
    fn env_wins_over_file_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("inzage.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nmail_from = \"dsr@example.nl\"\nsecret_key = \"0123456789abcdef0123456789abcdef\"\n").unwrap();
        let s = Settings::load_from(Some(&file), &env(&[("INZAGE_BIND", "127.0.0.1:1")])).unwrap();
        assert_eq!(s.bind, "127.0.0.1:1");
        assert_eq!(s.mail_from, "dsr@example.nl");
        assert!(!s.secret_generated);
        assert!(Settings::load_from(None, &env(&[("INZAGE_SECRET_KEY", "short")])).is_err());
        assert!(
            Settings::load_from(
                None,
                &env(&[
                    ("INZAGE_DATABASE_URL", "mysql://x"),
                    ("INZAGE_SECRET_KEY", "0123456789abcdef0123456789abcdef")
                ])
            )
            .is_err()
        );
        std::fs::write(&file, "unknown_key = 1\n").unwrap();
        assert!(Settings::load_from(Some(&file), &env(&[])).is_err());
        std::fs::write(
            &file,
            "secret_key = \"0123456789abcdef0123456789abcdef\"\nrate_limit_per_ip = 0\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )
        .unwrap();
        let s = Settings::load_from(Some(&file), &env(&[("INZAGE_RATE_LIMIT_PER_EMAIL", "2")]))
            .unwrap();
        assert_eq!(
            (
                s.rate_limit_per_ip,
                s.rate_limit_ip_burst,
                s.rate_limit_per_email
            ),
            (0, 10, 2)
        );
        assert_eq!(s.trusted_proxies.len(), 1);
        std::fs::write(
            &file,
            "secret_key = \"0123456789abcdef0123456789abcdef\"\ntrusted_proxies = [\"10.0.0.0/40\"]\n",
        )
        .unwrap();
        assert!(Settings::load_from(Some(&file), &env(&[])).is_err());
    }
}
