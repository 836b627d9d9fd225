//! Placement slots (platser), created as the placements need them.
//!
//! A slot has a capacity of 1-3 and a period; the pool hands out a free seat
//! of a fitting slot or opens a new one, so no slot ever gets more
//! placements than its capacity (counted over its whole period, which is
//! stricter than counting only concurrent ones). Procurement contracts get
//! their slots up front, sized by the contract's employment requirement, and
//! each department gets some vacant slots for the coming months so the
//! placement coordinator has places left to fill.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use entities::enums::{PlacementKind, StateSubsidy};
use entities::placement_slot;
use rand::Rng;
use uuid::Uuid;

use super::catalog::{DEPARTMENTS, TRACKS};
use super::context::Ctx;
use super::names::staff_name;
use super::reference::Reference;
use super::rng::{
    self, add_days, at, jan1, month_start, pick, uuid, weighted, ymd, SeedRng, Stream,
};

/// How many slots back the pool looks for a free seat. Requests arrive in
/// date order, so recent slots are the ones that can fit.
const LOOK_BACK: usize = 32;

/// Where a slot is: a department, an APP employer, or a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Place {
    Department(u8),
    Employer(u8),
    Contract(u8),
}

/// Pool key: slots are interchangeable within (kind, track, place).
type Key = (u8, u8, Place);

/// A slot being filled.
struct Draft {
    row: placement_slot::Model,
    free: i32,
}

/// The slots of the run and their free seats.
pub(crate) struct SlotPool {
    slots: Vec<Draft>,
    open: HashMap<Key, Vec<usize>>,
    rng: SeedRng,
    today: NaiveDate,
    departments: Vec<Uuid>,
}

/// A seat for a placement: the slot and the dates it can cover.
pub(crate) struct Seat {
    pub slot_id: Uuid,
    pub end: NaiveDate,
}

/// Longest placement in a slot of this kind, in days.
pub(crate) fn max_days(kind: PlacementKind) -> i64 {
    match kind {
        PlacementKind::Internship => 183,
        _ => 365,
    }
}

fn kind_code(kind: PlacementKind) -> u8 {
    match kind {
        PlacementKind::Internship => 0,
        PlacementKind::MunicipalJob => 1,
        PlacementKind::ExtraJob => 2,
        PlacementKind::EmployerPlacement => 3,
        PlacementKind::ProcurementPlacement => 4,
    }
}

impl SlotPool {
    /// A pool with the contract slots and the vacant department slots.
    pub fn new(ctx: &Ctx, r: &Reference) -> Self {
        let mut pool = SlotPool {
            slots: Vec::new(),
            open: HashMap::new(),
            rng: rng::stream(ctx.seed, Stream::Slots),
            today: ctx.today,
            departments: r.departments.clone(),
        };
        pool.contract_slots(r);
        pool.vacant_slots(ctx);
        pool
    }

    /// One slot per contract and calendar year, up to next year.
    fn contract_slots(&mut self, r: &Reference) {
        for (ci, c) in r.contract_info.iter().enumerate() {
            let last_year = c.period_end.year().min(self.today.year() + 1);
            for year in c.period_start.year()..=last_year {
                let start = c.period_start.max(jan1(year));
                let end = c.period_end.min(ymd(year, 12, 31));
                let track = TRACKS[c.track].code;
                let title = format!("{} ({})", TRACKS[c.track].titles.1, c.title);
                self.open_slot(
                    (
                        kind_code(PlacementKind::ProcurementPlacement),
                        c.track as u8,
                        Place::Contract(ci as u8),
                    ),
                    Spec {
                        kind: PlacementKind::ProcurementPlacement,
                        department_id: None,
                        employer_name: Some(c.supplier.to_owned()),
                        procurement_contract_id: Some(c.id),
                        title,
                        track: Some(track),
                        start,
                        end,
                        capacity: c.places.min(3),
                    },
                );
            }
        }
    }

    /// Vacant slots starting in the next three months, per department, in
    /// proportion to the department's yearly target.
    fn vacant_slots(&mut self, ctx: &Ctx) {
        let scale = ctx.scale();
        for (di, d) in DEPARTMENTS.iter().enumerate() {
            let base = f64::from(d.base_targets.0 + d.base_targets.1);
            let count = (base * scale * 0.15).round() as usize + 1;
            for _ in 0..count {
                let start = month_start(add_days(ctx.today, self.rng.random_range(0..90)));
                let kind = if self.rng.random_bool(0.6) {
                    PlacementKind::Internship
                } else {
                    PlacementKind::MunicipalJob
                };
                let end = add_days(start, max_days(kind) - 1);
                let capacity = self.capacity();
                let title = (*pick(&mut self.rng, d.general_titles)).to_owned();
                self.open_slot(
                    (kind_code(kind), u8::MAX, Place::Department(di as u8)),
                    Spec {
                        kind,
                        department_id: Some(self.departments[di]),
                        employer_name: None,
                        procurement_contract_id: None,
                        title,
                        track: None,
                        start,
                        end,
                        capacity,
                    },
                );
            }
        }
    }

    fn capacity(&mut self) -> i32 {
        weighted(&mut self.rng, &[(1, 5), (2, 3), (3, 2)])
    }

    /// A seat for a placement of `kind` on `track` from `start` to `end`
    /// (inclusive). Procurement seats only exist on the contracts: `None`
    /// when none is free, and the caller picks another kind.
    pub fn seat(
        &mut self,
        kind: PlacementKind,
        track: usize,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Option<Seat> {
        let t = &TRACKS[track];
        let place = match kind {
            PlacementKind::ProcurementPlacement => {
                return self.contract_seat(track, start, end);
            }
            PlacementKind::EmployerPlacement => {
                Place::Employer(self.rng.random_range(0..t.employers.len()) as u8)
            }
            _ => {
                let weights: Vec<(u8, u32)> =
                    t.departments.iter().map(|(d, w)| (*d as u8, *w)).collect();
                Place::Department(weighted(&mut self.rng, &weights))
            }
        };
        let key = (kind_code(kind), track as u8, place);
        if let Some(seat) = self.take(key, start, end) {
            return Some(seat);
        }
        let period_start = month_start(start);
        let period_end = add_days(period_start, max_days(kind) - 1).max(end);
        let (department_id, employer_name) = match place {
            Place::Department(d) => (Some(self.departments[d as usize]), None),
            Place::Employer(e) => (None, Some(t.employers[e as usize].to_owned())),
            Place::Contract(_) => (None, None),
        };
        let title = match kind {
            PlacementKind::Internship => t.titles.0,
            _ => t.titles.1,
        }
        .to_owned();
        let capacity = self.capacity();
        let idx = self.open_slot(
            key,
            Spec {
                kind,
                department_id,
                employer_name,
                procurement_contract_id: None,
                title,
                track: Some(t.code),
                start: period_start,
                end: period_end,
                capacity,
            },
        );
        self.take_at(key, idx, end)
    }

    fn contract_seat(&mut self, track: usize, start: NaiveDate, end: NaiveDate) -> Option<Seat> {
        let keys: Vec<Key> = self
            .open
            .keys()
            .filter(|(k, t, p)| {
                *k == kind_code(PlacementKind::ProcurementPlacement)
                    && usize::from(*t) == track
                    && matches!(p, Place::Contract(_))
            })
            .copied()
            .collect();
        // HashMap order is random per process: sort to stay deterministic.
        let mut keys = keys;
        keys.sort_by_key(|(_, _, p)| match p {
            Place::Contract(c) => *c,
            _ => u8::MAX,
        });
        keys.into_iter().find_map(|key| self.take(key, start, end))
    }

    /// Takes a seat in a recent open slot of `key` that covers the dates.
    fn take(&mut self, key: Key, start: NaiveDate, end: NaiveDate) -> Option<Seat> {
        let list = self.open.get(&key)?;
        let found = list.iter().rev().take(LOOK_BACK).copied().find(|&i| {
            let row = &self.slots[i].row;
            row.period_start <= start && end <= row.period_end
        })?;
        self.take_at(key, found, end)
    }

    fn take_at(&mut self, key: Key, idx: usize, end: NaiveDate) -> Option<Seat> {
        let slot = &mut self.slots[idx];
        slot.free -= 1;
        let seat = Seat {
            slot_id: slot.row.id,
            end: end.min(slot.row.period_end),
        };
        if slot.free == 0 {
            if let Some(list) = self.open.get_mut(&key) {
                if let Some(pos) = list.iter().rposition(|&i| i == idx) {
                    list.remove(pos);
                }
            }
        }
        Some(seat)
    }

    fn open_slot(&mut self, key: Key, s: Spec) -> usize {
        let rng = &mut self.rng;
        let state_subsidy = match s.kind {
            PlacementKind::Internship | PlacementKind::ExtraJob => StateSubsidy::None,
            PlacementKind::MunicipalJob => weighted(
                rng,
                &[
                    (StateSubsidy::EmploymentSubsidy, 5),
                    (StateSubsidy::IntroductionJob, 3),
                    (StateSubsidy::WageSubsidy, 1),
                    (StateSubsidy::None, 2),
                ],
            ),
            PlacementKind::EmployerPlacement => weighted(
                rng,
                &[
                    (StateSubsidy::WageSubsidy, 4),
                    (StateSubsidy::EmploymentSubsidy, 3),
                    (StateSubsidy::IntroductionJob, 2),
                    (StateSubsidy::None, 1),
                ],
            ),
            PlacementKind::ProcurementPlacement => weighted(
                rng,
                &[
                    (StateSubsidy::EmploymentSubsidy, 3),
                    (StateSubsidy::None, 2),
                ],
            ),
        };
        let supervisor_name = rng.random_bool(0.92).then(|| staff_name(rng));
        let supervisor_trained = supervisor_name.is_some() && rng.random_bool(0.7);
        let created = add_days(s.start, -rng.random_range(14..=45)).min(self.today);
        let created_at = at(rng, created);
        let id = uuid(rng);
        self.slots.push(Draft {
            row: placement_slot::Model {
                id,
                department_id: s.department_id,
                employer_name: s.employer_name,
                procurement_contract_id: s.procurement_contract_id,
                kind: s.kind,
                title: s.title,
                track: s.track.map(str::to_owned),
                period_start: s.start,
                period_end: s.end,
                supervisor_name,
                supervisor_trained,
                state_subsidy,
                capacity: s.capacity,
                created_at,
                updated_at: created_at,
                version: 1,
            },
            free: s.capacity,
        });
        let idx = self.slots.len() - 1;
        self.open.entry(key).or_default().push(idx);
        idx
    }

    /// The slot rows, in creation order.
    pub fn into_rows(self) -> Vec<placement_slot::Model> {
        self.slots.into_iter().map(|d| d.row).collect()
    }
}

/// Everything a new slot row needs.
struct Spec {
    kind: PlacementKind,
    department_id: Option<Uuid>,
    employer_name: Option<String>,
    procurement_contract_id: Option<Uuid>,
    title: String,
    track: Option<&'static str>,
    start: NaiveDate,
    end: NaiveDate,
    capacity: i32,
}
