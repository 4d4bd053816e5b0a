//! The stored rows handlers and commands read (to render a view or print a line), handed out
//! by the service so that `src/http` and `src/cli` never name the store. Only types: every
//! read and write goes through a service function.

pub use crate::store::bundles::BundleRow;
pub use crate::store::events::Event;
pub use crate::store::files::{FileError, FilePurpose, FileReader};
pub use crate::store::identities::RequestIdentity;
pub use crate::store::jobs::JobRow;
pub use crate::store::requests::RequestRow;
pub use crate::store::tenants::Tenant;
pub use crate::store::users::User;
pub use crate::store::{Db, StoreError};
