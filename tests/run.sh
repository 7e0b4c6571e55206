#!/usr/bin/env bash
# The project's test command: installs the pinned third-party clients (idempotent), then runs
# every cargo test target. CARGO_TARGET_DIR is honoured when set (cargo reads it itself).
set -euo pipefail

repo_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Debian's packages the tests start themselves: a real Redis (tests/cluster*.rs) and headless
# Chromium (tests/browser.rs; playwright-core never downloads a browser).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update && apt-get install -y "${missing[@]}"
fi
bash "$repo_dir/tests/clients/setup.sh"
cd "$repo_dir"
cargo test --all-targets --features fuzzing --no-fail-fast "$@"
