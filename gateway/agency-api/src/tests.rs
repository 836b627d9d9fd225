use serde_json::{json, Value};

use super::*;

fn fk(patch: Value) -> Value {
    let mut r = json!({
        "externalId": "FK-1",
        "personnummer": "199001011234",
        "benefit": "sickness_benefit",
        "sickLeaveDegree": 50,
        "periodStart": "2026-01-01",
        "periodEnd": null,
        "rehabilitationCoordination": true,
        "diagnosisGroup": "F32",
        "version": 1,
        "updatedAt": "2026-01-01T10:00:00Z"
    });
    for (k, v) in patch.as_object().expect("patches are objects") {
        r[k] = v.clone();
    }
    r
}

#[test]
fn a_record_in_the_contract_reads_and_writes_back_the_same() {
    let record = fk(json!({}));
    let decoded: SocialInsuranceRecord = decode(&record).expect("valid");
    assert_eq!(decoded.sick_leave_degree, Some(SickLeaveDegree(50)));
    assert_eq!(serde_json::to_value(&decoded).expect("serializes"), record);

    let af = json!({
        "externalId": "AF-1",
        "personnummer": "199001011234",
        "registeredOn": "2025-03-01",
        "programme": null,
        "version": 3,
        "updatedAt": "2026-01-01T10:00:00+01:00"
    });
    let decoded: EmploymentServiceRecord = decode(&af).expect("missing optional fields are null");
    assert_eq!(decoded.support_decision, None);
    assert_eq!(decoded.version, Version(3));
}

#[test]
fn every_wrong_value_is_named_by_its_field_and_never_repeated() {
    // Values that look like personal data, so a message that repeated
    // them would be caught.
    for (patch, field) in [
        (json!({"benefit": "199001011234"}), "benefit"),
        (
            json!({"sickLeaveDegree": 199001011234i64}),
            "sickLeaveDegree",
        ),
        (json!({"periodStart": "199001011234"}), "periodStart"),
        (json!({"periodEnd": "2025-12-31"}), "periodEnd"),
        (
            json!({"rehabilitationCoordination": "199001011234"}),
            "rehabilitationCoordination",
        ),
        (json!({"version": 0}), "version"),
        (json!({"version": 199001011234i64}), "version"),
        (json!({"personnummer": 199001011234i64}), "personnummer"),
        (json!({"personnummer": "19900101-1234"}), "personnummer"),
        (json!({"externalId": ""}), "externalId"),
        (
            json!({"diagnosisGroup": "F32\u{0}199001011234"}),
            "diagnosisGroup",
        ),
        (json!({"updatedAt": "199001011234"}), "updatedAt"),
    ] {
        let err = decode::<SocialInsuranceRecord>(&fk(patch.clone())).unwrap_err();
        assert!(err.starts_with(field), "{patch}: {err}");
        assert!(!err.contains("1990"), "{patch}: {err}");
    }
    let mut missing = fk(json!({}));
    missing.as_object_mut().expect("object").remove("benefit");
    let err = decode::<SocialInsuranceRecord>(&missing).unwrap_err();
    assert!(err.contains("benefit"), "{err}");
    assert_eq!(
        decode::<SocialInsuranceRecord>(&json!("199001011234")).unwrap_err(),
        "not an object"
    );
}
