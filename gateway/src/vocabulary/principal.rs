//! Who is calling: the result of authentication, handed to every resolver,
//! to the policy and to the audit log.

use uuid::Uuid;

/// The roles the gateway knows (DESIGN.md, "Demo agencies and roles").
/// Unknown role strings in a token are ignored: they grant nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Coach,
    Officer,
    PlacementCoordinator,
    Integrator,
    Analyst,
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "coach" => Role::Coach,
            "officer" => Role::Officer,
            "placement_coordinator" => Role::PlacementCoordinator,
            "integrator" => Role::Integrator,
            "analyst" => Role::Analyst,
            "auditor" => Role::Auditor,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Coach => "coach",
            Role::Officer => "officer",
            Role::PlacementCoordinator => "placement_coordinator",
            Role::Integrator => "integrator",
            Role::Analyst => "analyst",
            Role::Auditor => "auditor",
        }
    }
}

/// An authenticated caller. Built only by [`super::Authenticator`].
#[derive(Debug, Clone)]
pub struct Principal {
    /// Agency code from config (`lund`, `af`, ...), bound by the token's issuer.
    pub agency: String,
    pub agency_id: Uuid,
    pub agency_kind: entities::enums::AgencyKind,
    /// The identity provider's subject (a staff id, never a personnummer).
    pub subject: String,
    pub roles: Vec<Role>,
    pub unit: Option<String>,
    /// The `org_unit` row of `unit`, when the agency has such a unit: the
    /// owning unit of a protected identity sees it.
    pub unit_id: Option<Uuid>,
    pub scopes: Vec<String>,
    /// The OAuth client the token was issued to (`azp`), if it names one.
    pub client: Option<String>,
    /// The `staff` row for (agency, subject), created on first sight.
    pub staff_id: Uuid,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Roles joined for the audit log and log lines.
    pub fn roles_label(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}
