#!/usr/bin/env bash
# The project's test command: installs the pinned third-party clients (idempotent), then runs
# every cargo test target. CARGO_TARGET_DIR is honoured when set (cargo reads it itself).
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$repo_dir/tests/clients/setup.sh"
cd "$repo_dir"
cargo test --all-targets --features fuzzing --no-fail-fast "$@"
