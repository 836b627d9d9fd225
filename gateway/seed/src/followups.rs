//! Follow-ups: the coach's meetings, calls and notes (0-8 per case), as the
//! mobile app would have synced them, each with the client's idempotency key
//! and request hash.

use entities::enums::{CaseStatus, FollowUpKind as Kind};
use entities::follow_up;
use rand::Rng;

use super::cases::Case;
use super::context::Ctx;
use super::rng::{self, at, date_between, hex64, pick, uuid, weighted, Stream};

/// `follow_up` rows for every case.
pub(crate) fn rows(ctx: &Ctx, cases: &[Case]) -> Vec<follow_up::Model> {
    let mut rng = rng::stream(ctx.seed, Stream::FollowUps);
    let mut out = Vec::with_capacity(cases.len() * 4);
    for c in cases {
        let count = match c.status {
            CaseStatus::Assessment => rng.random_range(0..=2),
            _ if c.spinning => rng.random_range(4..=8),
            _ => {
                // More meetings the longer the case ran, up to eight.
                let months = (c.end(ctx.today) - c.opened).num_days() / 30;
                rng.random_range(0..=(1 + months / 3).min(8))
            }
        };
        for _ in 0..count {
            let day = date_between(&mut rng, c.opened, c.end(ctx.today));
            let occurred_at = at(&mut rng, day);
            // The app syncs when the phone is back online: minutes to hours later.
            let created_at = occurred_at + chrono::Duration::minutes(rng.random_range(1..=240));
            let author_id = match c.lund_officer {
                Some(s) if rng.random_bool(0.12) => s,
                _ => c.coach,
            };
            let kind = weighted(
                &mut rng,
                &[
                    (Kind::Meeting, 40),
                    (Kind::Phone, 30),
                    (Kind::Video, 10),
                    (Kind::HomeVisit, 5),
                    (Kind::Note, 15),
                ],
            );
            let id = uuid(&mut rng);
            out.push(follow_up::Model {
                id,
                case_id: c.id,
                author_id,
                occurred_at,
                kind,
                note: (*pick(&mut rng, notes(kind))).to_owned(),
                idempotency_key: format!("seed-{id}"),
                request_hash: hex64(&mut rng),
                created_at,
                updated_at: created_at,
                version: 1,
            });
        }
    }
    out
}

/// Note texts by kind. No personal data: these are what a coach writes in
/// the app's free-text field, kept generic on purpose.
fn notes(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Meeting => &[
            "Uppföljningssamtal; praktiken fungerar bra, fortsätter enligt plan.",
            "Trepartssamtal med handledaren om nästa steg.",
            "Genomgång av delmålen i genomförandeplanen.",
            "Avstämning inför avslut av insatsen.",
        ],
        Kind::Phone => &[
            "Telefonkontakt om schemat för språkpraktiken.",
            "Deltagaren uteblev; ny tid bokad per telefon.",
            "Avstämning med handläggare på Arbetsförmedlingen.",
        ],
        Kind::Video => &[
            "Videomöte med handläggare på Försäkringskassan om arbetsförmåga.",
            "Digitalt möte inför start på arbetsplatsen.",
        ],
        Kind::HomeVisit => &[
            "Hembesök; stöd kring rutiner och tider.",
            "Hembesök tillsammans med socialsekreterare.",
        ],
        Kind::Note => &[
            "Intyg om närvaro inkommit från praktikplatsen.",
            "Anteckning: väntar på besked om anställningsstöd.",
            "Anteckning: deltagaren sjukanmäld denna vecka.",
        ],
    }
}
