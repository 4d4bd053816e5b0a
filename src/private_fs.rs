//! Files with personal data are their owner's only (GDPR art. 32: confidentiality): the
//! SQLite store and its `-wal`/`-shm`, `.eml` mail files (which hold verification and status
//! links), bundles, ID copies, spools and the generated secret key.

/// Sets the process umask to 0077, so every file and directory the process creates is its
/// owner's only, whoever creates it (SQLite, lettre's file transport, the zip writer).
pub fn private_umask() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Creates `dir` (and its parents) if missing and makes it 0700: the data dir holds
/// personal data (mail files, ID copies, bundles) and the generated secret key.
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
