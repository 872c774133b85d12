//! An interrupt (SIGINT, or SIGTERM) stops `gen fol` after the items in flight with exit
//! 130, and a re-run finishes with every record exactly once; a second interrupt exits at
//! once. (Its own test binary: the run is timed
//! against the interrupt and must not share the process with other tests' runs.)

#![allow(clippy::unwrap_used)]

mod common;

use common::{fol, ids, run, server};
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn an_interrupt_stops_cleanly_and_loses_nothing() {
    let (_serial, s) = server(40);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    let child = started_run(&s, &out, 4);
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopping after the items in flight"), "{stderr}");
    let first = ids(&out);
    assert!(first.len() < 24);
    let resumed = run(fol(&s, &out, &["-n", "24", "--concurrency", "2"]));
    assert!(resumed.status.success());
    let all = ids(&out);
    assert_eq!(all.len(), 24);
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 24);
    assert!(first.iter().all(|id| all.contains(id)), "nothing written before the interrupt was lost");
}

/// Starts `gen fol` against `s` and waits until `records` are written.
fn started_run(s: &common::Server, out: &std::path::Path, records: usize) -> std::process::Child {
    let child = fol(s, out, &["-n", "24", "--concurrency", "2"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while ids(out).len() < records && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[test]
fn sigterm_stops_like_an_interrupt_with_exit_130_and_nothing_lost() {
    let (_serial, s) = server(40);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    let child = started_run(&s, &out, 4);
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    let first = ids(&out);
    assert!(first.len() >= 4 && first.len() < 24, "{}", first.len());
    assert!(run(fol(&s, &out, &["-n", "24", "--concurrency", "2"])).status.success());
    let all = ids(&out);
    assert_eq!((all.len(), all.iter().collect::<BTreeSet<_>>().len()), (24, 24));
    assert!(first.iter().all(|id| all.contains(id)), "nothing written before SIGTERM was lost");
}

#[test]
fn a_second_interrupt_exits_at_once() {
    // Each answer takes 6 s: after the first interrupt the run would wait for the calls in
    // flight; the second must not.
    let (_serial, s) = server(6_000);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("fol");
    let child = started_run(&s, &out, 0);
    let started = std::time::Instant::now();
    while s.server.received() == 0 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    std::thread::sleep(Duration::from_millis(300));
    let second = std::time::Instant::now();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let output = child.wait_with_output().unwrap();
    let took = second.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("second interrupt"), "{stderr}");
    assert!(took < Duration::from_millis(3_000), "exited {took:?} after the second interrupt");
}
