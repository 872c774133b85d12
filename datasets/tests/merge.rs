#![allow(clippy::unwrap_used)]

use datasets::{DatasetWriter, FailureRecord, RunInfo, TokenTotals, merge};
use serde_json::json;
use std::path::Path;

fn write_shard(dir: &Path, ids: &[&str], failures: &[&str], run: Option<RunInfo>) {
    let mut w = DatasetWriter::open(dir, "data.jsonl").unwrap();
    let recs: Vec<serde_json::Value> =
        ids.iter().map(|id| json!({"id": id, "from": dir.display().to_string()})).collect();
    w.append_batch(&recs).unwrap();
    let mut f = DatasetWriter::failures(dir).unwrap();
    for id in failures {
        f.append(&FailureRecord::new(*id, "tests", "failed")).unwrap();
    }
    if let Some(run) = run {
        run.write(dir).unwrap();
    }
}

fn lines(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn shards_join_without_duplicates() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
    let run = |kept, calls, cost| RunInfo {
        generator: "fol".into(),
        seed: 1,
        kept,
        attempted: kept + 1,
        tokens: TokenTotals { calls, ..TokenTotals::default() },
        cost_usd: Some(cost),
        ..RunInfo::default()
    };
    write_shard(&a, &["x-1", "x-2", "x-3"], &["x-9"], Some(run(3, 10, 0.5)));
    write_shard(&b, &["x-3", "x-4"], &["x-2", "x-8"], Some(run(2, 5, 0.25)));
    // b's data.jsonl ends torn, as a killed shard leaves it.
    let mut f = std::fs::OpenOptions::new().append(true).open(b.join("data.jsonl")).unwrap();
    std::io::Write::write_all(&mut f, b"{\"id\":\"x-5\",\"fr").unwrap();

    let report = merge(&[a.clone(), b.clone()], &out).unwrap();
    let data = report.file("data.jsonl").unwrap();
    assert_eq!((data.read, data.written, data.duplicates, data.torn_tails), (5, 4, 1, 1));
    let recs = lines(&out.join("data.jsonl"));
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["x-1", "x-2", "x-3", "x-4"]);
    assert!(recs[2]["from"].as_str().unwrap().ends_with("a"), "the first copy wins");

    let failures = report.file("failures.jsonl").unwrap();
    assert_eq!((failures.written, failures.superseded), (2, 1), "x-2 has a record");
    let run = report.run.unwrap();
    assert_eq!((run.kept, run.attempted, run.tokens.calls), (4, 7, 15));
    assert_eq!(run.cost_usd, Some(0.75));

    // Merging the output with a shard again adds nothing new.
    let again = tmp.path().join("again");
    let report = merge(&[out.clone(), a.clone()], &again).unwrap();
    assert_eq!(report.file("data.jsonl").unwrap().written, 4);
}

#[test]
fn loose_files_join_into_data_jsonl() {
    let tmp = tempfile::tempdir().unwrap();
    let (f1, f2) = (tmp.path().join("s0.jsonl"), tmp.path().join("s1.jsonl"));
    std::fs::write(&f1, "{\"id\":\"a\"}\n{\"id\":\"b\"}\n").unwrap();
    std::fs::write(&f2, "{\"id\":\"b\"}\n{\"note\":\"no id\"}\nnot json\n{\"id\":\"c\"}\n").unwrap();
    let out = tmp.path().join("out");
    let report = merge(&[f1, f2], &out).unwrap();
    let data = report.file("data.jsonl").unwrap();
    assert_eq!((data.written, data.duplicates, data.without_id, data.bad_lines), (4, 1, 1, 1));
    assert_eq!(lines(&out.join("data.jsonl")).len(), 4);
}

#[test]
fn merge_refuses_to_overwrite_an_input() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    write_shard(&a, &["x-1"], &[], None);
    let before = std::fs::read(a.join("data.jsonl")).unwrap();
    assert!(merge(std::slice::from_ref(&a), &a).is_err());
    assert!(merge(&[a.join("data.jsonl")], &a).is_err());
    assert_eq!(std::fs::read(a.join("data.jsonl")).unwrap(), before);
    assert!(merge(&[tmp.path().join("missing")], &tmp.path().join("o")).is_err());
}

#[test]
fn combined_rates_are_weighted_by_attempts() {
    let mk = |attempted, rate, model: &str| RunInfo {
        attempted,
        model: Some(model.into()),
        rates: [("yield".to_string(), rate)].into_iter().collect(),
        ..RunInfo::default()
    };
    let all = RunInfo::combine(&[mk(30, 0.5, "m1"), mk(10, 0.9, "m1"), mk(0, 0.0, "m2")]);
    // (30*0.5 + 10*0.9 + 1*0.0) / 41
    assert!((all.rates["yield"] - 24.0 / 41.0).abs() < 1e-12);
    assert_eq!(all.model.as_deref(), Some("mixed: m1, m2"));
    assert_eq!(all.attempted, 40);
}

#[test]
fn each_shard_is_credited_and_short_or_missing_shards_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<_> = (0..4).map(|k| tmp.path().join(format!("s{k}"))).collect();
    let run = |k, requested, stop: &str| RunInfo {
        generator: "fol".into(),
        shard_index: k,
        shard_count: 4,
        requested,
        stop_reason: stop.into(),
        ..RunInfo::default()
    };
    write_shard(&dirs[0], &["x-0", "x-4"], &[], Some(run(0, 2, "done")));
    write_shard(&dirs[1], &["x-1"], &[], Some(run(1, 2, "max_attempts")));
    // Shard 2 also holds a record of shard 0 (a re-run into the wrong directory): it is
    // credited only with what was new.
    write_shard(&dirs[2], &["x-2", "x-6", "x-4"], &[], Some(run(2, 2, "done")));
    let out = tmp.path().join("out");

    let report = merge(&dirs[..3], &out).unwrap();
    let got: Vec<_> =
        report.inputs.iter().map(|i| (i.shard, i.records, i.contributed, i.stopped_short())).collect();
    assert_eq!(got, [(Some((0, 4)), 2, 2, false), (Some((1, 4)), 1, 1, true), (Some((2, 4)), 3, 2, false)]);
    assert_eq!(report.inputs[1].stop_reason.as_deref(), Some("max_attempts"));
    assert_eq!(report.missing_shards, [(3, 4)], "no input is shard 3 of 4");
    assert!(!report.complete());

    // With every shard there and whole, the merge is complete.
    write_shard(&dirs[1], &["x-5"], &[], Some(run(1, 2, "done")));
    write_shard(&dirs[3], &["x-3", "x-7"], &[], Some(run(3, 2, "done")));
    let report = merge(&dirs, &out).unwrap();
    assert!(report.complete(), "{:?} {:?}", report.inputs, report.missing_shards);
    assert_eq!(report.inputs.iter().map(|i| i.contributed).sum::<u64>(), 8);

    // Loose files carry no run summary: never short, never a shard.
    let loose = merge(&[dirs[0].join("data.jsonl")], &tmp.path().join("loose")).unwrap();
    assert!(loose.complete() && loose.inputs[0].shard.is_none());
}
