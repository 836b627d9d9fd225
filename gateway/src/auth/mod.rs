//! Authentication: bearer token -> which agency issued it -> validate ->
//! [`Principal`]. No token means an anonymous caller (public fields only).

pub mod claims;
pub mod dev_issuer;
pub mod introspection;
pub mod jwks;
pub mod session;
pub mod validator;

use std::collections::HashMap;
use std::time::Duration;

use entities::enums::AgencyKind;
use http::HeaderMap;
use uuid::Uuid;

pub use crate::vocabulary::{Principal, Role};
pub use validator::{
    AgencyKeys, AgencyVerifier, AuthError, ClaimMapping, Identity, TokenValidator,
};

/// What a token says about a staff member, to record them by.
pub struct StaffClaims<'a> {
    pub agency_id: Uuid,
    pub subject: &'a str,
    pub display_name: Option<&'a str>,
    pub roles: &'a [String],
    pub unit: Option<&'a str>,
}

/// Where staff members are recorded (the `staff` table, in
/// `sources::db::staff`): authentication needs a staff row for every
/// caller, but writes no SQL itself.
#[async_trait::async_trait]
pub trait StaffDirectory: Send + Sync {
    /// The staff row (and its unit's id) for the claims, created or updated.
    async fn upsert(&self, claims: StaffClaims<'_>) -> Result<(Uuid, Option<Uuid>), String>;
}

/// Most staff members remembered; beyond it moka evicts, so however many
/// subjects the agencies' tokens name, memory does not grow with them.
const SEEN_MAX: u64 = 100_000;
/// A staff member not seen for this long is forgotten: their next request
/// records them again (one database write).
const SEEN_IDLE: Duration = Duration::from_secs(60 * 60);

/// What the gateway remembers of a staff member it has already seen, so a
/// steady caller costs no database write per request.
#[derive(Clone)]
struct SeenStaff {
    staff_id: Uuid,
    unit_id: Option<Uuid>,
    roles: Vec<String>,
    unit: Option<String>,
}

pub struct Authenticator {
    validator: TokenValidator,
    /// Agency code -> (row id, kind), loaded at start from the `agency` table.
    agencies: HashMap<String, (Uuid, AgencyKind)>,
    staff: Box<dyn StaffDirectory>,
    /// (agency code, subject) -> what their row was recorded with.
    seen: moka::sync::Cache<(String, String), SeenStaff>,
    /// Browser sessions; `None` where no cookie may authenticate.
    sessions: Option<session::SessionStore>,
}

/// Why a request's credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    #[error(transparent)]
    Token(#[from] AuthError),
    #[error(transparent)]
    Session(#[from] session::SessionError),
}

impl Authenticator {
    pub fn new(
        validator: TokenValidator,
        agencies: HashMap<String, (Uuid, AgencyKind)>,
        staff: Box<dyn StaffDirectory>,
    ) -> Self {
        Self {
            validator,
            agencies,
            staff,
            seen: moka::sync::Cache::builder()
                .max_capacity(SEEN_MAX)
                .time_to_idle(SEEN_IDLE)
                .build(),
            sessions: None,
        }
    }

    /// Lets the session cookie authenticate requests (see [`Self::authenticate_request`]).
    pub fn with_sessions(mut self, sessions: session::SessionStore) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// The one place that decides who is calling `/graphql`: a bearer token
    /// if the request has an `Authorization` header (it wins over a cookie,
    /// so API clients are never affected by a browser's session), else the
    /// session cookie with its CSRF check, else anonymous (`Ok(None)`).
    pub async fn authenticate_request(
        &self,
        method: &http::Method,
        headers: &HeaderMap,
    ) -> Result<Option<Principal>, CallerError> {
        if headers.contains_key(http::header::AUTHORIZATION) {
            return Ok(self.authenticate(headers).await?);
        }
        let Some(sessions) = &self.sessions else {
            return Ok(None);
        };
        match sessions.authenticate(method, headers).await? {
            Some(session) => Ok(Some(self.principal(session.identity()).await?)),
            None => Ok(None),
        }
    }

    /// Verifies an ID token from `agency`'s browser sign-in (audience = `client_id`).
    pub async fn verify_id_token(
        &self,
        agency: &str,
        token: &str,
        client_id: &str,
    ) -> Result<(Identity, serde_json::Value), AuthError> {
        self.validator
            .validate_id_token(agency, token, client_id)
            .await
    }

    /// `Ok(None)` when the request carries no credentials.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Option<Principal>, AuthError> {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| AuthError::Malformed("authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::Malformed("expected a Bearer token"))?
            .trim();
        // A header that is there but unreadable names no agency: refused,
        // not ignored, so a JWT cannot pass with a garbled check beside it.
        let named = match headers.get(validator::AGENCY_HEADER) {
            None => None,
            Some(v) => Some(
                v.to_str()
                    .map_err(|_| AuthError::Malformed("Samverkan-Agency header"))?,
            ),
        };
        let id = self.validator.validate(token, named).await?;
        self.principal(id).await.map(Some)
    }

    /// Turns a verified identity into a principal (also used by session sign-in).
    pub async fn principal(&self, id: Identity) -> Result<Principal, AuthError> {
        let agency = id.agency.clone();
        let (agency_id, agency_kind) =
            *self.agencies.get(&agency).ok_or(AuthError::UnknownAgency)?;
        let roles: Vec<Role> = id.roles.iter().filter_map(|r| Role::parse(r)).collect();
        let (staff_id, unit_id) = self.staff_id(&agency, agency_id, &id).await?;
        Ok(Principal {
            agency,
            agency_id,
            agency_kind,
            subject: id.subject,
            roles,
            unit: id.unit,
            unit_id,
            scopes: id.scopes,
            client: id.client,
            staff_id,
        })
    }

    /// The staff row for (agency, subject), created or updated from the
    /// claims on first sight or when roles or unit change.
    async fn staff_id(
        &self,
        agency: &str,
        agency_id: Uuid,
        claims: &Identity,
    ) -> Result<(Uuid, Option<Uuid>), AuthError> {
        let key = (agency.to_string(), claims.subject.clone());
        if let Some(seen) = self.seen.get(&key) {
            if seen.roles == claims.roles && seen.unit == claims.unit {
                return Ok((seen.staff_id, seen.unit_id));
            }
        }
        let (staff_id, unit_id) = self
            .staff
            .upsert(StaffClaims {
                agency_id,
                subject: &claims.subject,
                display_name: claims.name.as_deref(),
                roles: &claims.roles,
                unit: claims.unit.as_deref(),
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "could not record staff member");
                AuthError::UnknownAgency
            })?;
        self.seen.insert(
            key,
            SeenStaff {
                staff_id,
                unit_id,
                roles: claims.roles.clone(),
                unit: claims.unit.clone(),
            },
        );
        Ok((staff_id, unit_id))
    }
}
