//! README: "a re-run with the same seed costs nothing and reproduces its output". A
//! `gen fol --narrator llm` run against the mock server, repeated into a new directory
//! with the first run's memory, asks the server nothing and writes the same
//! `data.jsonl`, byte for byte; with `--no-cache` it asks again.

#![allow(clippy::unwrap_used)]

mod common;

use common::{fol, run, server};

#[test]
fn a_cached_rerun_reproduces_the_records_byte_for_byte_and_calls_nothing() {
    let (_serial, s) = server(0);
    let tmp = tempfile::tempdir().unwrap();
    let memory = tmp.path().join("memory.sled");
    let memory_arg = memory.to_str().unwrap();
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    assert!(run(fol(&s, &first, &["-n", "4", "--memory", memory_arg])).status.success());
    let asked = s.server.received();
    assert!(asked > 0);
    assert!(run(fol(&s, &second, &["-n", "4", "--memory", memory_arg])).status.success());
    assert_eq!(s.server.received(), asked, "the re-run asked the server");
    let (a, b) =
        (std::fs::read(first.join("data.jsonl")).unwrap(), std::fs::read(second.join("data.jsonl")).unwrap());
    assert!(!a.is_empty());
    assert!(a == b, "the re-run's records differ");
    // The cache is what did it.
    let third = tmp.path().join("third");
    assert!(run(fol(&s, &third, &["-n", "4", "--memory", memory_arg, "--no-cache"])).status.success());
    assert!(s.server.received() > asked, "--no-cache asked again");
}
