//! `gen merge`: join shard outputs into one dataset, dropping duplicate ids, and (with
//! `--memory`) fold the shards' agent memories into one for the next run.

use crate::args::MergeArgs;
use anyhow::Context;
use datasets::{CARD_FILE, MEMORY_DIR, RECORDS_FILE, RunInfo};
use memory::Memory;
use std::process::ExitCode;

/// Exit status when a shard stopped short of its part of `-n` or is missing, as the
/// generators' own "stopped short" (3): the merged data is written all the same.
const EXIT_SHORT: u8 = 3;

pub fn run(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let report = datasets::merge(&args.inputs, &args.out)?;
    for f in &report.files {
        let mut notes = Vec::new();
        if f.duplicates > 0 {
            notes.push(format!("{} duplicate ids dropped", f.duplicates));
        }
        if f.superseded > 0 {
            notes.push(format!("{} failures of items that have a record dropped", f.superseded));
        }
        if f.torn_tails > 0 {
            notes.push(format!("{} inputs ended in a partial line (skipped)", f.torn_tails));
        }
        if f.bad_lines > 0 {
            notes.push(format!("{} lines that are not JSON dropped", f.bad_lines));
        }
        if f.without_id > 0 {
            notes.push(format!("{} lines without id kept", f.without_id));
        }
        let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join("; ")) };
        outln!("{}: {} from {} inputs{notes}", f.name, f.written, f.inputs);
    }

    for input in &report.inputs {
        outln!("{}", describe_input(input));
    }
    for (index, count) in &report.missing_shards {
        outln!("shard {index}/{count}: missing (no input holds it; its task never wrote an output)");
    }

    if let Some(mut run) = report.run.clone() {
        run.command_line = merge_command_line(&args, &run);
        run.write(&args.out)?;
    }
    if report.file(RECORDS_FILE).is_some() {
        let summary = datasets::stats::summarize(&args.out)?;
        let run = RunInfo::read(&args.out)?.unwrap_or_else(|| RunInfo {
            command_line: merge_command_line(&args, &RunInfo::default()),
            ..RunInfo::default()
        });
        std::fs::write(args.out.join(CARD_FILE), datasets::card::render(&summary, &run))
            .with_context(|| format!("writing {}", args.out.join(CARD_FILE).display()))?;
    }

    if args.memory {
        let target_path = args.out.join(MEMORY_DIR);
        let target = Memory::open(&target_path)?;
        let mut found = 0;
        for dir in &report.input_dirs {
            let path = dir.join(MEMORY_DIR);
            if !path.exists() {
                continue;
            }
            found += 1;
            let shard = Memory::open(&path)?;
            let stats = target.merge_from(&shard)?;
            outln!(
                "memory {}: {} entries added, {} already present, {} kept from the target on conflict",
                path.display(),
                stats.copied,
                stats.duplicates,
                stats.conflicts
            );
        }
        target.flush()?;
        if found == 0 {
            eprintln!(
                "warning: --memory: no input directory has a {MEMORY_DIR}; shards run with --memory PATH \
                 keep theirs at PATH"
            );
        }
    }
    if report.complete() {
        return Ok(ExitCode::SUCCESS);
    }
    let short = report.inputs.iter().filter(|i| i.stopped_short()).count() + report.missing_shards.len();
    eprintln!(
        "gen merge: {short} shard(s) stopped short or missing; {} holds what the others wrote \
         (re-run the short shards' commands to resume them, then merge again)",
        args.out.display()
    );
    Ok(ExitCode::from(EXIT_SHORT))
}

/// One line per input: which shard it is, what it held and gave, and whether it is short.
fn describe_input(input: &datasets::InputMerge) -> String {
    let name = match input.shard {
        Some((index, count)) => format!("shard {index}/{count} ({})", input.path.display()),
        None => input.path.display().to_string(),
    };
    let mut line = match input.requested {
        Some(want) => format!("{name}: {} of {want} records", input.records),
        None => format!("{name}: {} records", input.records),
    };
    if input.contributed != input.records {
        line.push_str(&format!(", {} new to the merge", input.contributed));
    }
    if input.torn {
        line.push_str(", a partial last line skipped");
    }
    if input.stopped_short() {
        let why = input.stop_reason.as_deref().filter(|r| !r.is_empty()).unwrap_or("unknown");
        line.push_str(&format!(" (stopped short: {why})"));
    }
    line
}

/// What to put in the merged card's "command" row: the merge, then the shards' commands.
fn merge_command_line(args: &MergeArgs, shards: &RunInfo) -> String {
    let mut line = String::from("gen merge");
    for input in &args.inputs {
        line.push(' ');
        line.push_str(&input.display().to_string());
    }
    line.push_str(&format!(" -o {}", args.out.display()));
    if args.memory {
        line.push_str(" --memory");
    }
    if !shards.command_line.is_empty() {
        line.push_str(" # of: ");
        line.push_str(&shards.command_line.replace('\n', " ; "));
    }
    line
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use datasets::{DatasetWriter, RunInfo};
    use serde_json::json;
    use std::path::Path;

    fn shard(dir: &Path, ids: &[&str], lesson: &str) {
        let mut w = DatasetWriter::open(dir, "data.jsonl").unwrap();
        let recs: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| json!({"id": id, "lang": "rust", "solution": "fn f() {}", "instruction": "x"}))
            .collect();
        w.append_batch(&recs).unwrap();
        RunInfo {
            generator: "code".into(),
            command_line: format!("gen code -o {}", dir.display()),
            kept: ids.len() as u64,
            ..RunInfo::default()
        }
        .write(dir)
        .unwrap();
        let mem = Memory::open(&dir.join(MEMORY_DIR)).unwrap();
        mem.agent_reflections("rust").unwrap().push_json(&lesson.to_string()).unwrap();
        mem.flush().unwrap();
    }

    #[test]
    fn merge_writes_data_run_card_and_folds_memories() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        shard(&a, &["c-1", "c-2"], "test edge cases");
        shard(&b, &["c-2", "c-3"], "avoid unwrap");
        let args = MergeArgs { inputs: vec![a.clone(), b.clone()], out: out.clone(), memory: true };
        assert_eq!(run(args).unwrap(), ExitCode::SUCCESS);

        let data = std::fs::read_to_string(out.join("data.jsonl")).unwrap();
        assert_eq!(data.lines().count(), 3);
        let run_info = RunInfo::read(&out).unwrap().unwrap();
        assert_eq!(run_info.kept, 3);
        assert!(run_info.command_line.starts_with("gen merge "), "{}", run_info.command_line);
        assert!(run_info.command_line.contains("gen code -o"), "{}", run_info.command_line);
        let card = std::fs::read_to_string(out.join(CARD_FILE)).unwrap();
        assert!(card.starts_with("---\n") && card.contains("num_examples: 3"), "{card}");

        let merged = Memory::open(&out.join(MEMORY_DIR)).unwrap();
        let lessons: Vec<String> = merged.agent_reflections("rust").unwrap().last_n_json(10).unwrap();
        assert_eq!(lessons, ["test edge cases", "avoid unwrap"]);
    }

    #[test]
    fn a_short_or_missing_shard_exits_3_with_the_data_written() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, out) = (tmp.path().join("a"), tmp.path().join("b"), tmp.path().join("out"));
        shard(&a, &["c-1", "c-4"], "x");
        shard(&b, &["c-2"], "y");
        for (dir, index, requested) in [(&a, 0, 2), (&b, 1, 2)] {
            let mut run = RunInfo::read(dir).unwrap().unwrap();
            (run.shard_index, run.shard_count, run.requested) = (index, 3, requested);
            run.write(dir).unwrap();
        }
        let merge = |inputs: Vec<std::path::PathBuf>| {
            run(MergeArgs { inputs, out: out.clone(), memory: false }).unwrap()
        };
        // b wrote 1 of its 2, and shard 2/3 is not there at all.
        assert_eq!(merge(vec![a.clone(), b.clone()]), ExitCode::from(EXIT_SHORT));
        assert_eq!(std::fs::read_to_string(out.join("data.jsonl")).unwrap().lines().count(), 3);
        // The same shards as a job of two, each whole: complete.
        for (dir, requested) in [(&a, 2), (&b, 1)] {
            let mut run = RunInfo::read(dir).unwrap().unwrap();
            (run.shard_count, run.requested) = (2, requested);
            run.write(dir).unwrap();
        }
        assert_eq!(merge(vec![a, b]), ExitCode::SUCCESS);
    }

    #[test]
    fn a_running_shard_memory_is_reported_not_corrupted() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        shard(&a, &["c-1"], "x");
        let _held = Memory::open(&a.join(MEMORY_DIR)).unwrap();
        let args = MergeArgs { inputs: vec![a.clone()], out: tmp.path().join("out"), memory: true };
        let err = run(args).unwrap_err().to_string();
        assert!(err.contains("locked"), "{err}");
    }
}
