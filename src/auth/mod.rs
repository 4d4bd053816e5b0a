//! Who is asking, and what they may see: passwords (argon2), signed tokens (jsonwebtoken),
//! the staff principal and tenant scoping.
//!
//! Tenant isolation rule (docs/api.md, "Roles"): a controller sees only its own tenant; a
//! request of another tenant answers 404 to it, exactly as a request that does not exist.

pub mod password;
pub mod token;

use crate::domain::{Role, TenantId, UserId};

/// A signed-in staff user, loaded fresh from the store on every call (so a disabled user
/// or a changed role takes effect at once, whatever the token says).
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    /// For controllers: their tenant's id and slug.
    pub tenant_id: Option<TenantId>,
    pub tenant_slug: Option<String>,
    /// The client's address, for the audit trail (None outside HTTP).
    pub ip: Option<String>,
}

impl Principal {
    /// Whether this user may see requests of `tenant_id` (None: not yet assigned).
    ///
    /// A controller sees only its own tenant's requests, never an unassigned one: it could
    /// belong to anybody.
    pub fn can_see_tenant(&self, tenant_id: Option<&TenantId>) -> bool {
        match self.role {
            Role::Admin | Role::Support => true,
            Role::Controller => tenant_id.is_some() && tenant_id == self.tenant_id.as_ref(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, tenant: Option<&str>) -> Principal {
        Principal {
            user_id: UserId::from("u"),
            email: "u@example.nl".into(),
            role,
            tenant_id: tenant.map(TenantId::from),
            tenant_slug: tenant.map(str::to_owned),
            ip: None,
        }
    }

    #[test]
    fn controllers_see_only_their_tenant() {
        let c = principal(Role::Controller, Some("a"));
        let (a, b) = (TenantId::from("a"), TenantId::from("b"));
        assert!(c.can_see_tenant(Some(&a)));
        assert!(!c.can_see_tenant(Some(&b)));
        assert!(!c.can_see_tenant(None));
        let s = principal(Role::Support, None);
        assert!(s.can_see_tenant(Some(&b)) && s.can_see_tenant(None));
    }
}
