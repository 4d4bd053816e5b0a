//! `serve --demo`: on an empty store, a demo tenant and one user per role, so a newcomer can
//! try the whole flow at once. Passwords are random and printed once; nothing is seeded
//! into a store that already has tenants or users.

use super::CliError;
use crate::auth::password;
use crate::domain::{Language, Role};
use crate::service::admin::{TenantInput, UserInput, create_tenant, create_user};
use crate::state::AppState;
use crate::store::tenants::Tenant;
use crate::store::users::User;

pub const DEMO_TENANT: &str = "demo";

/// Returns (role, e-mail, password) per created user; empty when the store was not empty.
pub fn seed(state: &AppState) -> Result<Vec<(String, String, String)>, CliError> {
    let mut conn = state.db.conn()?;
    if Tenant::count(&mut conn)? > 0 || User::count(&mut conn)? > 0 {
        tracing::info!("store not empty: no demo data seeded");
        return Ok(Vec::new());
    }
    create_tenant(
        &mut conn,
        TenantInput {
            slug: DEMO_TENANT.to_owned(),
            name: "Sportclub De Demo".to_owned(),
            contact_email: "privacy@demo.inzage.test".to_owned(),
            language: Language::Nl,
            datamap_path: None,
            id_document_required: false,
        },
    )?;
    let mut logins = Vec::new();
    for (role, email, tenant) in [
        (Role::Admin, "admin@inzage.test", None),
        (Role::Support, "support@inzage.test", None),
        (
            Role::Controller,
            "controller@demo.inzage.test",
            Some(DEMO_TENANT.to_owned()),
        ),
    ] {
        let pw = password::generate();
        create_user(
            &mut conn,
            UserInput {
                email: email.to_owned(),
                role,
                tenant_slug: tenant,
                password: pw.clone(),
            },
        )?;
        logins.push((role.as_str().to_owned(), email.to_owned(), pw));
    }
    Ok(logins)
}
