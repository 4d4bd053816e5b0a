//! The audit trail's hash chain (processing agreement, Bijlage 2: logging of staff access; the
//! controller's audit right, GDPR art. 28(3)(h)): what an entry's canonical JSON is, how its
//! hash follows from the previous one, and how a chain is checked.
//!
//! `hash = hex(SHA-256(prev_hash ‖ canonical_json))`, where `prev_hash` is the previous entry's
//! hash in the same chain (64 zeros for the first) and `canonical_json` is the entry's fields
//! as a JSON object with keys in byte order, no white space, times as RFC 3339 UTC with
//! microseconds. Anybody holding the rows can recompute it: no key is involved.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of a chain's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields<'a> {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<&'a str>,
    pub actor_email: &'a str,
    pub role: Option<&'a str>,
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    pub request: Option<&'a str>,
    pub grant: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub detail: Option<&'a str>,
}

/// RFC 3339 in UTC with exactly six fractional digits (what both stores keep).
pub fn canonical_time(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn opt(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_owned()))
}

/// The entry as canonical JSON: sorted keys, no white space.
pub fn canonical_json(e: &EntryFields<'_>) -> String {
    let mut m: BTreeMap<&str, Value> = BTreeMap::new();
    m.insert("action", Value::String(e.action.to_owned()));
    m.insert("actor_email", Value::String(e.actor_email.to_owned()));
    m.insert("actor_id", opt(e.actor_id));
    m.insert("at", Value::String(canonical_time(e.at)));
    m.insert("detail", opt(e.detail));
    m.insert("grant", opt(e.grant));
    m.insert("ip", opt(e.ip));
    m.insert("request", opt(e.request));
    m.insert("role", opt(e.role));
    m.insert("seq", Value::from(e.seq));
    m.insert("tenant", opt(e.tenant));
    // A BTreeMap of strings and plain values always serialises.
    serde_json::to_string(&m).unwrap_or_default()
}

/// The hash of an entry following `prev_hash`.
pub fn entry_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical_json(e).as_bytes());
    hex::encode(h.finalize())
}

/// One stored entry as the verifier sees it.
#[derive(Debug, Clone)]
pub struct StoredEntry<'a> {
    pub fields: EntryFields<'a>,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Where a chain stops holding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry seq {seq}: expected seq {expected} (an entry is missing or out of place)")]
    Gap { seq: i64, expected: i64 },
    #[error("entry seq {seq}: prev_hash does not match the previous entry's hash")]
    Link { seq: i64 },
    #[error("entry seq {seq}: hash does not match its contents")]
    Hash { seq: i64 },
}

impl ChainBreak {
    pub fn seq(&self) -> i64 {
        match self {
            Self::Gap { seq, .. } | Self::Link { seq } | Self::Hash { seq } => *seq,
        }
    }
}

/// Checks entries of one chain, fed in seq order, possibly in several batches.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    next_seq: i64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS.to_owned(),
            next_seq: 1,
        }
    }
}

impl ChainVerifier {
    /// Entries checked so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }

    /// Checks the next entry.
    pub fn check(&mut self, e: &StoredEntry<'_>) -> Result<(), ChainBreak> {
        let seq = e.fields.seq;
        if seq != self.next_seq {
            return Err(ChainBreak::Gap {
                seq,
                expected: self.next_seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Link { seq });
        }
        if entry_hash(e.prev_hash, &e.fields) != e.hash {
            return Err(ChainBreak::Hash { seq });
        }
        self.prev_hash = e.hash.to_owned();
        self.next_seq += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(seq: i64, action: &str) -> EntryFields<'_> {
        EntryFields {
            seq,
            at: chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
                .unwrap()
                .and_hms_micro_opt(5, 6, 7, 890)
                .unwrap(),
            actor_id: Some("u1"),
            actor_email: "s@example.nl",
            role: Some("support"),
            action,
            tenant: Some("t1"),
            request: None,
            grant: Some("g1"),
            ip: Some("127.0.0.1"),
            detail: None,
        }
    }

    #[test]
    fn canonical_json_has_sorted_keys_and_fixed_time() {
        let j = canonical_json(&fields(1, "request_viewed"));
        assert_eq!(
            j,
            r#"{"action":"request_viewed","actor_email":"s@example.nl","actor_id":"u1","at":"2026-12-02T05:06:07.000890Z","detail":null,"grant":"g1","ip":"127.0.0.1","request":null,"role":"support","seq":1,"tenant":"t1"}"#
        );
    }

    #[test]
    fn a_chain_verifies_and_any_change_breaks_it_at_that_entry() {
        let a = fields(1, "a");
        let ha = entry_hash(GENESIS, &a);
        let b = fields(2, "b");
        let hb = entry_hash(&ha, &b);
        let c = fields(3, "c");
        let hc = entry_hash(&hb, &c);
        let good = [(&a, GENESIS, ha.as_str()), (&b, &ha, &hb), (&c, &hb, &hc)];
        let mut v = ChainVerifier::default();
        for (f, p, h) in good {
            v.check(&StoredEntry {
                fields: f.clone(),
                prev_hash: p,
                hash: h,
            })
            .unwrap();
        }
        assert_eq!(v.count(), 3);

        let mut v = ChainVerifier::default();
        v.check(&StoredEntry {
            fields: a.clone(),
            prev_hash: GENESIS,
            hash: &ha,
        })
        .unwrap();
        let tampered = fields(2, "b-changed");
        assert_eq!(
            v.check(&StoredEntry {
                fields: tampered,
                prev_hash: &ha,
                hash: &hb,
            }),
            Err(ChainBreak::Hash { seq: 2 })
        );
        let mut v = ChainVerifier::default();
        v.check(&StoredEntry {
            fields: a,
            prev_hash: GENESIS,
            hash: &ha,
        })
        .unwrap();
        assert_eq!(
            v.check(&StoredEntry {
                fields: c,
                prev_hash: &hb,
                hash: &hc,
            }),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2
            })
        );
    }
}
