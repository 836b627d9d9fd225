//! Another agency's records, given only under a consent: the policy's
//! consent rule (`policy::consent::covers`) applied to rows the resolvers
//! have loaded, through the request's consent loader.

use entities::consent;
use uuid::Uuid;

use crate::policy::consent::covers;

/// May the caller see `owner`'s records of `type_name` about the case's
/// participant (its own, or under a consent covering them)? Asked before
/// another agency's API is called: asking it without a consent would by
/// itself tell that agency the person has a shared case here.
pub async fn may_see(
    ctx: &async_graphql::Context<'_>,
    case: &entities::shared_case::Model,
    type_name: &str,
    owner: Uuid,
) -> async_graphql::Result<bool> {
    let r = super::context::rc(ctx);
    let p = r.principal()?;
    if owner == p.agency_id {
        return Ok(true);
    }
    let Some(crate::policy::Classification::Consent(category)) = r.policy.type_class(type_name)
    else {
        return Ok(false);
    };
    let consents = consents_of(ctx, case.participant_id).await?;
    Ok(covers(
        &consents,
        owner,
        p.agency_id,
        category,
        Some(case.id),
        r.today(),
    ))
}

/// The participant's consents, through the request's loader.
async fn consents_of(
    ctx: &async_graphql::Context<'_>,
    participant: Uuid,
) -> async_graphql::Result<Vec<consent::Model>> {
    Ok(super::context::rc(ctx)
        .loaders
        .participant_consents
        .load_one(participant)
        .await
        .map_err(super::context::load_err)?
        .unwrap_or_default())
}

/// Another agency's records are returned only under a consent covering
/// the type's classification (`EmploymentServiceRecord.*` in the policy),
/// this case and today. Withheld rows of an agency that takes part in the
/// case are reported as CONSENT_REQUIRED at this field's path and in
/// `extensions.redacted`, so "withheld" differs from "none" where the
/// caller may know the agency is involved.
pub async fn consented_rows<T>(
    ctx: &async_graphql::Context<'_>,
    case: &entities::shared_case::Model,
    type_name: &str,
    rows: Vec<T>,
    owner: impl Fn(&T) -> Uuid,
) -> async_graphql::Result<Vec<T>> {
    let r = super::context::rc(ctx);
    let p = r.principal()?;
    if rows.iter().all(|row| owner(row) == p.agency_id) {
        return Ok(rows);
    }
    let consents = consents_of(ctx, case.participant_id).await?;
    let today = r.today();
    let category = match r.policy.type_class(type_name) {
        Some(crate::policy::Classification::Consent(c)) => Some(c),
        _ => None,
    };
    let (shown, withheld): (Vec<T>, Vec<T>) = rows.into_iter().partition(|row| {
        owner(row) == p.agency_id
            || category.is_some_and(|c| {
                covers(&consents, owner(row), p.agency_id, c, Some(case.id), today)
            })
    });
    // Rows of an agency that takes no part in the case are not the case's:
    // left out without a word, as the upstream path leaves that agency
    // unasked. Reporting them withheld would tell an agency that opened
    // its own case that another agency holds records about the person.
    let taking_part = agencies_of(ctx, case).await?;
    if withheld.iter().any(|row| taking_part.contains(&owner(row))) {
        r.ledger.withheld_rows(
            ctx,
            type_name,
            case.participant_id,
            // No count: how many records another agency holds about the
            // person is itself what the consent would release.
            crate::vocabulary::error::ApiError::ConsentRequired(
                "another agency's records need the participant's consent".into(),
            ),
        );
    }
    Ok(shown)
}

/// Does `agency` take part in `case` (its lead, or a member)?
pub async fn takes_part(
    ctx: &async_graphql::Context<'_>,
    case: &entities::shared_case::Model,
    agency: Uuid,
) -> async_graphql::Result<bool> {
    Ok(agencies_of(ctx, case).await?.contains(&agency))
}

/// The agencies taking part in `case`: its lead and its members' (through
/// the request's loader, one statement for the whole page).
async fn agencies_of(
    ctx: &async_graphql::Context<'_>,
    case: &entities::shared_case::Model,
) -> async_graphql::Result<Vec<Uuid>> {
    let members = super::context::rc(ctx)
        .loaders
        .case_members
        .load_one(case.id)
        .await
        .map_err(super::context::load_err)?
        .unwrap_or_default();
    Ok(std::iter::once(case.lead_agency_id)
        .chain(members.iter().map(|m| m.agency_id))
        .collect())
}
