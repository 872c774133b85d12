//! Which harvested seeds load on their own in the sandbox (compile, or import), by the
//! language's `load` template of `sandbox/languages.toml`. Only those may become an
//! answer verbatim; the others still inspire new exercises.
//!
//! Seeds are tried in batches, one solution holding many of them; a batch that fails is
//! halved until each failing seed stands alone. A corpus whose seeds mostly load costs a
//! few runs per language instead of one per seed.

use harvest::SeedRecord;
use sandbox::{Sandbox, SandboxError};
use std::collections::{BTreeMap, HashSet};

/// Seeds per first try; halved on failure.
const BATCH: usize = 32;

/// Per language: seeds checked and seeds that load. A language with no `load` template
/// or no toolchain installed is absent, its seeds left unchecked (`runnable: None`).
pub type RunnableCounts = BTreeMap<String, (u64, u64)>;

/// Sets `runnable` on every seed of a language the sandbox can check.
pub fn mark_runnable(sandbox: &Sandbox, seeds: &mut [SeedRecord]) -> Result<RunnableCounts, SandboxError> {
    let mut by_lang: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in seeds.iter().enumerate() {
        by_lang.entry(s.lang.clone()).or_default().push(i);
    }
    let mut counts = RunnableCounts::new();
    for (lang_name, idxs) in by_lang {
        let Some(lang) = sandbox.registry().get(&lang_name).cloned() else { continue };
        let Some(load) = lang.load.clone() else { continue };
        if sandbox.toolchain(&lang).is_none() {
            continue;
        }
        let mut queue = first_batches(seeds, &idxs);
        while !queue.is_empty() {
            let checks: Vec<_> = queue
                .iter()
                .map(|batch| {
                    let (solution, tests) = solution_of(&load, seeds, batch);
                    lang.check_for(&solution, &tests)
                })
                .collect();
            let mut next = Vec::new();
            for (batch, result) in queue.into_iter().zip(sandbox.run_many(&checks)) {
                let passed = result?.passed();
                if passed || batch.len() == 1 {
                    for &i in &batch {
                        seeds[i].runnable = Some(passed);
                    }
                } else {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    next.push(a.to_vec());
                    next.push(b.to_vec());
                }
            }
            queue = next;
        }
        let runnable = idxs.iter().filter(|&&i| seeds[i].runnable == Some(true)).count() as u64;
        counts.insert(lang_name, (idxs.len() as u64, runnable));
    }
    Ok(counts)
}

/// Batches of at most [`BATCH`] seeds with distinct entry points (two functions of one
/// name in one file would fail for that reason alone).
fn first_batches(seeds: &[SeedRecord], idxs: &[usize]) -> Vec<Vec<usize>> {
    let mut batches: Vec<(HashSet<&str>, Vec<usize>)> = Vec::new();
    for &i in idxs {
        let name = seeds[i].entry_point.as_str();
        match batches.iter_mut().find(|(names, b)| b.len() < BATCH && !names.contains(name)) {
            Some((names, b)) => {
                names.insert(name);
                b.push(i);
            }
            None => batches.push((HashSet::from([name]), vec![i])),
        }
    }
    batches.into_iter().map(|(_, b)| b).collect()
}

fn solution_of(load: &sandbox::Load, seeds: &[SeedRecord], batch: &[usize]) -> (String, String) {
    let mut imports: Vec<&str> = Vec::new();
    for &i in batch {
        for imp in &seeds[i].imports {
            if !imports.contains(&imp.as_str()) {
                imports.push(imp);
            }
        }
    }
    let functions: Vec<&str> = batch.iter().map(|&i| seeds[i].function.as_str()).collect();
    load.render(&imports.join("\n"), &functions.join("\n"))
}
