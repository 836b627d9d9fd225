//! Case members: which agencies and staff take part in each case. Row scope
//! ("coaches see cases they are members of, agency staff see cases their
//! agency takes part in") is computed from these rows, so every case gets
//! its coach as a member, and the officers the case draw picked.

use chrono::NaiveDate;
use entities::case_member;
use rand::Rng;
use uuid::Uuid;

use super::cases::Case;
use super::context::Ctx;
use super::reference::Reference;
use super::rng::{self, add_days, at, uuid, SeedRng, Stream};

/// `case_member` rows for every case.
pub(crate) fn rows(ctx: &Ctx, cases: &[Case], r: &Reference) -> Vec<case_member::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::Members);
    let a = &ctx.agencies;
    let mut out = Vec::with_capacity(cases.len() * 3);
    for c in cases {
        let end = c.end(ctx.today);
        let mut add = |rng: &mut SeedRng, agency_id: Uuid, staff: Uuid, role: &str, delay: i64| {
            let joined_on = add_days(c.opened, rng.random_range(0..=delay)).min(end);
            out.push(member(rng, c, agency_id, staff, role, joined_on));
        };
        add(&mut rng, a.lund, c.coach, "coach", 0);
        if let Some(s) = c.lund_officer {
            add(&mut rng, a.lund, s, "officer", 20);
        }
        if let Some(i) = c.af_officer {
            add(
                &mut rng,
                a.af,
                r.pools.af_officers[i as usize].0,
                "officer",
                30,
            );
        }
        if let Some(s) = c.fk_officer {
            add(&mut rng, a.fk, s, "officer", 45);
        }
        if let Some(s) = c.region_officer {
            add(&mut rng, a.region, s, "officer", 60);
        }
    }
    out
}

fn member(
    rng: &mut SeedRng,
    c: &Case,
    agency_id: Uuid,
    staff: Uuid,
    role: &str,
    joined_on: NaiveDate,
) -> case_member::Model {
    let created_at = at(rng, joined_on);
    let updated_at = match c.closed {
        Some(d) => at(rng, d).max(created_at),
        None => created_at,
    };
    case_member::Model {
        id: uuid(rng),
        case_id: c.id,
        agency_id,
        staff_id: Some(staff),
        role: role.to_owned(),
        joined_on,
        left_on: c.closed,
        created_at,
        updated_at,
        version: if c.closed.is_some() { 2 } else { 1 },
    }
}
