//! The consent rules of `policy::consent` as SQL, for queries that must
//! not return (or count) what a consent does not release.

use chrono::NaiveDate;
use entities::enums::ConsentCategory;
use entities::{consent, participant};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};
use uuid::Uuid;

/// SQL, for a query over `participant`: true when that participant has a
/// consent in force on `today` (whatever its agencies and categories).
/// Dashboards count a person in detail only then (SUS's anonymous
/// registration otherwise).
pub fn any_in_force_sql(today: NaiveDate) -> SimpleExpr {
    Expr::exists(
        consents_in_force(today, (participant::Entity, participant::Column::Id)).to_owned(),
    )
}

/// `SELECT 1 FROM consent` where the consent is of the participant `of`
/// names (a column of the outer query) and in force on `today`
/// (`policy::consent::in_force` in SQL).
fn consents_in_force(
    today: NaiveDate,
    of: impl sea_orm::sea_query::IntoColumnRef,
) -> sea_orm::sea_query::SelectStatement {
    let col = |c: consent::Column| Expr::col((consent::Entity, c));
    Query::select()
        .expr(Expr::val(1))
        .from(consent::Entity)
        .and_where(col(consent::Column::ParticipantId).equals(of))
        .and_where(col(consent::Column::RevokedAt).is_null())
        .and_where(col(consent::Column::ValidFrom).lte(today))
        .and_where(
            col(consent::Column::ValidTo)
                .is_null()
                .or(col(consent::Column::ValidTo).gte(today)),
        )
        .to_owned()
}

/// SQL, for a query over `shared_case`: `viewer` may see what the agency that opened the case registered of the
/// person for `category`: it is that agency, or a consent in force on
/// `today` covers opener -> `viewer`, the category and the case
/// (`policy::consent::covers` in SQL). A filter on such information must not
/// tell what the field itself withholds. Used inside a query on `shared_case`.
pub fn opener_released_sql(
    viewer: Uuid,
    category: ConsentCategory,
    today: NaiveDate,
) -> SimpleExpr {
    use sea_orm::ActiveEnum;
    let col = |c: consent::Column| Expr::col((consent::Entity, c));
    let registrar = (
        entities::shared_case::Entity,
        entities::shared_case::Column::RegisteredByAgencyId,
    );
    let case = (
        entities::shared_case::Entity,
        entities::shared_case::Column::Id,
    );
    let consented = consents_in_force(
        today,
        (
            entities::shared_case::Entity,
            entities::shared_case::Column::ParticipantId,
        ),
    )
    .and_where(col(consent::Column::SourceAgencyId).equals(registrar))
    .and_where(col(consent::Column::RecipientAgencyId).eq(viewer))
    .and_where(
        col(consent::Column::CaseId)
            .is_null()
            .or(col(consent::Column::CaseId).equals(case)),
    )
    .and_where(super::list_holds(
        (consent::Entity, consent::Column::Categories),
        &category.to_value(),
    ))
    .to_owned();
    let registrar = Expr::col(registrar);
    registrar.eq(viewer).or(Expr::exists(consented))
}
