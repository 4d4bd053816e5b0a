//! Single-use tokens: a spent token's id is kept until it would have expired anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::{DbConnection, StoreResult, now};

/// Marks a token spent. Returns false when it was spent before.
pub fn spend(
    conn: &mut DbConnection,
    jti: &str,
    purpose: &str,
    expires_at: NaiveDateTime,
) -> StoreResult<bool> {
    let inserted = diesel::sql_query(
        "INSERT INTO used_tokens (jti, purpose, used_at, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (jti) DO NOTHING",
    )
    .bind::<Text, _>(jti)
    .bind::<Text, _>(purpose)
    .bind::<Timestamp, _>(now())
    .bind::<Timestamp, _>(expires_at)
    .execute(conn)?;
    Ok(inserted == 1)
}

/// Forgets spent tokens that have expired (they can no longer be presented).
pub fn prune(conn: &mut DbConnection) -> StoreResult<usize> {
    use super::schema::used_tokens;
    Ok(
        diesel::delete(used_tokens::table.filter(used_tokens::expires_at.lt(now())))
            .execute(conn)?,
    )
}
