//! The fixed domain catalogue the generator draws from: Lund's receiving
//! departments, the ladder tracks, the projects and the procurement
//! contracts, taken from the source documents in `shared/seeds/` (the
//! allocation model, the step ladders of MAP2020/SRY, the Finsam board's
//! quarterly report and the procurement investigation).
//!
//! Kept as plain data so the row builders stay small and so a reader can
//! check the demo's vocabulary against the documents in one place.

/// A receiving department (förvaltning) of Lund that offers placements.
pub(crate) struct Department {
    pub code: &'static str,
    pub name: &'static str,
    /// Kompetensbehov as the department states it in the allocation dialogue.
    pub skills_needs: &'static str,
    pub capacity_notes: &'static str,
    /// Yearly targets at Lund's real scale: (internships, municipal jobs).
    pub base_targets: (u32, u32),
    /// Titles of slots that train for no particular ladder track.
    pub general_titles: &'static [&'static str],
}

/// The departments that sign överenskommelser with socialnämnden.
pub(crate) const DEPARTMENTS: &[Department] = &[
    Department {
        code: "vard_och_omsorg",
        name: "Vård- och omsorgsförvaltningen",
        skills_needs: "Vårdbiträden och undersköterskor i hemtjänst och särskilt boende; stort rekryteringsbehov på lång sikt.",
        capacity_notes: "Språkhandledare finns på sex boenden; handledarutbildning planeras under våren.",
        base_targets: (18, 10),
        general_titles: &["Vårdbiträde, särskilt boende", "Aktivitetsassistent, dagverksamhet"],
    },
    Department {
        code: "service",
        name: "Serviceförvaltningen",
        skills_needs: "Måltidsbiträden och kockar i kostenheten, lokalvårdare, förrådspersonal.",
        capacity_notes: "Kostenheten tar emot grupper om 4-6; lokalvården har utbildade handledare på två enheter.",
        base_targets: (14, 8),
        general_titles: &["Förrådsassistent", "Vaktmästare"],
    },
    Department {
        code: "tekniska",
        name: "Tekniska förvaltningen",
        skills_needs: "Parkarbetare, gatu- och fastighetsskötsel, fordonsvård.",
        capacity_notes: "Säsongsberoende: fler platser april-oktober.",
        base_targets: (8, 5),
        general_titles: &["Parkarbetare", "Fordonsvårdare"],
    },
    Department {
        code: "utbildning",
        name: "Utbildningsförvaltningen",
        skills_needs: "Elevassistenter, vaktmästare och skolmåltid på gymnasieskolorna.",
        capacity_notes: "Begränsad handledarkapacitet under terminsstart.",
        base_targets: (6, 3),
        general_titles: &["Elevassistent", "Skolvaktmästare"],
    },
    Department {
        code: "barn_och_skola",
        name: "Barn- och skolförvaltningen",
        skills_needs: "Barnskötare och måltidsvärdar i förskola och grundskola.",
        capacity_notes: "Måltidsvärdsplatser på skolrestauranger; språkstöd i arbetslagen.",
        base_targets: (10, 4),
        general_titles: &["Måltidsvärd, skolrestaurang", "Resursperson, förskola"],
    },
    Department {
        code: "kultur_och_fritid",
        name: "Kultur- och fritidsförvaltningen",
        skills_needs: "Idrottsplatsvärdar, biblioteksassistenter, fritidsledare.",
        capacity_notes: "Kvällar och helger; kräver handledare på plats.",
        base_targets: (5, 2),
        general_titles: &["Biblioteksassistent", "Idrottsplatsvärd"],
    },
    Department {
        code: "miljo",
        name: "Miljöförvaltningen",
        skills_needs: "Administrativt stöd och miljöinventering under säsong.",
        capacity_notes: "Få platser; kontorsmiljö med begränsad introduktion.",
        base_targets: (2, 1),
        general_titles: &["Administrativ assistent"],
    },
    Department {
        code: "stadsbyggnad",
        name: "Stadsbyggnadskontoret",
        skills_needs: "Arkiv- och registratorsstöd, digitalisering av ritningar.",
        capacity_notes: "Få platser; kräver grundläggande datorvana.",
        base_targets: (2, 1),
        general_titles: &["Arkivassistent"],
    },
];

/// A step-ladder track (trappstegsmodell) and where its places are.
pub(crate) struct Track {
    pub code: &'static str,
    /// The occupation the track leads to, in Swedish (for plan texts).
    pub occupation: &'static str,
    /// The five steps: (name, description), ordinals 1..=5.
    pub steps: [(&'static str, &'static str); 5],
    /// Indexes into [`DEPARTMENTS`] with relative weights.
    pub departments: &'static [(usize, u32)],
    /// APP employers (municipal companies and private firms).
    pub employers: &'static [&'static str],
    /// Slot titles: (internship, job).
    pub titles: (&'static str, &'static str),
    /// How common the track is among participants.
    pub weight: u32,
}

/// The ladder tracks (seed 004: köksbiträde and vård- och omsorgsspår from
/// MAP2020, SRY lokalvård, plus the departments' other recruitment needs).
pub(crate) const TRACKS: &[Track] = &[
    Track {
        code: "kitchen_assistant",
        occupation: "köksbiträde",
        steps: [
            ("Introduktion som måltidsvärd", "Måltidsvärd på skolrestaurang varannan vecka i 3-4 månader, varvat med språkstudier."),
            ("Språkpraktik i kök", "Språkträning kopplad till yrket i gruppsamtal varannan vecka; arbetsspråk i köket."),
            ("Arbetspraktik i storkök", "Praktik inom kostenheten med handledare."),
            ("Anställning med stöd inom kostenheten", "Kommunal arbetsmarknadsanställning eller anställning med statligt stöd."),
            ("Anställning som köksbiträde", "Tillsvidareanställning i kommunen eller i privat måltidsverksamhet."),
        ],
        departments: &[(1, 6), (4, 4)],
        employers: &["Restaurang Kungsgatan i Lund AB", "Matlust Syd AB"],
        titles: ("Köksbiträde, praktik i storkök", "Köksbiträde, kostenheten"),
        weight: 24,
    },
    Track {
        code: "care_assistant",
        occupation: "vårdbiträde",
        steps: [
            ("Introduktion till omsorgsyrket", "Grundläggande krav i omsorgen: dokumentation, hygien och bemötande."),
            ("Språkpraktik med språkhandledare", "Språkpraktik utifrån språkbedömning enligt CEFR på arbetsplats med utbildad språkhandledare."),
            ("Arbetspraktik inom äldreomsorgen", "1-3 månaders praktik och yrkeskompetensbedömning enligt Kravmärkt Yrkesroll."),
            ("Anställning med stöd som vårdbiträde", "Arbetsmarknadsanställning, vid behov med reguljär vård- och omsorgsutbildning."),
            ("Anställning som vårdbiträde eller undersköterska", "Tim- eller tillsvidareanställning hos offentlig eller privat arbetsgivare."),
        ],
        departments: &[(0, 1)],
        employers: &["Omsorg Syd AB", "Hemtjänst i Lund AB"],
        titles: ("Vårdbiträde, praktik", "Vårdbiträde, särskilt boende"),
        weight: 24,
    },
    Track {
        code: "cleaning",
        occupation: "lokalvårdare",
        steps: [
            ("Introduktion till lokalvård", "SRY-utbildning nivå 1: grundläggande städ- och rengöringsarbete."),
            ("Språkpraktik i lokalvården", "Språkträning med yrkestermer; validering enligt OCN-metoden vid behov."),
            ("Arbetspraktik med SRY-utbildning", "Certifierad utbildning blandad med praktik i kommunens lokaler."),
            ("Anställning med stöd i lokalvården", "Arbetsmarknadsanställning med handledning."),
            ("Anställning som lokalvårdare", "Yrkesbevis och anställning i kommunen eller hos leverantör."),
        ],
        departments: &[(1, 1)],
        employers: &["Städbolaget Syd AB", "Rent & Fint i Lund AB"],
        titles: ("Lokalvårdare, praktik", "Lokalvårdare"),
        weight: 20,
    },
    Track {
        code: "warehouse",
        occupation: "lagerarbetare",
        steps: [
            ("Introduktion och truckteori", "Arbetsmiljö, truckteori och introduktion till lagerarbete."),
            ("Språkpraktik i förråd", "Språkträning på centralförrådet."),
            ("Arbetspraktik på centralförrådet", "Plock, leverans och inventering med handledare."),
            ("Anställning med stöd, lager", "Arbetsmarknadsanställning eller anställning med lönebidrag."),
            ("Anställning som lagerarbetare", "Anställning utan stöd."),
        ],
        departments: &[(1, 6), (2, 4)],
        employers: &["Lunda Lager & Logistik AB", "Bygghandel Syd AB"],
        titles: ("Lagerarbetare, praktik", "Lagerarbetare"),
        weight: 12,
    },
    Track {
        code: "groundskeeping",
        occupation: "parkarbetare",
        steps: [
            ("Introduktion i grönyteskötsel", "Säkerhet, maskiner och introduktion i parklaget."),
            ("Språkpraktik i parklag", "Språkträning i arbetslaget."),
            ("Arbetspraktik i park- och gatuenheten", "Säsongspraktik med handledare."),
            ("Anställning med stöd, parkarbetare", "Arbetsmarknadsanställning under säsong."),
            ("Anställning som parkarbetare", "Anställning i kommunen eller hos entreprenör."),
        ],
        departments: &[(2, 7), (5, 3)],
        employers: &["Grönyta Skåne AB"],
        titles: ("Parkarbetare, praktik", "Parkarbetare"),
        weight: 11,
    },
    Track {
        code: "childcare_assistant",
        occupation: "barnskötare",
        steps: [
            ("Introduktion i förskolan", "Förskolans uppdrag, bemötande och rutiner."),
            ("Språkpraktik i förskola", "Språkpraktik i arbetslag med språkstöd."),
            ("Arbetspraktik som barnskötare", "Praktik i förskola med handledare."),
            ("Anställning med stöd i förskolan", "Arbetsmarknadsanställning, vid behov med barnskötarutbildning."),
            ("Anställning som barnskötare", "Anställning utan stöd."),
        ],
        departments: &[(4, 7), (3, 3)],
        employers: &["Förskolan Solstrålen (enskild)"],
        titles: ("Barnskötare, praktik", "Barnskötare"),
        weight: 9,
    },
];

/// A Finsam/ESF project and its Lund sub-projects.
pub(crate) struct ProjectDef {
    pub code: &'static str,
    pub name: &'static str,
    pub funder: &'static str,
    pub budget_sek: i64,
    /// Period relative to today's year: ((year offset, month, day), (year offset, month, day)).
    pub period: ((i32, u32, u32), (i32, u32, u32)),
    pub subs: &'static [SubProjectDef],
}

/// A sub-project (delprojekt) participants are enrolled in.
pub(crate) struct SubProjectDef {
    pub code: &'static str,
    pub name: &'static str,
    pub target_group: &'static str,
    pub budget_sek: i64,
    /// Share of the time-proportional budget spent so far (AKTIV spends little).
    pub spend_pace: f64,
    pub planned: i32,
    pub who: Eligibility,
}

/// Which participants a sub-project recruits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Eligibility {
    /// USB: young people with special needs.
    YoungSpecialNeeds,
    /// Kompetenstrappan: income support, care track.
    IncomeSupportCare,
    /// Insam: very far from the labour market.
    FarFromLabourMarket,
    /// AKTIV: young adults with activity compensation in contact with psychiatry.
    ActivityCompensation,
    /// Lärlingsprojektet: young adults.
    Apprentices,
    /// Möjligheternas väg: newly arrived.
    NewlyArrived,
}

/// The projects of seed 003 (the Finsam board's report) and seed 000 (IRIS).
pub(crate) const PROJECTS: &[ProjectDef] = &[
    ProjectDef {
        code: "iris",
        name: "IRIS",
        funder: "esf",
        budget_sek: 24_800_000,
        period: ((-3, 9, 1), (1, 8, 31)),
        subs: &[
            SubProjectDef {
                code: "usb",
                name: "USB – unga med särskilda behov",
                target_group: "Unga 16-29 år med särskilda behov, t.ex. funktionsnedsättning eller ej fullföljd skola",
                budget_sek: 7_400_000,
                spend_pace: 0.95,
                planned: 128,
                who: Eligibility::YoungSpecialNeeds,
            },
            SubProjectDef {
                code: "kompetenstrappan",
                name: "Kompetenstrappan",
                target_group: "Personer med försörjningsstöd; kompetenstrappa in i vård- och omsorgsarbete",
                budget_sek: 6_100_000,
                spend_pace: 0.9,
                planned: 90,
                who: Eligibility::IncomeSupportCare,
            },
            SubProjectDef {
                code: "insam",
                name: "Insam",
                target_group: "Personer som står mycket långt från arbetsmarknaden",
                budget_sek: 4_300_000,
                spend_pace: 0.85,
                planned: 43,
                who: Eligibility::FarFromLabourMarket,
            },
        ],
    },
    ProjectDef {
        code: "aktiv",
        name: "AKTIV",
        funder: "finsam",
        budget_sek: 3_200_000,
        period: ((-1, 4, 1), (1, 3, 31)),
        subs: &[SubProjectDef {
            code: "aktiv",
            name: "AKTIV – aktivitetsersättning och vuxenpsykiatri",
            target_group: "Unga vuxna 19-29 år med aktivitetsersättning i kontakt med vuxenpsykiatrin",
            budget_sek: 3_200_000,
            spend_pace: 0.2,
            planned: 30,
            who: Eligibility::ActivityCompensation,
        }],
    },
    ProjectDef {
        code: "larlingsprojektet",
        name: "Lärlingsprojektet",
        funder: "finsam",
        budget_sek: 1_900_000,
        period: ((-2, 1, 1), (0, 12, 31)),
        subs: &[SubProjectDef {
            code: "larlingsprojektet",
            name: "Lärlingsprojektet",
            target_group: "Unga vuxna utan gymnasieexamen; lärlingsanställning med handledare",
            budget_sek: 1_900_000,
            spend_pace: 0.8,
            planned: 12,
            who: Eligibility::Apprentices,
        }],
    },
    ProjectDef {
        code: "mojligheternas_vag",
        name: "Möjligheternas väg",
        funder: "finsam",
        budget_sek: 2_600_000,
        period: ((-2, 8, 1), (1, 6, 30)),
        subs: &[SubProjectDef {
            code: "mojligheternas_vag",
            name: "Möjligheternas väg",
            target_group: "Nyanlända som lämnat etableringen utan arbete",
            budget_sek: 2_600_000,
            spend_pace: 0.9,
            planned: 40,
            who: Eligibility::NewlyArrived,
        }],
    },
];

/// A procurement with employment requirements (seed 002).
pub(crate) struct ContractDef {
    pub supplier: &'static str,
    pub title: &'static str,
    pub places: i32,
    /// ((year offset, month, day), (year offset, month, day)) from today's year.
    pub period: ((i32, u32, u32), (i32, u32, u32)),
    /// Index into [`TRACKS`] the contract's places train for.
    pub track: usize,
}

/// The procurement contracts.
pub(crate) const CONTRACTS: &[ContractDef] = &[
    ContractDef {
        supplier: "Städbolaget Syd AB",
        title: "Lokalvård i kommunens verksamhetslokaler, område Norr",
        places: 4,
        period: ((-1, 3, 1), (2, 2, 28)),
        track: 2,
    },
    ContractDef {
        supplier: "Grönyta Skåne AB",
        title: "Skötsel av parker och grönytor, Lunds tätort",
        places: 3,
        period: ((-2, 4, 1), (1, 3, 31)),
        track: 4,
    },
    ContractDef {
        supplier: "Matglädje i Lund AB",
        title: "Måltidsleveranser till förskolor",
        places: 2,
        period: ((-1, 8, 1), (1, 7, 31)),
        track: 0,
    },
    ContractDef {
        supplier: "Nordisk Fastighetsservice AB",
        title: "Fastighetsskötsel och förrådshantering",
        places: 3,
        period: ((0, 1, 1), (3, 12, 31)),
        track: 3,
    },
];
