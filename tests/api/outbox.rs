//! The outbox's claims: a burst is claimed in one statement, oldest due first, each message
//! leased to one sender; a second sender gets the rest, never the same message; sent ones are
//! recorded together.

use chrono::Duration;
use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};

use crate::helpers::{Backend, spawn_app_with};
use inzage::domain::Language;
use inzage::store::outbox::{self, NewOutbox};
use inzage::store::{new_id, now};

crate::on_both_backends!(bursts_are_claimed_once_oldest_first);

async fn bursts_are_claimed_once_oldest_first(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "outbox_bursts", &[("INZAGE_RUN_JOBS", "false")]).await
    else {
        return;
    };
    app.with_conn(|c| {
        let t = now();
        for i in 0..5i64 {
            NewOutbox {
                id: new_id(),
                request_id: None,
                template: "verification_link".into(),
                recipient: format!("m{i}@example.nl"),
                language: Language::Nl,
                payload: "{}".into(),
                message_id: format!("<m{i}@inzage.test>"),
                state: "pending".into(),
                attempts: 0,
                next_attempt_at: t - Duration::seconds(10 - i),
                created_at: t,
            }
            .insert(c)
            .unwrap();
        }
        let a = outbox::claim_due(c, "sender-a", Duration::seconds(60), t, 3).unwrap();
        let to: Vec<&str> = a.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(to, ["m0@example.nl", "m1@example.nl", "m2@example.nl"]);
        assert!(a.iter().all(|m| m.attempts == 1));
        let b = outbox::claim_due(c, "sender-b", Duration::seconds(60), t, 3).unwrap();
        let to: Vec<&str> = b.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(to, ["m3@example.nl", "m4@example.nl"], "the rest, not a's");
        assert!(
            outbox::claim_due(c, "sender-c", Duration::seconds(60), t, 3)
                .unwrap()
                .is_empty(),
            "every message is leased"
        );
        let ids: Vec<String> = a.iter().map(|m| m.id.clone()).collect();
        outbox::mark_all_sent(c, &ids, t).unwrap();
        use inzage::store::schema::outbox as o;
        let sent: i64 = o::table
            .filter(o::state.eq("sent"))
            .count()
            .get_result(c)
            .unwrap();
        assert_eq!(sent, 3);
        // b's lease runs out (b died): its messages are claimed again, their tries counted.
        let later = t + Duration::seconds(61);
        let again = outbox::claim_due(c, "sender-c", Duration::seconds(60), later, 10).unwrap();
        assert_eq!(again.len(), 2);
        assert!(again.iter().all(|m| m.attempts == 2));
    })
    .await;
}
