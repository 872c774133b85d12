# Shared by scripts/e2e/*.sh (sourced, not run): locating the `gen` binary.
# GEN=/path/to/gen overrides; otherwise the debug build in CARGO_TARGET_DIR (or target/),
# built if missing or stale.
e2e_say() { printf '\033[1m[e2e %s]\033[0m %s\n' "${E2E_NAME:-}" "$*" >&2; }

# The binaries and examples of the whole workspace, with the feature set `cargo test
# --workspace` resolves, so after the tests this is seconds. (A `-p llm` or `-p gen-cli`
# build resolves other features and rebuilt dependencies, llama.cpp among them: minutes.)
e2e_build() {
  cargo build -q --workspace --bins --examples --locked >&2 || {
    e2e_say "cannot build gen and the mock server (cargo build --workspace --bins --examples failed)"
    return 1
  }
}

e2e_gen() {
  if [ -n "${GEN:-}" ]; then
    printf '%s\n' "$GEN"
    return
  fi
  e2e_build || return 1
  printf '%s\n' "${CARGO_TARGET_DIR:-target}/debug/gen"
}

# True if `gen SUBCOMMAND` still reports itself unimplemented.
e2e_unimplemented() {
  local out
  out=$("$@" 2>&1) && return 1
  grep -q "not implemented yet" <<<"$out"
}

# e2e_mock_server LOG ARGS...: starts the mock OpenAI server (llm's example; built if
# missing) on a free loopback port with ARGS (e.g. `--canned code`), waits until it listens
# and prints its base URL. Its pid is left in "$LOG.pid" for the caller to kill.
e2e_mock_server() {
  local log=$1
  shift
  local exe="${CARGO_TARGET_DIR:-target}/debug/examples/mock_server"
  e2e_build || return 1
  "$exe" --port 0 "$@" >"$log" 2>&1 &
  echo $! >"$log.pid"
  local _
  for _ in $(seq 100); do
    if grep -q "^listening on " "$log"; then
      sed -n 's/^listening on //p' "$log" | head -n 1
      return
    fi
    sleep 0.1
  done
  e2e_say "the mock server did not start: $(tail -n 3 "$log")"
  return 1
}

# A drill script's tally: ok/bad/skip count and say; e2e_tally prints the counts and
# fails when any check failed.
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); e2e_say "ok: $*"; }
bad() { failed=$((failed + 1)); e2e_say "FAILED: $*"; }
# Under GEN_REQUIRE_ALL=1 (scripts/test) a drill that cannot run is a failure.
skip() {
  if [ "${GEN_REQUIRE_ALL:-}" = 1 ]; then
    bad "GEN_REQUIRE_ALL: cannot run: $*"
  else
    skipped=$((skipped + 1))
    e2e_say "skipped: $*"
  fi
}

# check_run DIR N: data.jsonl has exactly N records, unique ids, every line whole JSON.
check_run() {
  python3 - "$1/data.jsonl" "$2" <<'EOF'
import json, sys
path, want = sys.argv[1], int(sys.argv[2])
raw = open(path, "rb").read()
if raw and not raw.endswith(b"\n"):
    sys.exit(f"{path}: torn last line")
ids = []
for n, line in enumerate(raw.decode("utf-8").splitlines(), 1):
    try:
        ids.append(json.loads(line)["id"])
    except (ValueError, KeyError) as e:
        sys.exit(f"{path}:{n}: not a whole record: {e}")
dups = {i for i in ids if ids.count(i) > 1}
if dups:
    sys.exit(f"{path}: duplicated ids {sorted(dups)[:5]}")
if len(ids) != want:
    sys.exit(f"{path}: {len(ids)} records, wanted {want}")
EOF
}

e2e_tally() {
  e2e_say "$passed passed, $failed failed, $skipped skipped"
  [ "$failed" = 0 ]
}
