//! `gen seeds harvest`: a seed corpus from source trees (the `harvest` crate), and a
//! per-language account of what it kept and why it refused the rest.

use crate::args::HarvestArgs;
use crate::config::ConfigError;
use std::process::ExitCode;

pub fn harvest(args: HarvestArgs) -> anyhow::Result<ExitCode> {
    let known = harvest::languages();
    if let Some(bad) = args.langs.iter().find(|l| !known.contains(l)) {
        let message = format!("no grammar for {bad:?}; the harvester knows {}", known.join(", "));
        return Err(ConfigError::Invalid { flag: "--langs", message }.into());
    }
    let opts = harvest::HarvestOptions { langs: args.langs.clone() };
    let (seeds, report) = harvest::harvest(&args.roots, &opts)?;
    harvest::write(&args.out, &seeds, &report)?;
    outln!(
        "{:<11} {:>7} {:>10} {:>7} {:>6} {:>6}  licences; most refused for",
        "language",
        "files",
        "functions",
        "kept",
        "exact",
        "near"
    );
    for (lang, r) in &report.langs {
        if r.files == 0 {
            continue;
        }
        let licences: Vec<String> = r.licences.iter().map(|(l, n)| format!("{l} {n}")).collect();
        let mut refused: Vec<(&String, &u64)> = r.refused.iter().collect();
        refused.sort_by(|a, b| b.1.cmp(a.1));
        let refused: Vec<String> = refused.iter().take(3).map(|(why, n)| format!("{why} {n}")).collect();
        outln!(
            "{lang:<11} {:>7} {:>10} {:>7} {:>6} {:>6}  {}; {}",
            r.files,
            r.candidates,
            r.kept,
            r.exact_duplicates,
            r.near_duplicates,
            if licences.is_empty() { "-".into() } else { licences.join(", ") },
            refused.join(", ")
        );
    }
    outln!("{} seeds in {}", report.kept(), args.out.join(harvest::SEEDS_FILE).display());
    Ok(ExitCode::SUCCESS)
}
