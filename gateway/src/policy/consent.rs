//! Consent (samtycke) lifts secrecy between agencies: another agency's
//! records about a participant are visible only while a consent covers
//! source agency -> requesting agency, the category, and today.

use chrono::NaiveDate;
use entities::enums::ConsentCategory;
use entities::{consent, participant};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use uuid::Uuid;

/// A consent is in force on `today` when it is not revoked and `today` lies
/// within its validity. The same rule in SQL: [`any_in_force_sql`].
fn in_force(c: &consent::Model, today: NaiveDate) -> bool {
    c.revoked_at.is_none() && c.valid_from <= today && c.valid_to.is_none_or(|to| today <= to)
}

/// SQL, for a query over `participant`: true when that participant has a
/// consent in force on `today` (whatever its agencies and categories).
/// Dashboards count a person in detail only then (SUS's anonymous
/// registration otherwise).
pub fn any_in_force_sql(today: NaiveDate) -> SimpleExpr {
    Expr::exists(consents_in_force(today).to_owned())
}

/// `SELECT 1 FROM consent` where the consent is the `participant` row's
/// and in force on `today` ([`in_force`] in SQL).
fn consents_in_force(today: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    let col = |c: consent::Column| Expr::col((consent::Entity, c));
    Query::select()
        .expr(Expr::val(1))
        .from(consent::Entity)
        .and_where(
            col(consent::Column::ParticipantId)
                .equals((participant::Entity, participant::Column::Id)),
        )
        .and_where(col(consent::Column::RevokedAt).is_null())
        .and_where(col(consent::Column::ValidFrom).lte(today))
        .and_where(
            col(consent::Column::ValidTo)
                .is_null()
                .or(col(consent::Column::ValidTo).gte(today)),
        )
        .to_owned()
}

/// SQL, for a query over `participant` inside one over `shared_case`:
/// `viewer` may see what the participant's registering agency recorded of
/// `category` in that case: it is the registrar, or a consent in force on
/// `today` covers registrar -> `viewer`, the category and the case
/// ([`covers`] in SQL). A filter on such information must not tell what
/// the field itself withholds.
pub fn registrar_released_sql(
    viewer: Uuid,
    category: ConsentCategory,
    today: NaiveDate,
) -> SimpleExpr {
    use sea_orm::ActiveEnum;
    let col = |c: consent::Column| Expr::col((consent::Entity, c));
    let registrar = (
        participant::Entity,
        participant::Column::RegisteredByAgencyId,
    );
    let case = (
        entities::shared_case::Entity,
        entities::shared_case::Column::Id,
    );
    let consented = consents_in_force(today)
        .and_where(col(consent::Column::SourceAgencyId).equals(registrar))
        .and_where(col(consent::Column::RecipientAgencyId).eq(viewer))
        .and_where(
            col(consent::Column::CaseId)
                .is_null()
                .or(col(consent::Column::CaseId).equals(case)),
        )
        .and_where(crate::sources::db::list_holds(
            (consent::Entity, consent::Column::Categories),
            &category.to_value(),
        ))
        .to_owned();
    let registrar = Expr::col(registrar);
    registrar.eq(viewer).or(Expr::exists(consented))
}

/// Does any of the participant's consents let `recipient` see `source`'s
/// information of `category` on `today`, for the collaboration `case`?
/// A consent tied to a case serves that case's purpose only; one without a
/// case covers the participant's collaboration as a whole.
pub fn covers(
    consents: &[consent::Model],
    source: Uuid,
    recipient: Uuid,
    category: ConsentCategory,
    case: Option<Uuid>,
    today: NaiveDate,
) -> bool {
    consents.iter().any(|c| {
        c.source_agency_id == source
            && c.recipient_agency_id == recipient
            && (c.case_id.is_none() || c.case_id == case)
            && in_force(c, today)
            && entities::enums::parse_codes::<ConsentCategory>(&c.categories)
                .map(|cats| cats.contains(&category))
                .unwrap_or(false)
    })
}

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
    let r = crate::schema::context::rc(ctx);
    let p = r.principal()?;
    if owner == p.agency_id {
        return Ok(true);
    }
    let Some(super::Classification::Consent(category)) = r.policy.type_class(type_name) else {
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
    Ok(crate::schema::context::rc(ctx)
        .loaders
        .participant_consents
        .load_one(participant)
        .await
        .map_err(crate::schema::context::load_err)?
        .unwrap_or_default())
}

/// Another agency's records are returned only under a consent covering
/// the type's classification (`EmploymentServiceRecord.*` in the policy),
/// this case and today. Withheld rows are reported as CONSENT_REQUIRED at
/// this field's path and in `extensions.redacted`, so "withheld" differs
/// from "none".
pub async fn consented_rows<T>(
    ctx: &async_graphql::Context<'_>,
    case: &entities::shared_case::Model,
    type_name: &str,
    rows: Vec<T>,
    owner: impl Fn(&T) -> Uuid,
) -> async_graphql::Result<Vec<T>> {
    let r = crate::schema::context::rc(ctx);
    let p = r.principal()?;
    if rows.iter().all(|row| owner(row) == p.agency_id) {
        return Ok(rows);
    }
    let consents = consents_of(ctx, case.participant_id).await?;
    let today = r.today();
    let category = match r.policy.type_class(type_name) {
        Some(super::Classification::Consent(c)) => Some(c),
        _ => None,
    };
    let (shown, withheld): (Vec<T>, Vec<T>) = rows.into_iter().partition(|row| {
        owner(row) == p.agency_id
            || category.is_some_and(|c| {
                covers(&consents, owner(row), p.agency_id, c, Some(case.id), today)
            })
    });
    if !withheld.is_empty() {
        r.ledger.withheld_rows(
            ctx,
            type_name,
            case.participant_id,
            crate::error::ApiError::ConsentRequired(format!(
                "{} of another agency's records need the participant's consent",
                withheld.len()
            )),
        );
    }
    Ok(shown)
}

/// How a category reads in a message.
pub fn category_label(c: ConsentCategory) -> &'static str {
    match c {
        ConsentCategory::EconomicSocial => "economic and social",
        ConsentCategory::Health => "health",
        ConsentCategory::WorkHistory => "work history",
        ConsentCategory::LabourMarket => "labour-market",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(categories: &str, from: &str, to: Option<&str>, revoked: bool) -> consent::Model {
        let now = chrono::Utc::now();
        consent::Model {
            id: Uuid::new_v4(),
            participant_id: Uuid::nil(),
            case_id: None,
            source_agency_id: Uuid::from_u128(1),
            recipient_agency_id: Uuid::from_u128(2),
            categories: categories.into(),
            purpose: "samverkan".into(),
            signed_on: from.parse().expect("date"),
            valid_from: from.parse().expect("date"),
            valid_to: to.map(|t| t.parse().expect("date")),
            revoked_at: revoked.then_some(now),
            recorded_by_id: Uuid::nil(),
            collected_at: "Lund".into(),
            form_version: "1".into(),
            document_ref: "arkiv".into(),
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn direction_category_period_and_revocation_all_matter() {
        let (af, lund) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let day = |s: &str| s.parse::<NaiveDate>().expect("date");
        let c = [consent(
            "labour_market",
            "2026-01-01",
            Some("2026-12-31"),
            false,
        )];
        assert!(covers(
            &c,
            af,
            lund,
            ConsentCategory::LabourMarket,
            None,
            day("2026-06-01")
        ));
        assert!(
            !covers(
                &c,
                lund,
                af,
                ConsentCategory::LabourMarket,
                None,
                day("2026-06-01")
            ),
            "direction"
        );
        assert!(
            !covers(
                &c,
                af,
                lund,
                ConsentCategory::Health,
                None,
                day("2026-06-01")
            ),
            "category"
        );
        assert!(
            !covers(
                &c,
                af,
                lund,
                ConsentCategory::LabourMarket,
                None,
                day("2025-12-31")
            ),
            "before"
        );
        assert!(
            covers(
                &c,
                af,
                lund,
                ConsentCategory::LabourMarket,
                None,
                day("2026-12-31")
            ),
            "last day"
        );
        assert!(
            !covers(
                &c,
                af,
                lund,
                ConsentCategory::LabourMarket,
                None,
                day("2027-01-01")
            ),
            "after"
        );
        let revoked = [consent("labour_market", "2026-01-01", None, true)];
        assert!(!covers(
            &revoked,
            af,
            lund,
            ConsentCategory::LabourMarket,
            None,
            day("2026-06-01")
        ));
    }
}
