//! Cost control against the in-process mock OpenAI server: the dry-run estimate is close
//! to what a run really spends, a token budget stops a run (exit 3) that a re-run
//! resumes, and an interrupt loses nothing (tests/interrupt.rs).

#![allow(clippy::unwrap_used)]

mod common;

use common::{fol, ids, run, run_json, server};
use std::collections::BTreeSet;

#[test]
fn dry_run_estimate_is_within_25_percent_of_the_real_spend() {
    let (_serial, s) = server(0);
    let tmp = tempfile::tempdir().unwrap();
    let dry = run(fol(&s, &tmp.path().join("dry"), &["-n", "8", "--dry-run"]));
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let stdout = String::from_utf8_lossy(&dry.stdout);
    let est: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(s.server.received(), 0, "a dry run calls no model");

    let out = tmp.path().join("real");
    let real = run(fol(&s, &out, &["-n", "8", "--no-cache"]));
    assert!(real.status.success(), "{}", String::from_utf8_lossy(&real.stderr));
    let tokens = &run_json(&out)["tokens"];
    let spent =
        (tokens["prompt_tokens"].as_u64().unwrap() + tokens["completion_tokens"].as_u64().unwrap()) as f64;
    let estimated = est["prompt_tokens"].as_f64().unwrap() + est["completion_tokens"].as_f64().unwrap();
    assert!(spent > 0.0);
    assert!((estimated - spent).abs() / spent <= 0.25, "estimated {estimated} tokens, spent {spent}");
    assert_eq!(
        est["calls"].as_f64().unwrap() as u64,
        s.server.received(),
        "one narration + one back-translation per premise"
    );
    assert_eq!(est["source"], "rendered");

    // Eight more of the same: the estimate now comes from what the run observed.
    let again = run(fol(&s, &out, &["-n", "16", "--dry-run"]));
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let stdout = String::from_utf8_lossy(&again.stdout);
    let refined: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(refined["source"], "observed", "{stdout}");
    assert_eq!(refined["items"], 8);
    let refined = refined["prompt_tokens"].as_f64().unwrap() + refined["completion_tokens"].as_f64().unwrap();
    assert!(
        (refined - spent).abs() / spent <= 0.10,
        "observed estimate {refined}, the same work spent {spent}"
    );
}

#[test]
fn a_token_budget_stops_the_run_and_a_rerun_resumes() {
    let (_serial, s) = server(0);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    // One problem at depth 2 costs a few thousand tokens: this budget allows a few only.
    let stopped = run(fol(&s, &out, &["-n", "40", "--concurrency", "2", "--max-total-tokens", "12000"]));
    assert_eq!(stopped.status.code(), Some(3), "{}", String::from_utf8_lossy(&stopped.stderr));
    let first = ids(&out);
    assert!(!first.is_empty() && first.len() < 40, "kept {} of 40", first.len());
    let spent = &run_json(&out)["tokens"];
    let spent = spent["prompt_tokens"].as_u64().unwrap() + spent["completion_tokens"].as_u64().unwrap();
    assert!(spent <= 12000 * 2, "the overshoot is bounded by the items in flight: {spent}");
    assert_eq!(run_json(&out)["stop_reason"], "budget");

    let resumed = run(fol(&s, &out, &["-n", "40", "--concurrency", "2"]));
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let all = ids(&out);
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!((all.len(), unique.len()), (40, 40));
    assert!(first.iter().all(|id| unique.contains(id)), "nothing written before the stop was lost");
}
