//! The runnable check of harvested seeds over the real sandbox, in every language: the
//! harvester's fixture seeds load, the same seeds made unparsable do not, and a batch
//! holding both sorts them apart seed by seed.

use crate::code::runnable::mark_runnable;

#[test]
fn fixture_seeds_load_and_broken_ones_do_not_in_every_language() {
    let Some(sandbox) = super::sandbox_or_skip() else { return };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../harvest/tests/fixtures");
    let (good, _) = harvest::harvest(&[fixtures], &harvest::HarvestOptions::default()).unwrap();
    let broken: Vec<harvest::SeedRecord> = good
        .iter()
        .map(|s| {
            let mut b = s.clone();
            b.entry_point = format!("{}_broken", s.entry_point);
            b.function = format!("{}\n)(][\n", s.function);
            b
        })
        .collect();
    // Broken and good interleaved, so batches mix them.
    let mut seeds: Vec<harvest::SeedRecord> =
        good.iter().cloned().zip(broken).flat_map(|(g, b)| [g, b]).collect();
    let counts = mark_runnable(&sandbox, &mut seeds).unwrap();
    for s in &seeds {
        let want = !s.entry_point.ends_with("_broken");
        if counts.contains_key(&s.lang) {
            assert_eq!(s.runnable, Some(want), "{} {}:\n{}", s.lang, s.entry_point, s.function);
        }
    }
    let langs: Vec<&String> = counts.keys().collect();
    if super::derived::require_all() {
        assert_eq!(langs.len(), 9, "GEN_REQUIRE_ALL: every toolchain checks its seeds; checked {langs:?}");
    }
    assert!(!langs.is_empty());
}
