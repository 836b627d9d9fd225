//! Small built-in word lists for synthetic people and places.
//!
//! The lists are short on purpose: the names only have to look plausible in a
//! Swedish demo (a mix of common Swedish names and names common among people
//! who came to Sweden later in life). No list is taken from a register of
//! real people, and combinations are drawn at random, so nobody real is meant.

use super::rng::{pick, weighted, SeedRng};
use rand::Rng;

/// Common Swedish given names (female).
const SWEDISH_FEMALE: &[&str] = &[
    "Anna", "Eva", "Maria", "Karin", "Sara", "Emma", "Linnea", "Elin", "Ida", "Johanna", "Malin",
    "Sofia", "Hanna", "Frida", "Camilla", "Lena", "Kristina", "Ingrid", "Maja", "Wilma", "Ebba",
    "Alva", "Matilda", "Jenny", "Therese", "Annika", "Birgitta", "Helena", "Louise", "Klara",
];

/// Common Swedish given names (male).
const SWEDISH_MALE: &[&str] = &[
    "Erik",
    "Lars",
    "Karl",
    "Johan",
    "Anders",
    "Per",
    "Mikael",
    "Nils",
    "Oskar",
    "Lucas",
    "Emil",
    "Viktor",
    "Fredrik",
    "Daniel",
    "Andreas",
    "Jonas",
    "Magnus",
    "Gustav",
    "Axel",
    "Hugo",
    "Filip",
    "Henrik",
    "Mattias",
    "Stefan",
    "Thomas",
    "Patrik",
    "Sebastian",
    "Isak",
    "Olle",
    "Linus",
];

/// Given names common among people born abroad (female).
const OTHER_FEMALE: &[&str] = &[
    "Fatima",
    "Amina",
    "Leyla",
    "Hodan",
    "Noor",
    "Zeynep",
    "Rania",
    "Mariam",
    "Aisha",
    "Samira",
    "Yasmin",
    "Hiba",
    "Dalia",
    "Shirin",
    "Zahra",
    "Nadia",
    "Selam",
    "Mebrat",
    "Agnieszka",
    "Olena",
    "Ana",
    "Lejla",
    "Dunja",
    "Sahra",
    "Halima",
];

/// Given names common among people born abroad (male).
const OTHER_MALE: &[&str] = &[
    "Mohammed",
    "Ali",
    "Ahmed",
    "Omar",
    "Hassan",
    "Yusuf",
    "Dawit",
    "Tesfaye",
    "Abdullahi",
    "Mustafa",
    "Karim",
    "Reza",
    "Mehmet",
    "Emre",
    "Ibrahim",
    "Khalid",
    "Said",
    "Tomasz",
    "Andriy",
    "Milan",
    "Amir",
    "Bilal",
    "Samir",
    "Yonas",
    "Faisal",
];

/// Swedish family names.
const SWEDISH_FAMILY: &[&str] = &[
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jönsson",
    "Lindberg",
    "Lindqvist",
    "Berg",
    "Holm",
    "Sjöberg",
    "Åkesson",
    "Bengtsson",
    "Håkansson",
    "Mårtensson",
    "Ohlsson",
    "Lindgren",
    "Engström",
    "Nyström",
    "Wallin",
    "Ek",
    "Mattsson",
    "Sandberg",
    "Borg",
];

/// Family names common among people born abroad.
const OTHER_FAMILY: &[&str] = &[
    "Ali",
    "Mohamed",
    "Hassan",
    "Ahmadi",
    "Hosseini",
    "Yilmaz",
    "Kaya",
    "Haile",
    "Tesfay",
    "Nguyen",
    "Kowalski",
    "Nowak",
    "Petrović",
    "Hodžić",
    "Abdi",
    "Osman",
    "Jama",
    "Rahimi",
    "Demir",
    "Shevchenko",
    "Al-Khatib",
    "Haddad",
    "Mensah",
    "Begić",
    "Farah",
];

/// Districts (kommundelar and tätorter) of Lund with rough relative sizes.
const DISTRICTS: &[(&str, u32)] = &[
    ("Centrum", 14),
    ("Norr", 10),
    ("Norra Fäladen", 9),
    ("Öster", 8),
    ("Linero", 6),
    ("Väster", 8),
    ("Klostergården", 6),
    ("Söder", 10),
    ("Östra Torn", 5),
    ("Dalby", 6),
    ("Södra Sandby", 6),
    ("Veberöd", 4),
    ("Genarp", 3),
    ("Stångby", 3),
    ("Torna Hällestad", 2),
];

/// A (given, family) name. `born_abroad_bias` is the chance (0..=1) that the
/// name comes from the lists of names common among people born abroad.
pub(crate) fn person_name(
    rng: &mut SeedRng,
    female: bool,
    born_abroad_bias: f64,
) -> (&'static str, &'static str) {
    let abroad = rng.random_bool(born_abroad_bias);
    let given = match (abroad, female) {
        (true, true) => *pick(rng, OTHER_FEMALE),
        (true, false) => *pick(rng, OTHER_MALE),
        (false, true) => *pick(rng, SWEDISH_FEMALE),
        (false, false) => *pick(rng, SWEDISH_MALE),
    };
    // Mixed families exist: the family name follows the given name's origin
    // most of the time, not always.
    let family_abroad = if rng.random_bool(0.85) {
        abroad
    } else {
        !abroad
    };
    let family = if family_abroad {
        *pick(rng, OTHER_FAMILY)
    } else {
        *pick(rng, SWEDISH_FAMILY)
    };
    (given, family)
}

/// A display name for a member of staff or a supervisor.
pub(crate) fn staff_name(rng: &mut SeedRng) -> String {
    let female = rng.random_bool(0.6);
    let (given, family) = person_name(rng, female, 0.2);
    format!("{given} {family}")
}

/// A district of Lund, weighted by size.
pub(crate) fn district(rng: &mut SeedRng) -> &'static str {
    weighted(rng, DISTRICTS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{stream, Stream};

    #[test]
    fn names_are_drawn_from_the_lists() {
        let mut r = stream(3, Stream::People);
        for _ in 0..200 {
            let (g, f) = person_name(&mut r, true, 0.5);
            assert!(SWEDISH_FEMALE.contains(&g) || OTHER_FEMALE.contains(&g));
            assert!(SWEDISH_FAMILY.contains(&f) || OTHER_FAMILY.contains(&f));
            let place = district(&mut r);
            assert!(DISTRICTS.iter().any(|(d, _)| *d == place));
        }
        assert!(staff_name(&mut r).contains(' '));
    }
}
