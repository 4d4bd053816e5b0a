//! Rate limits on the public routes: the intake without a staff token, the verification
//! link, the status view and the ID copy page and upload. Per client IP (all those routes
//! together) and, for the intake, per subject e-mail address, so nobody can flood a stranger's
//! mailbox with confirmation mails or the queue with requests (GDPR art. 32: availability).
//!
//! Limits are kept in memory, per instance (governor's GCRA, which needs one small cell per
//! key): behind a load balancer over N instances a client gets up to N times the limit.
//! Nothing here is logged with the IP or the address (an IP address is personal data); the
//! e-mail keys are kept as a truncated SHA-256, not the address itself.
//!
//! The client IP is the peer address, unless the peer is a trusted proxy
//! (`INZAGE_TRUSTED_PROXIES`): then the right-most `X-Forwarded-For` entry that is not itself
//! a trusted proxy. IPv6 clients are keyed by their /64, which one subscriber usually holds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::config::{IpNet, Settings};
use crate::error::AppError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// How often (in checks) keys whose limit has fully recovered are forgotten.
const PRUNE_EVERY: u64 = 4096;

/// The limits of one instance. Shared by every worker through `AppState`.
pub struct RateLimits {
    per_ip: Option<Keyed<IpAddr>>,
    per_email: Option<Keyed<[u8; 16]>>,
    trusted: Vec<IpNet>,
    checks: AtomicU64,
    rejected: Option<prometheus::IntCounterVec>,
    login: LoginThrottle,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("per_ip", &self.per_ip.is_some())
            .field("per_email", &self.per_email.is_some())
            .field("trusted", &self.trusted)
            .finish()
    }
}

/// Which limit a call ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Ip,
    Email,
    LoginIp,
    LoginAccount,
}

impl Limit {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ip => "ip",
            Self::Email => "email",
            Self::LoginIp => "login_ip",
            Self::LoginAccount => "login_account",
        }
    }
}

/// The first wait after the free failures; each further failure doubles it.
const LOGIN_FIRST_WAIT: Duration = Duration::from_secs(1);
/// The longest wait: an attacker cannot lock a staff member out for longer than this.
const LOGIN_LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Failures are forgotten this long after the last one (and after any wait has run out).
const LOGIN_FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LoginKey {
    Ip(IpAddr),
    /// A truncated SHA-256 of the lower-cased address, not the address itself.
    Account([u8; 16]),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    blocked_until: Option<Instant>,
}

/// Failed sign-ins per client IP and per account, with growing waits (OWASP Authentication
/// Cheat Sheet: throttle, do not lock out forever). A call while a wait runs gets 429 with
/// `Retry-After` and is not even checked, so the right password does not get through early.
#[derive(Debug)]
struct LoginThrottle {
    free_per_ip: u32,
    free_per_account: u32,
    failures: Mutex<HashMap<LoginKey, Failures>>,
}

impl LoginThrottle {
    fn keys(&self, ip: Option<IpAddr>, email: &str) -> Vec<(LoginKey, u32, Limit)> {
        let mut keys = Vec::with_capacity(2);
        if self.free_per_ip > 0
            && let Some(ip) = ip
        {
            keys.push((LoginKey::Ip(ip_key(ip)), self.free_per_ip, Limit::LoginIp));
        }
        if self.free_per_account > 0 {
            let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
            let mut key = [0u8; 16];
            key.copy_from_slice(&digest[..16]);
            keys.push((
                LoginKey::Account(key),
                self.free_per_account,
                Limit::LoginAccount,
            ));
        }
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LoginKey, Failures>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The longest wait that runs for this client or account, if any.
    fn waiting(&self, ip: Option<IpAddr>, email: &str, now: Instant) -> Option<(Duration, Limit)> {
        let map = self.lock();
        self.keys(ip, email)
            .into_iter()
            .filter_map(|(key, _, limit)| {
                let until = map.get(&key)?.blocked_until?;
                (until > now).then(|| (until - now, limit))
            })
            .max_by_key(|(wait, _)| *wait)
    }

    fn failed(&self, ip: Option<IpAddr>, email: &str, now: Instant) {
        let keys = self.keys(ip, email);
        let mut map = self.lock();
        if map.len() > 100_000 {
            map.retain(|_, f| now.duration_since(f.last) < LOGIN_FORGET_AFTER);
        }
        for (key, free, _) in keys {
            let f = map.entry(key).or_insert(Failures {
                count: 0,
                last: now,
                blocked_until: None,
            });
            let quiet_since = f.blocked_until.unwrap_or(f.last).max(f.last);
            if now.duration_since(quiet_since) >= LOGIN_FORGET_AFTER {
                f.count = 0;
            }
            f.count = f.count.saturating_add(1);
            f.last = now;
            if f.count > free {
                let doublings = (f.count - free - 1).min(20);
                let wait = LOGIN_FIRST_WAIT
                    .saturating_mul(1 << doublings)
                    .min(LOGIN_LONGEST_WAIT);
                f.blocked_until = Some(now + wait);
            }
        }
    }

    fn succeeded(&self, email: &str) {
        let keys = self.keys(None, email);
        let mut map = self.lock();
        for (key, _, _) in keys {
            map.remove(&key);
        }
    }
}

impl RateLimits {
    /// From the settings; `rejected` counts refusals per limit for `/metrics`.
    pub fn new(settings: &Settings, rejected: Option<prometheus::IntCounterVec>) -> Self {
        let per_ip = NonZeroU32::new(settings.rate_limit_per_ip).map(|per_minute| {
            let burst = NonZeroU32::new(settings.rate_limit_ip_burst).unwrap_or(per_minute);
            Keyed::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        let per_email = NonZeroU32::new(settings.rate_limit_per_email)
            .map(|per_hour| Keyed::keyed(Quota::per_hour(per_hour)));
        Self {
            per_ip,
            per_email,
            trusted: settings.trusted_proxies.clone(),
            checks: AtomicU64::new(0),
            rejected,
            login: LoginThrottle {
                free_per_ip: settings.login_failures_per_ip,
                free_per_account: settings.login_failures_per_account,
                failures: Mutex::new(HashMap::new()),
            },
        }
    }

    /// Before a sign-in is checked: 429 while this client or account has to wait.
    pub fn check_login(&self, req: &HttpRequest, email: &str) -> Result<(), AppError> {
        match self
            .login
            .waiting(self.client_ip(req), email, Instant::now())
        {
            None => Ok(()),
            Some((wait, limit)) => Err(self.refuse(wait, limit)),
        }
    }

    /// A sign-in failed (wrong address or password): counts for the client and the account.
    pub fn login_failed(&self, req: &HttpRequest, email: &str) {
        self.login
            .failed(self.client_ip(req), email, Instant::now());
    }

    /// A sign-in succeeded: the account's failures are forgotten (the client's are not).
    pub fn login_succeeded(&self, email: &str) {
        self.login.succeeded(email);
    }

    fn refuse(&self, wait: Duration, limit: Limit) -> AppError {
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        if let Some(c) = &self.rejected {
            c.with_label_values(&[limit.as_str()]).inc();
        }
        tracing::info!(limit = limit.as_str(), "rate limited");
        AppError::RateLimited {
            retry_after_secs: secs.max(1),
        }
    }

    /// The client's address: the peer, or what a trusted proxy says the client was.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| parse_forwarded(s.trim()))
            .collect();
        // Right to left: the first hop our own proxies did not add is the client.
        forwarded
            .iter()
            .rev()
            .find(|ip| !self.is_trusted(**ip))
            .or_else(|| forwarded.first())
            .copied()
            .or(Some(peer))
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// Counts one call from this client; 429 when it is over the limit.
    pub fn check_ip(&self, req: &HttpRequest) -> Result<(), AppError> {
        let Some(limiter) = &self.per_ip else {
            return Ok(());
        };
        let Some(ip) = self.client_ip(req) else {
            return Ok(());
        };
        self.check(limiter, &ip_key(ip), Limit::Ip)
    }

    /// Counts one intake for this e-mail address, in its canonical form
    /// (`SubjectEmail::canonical`: case and `+tags` do not make another mailbox); 429 when
    /// over the limit.
    pub fn check_email(&self, normalized_email: &str) -> Result<(), AppError> {
        let Some(limiter) = &self.per_email else {
            return Ok(());
        };
        let digest = Sha256::digest(normalized_email.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        self.check(limiter, &key, Limit::Email)
    }

    fn check<K>(&self, limiter: &Keyed<K>, key: &K, limit: Limit) -> Result<(), AppError>
    where
        K: std::hash::Hash + Eq + Clone,
    {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        match limiter.check_key(key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.clock().now());
                Err(self.refuse(wait, limit))
            }
        }
    }

    /// Forgets keys whose limit has recovered, so memory follows the active clients only.
    fn prune(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_email {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// An `X-Forwarded-For` entry: an address, perhaps with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_forwarded(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    s.rsplit_once(':')?.0.parse().ok()
}

/// IPv4 as is (and IPv4-mapped IPv6 as IPv4); IPv6 by its /64.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn limits(env: &[(&str, &str)]) -> RateLimits {
        let mut map: std::collections::HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert(
            "INZAGE_SECRET_KEY".into(),
            "0123456789abcdef0123456789abcdef".into(),
        );
        let settings = Settings::load_from(None, &|k| map.get(k).cloned()).unwrap();
        RateLimits::new(&settings, None)
    }

    fn from(peer: &str, xff: Option<&str>) -> HttpRequest {
        let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
        if let Some(x) = xff {
            r = r.insert_header(("X-Forwarded-For", x));
        }
        r.to_http_request()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let direct = limits(&[]);
        let req = from("203.0.113.5:4000", Some("198.51.100.7"));
        assert_eq!(direct.client_ip(&req), Some("203.0.113.5".parse().unwrap()));

        let proxied = limits(&[("INZAGE_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]);
        let ip = |peer, xff| proxied.client_ip(&from(peer, xff)).unwrap().to_string();
        assert_eq!(ip("10.0.0.2:1", Some("198.51.100.7")), "198.51.100.7");
        // A client cannot hide behind a forged left-most entry.
        assert_eq!(
            ip("10.0.0.2:1", Some("1.1.1.1, 198.51.100.7, 10.0.0.9")),
            "198.51.100.7"
        );
        assert_eq!(ip("[::1]:1", Some("[2001:db8::1]:443")), "2001:db8::1");
        assert_eq!(ip("10.0.0.2:1", None), "10.0.0.2");
        assert_eq!(ip("10.0.0.2:1", Some("junk")), "10.0.0.2");
    }

    #[test]
    fn the_burst_passes_then_429_with_a_retry_after() {
        let l = limits(&[
            ("INZAGE_RATE_LIMIT_PER_IP", "60"),
            ("INZAGE_RATE_LIMIT_IP_BURST", "3"),
        ]);
        let req = from("203.0.113.5:4000", None);
        for _ in 0..3 {
            l.check_ip(&req).unwrap();
        }
        match l.check_ip(&req) {
            Err(AppError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            other => panic!("{other:?}"),
        }
        // Another client is not affected; an IPv6 client is one /64.
        l.check_ip(&from("203.0.113.6:4000", None)).unwrap();
        for _ in 0..3 {
            l.check_ip(&from("[2001:db8:1:2::1]:1", None)).unwrap();
        }
        assert!(l.check_ip(&from("[2001:db8:1:2::ffff]:1", None)).is_err());
    }

    #[test]
    fn failed_sign_ins_wait_longer_and_longer() {
        let l = limits(&[
            ("INZAGE_LOGIN_FAILURES_PER_IP", "0"),
            ("INZAGE_LOGIN_FAILURES_PER_ACCOUNT", "2"),
        ]);
        let t = Instant::now();
        let ip = Some("203.0.113.5".parse().unwrap());
        let wait = |at: Instant| l.login.waiting(ip, "Staff@Example.nl", at).map(|w| w.0);
        l.login.failed(ip, "staff@example.nl", t);
        l.login.failed(ip, "staff@example.nl", t);
        assert_eq!(wait(t), None, "two failures are free");
        l.login.failed(ip, "staff@example.nl", t);
        assert_eq!(wait(t), Some(Duration::from_secs(1)));
        let t2 = t + Duration::from_secs(2);
        assert_eq!(wait(t2), None);
        l.login.failed(ip, "staff@example.nl", t2);
        assert_eq!(wait(t2), Some(Duration::from_secs(2)));
        for _ in 0..30 {
            l.login.failed(ip, "staff@example.nl", t2);
        }
        assert_eq!(
            wait(t2),
            Some(LOGIN_LONGEST_WAIT),
            "never longer than the cap"
        );
        // another account is not affected; a success forgets the account's failures
        assert_eq!(l.login.waiting(ip, "other@example.nl", t2), None);
        l.login.succeeded("STAFF@example.nl");
        assert_eq!(wait(t2), None);
        // quiet long enough, the count starts again
        let later = t2 + LOGIN_LONGEST_WAIT + LOGIN_FORGET_AFTER;
        l.login.failed(ip, "staff@example.nl", later);
        assert_eq!(wait(later), None);
    }

    #[test]
    fn per_email_and_zero_disables() {
        let l = limits(&[("INZAGE_RATE_LIMIT_PER_EMAIL", "2")]);
        l.check_email("anna@example.nl").unwrap();
        l.check_email("anna@example.nl").unwrap();
        match l.check_email("anna@example.nl") {
            Err(AppError::RateLimited { retry_after_secs }) => {
                assert!(
                    (1700..=1800).contains(&retry_after_secs),
                    "{retry_after_secs}"
                )
            }
            other => panic!("{other:?}"),
        }
        l.check_email("bram@example.nl").unwrap();
        let off = limits(&[
            ("INZAGE_RATE_LIMIT_PER_IP", "0"),
            ("INZAGE_RATE_LIMIT_PER_EMAIL", "0"),
        ]);
        for _ in 0..100 {
            off.check_ip(&from("203.0.113.5:1", None)).unwrap();
            off.check_email("anna@example.nl").unwrap();
        }
    }
}
