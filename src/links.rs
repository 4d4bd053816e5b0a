//! Every URL a mail, page or API answer contains, built in one place. A route that moves
//! changes here and nowhere else.
//!
//! Pure: the caller passes the public base URL (`INZAGE_PUBLIC_URL`, or `""` for a link
//! relative to the site, as a form's action) and any signed token it issued; this module
//! issues nothing and reads no settings.

/// A reference or token as it goes into a path or query: references (`DSR-2026-000042`) and
/// tokens (base64url JWTs) hold only unreserved characters, so nothing needs escaping.
fn join(base: &str, path_and_query: &str) -> String {
    format!("{base}{path_and_query}")
}

/// The console's page of a request (mails to the controller and support point here; it asks
/// to sign in and then returns to the request).
pub fn request(base: &str, reference: &str) -> String {
    join(base, &format!("/console/requests/{reference}"))
}

/// The link in the confirmation mail of a public intake (purpose `verify`).
pub fn verify(base: &str, token: &str) -> String {
    join(base, &format!("/api/v1/verify?token={token}"))
}

/// The subject's own view of the request (purpose `status`; the reference alone opens nothing).
pub fn status(base: &str, reference: &str, token: &str) -> String {
    join(
        base,
        &format!("/api/v1/requests/{reference}/status?token={token}"),
    )
}

/// The form where the subject uploads a copy of an ID document (purpose `id_document`).
pub fn id_document(base: &str, reference: &str, token: &str) -> String {
    join(
        base,
        &format!("/api/v1/requests/{reference}/id_document?token={token}"),
    )
}

/// A bundle's download (purpose `bundle`, expiring).
pub fn bundle_download(base: &str, token: &str) -> String {
    join(base, &format!("/api/v1/bundles/download?token={token}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://inzage.example.nl";

    #[test]
    fn every_link_is_the_route_it_names() {
        assert_eq!(
            request(BASE, "DSR-2026-000042"),
            "https://inzage.example.nl/console/requests/DSR-2026-000042"
        );
        assert_eq!(
            verify(BASE, "t.k.n"),
            "https://inzage.example.nl/api/v1/verify?token=t.k.n"
        );
        assert_eq!(
            status(BASE, "DSR-2026-000042", "t.k.n"),
            "https://inzage.example.nl/api/v1/requests/DSR-2026-000042/status?token=t.k.n"
        );
        assert_eq!(
            id_document("", "DSR-2026-000042", "t.k.n"),
            "/api/v1/requests/DSR-2026-000042/id_document?token=t.k.n"
        );
        assert_eq!(
            bundle_download(BASE, "t.k.n"),
            "https://inzage.example.nl/api/v1/bundles/download?token=t.k.n"
        );
    }
}
