//! Who is calling: the result of authentication, handed to every resolver,
//! to the policy and to the audit log.

use uuid::Uuid;

/// The roles the gateway knows (DESIGN.md, "Demo agencies and roles"),
/// spelled in snake_case in tokens and the policy file.
/// Unknown role strings in a token are ignored: they grant nothing.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Coach,
    Officer,
    PlacementCoordinator,
    Integrator,
    Analyst,
    Auditor,
}

impl Role {
    /// The role a name spells exactly (case matters), if any.
    pub fn parse(s: &str) -> Option<Role> {
        s.parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn roles_are_spelled_as_tokens_and_the_policy_file_spell_them() {
        let names: Vec<&str> = Role::iter().map(Role::as_str).collect();
        assert_eq!(
            names,
            [
                "coach",
                "officer",
                "placement_coordinator",
                "integrator",
                "analyst",
                "auditor"
            ]
        );
        for role in Role::iter() {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for unknown in ["Coach", "COACH", "placementCoordinator", "admin", ""] {
            assert_eq!(Role::parse(unknown), None, "{unknown}");
        }
    }
}
