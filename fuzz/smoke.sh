#!/usr/bin/env bash
# Fuzz smoke run (the `.ci/run` step): installs the pinned cargo-fuzz if missing, builds every
# target once, then runs each for a few seconds over its seed corpus (fuzz/seeds/TARGET) plus
# the local, gitignored corpus (fuzz/corpus/TARGET). A crash fails the run; libFuzzer leaves
# the input under fuzz/artifacts/TARGET/.
#
# Environment: FUZZ_SECONDS (per target, default 5), FUZZ_TARGETS (space-separated subset),
# FUZZ_BUILD_FLAGS (cargo fuzz build flags; default "--dev -s none": unoptimised, no sanitizer,
# the fastest build — the code under test is safe Rust, so ASAN adds little to a smoke run;
# set but empty: cargo fuzz's defaults, optimised with ASAN, as for the long run).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]]; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

# cargo fuzz passes nightly-only flags (-Z sanitizer, -C passes); the stable toolchain takes
# them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
seconds="${FUZZ_SECONDS:-5}"
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS---dev -s none}"
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"

cargo fuzz build "${build_flags[@]}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for target in $targets; do
  mkdir -p "fuzz/corpus/$target"
  echo "== fuzz smoke: $target (${seconds}s)"
  status=0
  cargo fuzz run "${build_flags[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
  if [[ $status -ne 0 ]]; then
    tail -n 60 "$log" >&2
    echo "fuzz smoke: $target FAILED (the input is under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
done
echo "fuzz smoke: all targets passed"
