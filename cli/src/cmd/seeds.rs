//! `gen seeds harvest`: a seed corpus from source trees (the `harvest` crate), optionally
//! checked in the sandbox (`agents::code::runnable`), and a per-language account of what
//! it kept and why it refused the rest.

use crate::args::HarvestArgs;
use crate::config::ConfigError;
use std::process::ExitCode;

pub fn harvest(args: HarvestArgs) -> anyhow::Result<ExitCode> {
    let known = harvest::languages();
    if let Some(bad) = args.langs.iter().find(|l| !known.contains(l)) {
        let message = format!("no grammar for {bad:?}; the harvester knows {}", known.join(", "));
        return Err(ConfigError::Invalid { flag: "--langs", message }.into());
    }
    if let Some(missing) = args.roots.iter().find(|r| !r.exists()) {
        let message = format!("{} does not exist", missing.display());
        return Err(ConfigError::Invalid { flag: "ROOTS", message }.into());
    }
    let out = match &args.out {
        Some(out) => out.clone(),
        None => harvest::sources::corpus_dir(),
    };
    let (roots, missing) = if args.builtin {
        builtin_roots(&args.langs)?
    } else {
        (args.roots.iter().map(harvest::Root::new).collect(), Vec::new())
    };
    for m in &missing {
        tracing::warn!("built-in seed source not installed: {m}");
    }
    let opts = harvest::HarvestOptions { langs: args.langs.clone() };
    let (mut seeds, mut report) = harvest::harvest_roots(&roots, &opts)?;
    report.missing_sources = missing;
    if args.check {
        let sandbox = sandbox::Sandbox::new(sandbox::SandboxOptions::default())?;
        let counts = agents::code::runnable::mark_runnable(&sandbox, &mut seeds)?;
        for (lang, (checked, runnable)) in counts {
            let r = report.langs.entry(lang).or_default();
            (r.checked, r.runnable) = (checked, runnable);
        }
    }
    report.sources = harvest::SourceCount::of(&seeds);
    harvest::write(&out, &seeds, &report)?;

    let head = ["language", "files", "functions", "kept", "exact", "near", "runnable"];
    outln!(
        "{:<11} {:>7} {:>10} {:>7} {:>6} {:>6} {:>9}  licences; most refused for",
        head[0],
        head[1],
        head[2],
        head[3],
        head[4],
        head[5],
        head[6]
    );
    for (lang, r) in report.langs.iter().filter(|(_, r)| r.files > 0) {
        let licences: Vec<String> = r.licences.iter().map(|(l, n)| format!("{l} {n}")).collect();
        let mut refused: Vec<(&String, &u64)> = r.refused.iter().collect();
        refused.sort_by(|a, b| b.1.cmp(a.1));
        let refused: Vec<String> = refused.iter().take(3).map(|(why, n)| format!("{why} {n}")).collect();
        let runnable = if r.checked > 0 { r.runnable.to_string() } else { "-".into() };
        outln!(
            "{lang:<11} {:>7} {:>10} {:>7} {:>6} {:>6} {runnable:>9}  {}; {}",
            r.files,
            r.candidates,
            r.kept,
            r.exact_duplicates,
            r.near_duplicates,
            if licences.is_empty() { "-".into() } else { licences.join(", ") },
            refused.join(", ")
        );
    }
    if !report.sources.is_empty() {
        outln!("\n{:<12} {:<11} {:>7} {:>9}  licences", "source", "language", "seeds", "runnable");
        for c in &report.sources {
            let licences: Vec<String> = c.licences.iter().map(|(l, n)| format!("{l} {n}")).collect();
            let runnable = c.runnable.map_or_else(|| "-".to_string(), |r| r.to_string());
            outln!("{:<12} {:<11} {:>7} {runnable:>9}  {}", c.source, c.lang, c.seeds, licences.join(", "));
        }
    }
    for m in &report.missing_sources {
        outln!("not installed: {m}");
    }
    outln!("{} seeds in {}", report.kept(), out.join(harvest::SEEDS_FILE).display());
    Ok(ExitCode::SUCCESS)
}

/// The roots of every built-in source of `langs` (all when empty) that is installed, and
/// the sources that are not.
fn builtin_roots(langs: &[String]) -> anyhow::Result<(Vec<harvest::Root>, Vec<String>)> {
    let places = harvest::sources::Places::from_env();
    let table = harvest::sources::sources().map_err(|e| harvest::HarvestError::Table(e.to_string()))?;
    let (mut roots, mut missing) = (Vec::new(), Vec::new());
    for source in table {
        let langs: Vec<String> =
            source.langs.iter().filter(|l| langs.is_empty() || langs.contains(l)).cloned().collect();
        if langs.is_empty() {
            continue;
        }
        let found = harvest::sources::roots(&source, &places);
        if found.is_empty() {
            missing.push(format!("{} ({}: {})", source.name, source.installed_by, source.roots.join(", ")));
        }
        for path in found {
            roots.push(harvest::Root {
                path,
                collection: Some(source.name.clone()),
                licence: source.licence.clone(),
                langs: langs.clone(),
            });
        }
    }
    Ok((roots, missing))
}
