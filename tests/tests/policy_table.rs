//! The shipped policy's decisions as one table, role by field, kept as a
//! snapshot: a change of `deploy/policy.toml` (or of the schema) shows in
//! review as a diff of who may now read or write what.
//!
//! `R` read, `C` read, but another agency's rows only under a consent,
//! `W` run (a mutation), `-` never. The second column is the field's
//! classification (`.` none).

use entities::enums::ConsentCategory;
use gateway::policy::{Classification, Policy};
use gateway::vocabulary::{Principal, Role};

const POLICY: &str = include_str!("../../deploy/policy.toml");

const CALLERS: &[(&str, &str)] = &[
    ("lund", "coach"),
    ("lund", "officer"),
    ("lund", "placement_coordinator"),
    ("lund", "integrator"),
    ("af", "officer"),
    ("af", "integrator"),
    ("fk", "officer"),
    ("fk", "integrator"),
    ("region", "officer"),
    ("finsam", "analyst"),
    ("audit", "auditor"),
];

fn class(c: Option<Classification>) -> &'static str {
    match c {
        None => ".",
        Some(Classification::Personal) => "personal",
        Some(Classification::Identity) => "identity",
        Some(Classification::Consent(ConsentCategory::EconomicSocial)) => "economic_social",
        Some(Classification::Consent(ConsentCategory::Health)) => "health",
        Some(Classification::Consent(ConsentCategory::WorkHistory)) => "work_history",
        Some(Classification::Consent(ConsentCategory::LabourMarket)) => "labour_market",
    }
}

#[test]
fn the_shipped_policy_decides_as_the_snapshot_says() {
    let policy =
        Policy::compile(POLICY, gateway::graphql::shape()).expect("the shipped policy compiles");
    let access: Vec<_> = CALLERS
        .iter()
        .map(|(agency, role)| {
            policy.access(Some(&Principal {
                agency: (*agency).into(),
                agency_id: uuid::Uuid::nil(),
                agency_kind: entities::enums::AgencyKind::Municipality,
                subject: "snapshot".into(),
                roles: vec![Role::parse(role).expect("a known role")],
                unit: None,
                unit_id: None,
                scopes: Vec::new(),
                client: None,
                staff_id: uuid::Uuid::nil(),
            }))
        })
        .collect();
    let mut table = String::from("field | class |");
    for (agency, role) in CALLERS {
        table.push_str(&format!(" {agency}/{role}"));
    }
    table.push('\n');
    for id in 0..policy.field_count() {
        let name = policy.name(id);
        let (ty, field) = name.split_once('.').expect("Type.field");
        let info = policy.field(ty, field).expect("a field of the policy");
        let class_of = info.class;
        table.push_str(&format!("{name} | {} |", class(class_of)));
        for a in &access {
            let cell = if !a.allows(ty, info) {
                "-"
            } else if ty == "Mutation" {
                "W"
            } else if matches!(class_of, Some(Classification::Consent(_))) {
                "C"
            } else {
                "R"
            };
            table.push(' ');
            table.push_str(cell);
        }
        table.push('\n');
    }
    insta::assert_snapshot!("decision_table", table);
}
