//! The OpenAPI schemas of query parameters whose rules one JSON Schema keyword cannot say:
//! "a date, or a date and time, or empty" and the like. Each type here only describes a
//! parameter for the document (`("from" = inline(InstantParam), Query)`); the handler's parser
//! applies the same rule, and `.ci/fuzz` (schemathesis, with `positive_data_acceptance` and
//! `negative_data_rejection` on) holds the two together: every value the schema allows must be
//! accepted, every value it does not must be refused.

use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn empty() -> ObjectBuilder {
    string().max_length(Some(0))
}

/// A day (`YYYY-MM-DD`), or empty for "not given".
pub struct DateParam;

impl PartialSchema for DateParam {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .item(empty())
            .description(Some("YYYY-MM-DD, or empty for not given"))
            .into()
    }
}
impl ToSchema for DateParam {}

/// A day (`YYYY-MM-DD`) or an RFC 3339 time (an empty value is refused: leave it out).
pub struct InstantParam;

impl PartialSchema for InstantParam {
    fn schema() -> RefOr<Schema> {
        AnyOfBuilder::new()
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))))
            .item(string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
            .description(Some("YYYY-MM-DD or an RFC 3339 time"))
            .into()
    }
}
impl ToSchema for InstantParam {}
