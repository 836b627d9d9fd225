//! Protected identity (skyddade personuppgifter): who sees a protected
//! person's identity fields.

use uuid::Uuid;

/// May a caller in `caller_unit` see the identity of a person registered
/// with `protected` and owned by `owning_unit`? Only a named unit owns a
/// protected identity: a caller without a unit never matches, not even a
/// person registered without one (whom then nobody sees).
pub fn shown(protected: bool, owning_unit: Option<Uuid>, caller_unit: Option<Uuid>) -> bool {
    !protected || owning_unit.is_some_and(|u| caller_unit == Some(u))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_owning_unit_sees_a_protected_identity() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(shown(false, None, None));
        assert!(shown(true, Some(a), Some(a)));
        assert!(!shown(true, Some(a), Some(b)));
        assert!(!shown(true, Some(a), None));
        assert!(!shown(true, None, None), "owned by nobody: seen by nobody");
    }
}
