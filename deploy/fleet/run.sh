#!/usr/bin/env bash
# A pnutkey fleet on one machine, no container runtime needed: one Redis, N bridge instances
# (default 3) sharing it through `[cluster]`, and nginx in front balancing by least connections
# (deploy/fleet/nginx.conf.template: any instance reaches any token's sessions). Ctrl-C stops
# everything it started.
#
# Upstreams: FLEET_PNUT_URL (API base ending in /v1; FLEET_PNUT_STREAM_URL optional) and
# FLEET_MISSKEY_URL; when unset, one standalone simulated pnut and Misskey are started and
# shared by every instance (an embedded sim per instance would give each its own world).
#
# Settings (environment): INSTANCES=3 LB_LISTEN=127.0.0.1:8080 BASE_PORT=8081 REDIS_PORT=6390
# CONFIG=config.toml PNUTKEY_BIN=target/release/pnutkey (built when missing) WORK=<temp dir>.
# Any PNUTKEY__SECTION__KEY variable reaches every instance, as with a single bridge.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

instances="${INSTANCES:-3}"
lb_listen="${LB_LISTEN:-127.0.0.1:8080}"
base_port="${BASE_PORT:-8081}"
redis_port="${REDIS_PORT:-6390}"
config="${CONFIG:-config.toml}"
bin="${PNUTKEY_BIN:-target/release/pnutkey}"
work="${WORK:-$(mktemp -d -t pnutkey-fleet.XXXXXX)}"
mkdir -p "$work/tmp"

for tool in redis-server nginx; do
  command -v "$tool" >/dev/null || { echo "fleet: $tool is needed (apt-get install -y $tool)" >&2; exit 1; }
done
if [[ ! -x "$bin" ]]; then
  echo "fleet: building $bin"
  cargo build --release --locked
fi

pids=()
stop_all() {
  trap - EXIT INT TERM
  echo "fleet: stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all EXIT INT TERM

# Waits until file $1 has a line matching $2 (at most 30 s); prints that line.
await_line() {
  for _ in $(seq 300); do
    if line="$(grep -m1 -E "$2" "$1" 2>/dev/null)"; then echo "$line"; return 0; fi
    sleep 0.1
  done
  echo "fleet: no \"$2\" in $1 after 30 s" >&2
  cat "$1" >&2 || true
  return 1
}

redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --logfile "$work/redis.log" &
pids+=($!)
await_line "$work/redis.log" "Ready to accept connections" >/dev/null

if [[ -z "${FLEET_PNUT_URL:-}" ]]; then
  "$bin" sim pnut --listen 127.0.0.1:0 >"$work/sim-pnut.log" 2>&1 &
  pids+=($!)
  api_line="$(await_line "$work/sim-pnut.log" "simulated pnut server on ")"
  stream_line="$(await_line "$work/sim-pnut.log" "user stream: ")"
  FLEET_PNUT_URL="${api_line##* on }"
  FLEET_PNUT_STREAM_URL="$(sed -E 's/.*user stream: ([^?]+).*/\1/' <<<"$stream_line")"
fi
if [[ -z "${FLEET_MISSKEY_URL:-}" ]]; then
  "$bin" sim misskey --listen 127.0.0.1:0 >"$work/sim-misskey.log" 2>&1 &
  pids+=($!)
  misskey_line="$(await_line "$work/sim-misskey.log" "http://")"
  FLEET_MISSKEY_URL="$(grep -oE 'http://[^ ]+' <<<"$misskey_line" | head -1)"
fi

servers=""
for i in $(seq 1 "$instances"); do
  port=$((base_port + i - 1))
  env PNUTKEY__LISTEN__ADDR="127.0.0.1:$port" \
      PNUTKEY__UPSTREAM__PNUT__URL="$FLEET_PNUT_URL" \
      ${FLEET_PNUT_STREAM_URL:+PNUTKEY__UPSTREAM__PNUT__STREAM_URL="$FLEET_PNUT_STREAM_URL"} \
      PNUTKEY__UPSTREAM__MISSKEY__URL="$FLEET_MISSKEY_URL" \
      PNUTKEY__CLUSTER__REDIS_URL="redis://127.0.0.1:$redis_port" \
      PNUTKEY__CLUSTER__INSTANCE_ID="bridge-$i" \
      PNUTKEY__CLUSTER__ADVERTISE_URL="http://127.0.0.1:$port" \
      "$bin" run --config "$config" >"$work/bridge-$i.log" 2>&1 &
  pids+=($!)
  servers+="        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'
done
for i in $(seq 1 "$instances"); do
  await_line "$work/bridge-$i.log" "redis up" >/dev/null
done

sed -e "s|@LB_LISTEN@|$lb_listen|" "$repo/deploy/fleet/nginx.conf.template" \
  | awk -v servers="$servers" '{ if ($0 == "@SERVERS@") printf "%s", servers; else print }' \
  >"$work/nginx.conf"
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)

echo "fleet: $instances instances on 127.0.0.1:$base_port.. sharing redis://127.0.0.1:$redis_port"
echo "fleet: clients connect to http://$lb_listen (Misskey: ws://$lb_listen/streaming?i=TOKEN)"
echo "fleet: pnut upstream $FLEET_PNUT_URL, Misskey upstream $FLEET_MISSKEY_URL"
echo "fleet: logs and nginx.conf in $work; /healthz of each instance: http://127.0.0.1:$base_port/healthz ..."
wait -n "${pids[@]}" || true
echo "fleet: a process ended; see $work" >&2
