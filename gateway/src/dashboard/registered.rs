//! Who may be counted in detail. SUS registers a participant without a
//! valid consent, or with a protected identity, anonymously: only sex and
//! start year. Dashboards do the same, so age, income, target group and
//! outcome of such a person fall under "anonymous".

use chrono::NaiveDate;
use entities::{consent, participant};
use sea_orm::sea_query::{Expr, Query, SimpleExpr};

/// SQL: true when the participant row in the query has a consent on file
/// that is valid on `today` (signed, not revoked, not expired).
pub fn has_valid_consent(today: NaiveDate) -> SimpleExpr {
    Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from(consent::Entity)
            .and_where(
                Expr::col((consent::Entity, consent::Column::ParticipantId))
                    .equals((participant::Entity, participant::Column::Id)),
            )
            .and_where(Expr::col((consent::Entity, consent::Column::RevokedAt)).is_null())
            .and_where(Expr::col((consent::Entity, consent::Column::ValidFrom)).lte(today))
            .and_where(
                Expr::col((consent::Entity, consent::Column::ValidTo))
                    .is_null()
                    .or(Expr::col((consent::Entity, consent::Column::ValidTo)).gte(today)),
            )
            .to_owned(),
    )
}

/// Whether a person is counted in detail.
pub fn in_detail(consented: bool, protected_identity: bool) -> bool {
    consented && !protected_identity
}
