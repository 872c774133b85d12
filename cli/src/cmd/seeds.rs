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
    let opts = harvest::HarvestOptions { langs: args.langs.clone() };
    let (mut seeds, mut report) = harvest::harvest(&args.roots, &opts)?;
    if args.check {
        let sandbox = sandbox::Sandbox::new(sandbox::SandboxOptions::default())?;
        let counts = agents::code::runnable::mark_runnable(&sandbox, &mut seeds)?;
        for (lang, (checked, runnable)) in counts {
            let r = report.langs.entry(lang).or_default();
            (r.checked, r.runnable) = (checked, runnable);
        }
    }
    harvest::write(&args.out, &seeds, &report)?;

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
    outln!("{} seeds in {}", report.kept(), args.out.join(harvest::SEEDS_FILE).display());
    Ok(ExitCode::SUCCESS)
}
