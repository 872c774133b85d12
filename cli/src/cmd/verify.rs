//! `gen verify`: re-prove FOLIO/ProverQA files and report agreement with their labels.

use crate::args::VerifyArgs;
use crate::config::ConfigError;
use provers::verify::{ClaimCounts, Finding, VerifyError, VerifyOptions, VerifySummary, verify_file};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if let Some(first) = args.files.first()
        && is_code_dataset(first)
    {
        return replay_code(&args);
    }
    if args.timeout_ms == 0 {
        return Err(
            ConfigError::Invalid { flag: "--timeout-ms", message: "must be at least 1".into() }.into()
        );
    }
    let opts = VerifyOptions { timeout_ms: args.timeout_ms, ..Default::default() };
    let mut total = VerifySummary::default();
    let started = Instant::now();
    for path in &args.files {
        let file_started = Instant::now();
        let report = match verify_file(path, &opts) {
            Ok(r) => r,
            // An unreadable input file is a usage error (exit 2), like a bad flag.
            Err(VerifyError::Read { path, source }) => {
                return Err(ConfigError::Invalid {
                    flag: "FILES",
                    message: format!("cannot read {}: {source}", path.display()),
                }
                .into());
            }
        };
        let shown = path.display();
        for row in &report.rows {
            let id = row.id.as_deref().map(|i| format!(" [{i}]")).unwrap_or_default();
            for c in &row.claims {
                let item = c.item.map(|i| format!(" #{i}")).unwrap_or_default();
                let claim = serde_json::to_value(c.claim).ok().and_then(|v| v.as_str().map(str::to_string));
                outln!(
                    "{shown}:{}{id}: CLAIM FAILS ({}{item}): {}",
                    row.line,
                    claim.unwrap_or_default(),
                    c.detail
                );
            }
            let what = match &row.finding {
                Finding::Agree { .. } => continue,
                Finding::Disagree { expected, proven } => {
                    format!("DISAGREE: labelled {expected}, proven {proven}")
                }
                Finding::ParseError { field, formula, error } => {
                    format!("PARSE ERROR in {field}: {error}\n    {formula}")
                }
                Finding::Inconsistent => "INCONSISTENT premises (no model): no label can be right".into(),
                Finding::ProverError { error } => format!("Z3 ERROR: {error}"),
                Finding::BadRow { reason } => format!("BAD ROW: {reason}"),
            };
            outln!("{shown}:{}{id}: {what}", row.line);
        }
        let s = &report.summary;
        let secs = file_started.elapsed().as_secs_f64();
        outln!(
            "{shown}: {} rows, {} parsed, {} agree, {} disagree, {} inconsistent, {} errors ({:.2} s, {:.0} rows/s)",
            s.total,
            s.parsed,
            s.agree,
            s.disagree,
            s.inconsistent,
            s.errors,
            secs,
            s.total as f64 / secs.max(1e-9)
        );
        print_claims(&s.claims);
        total.add(s);
    }
    if args.files.len() > 1 {
        outln!(
            "total: {} rows, {} parsed, {} agree, {} disagree, {} inconsistent, {} errors ({:.2} s)",
            total.total,
            total.parsed,
            total.agree,
            total.disagree,
            total.inconsistent,
            total.errors,
            started.elapsed().as_secs_f64()
        );
    }
    if args.files.len() > 1 {
        print_claims(&total.claims);
    }
    outln!("z3 {}", provers::z3_version());
    if args.json {
        outln!("{}", serde_json::to_string(&total)?);
    }
    Ok(if total.all_agree() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The claims line, for files whose rows carry `gen fol`'s `meta`.
fn print_claims(c: &ClaimCounts) {
    if c.steps.checked + c.depth.checked + c.distractors.checked == 0 {
        return;
    }
    let part = |name: &str, n: &provers::verify::ClaimCount| {
        format!("{name} {}/{} re-proven", n.checked - n.failed, n.checked)
    };
    outln!(
        "  claims: {}, {}, {}",
        part("steps", &c.steps),
        part("depth", &c.depth),
        part("distractors", &c.distractors)
    );
}

/// A `gen code` dataset: its records carry a replayable sandbox `check`.
fn is_code_dataset(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return false };
    let first = BufReader::new(file).lines().map_while(Result::ok).find(|l| !l.trim().is_empty());
    first
        .and_then(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .is_some_and(|v| v.get("check").is_some_and(|c| c.is_object()) && v.get("lang").is_some())
}

/// Replays every record's check in the sandbox and reports how many still pass.
fn replay_code(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let sandbox = sandbox::Sandbox::new(sandbox::SandboxOptions::default())?;
    let (mut total, mut passed, mut errors) = (0u64, 0u64, 0u64);
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Invalid {
            flag: "FILES",
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let mut ids = Vec::new();
        let mut checks = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            total += 1;
            let parsed = serde_json::from_str::<serde_json::Value>(line).ok().and_then(|v| {
                let id = v.get("id")?.as_str()?.to_string();
                let check = serde_json::from_value::<sandbox::Check>(v.get("check")?.clone()).ok()?;
                Some((id, check))
            });
            match parsed {
                Some((id, check)) => {
                    ids.push(id);
                    checks.push(check);
                }
                None => {
                    errors += 1;
                    outln!("{}:{}: BAD ROW: no id or no replayable check", path.display(), n + 1);
                }
            }
        }
        for (id, result) in ids.iter().zip(sandbox.run_many(&checks)) {
            match result {
                Ok(rec) if rec.passed() => passed += 1,
                Ok(rec) => outln!("{} [{id}]: FAILS ON REPLAY: {}", path.display(), rec.outcome),
                Err(e) => {
                    errors += 1;
                    outln!("{} [{id}]: SANDBOX ERROR: {e}", path.display());
                }
            }
        }
    }
    let failed = total - passed - errors;
    outln!("{total} records, {passed} pass on replay, {failed} fail, {errors} errors");
    if args.json {
        outln!(
            "{}",
            serde_json::json!({"total": total, "passed": passed, "failed": failed, "errors": errors})
        );
    }
    Ok(if passed == total { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
