//! Token validation, case by case (issue 3's list): each agency's tokens are
//! accepted only as that agency's, only with its keys, only while valid.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gateway::auth::jwks::KeySet;
use gateway::auth::{AgencyKeys, AgencyVerifier, AuthError, ClaimMapping, TokenValidator};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use tests::provider::TestKey;

const AF_ISS: &str = "https://id.af.example";
const FK_ISS: &str = "https://login.fk.example";

struct Setup {
    validator: TokenValidator,
    af: TestKey,
    fk: TestKey,
}

fn verifier(agency: &str, iss: &str, key: &TestKey, claims: ClaimMapping) -> AgencyVerifier {
    AgencyVerifier {
        agency: agency.into(),
        issuer: iss.into(),
        audience: vec!["samverkan-gateway".into()],
        algorithms: vec![Algorithm::EdDSA],
        leeway_secs: 30,
        keys: AgencyKeys::Static(
            KeySet::from_jwks(&JwkSet {
                keys: vec![key.jwk()],
            })
            .expect("keys"),
        ),
        claims,
    }
}

fn setup() -> Setup {
    let (af, fk) = (TestKey::generate("af-1"), TestKey::generate("fk-1"));
    let nested = ClaimMapping {
        subject: "employee_id".into(),
        roles: "realm_access.roles".into(),
        unit: "org.unit".into(),
        ..ClaimMapping::default()
    };
    let validator = TokenValidator::new(vec![
        verifier("af", AF_ISS, &af, ClaimMapping::default()),
        verifier("fk", FK_ISS, &fk, nested),
    ]);
    Setup { validator, af, fk }
}

fn claims(iss: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": iss, "sub": "officer-1", "aud": "samverkan-gateway", "exp": now + 600, "nbf": now - 10, "iat": now, "roles": ["officer"] })
}

async fn check(s: &Setup, token: &str) -> Result<gateway::auth::Identity, AuthError> {
    s.validator.validate(token, None).await
}

#[tokio::test]
async fn a_good_token_gives_the_agency_bound_by_its_issuer() {
    let s = setup();
    let id = check(&s, &s.af.sign(&claims(AF_ISS))).await.expect("valid");
    assert_eq!(
        (id.agency.as_str(), id.subject.as_str()),
        ("af", "officer-1")
    );
    assert_eq!(id.roles, vec!["officer"]);
}

#[tokio::test]
async fn expired_and_not_yet_valid_are_refused_beyond_the_leeway() {
    let s = setup();
    let now = chrono::Utc::now().timestamp();
    let mut c = claims(AF_ISS);
    c["exp"] = json!(now - 120);
    assert_eq!(check(&s, &s.af.sign(&c)).await, Err(AuthError::Expired));
    c["exp"] = json!(now - 10); // within 30 s of leeway
    check(&s, &s.af.sign(&c)).await.expect("within leeway");
    let mut c = claims(AF_ISS);
    c["nbf"] = json!(now + 300);
    assert_eq!(check(&s, &s.af.sign(&c)).await, Err(AuthError::NotYetValid));
}

#[tokio::test]
async fn wrong_audience_and_unknown_issuer_are_refused() {
    let s = setup();
    let mut c = claims(AF_ISS);
    c["aud"] = json!("some-other-api");
    assert_eq!(
        check(&s, &s.af.sign(&c)).await,
        Err(AuthError::WrongAudience)
    );
    let c = claims("https://evil.example");
    assert_eq!(
        check(&s, &s.af.sign(&c)).await,
        Err(AuthError::UnknownIssuer)
    );
}

#[tokio::test]
async fn one_agencys_token_never_passes_as_anothers() {
    let s = setup();
    // AF's issuer with an `agency` claim of FK.
    let mut c = claims(AF_ISS);
    c["agency"] = json!("fk");
    assert_eq!(
        check(&s, &s.af.sign(&c)).await,
        Err(AuthError::AgencyMismatch)
    );
    // FK's issuer, but signed with AF's key.
    assert_eq!(
        check(&s, &s.af.sign(&claims(FK_ISS))).await,
        Err(AuthError::UnknownKey)
    );
    // FK's issuer, AF's key presented under FK's kid.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(s.fk.kid.clone());
    let forged = s.af.sign_with_header(header, &claims(FK_ISS));
    assert_eq!(check(&s, &forged).await, Err(AuthError::BadSignature));
}

#[tokio::test]
async fn alg_none_and_hmac_with_the_public_key_are_refused() {
    let s = setup();
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&claims(AF_ISS))
    );
    assert!(matches!(
        check(&s, &none).await,
        Err(AuthError::Malformed(_))
    ));
    // HS256 keyed with the agency's public key bytes (the classic confusion attack).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(s.af.kid.clone());
    let hs = jsonwebtoken::encode(
        &header,
        &claims(AF_ISS),
        &EncodingKey::from_secret(&s.af.public_bytes()),
    )
    .expect("sign");
    assert_eq!(check(&s, &hs).await, Err(AuthError::AlgorithmNotAllowed));
}

#[tokio::test]
async fn malformed_tokens_are_refused_cleanly() {
    let s = setup();
    for bad in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "!!!.@@@.###",
        "eyJhbGciOiJFZERTQSJ9.%%%.sig",
    ] {
        assert!(
            matches!(check(&s, bad).await, Err(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }
    // A 3 MB header is refused before any decoding.
    let huge = format!(
        "{}.{}.sig",
        "A".repeat(3 * 1024 * 1024),
        URL_SAFE_NO_PAD.encode(claims(AF_ISS).to_string())
    );
    let started = std::time::Instant::now();
    assert_eq!(
        check(&s, &huge).await,
        Err(AuthError::Malformed("too large"))
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(50));
}

#[tokio::test]
async fn claims_are_read_where_each_agency_puts_them() {
    let s = setup();
    let now = chrono::Utc::now().timestamp();
    let c = json!({
        "iss": FK_ISS, "aud": ["samverkan-gateway", "other"], "exp": now + 600,
        "employee_id": "fk-4711", "realm_access": {"roles": ["officer", "uma_authorization"]},
        "org": {"unit": "lokalkontor-lund"}, "scope": "openid cases:read"
    });
    let id = check(&s, &s.fk.sign(&c)).await.expect("valid");
    assert_eq!(id.agency, "fk");
    assert_eq!(id.subject, "fk-4711");
    assert_eq!(id.roles, vec!["officer", "uma_authorization"]);
    assert_eq!(id.unit.as_deref(), Some("lokalkontor-lund"));
    assert_eq!(id.scopes, vec!["openid", "cases:read"]);
    let mut no_subject = c.clone();
    no_subject
        .as_object_mut()
        .expect("object")
        .remove("employee_id");
    assert_eq!(
        check(&s, &s.fk.sign(&no_subject)).await,
        Err(AuthError::Malformed("no subject"))
    );
}

#[tokio::test]
async fn a_remembered_token_still_expires_on_time() {
    let key = TestKey::generate("k");
    let mut strict = verifier("af", AF_ISS, &key, ClaimMapping::default());
    strict.leeway_secs = 0;
    let validator = TokenValidator::new(vec![strict]);
    let mut c = claims(AF_ISS);
    c["exp"] = json!(chrono::Utc::now().timestamp() + 1);
    let token = key.sign(&c);
    let first = validator.validate(&token, None).await.expect("valid");
    assert_eq!(
        validator.validate(&token, None).await.expect("remembered"),
        first
    );
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        validator.validate(&token, None).await,
        Err(AuthError::Expired)
    );
}

#[tokio::test]
async fn an_id_token_or_another_kind_of_jwt_is_never_an_access_token() {
    let s = setup();
    // Genuine, signed by af's key, addressed to the gateway: yet an ID
    // token (it carries a sign-in's nonce or hashes) proves a sign-in to a
    // client, and whoever holds one must not call the API with it.
    for (claim, value) in [
        ("nonce", "x"),
        ("at_hash", "x"),
        ("c_hash", "x"),
        ("token_use", "id"),
    ] {
        let mut c = claims(AF_ISS);
        c[claim] = json!(value);
        assert_eq!(
            check(&s, &s.af.sign(&c)).await,
            Err(AuthError::NotAnAccessToken),
            "{claim}"
        );
    }
    for typ in ["id+jwt", "logout+jwt", "secevent+jwt", "dpop+jwt"] {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("af-1".into());
        header.typ = Some(typ.into());
        let token = s.af.sign_with_header(header, &claims(AF_ISS));
        assert_eq!(
            check(&s, &token).await,
            Err(AuthError::NotAnAccessToken),
            "{typ}"
        );
    }
    for typ in ["at+jwt", "application/at+jwt", "JWT"] {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some("af-1".into());
        header.typ = Some(typ.into());
        let token = s.af.sign_with_header(header, &claims(AF_ISS));
        assert!(check(&s, &token).await.is_ok(), "{typ}");
    }
}

#[tokio::test]
async fn a_jwt_beside_a_header_naming_another_agency_is_refused() {
    let s = setup();
    let token = s.af.sign(&claims(AF_ISS));
    assert!(s.validator.validate(&token, Some("af")).await.is_ok());
    assert_eq!(
        s.validator.validate(&token, Some("fk")).await,
        Err(AuthError::AgencyMismatch)
    );
}
