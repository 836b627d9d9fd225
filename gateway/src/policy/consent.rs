//! Consent (samtycke) lifts secrecy between agencies: another agency's
//! records about a participant are visible only while a consent covers
//! source agency -> requesting agency, the category, and today. These are
//! the rules; the same rules in SQL are in `sources::db::consent`.

use chrono::NaiveDate;
use entities::consent;
use entities::enums::ConsentCategory;
use uuid::Uuid;

/// A consent is in force on `today` when it is not revoked and `today` lies
/// within its validity. The same rule in SQL:
/// `sources::db::consent::any_in_force_sql`.
pub fn in_force(c: &consent::Model, today: NaiveDate) -> bool {
    c.revoked_at.is_none() && c.valid_from <= today && c.valid_to.is_none_or(|to| today <= to)
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
