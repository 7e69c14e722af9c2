//! A phase's fingerprint: a short hash of everything its behaviour depends on, recorded in the
//! checkpoint so that a resumed run can tell a phase the plan has since changed from one it has not.

use super::super::spec::{PhaseSpec, PlanSpec};

/// Hash of what a phase's behaviour depends on.
pub(super) fn fingerprint(spec: &PlanSpec, phase: &PhaseSpec) -> String {
    let mut normalised = serde_json::json!({
        "files": spec.files,
        "python": spec.python,
        "phase": phase,
    });
    // Added only when present, so that plans without it keep the fingerprints they had.
    if let Some(requirements) = &spec.requirements {
        normalised["requirements"] = serde_json::json!(requirements);
    }
    let bytes = serde_json::to_vec(&normalised).unwrap_or_default();
    blake3::hash(&bytes).to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_without_requirements_are_unchanged() {
        let text = "id: x\nphases:\n  - { name: t, kind: pytest, suites: [{ name: u }] }\n";
        let spec = crate::plan::load::parse_spec(text).unwrap();
        let before = fingerprint(&spec, &spec.phases[0]);
        // The same normalisation the fingerprint had before `requirements` existed.
        let old = serde_json::json!({ "files": spec.files, "python": spec.python, "phase": spec.phases[0] });
        assert_eq!(
            before,
            blake3::hash(&serde_json::to_vec(&old).unwrap()).to_hex()[..16].to_string()
        );
        let mut with = spec.clone();
        with.requirements = Some(vec!["pytest".into()]);
        assert_ne!(before, fingerprint(&with, &with.phases[0]));
    }
}
