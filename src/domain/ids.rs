//! The ids of requests, tenants and staff users: each its own type, so that a tenant's id
//! cannot be passed where a request's is expected.
//!
//! An id is opaque text (a random UUID for the ones inzage makes, see [`new_id`]); it is
//! stored as TEXT (`store::sql_text`) and travels in JSON as a plain string. One that comes
//! from outside (a URL path, a JSON body, a command-line argument, a session) is wrapped where
//! it comes in; whether a row with it exists is the store's question, not the type's.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A fresh random id: a UUID v4 in its hyphenated lower-case form. Randomness, not I/O: the
/// one thing here that is not a function of its input.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id (see [`new_id`]).
            pub fn generate() -> Self {
                Self(new_id())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A data-subject request's internal id (its public name is its [`super::Reference`]).
    RequestId
);
id_type!(
    /// A tenant's (controller's) id; its `slug` names it in URLs and data maps.
    TenantId
);
id_type!(
    /// A staff user's id (admin, support or controller).
    UserId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_strings_in_json() -> Result<(), serde_json::Error> {
        let id = RequestId::from("0b7e6f1c-9f1e-4a5b-8c1d-2e3f4a5b6c7d");
        assert_eq!(
            serde_json::to_string(&id)?,
            "\"0b7e6f1c-9f1e-4a5b-8c1d-2e3f4a5b6c7d\""
        );
        let back: RequestId = serde_json::from_str("\"0b7e6f1c-9f1e-4a5b-8c1d-2e3f4a5b6c7d\"")?;
        assert_eq!(back, id);
        let tenant: Option<TenantId> = serde_json::from_str("\"t-1\"")?;
        assert_eq!(tenant.as_ref().map(TenantId::as_str), Some("t-1"));
        assert_eq!(
            serde_json::to_value(UserId::from("u"))?,
            serde_json::json!("u")
        );
        assert!(
            serde_json::from_str::<UserId>("42").is_err(),
            "only a string is an id"
        );
        Ok(())
    }

    #[test]
    fn a_new_id_is_a_uuid_and_displays_as_its_text() {
        let id = TenantId::generate();
        assert_eq!(id.as_str().len(), 36);
        assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        assert_eq!(id.to_string(), id.as_str());
        assert_ne!(UserId::generate(), UserId::generate());
        assert_eq!(String::from(id.clone()), id.into_inner());
    }
}
