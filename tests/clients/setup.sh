#!/usr/bin/env bash
# Installs the pinned third-party clients used by tests/real_clients.rs, idempotently:
#   - tests/clients/.venv        Python venv with tests/clients/requirements.txt (pnutpy, pnutty + deps)
#   - tests/clients/node_modules `npm ci` of tests/clients/package-lock.json (misskey-js + ws,
#                                playwright-core for tests/browser.rs, which drives /usr/bin/chromium,
#                                ts-json-schema-generator + ajv for tests/misskey_js_apps.rs)
#   - target/misskey-js-schema   JSON schemas generated from misskey-js's types.d.ts (cached by hash)
# Each part is reinstalled only when its pin file changed since the last successful install
# (a sha256 stamp is kept inside the installed directory). Needs python3 (3.11+) and node 20+/npm.
set -euo pipefail

clients_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv_dir="$clients_dir/.venv"
python_bin="${PYTHON:-python3}"

hash_of() { sha256sum "$1" | cut -d' ' -f1; }

# --- Python: pnutpy, pnutty --------------------------------------------------------------------
requirements_hash="$(hash_of "$clients_dir/requirements.txt")"
python_stamp="$venv_dir/.pnutkey-requirements.sha256"
if [[ -x "$venv_dir/bin/python" && -f "$python_stamp" && "$(cat "$python_stamp")" == "$requirements_hash" ]]; then
    echo "setup.sh: python clients up to date ($venv_dir)"
else
    echo "setup.sh: installing python clients into $venv_dir"
    "$python_bin" -m venv "$venv_dir"
    "$venv_dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$clients_dir/requirements.txt"
    "$venv_dir/bin/python" -c "import pnutpy, dateutil, requests, pnutty.nutty"
    echo "$requirements_hash" > "$python_stamp"
fi

# --- Node: misskey-js -------------------------------------------------------------------------
lock_hash="$(hash_of "$clients_dir/package-lock.json")"
node_stamp="$clients_dir/node_modules/.pnutkey-lock.sha256"
if [[ -f "$node_stamp" && "$(cat "$node_stamp")" == "$lock_hash" ]]; then
    echo "setup.sh: node clients up to date ($clients_dir/node_modules)"
else
    echo "setup.sh: installing node clients into $clients_dir/node_modules"
    npm ci --prefix "$clients_dir" --no-audit --no-fund
    (cd "$clients_dir" && node --input-type=module -e "import 'misskey-js'; import 'ws'; import 'playwright-core'; import 'ajv'; import 'ts-json-schema-generator';")
    echo "$lock_hash" > "$node_stamp"
fi

# --- JSON schemas of misskey-js's declared types (cached under target/misskey-js-schema/) -----
(cd "$clients_dir" && node misskey_js_schema.mjs Note UserDetailed MeDetailed DriveFile Notification)
