//! A gateway that reads AF's and FK's records live from two agency
//! simulators on loopback, each serving what the seed gave that agency (so
//! the same page can be compared with the database source).

use std::time::Duration;

use gateway::config::{ClientCredentialsConfig, ClientSecret, HttpSourceConfig, SourceConfig};
use seed::export;

use crate::simulator::{SimAgency, Simulator, SimulatorConfig};
use crate::TestApp;

pub const CLIENT_ID: &str = "samverkan-gateway";
/// The simulators' test client secret (a test fixture, not a real secret).
pub const CLIENT_SECRET: &str = "simulator-test-secret";

pub struct Federated {
    pub app: TestApp,
    pub af: Simulator,
    pub fk: Simulator,
}

async fn simulator(agency: SimAgency) -> Simulator {
    Simulator::start(SimulatorConfig {
        agency,
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        token_lifetime: Duration::from_secs(3600),
    })
    .await
}

impl Federated {
    /// Seeds `participants` (seed 7) and points `af` and `fk` at their
    /// simulators, with `tune` applied to both sources' settings.
    pub async fn start(
        participants: usize,
        tune: impl Fn(&mut HttpSourceConfig) + Send + 'static,
    ) -> Federated {
        let af = simulator(SimAgency::EmploymentService).await;
        let fk = simulator(SimAgency::SocialInsurance).await;
        let upstreams = [
            ("af", af.url(), af.token_url()),
            ("fk", fk.url(), fk.token_url()),
        ];
        let app = TestApp::builder()
            .configure(move |c| {
                for (code, url, token_url) in upstreams {
                    let agency = c.agencies.get_mut(code).expect("demo agency");
                    agency.client = Some(ClientCredentialsConfig {
                        token_url,
                        client_id: CLIENT_ID.into(),
                        secret: ClientSecret {
                            client_secret: Some(CLIENT_SECRET.into()),
                            client_secret_file: None,
                        },
                        scopes: Vec::new(),
                        refresh_margin_secs: std::time::Duration::from_secs(1),
                    });
                    let mut source = HttpSourceConfig::new(url);
                    tune(&mut source);
                    agency.source = SourceConfig::Http(source);
                }
            })
            .start()
            .await;
        app.seed(participants, 7).await;
        let af_id = agency_id(&app, "af").await;
        let fk_id = agency_id(&app, "fk").await;
        af.load(
            export::employment_service_records(&app.db, &app.keys, af_id)
                .await
                .expect("export AF's records"),
        );
        fk.load(
            export::social_insurance_records(&app.db, &app.keys, fk_id)
                .await
                .expect("export FK's records"),
        );
        Federated { app, af, fk }
    }
}

async fn agency_id(app: &TestApp, code: &str) -> uuid::Uuid {
    gateway::sources::db::agency::by_code(&app.db, code)
        .await
        .expect("agency table")
        .expect("a seeded agency")
        .id
}
