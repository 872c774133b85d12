//! The job files users copy to run `gen` on a cluster (README, "Running on a cluster"):
//! the Kubernetes Indexed Job's command is one `gen` accepts, and its shard count is the
//! Job's. (The Slurm array file runs for real in `scripts/e2e/slurm.sh`.)

#![allow(clippy::unwrap_used)]

use serde_yaml::Value;
use std::process::Command;

const JOB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/k8s/gen-indexed-job.yaml");

fn get<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, key| v.get(key).unwrap_or_else(|| panic!("{JOB}: no {key} in {path:?}")))
}

/// The value after `flag` in `args`.
fn flag<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args.iter().position(|a| a == flag).unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[at + 1]
}

#[test]
fn the_indexed_job_runs_one_shard_per_completion_index() {
    let job: Value = serde_yaml::from_str(&std::fs::read_to_string(JOB).unwrap()).unwrap();
    assert_eq!(get(&job, &["kind"]).as_str(), Some("Job"));
    let spec = get(&job, &["spec"]);
    assert_eq!(get(spec, &["completionMode"]).as_str(), Some("Indexed"));
    let completions = get(spec, &["completions"]).as_u64().unwrap();
    let parallelism = get(spec, &["parallelism"]).as_u64().unwrap();
    assert!(completions > 1 && (1..=completions).contains(&parallelism), "{completions} / {parallelism}");

    let containers = get(spec, &["template", "spec", "containers"]).as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let command: Vec<String> =
        get(c, &["command"]).as_sequence().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(command, ["gen"]);
    let args: Vec<String> = get(c, &["args"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| panic!("args must be strings: {v:?}")))
        .collect();
    // The shard count is the Job's, the index Kubernetes' own, and each pod writes its
    // own directory.
    assert_eq!(flag(&args, "--shard"), "auto");
    assert_eq!(flag(&args, "--shards").parse::<u64>().unwrap(), completions);
    assert!(flag(&args, "-o").contains("$(JOB_COMPLETION_INDEX)"), "{args:?}");
    // `$(JOB_COMPLETION_INDEX)` expands only if the container declares the variable.
    let env = get(c, &["env"]).as_sequence().unwrap();
    let index_var = env.iter().find(|e| get(e, &["name"]).as_str() == Some("JOB_COMPLETION_INDEX")).unwrap();
    assert_eq!(
        get(index_var, &["valueFrom", "fieldRef", "fieldPath"]).as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']")
    );

    // gen takes the command as Kubernetes would run it in pod 2 (a dry run calls no model).
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shard-2");
    let mut pod_args: Vec<String> = args.iter().map(|a| a.replace("$(JOB_COMPLETION_INDEX)", "2")).collect();
    let o = pod_args.iter().position(|a| a == "-o").unwrap();
    pod_args[o + 1] = out.display().to_string();
    pod_args.push("--dry-run".into());
    let run = Command::new(env!("CARGO_BIN_EXE_gen"))
        .args(&pod_args)
        .env("JOB_COMPLETION_INDEX", "2")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "gen {pod_args:?}: {}{stdout}", String::from_utf8_lossy(&run.stderr));
    let n: u64 = flag(&args, "-n").parse().unwrap();
    let part = n / completions + u64::from(2 < n % completions);
    assert!(
        stdout.contains(&format!("keep {part} more samples")),
        "shard 2 of {completions} keeps {part}: {stdout}"
    );
}
