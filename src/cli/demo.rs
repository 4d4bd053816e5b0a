//! `serve --demo`: on an empty store, a demo tenant with a demo tenant database (a few hundred
//! members in `$INZAGE_DATA_DIR/demo/app.db`, described by `exports/demo.toml`), one user per
//! role and one request for the demo member Anna, so a newcomer can try the whole flow —
//! up to compiling and downloading a bundle — at once. Passwords are random and printed
//! once; nothing is seeded into a store that already has tenants or users.

use super::CliError;
use crate::auth::password;
use crate::domain::{Channel, Language, RequestKind, Role, SubjectEmail, SubjectName};
use crate::service::admin::{TenantInput, UserInput, create_tenant, create_user, principal_for};
use crate::service::intake::{Intake, file};
use crate::state::AppState;
use crate::tenant_data::demo::{
    DEMO_DATAMAP, DEMO_PEOPLE, DEMO_SUBJECT_EMAIL, create_demo_database, demo_database_path,
};

pub const DEMO_TENANT: &str = "demo";

/// What was seeded: (role, e-mail, password) per user and the demo request's reference.
#[derive(Debug, Default)]
pub struct Seeded {
    pub logins: Vec<(String, String, String)>,
    pub request: Option<String>,
}

/// Seeds the demo; nothing when the store was not empty.
pub fn seed(state: &AppState) -> Result<Seeded, CliError> {
    let mut conn = state.db.conn()?;
    if !crate::service::queries::is_empty(&mut conn)? {
        tracing::info!("store not empty: no demo data seeded");
        return Ok(Seeded::default());
    }
    // The demo tenant's own database and its data map, under the data dir so the demo works
    // from any working directory (the map is built into the binary).
    let db_path = demo_database_path(&state.settings.data_dir);
    create_demo_database(&db_path, DEMO_PEOPLE)
        .map_err(|e| CliError::Runtime(crate::error::chain(&e)))?;
    let map_path = db_path.with_file_name("demo.toml");
    std::fs::write(&map_path, DEMO_DATAMAP)
        .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", map_path.display())))?;
    let map_path = std::path::absolute(&map_path)
        .map_err(|e| CliError::Runtime(format!("{}: {e}", map_path.display())))?;
    create_tenant(
        &mut conn,
        TenantInput {
            slug: DEMO_TENANT.to_owned(),
            name: "Sportclub De Demo".to_owned(),
            contact_email: "privacy@demo.inzage.test".to_owned(),
            language: Language::Nl,
            datamap_path: Some(map_path.display().to_string()),
            id_document_required: false,
            sector: Default::default(),
        },
    )?;
    let mut logins = Vec::new();
    let mut admin_id = None;
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
        let user = create_user(
            &mut conn,
            UserInput {
                email: email.to_owned(),
                role,
                tenant_slug: tenant,
                password: pw.clone(),
            },
        )?;
        if role == Role::Admin {
            admin_id = Some(user.id);
        }
        logins.push((role.as_str().to_owned(), email.to_owned(), pw));
    }
    // A request from the demo member Anna, as if it came by e-mail: assigned to the demo
    // tenant, ready to be forwarded and to have its bundle compiled.
    let staff = match admin_id {
        Some(id) => principal_for(&mut conn, &id)?,
        None => None,
    };
    let filed = file(
        &mut conn,
        state,
        Intake {
            tenant_slug: Some(DEMO_TENANT.to_owned()),
            kind: RequestKind::Access,
            name: SubjectName::parse("Anna de Vries")
                .map_err(|e| CliError::Runtime(e.to_string()))?,
            email: SubjectEmail::parse(DEMO_SUBJECT_EMAIL)
                .map_err(|e| CliError::Runtime(e.to_string()))?,
            phone: None,
            details: Some(
                crate::domain::Details::parse("Ik wil weten welke gegevens de club van mij heeft.")
                    .map_err(|e| CliError::Runtime(e.to_string()))?,
            ),
            language: Language::Nl,
            channel: Channel::Email,
            received_at: chrono::Utc::now(),
            staff,
            idempotency: None,
        },
    )?;
    Ok(Seeded {
        logins,
        request: Some(filed.request.reference),
    })
}
