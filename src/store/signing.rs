//! The installation's signing keys and the certificates signed with them (rows only; the
//! keys are sealed and opened by `service::signing`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Binary, Text, Timestamp};

use super::schema::{certificates, signing_keys};
use super::{DbConnection, StoreResult};
use crate::domain::RequestId;

/// A signing key as stored: the public half in the clear, the private half sealed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub kid: String,
    /// base64url (no padding) of the 32-byte Ed25519 public key.
    pub public_key: String,
    /// The 32-byte private seed, sealed with `crate::crypto`.
    pub private_key: Vec<u8>,
    /// Hex salt of the sealing key.
    pub key_salt: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

impl SigningKeyRow {
    /// Inserts the key as the current one unless one is current already (another instance
    /// may have got there first: the unique index `signing_keys_one_current` decides). True
    /// when this row was inserted.
    pub fn insert_if_none_current(&self, conn: &mut DbConnection) -> StoreResult<bool> {
        let n = diesel::sql_query(
            "INSERT INTO signing_keys (kid, public_key, private_key, key_salt, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5, NULL) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(&self.kid)
        .bind::<Text, _>(&self.public_key)
        .bind::<Binary, _>(&self.private_key)
        .bind::<Text, _>(&self.key_salt)
        .bind::<Timestamp, _>(self.created_at)
        .execute(conn)?;
        Ok(n == 1)
    }

    /// Inserts the key; a unique violation when another key is current.
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(signing_keys::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// The current key, if any.
    pub fn current(conn: &mut DbConnection) -> StoreResult<Option<SigningKeyRow>> {
        Ok(signing_keys::table
            .filter(signing_keys::retired_at.is_null())
            .select(SigningKeyRow::as_select())
            .first(conn)
            .optional()?)
    }

    /// Retires the current key at `at`; the number of keys retired (0 or 1).
    pub fn retire_current(conn: &mut DbConnection, at: NaiveDateTime) -> StoreResult<usize> {
        Ok(
            diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
                .set(signing_keys::retired_at.eq(at))
                .execute(conn)?,
        )
    }

    /// Every key, oldest first.
    pub fn all(conn: &mut DbConnection) -> StoreResult<Vec<SigningKeyRow>> {
        Ok(signing_keys::table
            .order((signing_keys::created_at.asc(), signing_keys::kid.asc()))
            .select(SigningKeyRow::as_select())
            .load(conn)?)
    }
}

/// A signed certificate of a request's executed plan.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificates)]
pub struct CertificateRow {
    pub id: String,
    pub request_id: RequestId,
    pub plan_id: String,
    pub kid: String,
    /// The compact JWS.
    pub jws: String,
    pub issued_at: NaiveDateTime,
}

impl CertificateRow {
    pub fn insert(&self, conn: &mut DbConnection) -> StoreResult<()> {
        diesel::insert_into(certificates::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }

    /// The request's latest certificate, if any.
    pub fn latest_for_request(
        conn: &mut DbConnection,
        request_id: &RequestId,
    ) -> StoreResult<Option<CertificateRow>> {
        Ok(certificates::table
            .filter(certificates::request_id.eq(request_id))
            .order((certificates::issued_at.desc(), certificates::id.desc()))
            .select(CertificateRow::as_select())
            .first(conn)
            .optional()?)
    }
}
