//! Reference data: org units, staff, ladder steps, projects, procurement
//! contracts, allocation models and agreements.
//!
//! These are the small tables everything else points at. Besides the rows,
//! the builder returns the lookups the later steps need (which staff are
//! coaches, the step ids per track, ...), so no later step has to search the
//! rows by name.

use chrono::NaiveDate;
use entities::enums::{AllocationStatus, OrgUnitKind, Payer, PlacementKind};
use entities::{
    agreement, allocation, allocation_model, ladder_step, org_unit, procurement_contract, project,
    staff, sub_project,
};
use rand::Rng;
use uuid::Uuid;

use super::catalog::{Eligibility, CONTRACTS, DEPARTMENTS, PROJECTS, TRACKS};
use super::context::{Ctx, Existing};
use super::names::staff_name;
use super::rng::{self, add_days, at, date_between, jan1, uuid, weighted, ymd, SeedRng, Stream};

/// Staff ids by job; the first of each pool is the busiest (the demo's users).
#[derive(Debug, Default)]
pub(crate) struct StaffPools {
    pub coaches: Vec<Uuid>,
    pub lund_officers: Vec<Uuid>,
    /// (id, subject): AF's records name the officer by subject.
    pub af_officers: Vec<(Uuid, String)>,
    pub fk_officers: Vec<Uuid>,
    pub region_officers: Vec<Uuid>,
}

/// What the later steps need to know about a sub-project.
#[derive(Debug, Clone)]
pub(crate) struct SubProjectInfo {
    pub id: Uuid,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub planned: i32,
    pub who: Eligibility,
}

/// What the slot generator needs to know about a procurement contract.
#[derive(Debug, Clone)]
pub(crate) struct ContractInfo {
    pub id: Uuid,
    pub supplier: &'static str,
    pub title: &'static str,
    pub places: i32,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub track: usize,
}

/// The reference rows (only those to insert) and the lookups into them.
#[derive(Debug, Default)]
pub(crate) struct Reference {
    pub org_units: Vec<org_unit::Model>,
    pub staff: Vec<staff::Model>,
    pub ladder_steps: Vec<ladder_step::Model>,
    pub projects: Vec<project::Model>,
    pub sub_projects: Vec<sub_project::Model>,
    pub contracts: Vec<procurement_contract::Model>,
    pub allocation_models: Vec<allocation_model::Model>,
    pub allocations: Vec<allocation::Model>,
    pub agreements: Vec<agreement::Model>,

    /// Arbetsmarknadsenheten: the coaches' unit, owner of protected identities.
    pub arbetsmarknad: Uuid,
    /// Parallel to [`DEPARTMENTS`].
    pub departments: Vec<Uuid>,
    /// Parallel to [`TRACKS`]: step ids by ordinal - 1.
    pub steps: Vec<[Uuid; 5]>,
    pub pools: StaffPools,
    pub subs: Vec<SubProjectInfo>,
    pub contract_info: Vec<ContractInfo>,
}

/// Builds all reference data for the run.
pub(crate) fn build(ctx: &Ctx, existing: &Existing) -> Reference {
    let mut b = Builder {
        ctx,
        existing,
        rng: rng::stream(ctx.seed, Stream::Reference),
        out: Reference::default(),
        since: jan1(ctx.year - 4),
    };
    b.units();
    b.ladder();
    b.projects();
    b.contracts();
    b.allocations();
    b.out
}

/// Unit ids needed while staff are created.
struct Units {
    arbetsmarknad: Uuid,
    forsorjningsstod: Uuid,
    af_lund: Uuid,
    fk_lund: Uuid,
    vuxenpsykiatri: Uuid,
    finsam: Uuid,
    audit: Uuid,
}

struct Builder<'a> {
    ctx: &'a Ctx,
    existing: &'a Existing,
    rng: SeedRng,
    out: Reference,
    /// The earliest date reference rows are dated (four years back).
    since: NaiveDate,
}

impl Builder<'_> {
    /// Adds an org unit (or reuses an existing one with the same code).
    fn unit(
        &mut self,
        agency_id: Uuid,
        parent_id: Option<Uuid>,
        code: &str,
        name: &str,
        kind: OrgUnitKind,
    ) -> Uuid {
        // Draw the id and timestamp even when the unit exists, so the rest of
        // the run does not depend on what was already there.
        let fresh = uuid(&mut self.rng);
        let created_at = at(&mut self.rng, self.since);
        if let Some(id) = self.existing.units.get(&(agency_id, code.to_owned())) {
            return *id;
        }
        self.out.org_units.push(org_unit::Model {
            id: fresh,
            agency_id,
            parent_id,
            code: code.to_owned(),
            name: name.to_owned(),
            kind,
            created_at,
            updated_at: created_at,
            version: 1,
        });
        fresh
    }

    /// Adds a member of staff (or reuses the row the authenticator created).
    fn person(&mut self, agency_id: Uuid, subject: String, unit_id: Uuid, roles: &str) -> Uuid {
        let fresh = uuid(&mut self.rng);
        let display_name = staff_name(&mut self.rng);
        let hired = date_between(&mut self.rng, self.since, add_days(self.ctx.today, -30));
        let created_at = at(&mut self.rng, hired);
        if let Some(id) = self.existing.staff.get(&(agency_id, subject.clone())) {
            return *id;
        }
        self.out.staff.push(staff::Model {
            id: fresh,
            agency_id,
            subject,
            display_name,
            unit_id: Some(unit_id),
            roles: roles.to_owned(),
            last_seen_at: None,
            created_at,
            updated_at: created_at,
            version: 1,
        });
        fresh
    }

    /// `count` staff with subjects `<prefix>-001`, `<prefix>-002`, ...; the
    /// first is the demo subject because the demo constants end in `-001`.
    fn people(
        &mut self,
        agency_id: Uuid,
        prefix: &str,
        count: usize,
        unit: Uuid,
        roles: &str,
    ) -> Vec<(Uuid, String)> {
        (1..=count)
            .map(|i| {
                let subject = format!("{prefix}-{i:03}");
                (
                    self.person(agency_id, subject.clone(), unit, roles),
                    subject,
                )
            })
            .collect()
    }

    fn units(&mut self) {
        let a = self.ctx.agencies;
        let soc = self.unit(
            a.lund,
            None,
            "socialforvaltningen",
            "Socialförvaltningen",
            OrgUnitKind::Department,
        );
        let arbetsmarknad = self.unit(
            a.lund,
            Some(soc),
            "arbetsmarknad",
            "Arbetsmarknadsenheten",
            OrgUnitKind::Unit,
        );
        let forsorjningsstod = self.unit(
            a.lund,
            Some(soc),
            "forsorjningsstod",
            "Enheten för ekonomiskt bistånd",
            OrgUnitKind::Unit,
        );
        for d in DEPARTMENTS {
            let id = self.unit(a.lund, None, d.code, d.name, OrgUnitKind::Department);
            self.out.departments.push(id);
        }
        let af_lund = self.unit(
            a.af,
            None,
            "af_lund",
            "Arbetsförmedlingen Lund",
            OrgUnitKind::Office,
        );
        self.unit(
            a.af,
            Some(af_lund),
            "af_rehab",
            "Arbetsförmedlingen Lund, rehabilitering till arbete",
            OrgUnitKind::Unit,
        );
        let fk_lund = self.unit(
            a.fk,
            None,
            "fk_lund",
            "Försäkringskassan Lund",
            OrgUnitKind::Office,
        );
        let psykiatri = self.unit(
            a.region,
            None,
            "psykiatri_skane",
            "Psykiatri Skåne",
            OrgUnitKind::Department,
        );
        let vuxenpsykiatri = self.unit(
            a.region,
            Some(psykiatri),
            "vuxenpsykiatri",
            "Vuxenpsykiatrin Lund",
            OrgUnitKind::Unit,
        );
        let finsam = self.unit(
            a.finsam,
            None,
            "kansli",
            "Samordningsförbundet Lund, kansli",
            OrgUnitKind::Office,
        );
        let audit = self.unit(
            a.audit,
            None,
            "dataskydd",
            "Dataskyddsombudets enhet",
            OrgUnitKind::Unit,
        );
        self.out.arbetsmarknad = arbetsmarknad;
        self.staff(Units {
            arbetsmarknad,
            forsorjningsstod,
            af_lund,
            fk_lund,
            vuxenpsykiatri,
            finsam,
            audit,
        });
    }

    /// Staff sized to the caseload: ~1 coach per 40 participants, fewer
    /// officers per participant at the state agencies, which spread their
    /// officers over many more people.
    fn staff(&mut self, u: Units) {
        let a = self.ctx.agencies;
        let n = self.ctx.participants;
        let ids = |v: Vec<(Uuid, String)>| v.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        let coaches = self.people(
            a.lund,
            "lund-coach",
            (n / 40).max(3),
            u.arbetsmarknad,
            "coach",
        );
        let lund_officers = self.people(
            a.lund,
            "lund-officer",
            (n / 120).max(2),
            u.forsorjningsstod,
            "officer",
        );
        self.people(
            a.lund,
            "lund-placement",
            (n / 2000).max(2),
            u.arbetsmarknad,
            "placement_coordinator",
        );
        let af = self.people(a.af, "af-officer", (n / 150).max(3), u.af_lund, "officer");
        let fk = self.people(a.fk, "fk-officer", (n / 400).max(2), u.fk_lund, "officer");
        let region = self.people(
            a.region,
            "region-officer",
            (n / 1000).max(2),
            u.vuxenpsykiatri,
            "officer",
        );
        self.people(a.finsam, "finsam-analyst", 2, u.finsam, "analyst");
        self.people(a.audit, "audit-auditor", 1, u.audit, "auditor");
        // System clients that bulk-load their agency's records.
        self.people(a.lund, "lund-integrator", 1, u.arbetsmarknad, "integrator");
        self.people(a.af, "af-integrator", 1, u.af_lund, "integrator");
        self.people(a.fk, "fk-integrator", 1, u.fk_lund, "integrator");

        self.out.pools = StaffPools {
            coaches: ids(coaches),
            lund_officers: ids(lund_officers),
            af_officers: af,
            fk_officers: ids(fk),
            region_officers: ids(region),
        };
    }

    fn ladder(&mut self) {
        for track in TRACKS {
            let mut ids = [Uuid::nil(); 5];
            for (i, (name, description)) in track.steps.iter().enumerate() {
                let id = uuid(&mut self.rng);
                let created_at = at(&mut self.rng, self.since);
                ids[i] = id;
                self.out.ladder_steps.push(ladder_step::Model {
                    id,
                    track: track.code.to_owned(),
                    ordinal: i as i32 + 1,
                    name: (*name).to_owned(),
                    description: (*description).to_owned(),
                    created_at,
                    updated_at: created_at,
                    version: 1,
                });
            }
            self.out.steps.push(ids);
        }
    }

    /// Date relative to today's year, from a catalogue period.
    fn rel(&self, (dy, m, d): (i32, u32, u32)) -> NaiveDate {
        ymd(self.ctx.year + dy, m, d)
    }

    fn projects(&mut self) {
        let today = self.ctx.today;
        for p in PROJECTS {
            let id = uuid(&mut self.rng);
            let (start, end) = (self.rel(p.period.0), self.rel(p.period.1));
            let created_at = at(&mut self.rng, add_days(start, -45));
            self.out.projects.push(project::Model {
                id,
                code: p.code.to_owned(),
                name: p.name.to_owned(),
                funder: p.funder.to_owned(),
                budget_sek: p.budget_sek,
                period_start: start,
                period_end: end,
                created_at,
                updated_at: created_at,
                version: 1,
            });
            // Spend follows elapsed time, at each sub-project's own pace.
            let total = (end - start).num_days().max(1) as f64;
            let elapsed = (today.min(end) - start).num_days().clamp(0, total as i64) as f64;
            for s in p.subs {
                let sid = uuid(&mut self.rng);
                let noise = self.rng.random_range(0.9..1.05);
                let spend = (s.budget_sek as f64 * elapsed / total * s.spend_pace * noise) as i64;
                // Round to whole thousands of kronor, as the reports do.
                let spend_sek = (spend / 1000) * 1000;
                let updated_at = at(&mut self.rng, today.min(end));
                self.out.sub_projects.push(sub_project::Model {
                    id: sid,
                    project_id: id,
                    code: s.code.to_owned(),
                    name: s.name.to_owned(),
                    target_group: s.target_group.to_owned(),
                    budget_sek: s.budget_sek,
                    spend_sek,
                    planned_participants: s.planned,
                    created_at,
                    updated_at: updated_at.max(created_at),
                    version: 1,
                });
                self.out.subs.push(SubProjectInfo {
                    id: sid,
                    period_start: start,
                    period_end: end,
                    planned: s.planned,
                    who: s.who,
                });
            }
        }
    }

    fn contracts(&mut self) {
        for c in CONTRACTS {
            let id = uuid(&mut self.rng);
            let (start, end) = (self.rel(c.period.0), self.rel(c.period.1));
            let created_at = at(&mut self.rng, add_days(start, -60));
            self.out.contracts.push(procurement_contract::Model {
                id,
                supplier: c.supplier.to_owned(),
                title: c.title.to_owned(),
                employment_requirement_places: c.places,
                period_start: start,
                period_end: end,
                created_at,
                updated_at: created_at,
                version: 1,
            });
            self.out.contract_info.push(ContractInfo {
                id,
                supplier: c.supplier,
                title: c.title,
                places: c.places,
                period_start: start,
                period_end: end,
                track: c.track,
            });
        }
    }

    /// Allocation models for last year and this year, with one allocation per
    /// department and kind and one agreement per department and year.
    fn allocations(&mut self) {
        let today = self.ctx.today;
        let scale = self.ctx.scale();
        for year in [self.ctx.year - 1, self.ctx.year] {
            // Socialnämnden decides in late January.
            let meeting = ymd(year, 1, 20 + self.rng.random_range(0..9));
            let decided = meeting <= today;
            let model_id = uuid(&mut self.rng);
            let created_at = at(&mut self.rng, ymd(year - 1, 11, 15));
            let updated_at = if decided {
                at(&mut self.rng, meeting)
            } else {
                created_at
            };
            self.out.allocation_models.push(allocation_model::Model {
                id: model_id,
                year,
                status: if decided {
                    AllocationStatus::Decided
                } else {
                    AllocationStatus::Proposed
                },
                decided_on: decided.then_some(meeting),
                decided_by: decided.then(|| "Socialnämnden".to_owned()),
                created_at,
                updated_at,
                version: if decided { 2 } else { 1 },
            });
            for (i, d) in DEPARTMENTS.iter().enumerate() {
                let dept = self.out.departments[i];
                let mut places = 0;
                for (kind, base) in [
                    (PlacementKind::Internship, d.base_targets.0),
                    (PlacementKind::MunicipalJob, d.base_targets.1),
                ] {
                    let noise = self.rng.random_range(0.8..1.2);
                    let target = ((f64::from(base) * scale * noise).round() as i32).max(1);
                    places += target;
                    let id = uuid(&mut self.rng);
                    self.out.allocations.push(allocation::Model {
                        id,
                        model_id,
                        department_id: dept,
                        kind,
                        target,
                        skills_needs: d.skills_needs.to_owned(),
                        capacity_notes: d.capacity_notes.to_owned(),
                        created_at,
                        updated_at: created_at,
                        version: 1,
                    });
                }
                // Each nämnd bears its own costs of receiving people; with
                // large volumes socialnämnden shares them (seed 001).
                let big = places as f64 > 15.0 * scale;
                let supervision_paid_by = if big {
                    Payer::Shared
                } else {
                    weighted(
                        &mut self.rng,
                        &[
                            (Payer::ReceivingDepartment, 8),
                            (Payer::Shared, 1),
                            (Payer::SocialServices, 1),
                        ],
                    )
                };
                let equipment_paid_by = weighted(
                    &mut self.rng,
                    &[
                        (Payer::ReceivingDepartment, 7),
                        (Payer::Shared, 2),
                        (Payer::SocialServices, 1),
                    ],
                );
                let signed = add_days(meeting, self.rng.random_range(10..60));
                let signed_on = (signed <= today
                    && (year < self.ctx.year || self.rng.random_bool(0.8)))
                .then_some(signed);
                let id = uuid(&mut self.rng);
                let created = at(&mut self.rng, meeting.min(today));
                self.out.agreements.push(agreement::Model {
                    id,
                    year,
                    department_id: dept,
                    places,
                    supervision_paid_by,
                    equipment_paid_by,
                    signed_on,
                    created_at: created,
                    updated_at: created,
                    version: 1,
                });
            }
        }
    }
}
