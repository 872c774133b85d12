//! `gen exec`: run one program (or a solution and its tests) in the sandbox, so a user
//! can see whether a toolchain works there; `--list` shows what is installed.

use crate::args::ExecArgs;
use anyhow::Context;
use sandbox::{ExecRecord, Registry, Sandbox, SandboxOptions};
use std::process::ExitCode;

pub fn run(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let registry = Registry::builtin();
    if args.list {
        return list(&registry, args.json);
    }
    let (Some(lang_name), Some(file)) = (args.lang.as_deref(), args.file.as_deref()) else {
        anyhow::bail!("gen exec needs --lang and FILE (or --list)");
    };
    let lang = registry
        .get(lang_name)
        .with_context(|| format!("unknown language `{lang_name}`; known: {}", registry.names().join(", ")))?;
    let source = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let tests = match &args.tests {
        Some(t) => Some(std::fs::read_to_string(t).with_context(|| format!("reading {}", t.display()))?),
        None => None,
    };
    let sandbox = Sandbox::new(SandboxOptions::default())?;
    let record = match &tests {
        Some(tests) => sandbox.check(lang, &source, tests)?,
        None => sandbox.run_program(lang, &source)?,
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&record)?);
    } else {
        print_record(&record);
    }
    Ok(if record.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn list(registry: &Registry, json: bool) -> anyhow::Result<ExitCode> {
    let rows: Vec<_> = registry.languages().iter().map(|l| (l, l.detect_toolchain())).collect();
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(l, version)| {
                serde_json::json!({
                    "name": l.name,
                    "aliases": l.aliases,
                    "installed": version.is_some(),
                    "optional": l.optional,
                    "version": version,
                    "detect": l.detect,
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        outln!("{:<12} {:<18} {:<10} toolchain", "language", "aliases", "installed");
        for (l, version) in &rows {
            let (mark, detail) = match version {
                Some(v) => ("yes", v.clone()),
                None => match &l.optional {
                    Some(why) => {
                        ("optional", format!("not installed: `scripts/setup --languages all` ({why})"))
                    }
                    None => ("NO", format!("`{}` failed (run scripts/setup)", l.detect.join(" "))),
                },
            };
            outln!("{:<12} {:<18} {:<10} {}", l.name, l.aliases.join(","), mark, detail);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_record(r: &ExecRecord) {
    let last = r.check.commands.get(r.step).map(|c| c.join(" ")).unwrap_or_default();
    outln!("outcome:  {}", r.outcome);
    outln!("time:     {} ms", r.duration_ms);
    outln!("step:     {} of {}: {last}", r.step + 1, r.check.commands.len());
    for (name, tail, total) in
        [("stdout", &r.stdout_tail, r.stdout_bytes), ("stderr", &r.stderr_tail, r.stderr_bytes)]
    {
        if total == 0 {
            continue;
        }
        let shown = if (tail.len() as u64) < total {
            format!(" (last {} of {total} bytes)", tail.len())
        } else {
            String::new()
        };
        outln!("--- {name}{shown}");
        out!("{tail}");
        if !tail.ends_with('\n') {
            outln!();
        }
    }
}
