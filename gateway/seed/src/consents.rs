//! Consents (samtycken) that lift secrecy between the agencies of a case.
//!
//! Most cases have them, in the directions the collaboration needs: AF and
//! FK share with the municipality, the municipality with AF, the region's
//! psychiatry (health only) with the municipality. Some have expired and
//! about 3 % are revoked, so the consent checks have both kinds to refuse.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entities::consent;
use entities::enums::{join_codes, ConsentCategory as Cat};
use rand::Rng;
use uuid::Uuid;

use super::cases::Case;
use super::context::Ctx;
use super::people::Person;
use super::reference::StaffPools;
use super::rng::{self, add_days, at, date_between, uuid, SeedRng, Stream};

/// Share of cases with consents on file.
const WITH_CONSENT: f64 = 0.9;
const REVOKED: f64 = 0.03;

/// `consent` rows for every case that has them. Each direction is
/// recorded by the source agency's staff on the case (the agency whose
/// information it releases records it, as the API requires).
pub(crate) fn rows(
    ctx: &Ctx,
    cases: &[Case],
    people: &[Person],
    pools: &StaffPools,
) -> Vec<consent::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::Consents);
    let a = ctx.agencies;
    let mut serial: BTreeMap<i32, u32> = BTreeMap::new();
    let mut out = Vec::with_capacity(cases.len() * 2);
    for c in cases {
        if !rng.random_bool(WITH_CONSENT) {
            continue;
        }
        let end = c.end(ctx.today);
        let signed_on = add_days(c.opened, rng.random_range(0..=14)).min(end);
        // One paper form per case, filed in the unit's records.
        let year = signed_on.year();
        let n = serial.entry(year).or_insert(0);
        *n += 1;
        let form = Form {
            participant_id: people[c.person as usize].id,
            case: c,
            signed_on,
            document_ref: format!("Akt {year}-{n:04}, Arbetsmarknadsenheten"),
            form_version: if year >= 2024 { "2024:1" } else { "2021:2" },
        };
        let mut directions: Vec<(Uuid, Uuid, Vec<Cat>, &str)> = Vec::with_capacity(4);
        if c.af_officer.is_some() {
            directions.push((
                a.af,
                a.lund,
                vec![Cat::LabourMarket, Cat::WorkHistory],
                "Samverkan kring arbetsmarknadsinsatser mellan Arbetsförmedlingen och Lunds kommun",
            ));
            directions.push((
                a.lund,
                a.af,
                vec![Cat::EconomicSocial, Cat::WorkHistory],
                "Gemensam planering av insatser i samverkansärendet",
            ));
        }
        if c.fk_officer.is_some() {
            let mut cats = vec![Cat::EconomicSocial];
            if rng.random_bool(0.4) {
                cats.push(Cat::Health);
            }
            directions.push((
                a.fk,
                a.lund,
                cats,
                "Samordnad rehabilitering och planering mot arbete",
            ));
        }
        if c.region_officer.is_some() {
            directions.push((
                a.region,
                a.lund,
                vec![Cat::Health],
                "Samverkan med vuxenpsykiatrin kring arbetsförmåga och stöd",
            ));
        }
        if directions.is_empty() {
            directions.push((
                a.lund,
                a.af,
                vec![Cat::LabourMarket],
                "Anmälan och planering tillsammans med Arbetsförmedlingen",
            ));
        }
        for (source, recipient, cats, purpose) in directions {
            let recorded_by = match source {
                s if s == a.af => c.af_officer.map(|i| pools.af_officers[i as usize].0),
                s if s == a.fk => c.fk_officer,
                s if s == a.region => c.region_officer,
                _ => None,
            }
            .unwrap_or(c.coach);
            let direction = Direction {
                recorded_by,
                source,
                recipient,
                cats: &cats,
                purpose,
            };
            out.push(one(&mut rng, ctx.today, &form, &direction));
        }
    }
    out
}

/// One direction of a form: who may obtain what from whom, and who
/// recorded it.
struct Direction<'a> {
    recorded_by: Uuid,
    source: Uuid,
    recipient: Uuid,
    cats: &'a [Cat],
    purpose: &'a str,
}

/// What the directions of one signed form share.
struct Form<'a> {
    participant_id: Uuid,
    case: &'a Case,
    signed_on: NaiveDate,
    document_ref: String,
    form_version: &'static str,
}

fn one(rng: &mut SeedRng, today: NaiveDate, f: &Form<'_>, d: &Direction<'_>) -> consent::Model {
    // Valid until the collaboration ends; some forms were dated for two years
    // and have run out, which the consent check must notice.
    let valid_to = match f.case.closed {
        Some(d) => Some(d),
        None if rng.random_bool(0.35) => Some(add_days(f.signed_on, 730)),
        None => None,
    };
    let until = valid_to.unwrap_or(today).min(today);
    let revoked_on = rng
        .random_bool(REVOKED)
        .then(|| date_between(rng, f.signed_on, until));
    let created_at = at(rng, f.signed_on);
    let revoked_at = revoked_on.map(|d| at(rng, d).max(created_at));
    consent::Model {
        id: uuid(rng),
        participant_id: f.participant_id,
        case_id: Some(f.case.id),
        source_agency_id: d.source,
        recipient_agency_id: d.recipient,
        categories: join_codes(d.cats),
        purpose: d.purpose.to_owned(),
        signed_on: f.signed_on,
        valid_from: f.signed_on,
        valid_to,
        revoked_at,
        recorded_by_id: d.recorded_by,
        collected_at: "Arbetsmarknadsenheten, Lund".to_owned(),
        form_version: f.form_version.to_owned(),
        document_ref: f.document_ref.clone(),
        created_at,
        updated_at: revoked_at.unwrap_or(created_at),
        version: if revoked_at.is_some() { 2 } else { 1 },
    }
}
