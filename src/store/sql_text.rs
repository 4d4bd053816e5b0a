//! Typed values stored as TEXT: one macro gives a domain enum or id diesel's `FromSql`/`ToSql`
//! for `Text` on every backend (SQLite, PostgreSQL and the `MultiConnection` over both), so a
//! row holds a `Status`, not a string that every reader must parse again.
//!
//! The domain stays free of diesel: the impls live here, and a type takes part by
//! implementing [`TextValue`]. A stored text that does not parse is a deserialisation error
//! (the row is corrupt), never a silent default.

use std::error::Error;

use crate::domain::{EventKind, Language, RequestId, RequestKind, Status, TenantId, UserId};

/// A value kept in a TEXT column: its text, and how to read it back.
pub trait TextValue: Sized {
    fn as_text(&self) -> &str;
    fn from_text(text: String) -> Result<Self, Box<dyn Error + Send + Sync>>;
}

/// Implements diesel's `AsExpression`, `ToSql`, `FromSql` and `Queryable` for `Text` and
/// `Nullable<Text>` for types that implement [`TextValue`].
macro_rules! text_sql {
    ($($ty:ty),+ $(,)?) => {$(
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    TextValue::as_text(self),
                    out,
                )
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Nullable<diesel::sql_types::Text>, DB>
            for $ty
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <Self as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(self, out)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(
                        bytes,
                    )?;
                <Self as TextValue>::from_text(text)
            }
        }

        impl<DB> diesel::deserialize::Queryable<diesel::sql_types::Text, DB> for $ty
        where
            DB: diesel::backend::Backend,
            Self: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        text_sql!(@expr $ty, diesel::sql_types::Text);
        text_sql!(@expr $ty, diesel::sql_types::Nullable<diesel::sql_types::Text>);
    )+};
    (@expr $ty:ty, $st:ty) => {
        impl diesel::expression::AsExpression<$st> for $ty {
            type Expression = diesel::internal::derives::as_expression::Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                diesel::internal::derives::as_expression::Bound::new(self)
            }
        }

        impl<'a> diesel::expression::AsExpression<$st> for &'a $ty {
            type Expression = diesel::internal::derives::as_expression::Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                diesel::internal::derives::as_expression::Bound::new(self)
            }
        }

        impl<'a, 'b> diesel::expression::AsExpression<$st> for &'b &'a $ty {
            type Expression = diesel::internal::derives::as_expression::Bound<$st, Self>;
            fn as_expression(self) -> Self::Expression {
                diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
    };
}

/// [`TextValue`] for a domain enum with `as_str()` and `FromStr`.
macro_rules! text_enum {
    ($($ty:ty),+ $(,)?) => {$(
        impl TextValue for $ty {
            fn as_text(&self) -> &str {
                self.as_str()
            }
            fn from_text(text: String) -> Result<Self, Box<dyn Error + Send + Sync>> {
                text.parse::<$ty>().map_err(|e| {
                    format!("stored {} {text:?}: {e}", stringify!($ty)).into()
                })
            }
        }
        text_sql!($ty);
    )+};
}

text_enum!(Status, RequestKind, Language, EventKind);

/// [`TextValue`] for a domain id: any stored text is an id (it is opaque).
macro_rules! text_id {
    ($($ty:ty),+ $(,)?) => {$(
        impl TextValue for $ty {
            fn as_text(&self) -> &str {
                self.as_str()
            }
            fn from_text(text: String) -> Result<Self, Box<dyn Error + Send + Sync>> {
                Ok(<$ty>::from(text))
            }
        }
        text_sql!($ty);
    )+};
}

text_id!(RequestId, TenantId, UserId);

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use super::*;

    #[derive(QueryableByName)]
    struct Back {
        #[diesel(sql_type = Text)]
        status: Status,
    }

    #[test]
    fn an_enum_goes_in_and_comes_out_as_its_text() -> Result<(), Box<dyn Error>> {
        let mut conn = diesel::SqliteConnection::establish(":memory:")?;
        let back: Back = diesel::sql_query("SELECT $1 AS status")
            .bind::<Text, _>(Status::InProgress)
            .get_result(&mut conn)?;
        assert_eq!(back.status, Status::InProgress);
        let text: String =
            diesel::select(diesel::dsl::sql::<Text>("'in_progress'")).first(&mut conn)?;
        assert_eq!(text, Status::InProgress.as_str());
        let bad = diesel::sql_query("SELECT 'nonsense' AS status").get_result::<Back>(&mut conn);
        assert!(
            bad.is_err(),
            "a stored text that does not parse is an error"
        );
        Ok(())
    }

    #[derive(QueryableByName)]
    struct Ids {
        #[diesel(sql_type = Text)]
        request: RequestId,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        tenant: Option<TenantId>,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        user: Option<UserId>,
    }

    #[test]
    fn an_id_goes_in_and_comes_out_as_its_text() -> Result<(), Box<dyn Error>> {
        let mut conn = diesel::SqliteConnection::establish(":memory:")?;
        diesel::sql_query("CREATE TABLE t (request TEXT NOT NULL, tenant TEXT, user TEXT)")
            .execute(&mut conn)?;
        let request = RequestId::generate();
        let tenant = TenantId::from("tenant-a");
        diesel::sql_query("INSERT INTO t (request, tenant, user) VALUES ($1, $2, $3)")
            .bind::<Text, _>(&request)
            .bind::<diesel::sql_types::Nullable<Text>, _>(Some(&tenant))
            .bind::<diesel::sql_types::Nullable<Text>, _>(None::<UserId>)
            .execute(&mut conn)?;
        let back: Ids = diesel::sql_query("SELECT request, tenant, user FROM t WHERE request = $1")
            .bind::<Text, _>(&request)
            .get_result(&mut conn)?;
        assert_eq!(back.request, request);
        assert_eq!(back.tenant, Some(tenant));
        assert_eq!(back.user, None);
        let stored: String = diesel::select(diesel::dsl::sql::<Text>("(SELECT request FROM t)"))
            .get_result(&mut conn)?;
        assert_eq!(stored, request.as_str(), "stored as its plain text");
        Ok(())
    }
}
