#!/usr/bin/env bash
# Cold-start timing: time to first byte of a cold service through cless, over N cycles in `stop` mode (a container
# start) and in `pause` mode (an unpause), beside the engine's own create / start-to-first-200 /
# unpause-to-first-200 times measured in the same run; then a herd of concurrent first requests to one cold
# service: containers started, errors, p50/p99.
#
# The engine's times come from an in-process tool (cloud.cless.bench.engine.EngineColdStart in the benchmarks jar):
# it creates and starts containers through the Docker API with docker-java, as cless does, and polls the app over
# HTTP in its own process at the intervals of cless's readiness probe (read from core's ReadinessProbe), so both
# sides wait for the app alike.
#
# Usage: bench/coldstart.sh [--cycles N] [--herd N] [--out FILE]
# Needs: the Docker engine and busybox-static (scripts/prepare-host.sh installs and starts them as root), Java 17
# and Maven (it builds the jars when they are missing or stale), and apache2-utils for the herd (installed when
# missing, as root). Cleans up on exit, INT and TERM: cless and the containers it and the tool created, and the
# example image when this run built it.
set -euo pipefail
cd "$(dirname "$0")/.."
log_tag=coldstart
# shellcheck source=bench/lib.sh
. bench/lib.sh

cycles=20
herd=1000
out=""
usage="usage: bench/coldstart.sh [--cycles N] [--herd N] [--out FILE]"
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="$2"; shift 2 ;;
    --herd) herd="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/coldstart-$(date -u +%Y%m%dT%H%M%SZ).md"

scripts/prepare-host.sh
command -v ab >/dev/null 2>&1 || install_packages apache2-utils
ensure_built
IMAGE=cless-test/hello:latest
built_image=""
docker image inspect "$IMAGE" >/dev/null 2>&1 || built_image=1
examples/hello/build.sh

PORT=18184 ADMIN=18185 TOKEN=coldstart ENGINE_PORTS=18200
for port in $PORT $ADMIN; do port_free "$port" || { log "port $port is in use"; exit 1; }; done
work="$(mktemp -d /tmp/cless-coldstart.XXXXXX)"
bench_label="cloud.cless.bench=coldstart-$$"
cless_pid=""
cleanup() {
  set +e  # best effort: a failing kill or wait must not stop the clean-up
  [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
  # cless stops and removes its containers on TERM; what a killed one leaves goes by its installation label.
  [ -n "$cless_pid" ] && stop_process "$cless_pid" 60
  remove_installation_containers "$work/data"
  docker ps -aq --filter "label=$bench_label" | xargs -r docker rm -f >/dev/null 2>&1
  [ -n "$built_image" ] && docker rmi "$IMAGE" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ttfb_ms() { # ttfb_ms HOST -> ms to the first response byte through cless; fails unless the status is 200
  curl -s -o /dev/null --max-time 60 -w '%{http_code} %{time_starttransfer}\n' -H "Host: $1" "http://127.0.0.1:$PORT/" |
    awk '{ if ($1 == "200") printf "%.1f\n", $2 * 1000; else { print "status " $1 > "/dev/stderr"; exit 1 } }'
}
admin() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
instances() { admin "http://127.0.0.1:$ADMIN/serviceDefinitions/$1/instances"; }
instance_count() { instances "$1" | grep -o '"id":' | wc -l; }
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out waiting for: $*"; return 1; }
    sleep 0.1
  done
}
no_instances() { [ "$(instances "$1")" = "[]" ]; }
all_paused() { local s; s=$(instances "$1"); [ "$s" != "[]" ] && ! grep -q '"state":"\(ready\|starting\)"' <<<"$s"; }

# --- the engine's own times (Docker API through docker-java, polled in-process) --------------------------------
log "engine: create, start to first 200, unpause to first 200 ($cycles cycles, in-process poll)"
run_fg java -cp bench/target/benchmarks.jar cloud.cless.bench.engine.EngineColdStart --image "$IMAGE" \
  --cycles "$cycles" --host-port "$ENGINE_PORTS" --label "$bench_label" >"$work/engine.tsv" 2>"$work/engine.err" ||
  { cat "$work/engine.err" >&2; log "the engine measurement failed"; exit 1; }
cat "$work/engine.err" >&2
awk -F'\t' '!/^#/ {print $1 > (d "/engine-create"); print $2 > (d "/engine-start"); print $3 > (d "/engine-unpause");
  print $4 > (d "/engine-start-attempts")}' d="$work" "$work/engine.tsv"
schedule=$(sed -n 's/^engine-coldstart: polling: //p' "$work/engine.err")

# --- cless ----------------------------------------------------------------------------------------------------
bin/cless serve --bind 127.0.0.1 --port "$PORT" --admin-port "$ADMIN" --admin-token "$TOKEN" --store memory \
  --data-dir "$work/data" --port-range 18400-18499 --stop-timeout 1s --queue-size 2000 >"$work/cless.log" 2>&1 &
cless_pid=$!
wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$ADMIN/healthz"

register() { # register NAME IDLE_ACTION IDLE_SECONDS [CONCURRENCY]
  admin -o /dev/null -d "{\"name\":\"$1\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":$3,
    \"idle_action\":\"$2\",\"concurrency\":${4:-0}}" "http://127.0.0.1:$ADMIN/serviceDefinitions"
}

log "cless, stop mode ($cycles cycles)"
register cold-stop stop 1
: > "$work/cless-stop"
for _ in $(seq 1 "$cycles"); do
  wait_for 60 no_instances cold-stop
  ttfb_ms cold-stop.localhost >> "$work/cless-stop"
done

log "cless, pause mode ($cycles cycles)"
register cold-pause pause 1
ttfb_ms cold-pause.localhost >/dev/null # the first start is a real one
: > "$work/cless-pause"
for _ in $(seq 1 "$cycles"); do
  wait_for 60 all_paused cold-pause
  ttfb_ms cold-pause.localhost >> "$work/cless-pause"
done

log "herd: $herd concurrent first requests"
register herd stop 300
run_fg ab -q -n "$herd" -c "$herd" -s 60 -H "Host: herd.localhost" "http://127.0.0.1:$PORT/" \
  > "$work/herd.txt" 2>&1 || true
herd_containers=$(instance_count herd)
herd_failed=$(awk '/^Failed requests:/ {print $3}' "$work/herd.txt")
herd_non2xx=$(awk '/^Non-2xx responses:/ {print $3}' "$work/herd.txt")
herd_complete=$(awk '/^Complete requests:/ {print $3}' "$work/herd.txt")
herd_p50=$(awk '$1 == "50%" {print $2}' "$work/herd.txt")
herd_p99=$(awk '$1 == "99%" {print $2}' "$work/herd.txt")
# The same burst again once the container is warm, through cless and straight to the container's own port: what
# part of the tail is the app's (busybox httpd's small listen backlog and a process per connection), not cless's.
herd_port=$(instances herd | sed -n 's/.*"host_port":\([0-9]*\).*/\1/p' | head -1)
# ab gives up the whole run when one request passes -s, so the limit is long enough for TCP's retransmits.
run_fg ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd.localhost" "http://127.0.0.1:$PORT/" \
  > "$work/herd-warm.txt" 2>&1 || true
run_fg ab -q -n "$herd" -c "$herd" -s 300 "http://127.0.0.1:$herd_port/" > "$work/herd-direct.txt" 2>&1 || true
# And with `concurrency` capping the requests one instance gets (the rest wait in cless's queue).
register herd-capped stop 300 64
run_fg ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd-capped.localhost" "http://127.0.0.1:$PORT/" \
  > /dev/null 2>&1 || true
run_fg ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd-capped.localhost" "http://127.0.0.1:$PORT/" \
  > "$work/herd-capped.txt" 2>&1 || true
ab_summary() { # ab_summary FILE -> "N complete, N failed, p50 X ms, p99 Y ms"
  awk '/^Complete requests:/ {c=$3} /^Failed requests:/ {f=$3} /^Non-2xx responses:/ {n=$3}
    $1 == "50%" {p50=$2} $1 == "99%" {p99=$2}
    END { printf "%s complete, %s failed, %d non-2xx, p50 %s ms, p99 %s ms", c, f, n, p50, p99 }' "$1"
}

# --- report ---------------------------------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
  echo "# cless cold start"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(uname -r); $(docker version --format 'Docker {{.Server.Version}} (API {{.Server.APIVersion}})')"
  echo "- image: $IMAGE (busybox httpd, FROM scratch); $cycles cycles each; times in ms"
  echo "- engine rows: docker-java over the engine's API, polled in-process for the first 200 on cless's readiness-probe"
  echo "  schedule (${schedule:-?}), after one unreported warm-up cycle; median $(median < "$work/engine-start-attempts") poll attempts per start"
  echo "- cless rows: curl's time to the first response byte of a request to the cold service (curl -w time_starttransfer)"
  echo
  echo "| measurement | median | p90 | min | max |"
  echo "| --- | --- | --- | --- | --- |"
  row() { echo "| $1 | $(median < "$2") | $(pct 90 < "$2") | $(sort -n "$2" | head -1) | $(sort -n "$2" | tail -1) |"; }
  row "engine: create" "$work/engine-create"
  row "engine: start to first 200" "$work/engine-start"
  row "engine: unpause to first 200" "$work/engine-unpause"
  row "cless, stop mode: time to first byte" "$work/cless-stop"
  row "cless, pause mode: time to first byte" "$work/cless-pause"
  echo
  stop_gap=$(awk -v a="$(median < "$work/cless-stop")" -v b="$(median < "$work/engine-start")" 'BEGIN { printf "%+.1f", a - b }')
  echo "cless stop mode minus the engine's start to first 200 (medians): $stop_gap ms."
  echo
  echo "Herd of $herd concurrent first requests to one cold service: $herd_complete complete, ${herd_failed:-?} failed,"
  echo "${herd_non2xx:-0} non-2xx; instances running afterwards: $herd_containers; p50 ${herd_p50:-?} ms, p99 ${herd_p99:-?} ms (ab, one new connection each)."
  echo
  echo "The same burst with the container warm: through cless $(ab_summary "$work/herd-warm.txt");"
  echo "straight to the container's port $(ab_summary "$work/herd-direct.txt");"
  echo "through cless to a service with \`concurrency\` 64 (max_instances 1) $(ab_summary "$work/herd-capped.txt")."
} > "$out"
cat "$out"
log "written to $out"
