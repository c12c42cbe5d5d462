#!/usr/bin/env bash
# Cold-start timing: time to first byte of a cold service through cless, over N cycles in `stop` mode (a new
# container start) and in `pause` mode (an unpause), beside the engine's own create / start-to-first-200 /
# unpause-to-first-200 times measured in the same run; then a herd of concurrent first requests to one cold
# service: containers started, errors, p50/p99.
#
# Usage: bench/coldstart.sh [--cycles N] [--herd N] [--out FILE]
# Needs the Docker engine and busybox-static (installed and started by scripts/prepare-host.sh as root) and
# apache2-utils for the herd (installed when missing, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=20
herd=1000
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="$2"; shift 2 ;;
    --herd) herd="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: bench/coldstart.sh [--cycles N] [--herd N] [--out FILE]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/coldstart-$(date -u +%Y%m%dT%H%M%SZ).md"
log() { printf 'coldstart: %s\n' "$*" >&2; }

scripts/prepare-host.sh
if ! command -v ab >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { log "ab (apache2-utils) is missing; run as root to install it"; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2-utils >/dev/null
fi
[ -f proxy/target/cless.jar ] || mvn -q -B -DskipTests package
examples/hello/build.sh
IMAGE=cless-test/hello:latest
SOCK=/var/run/docker.sock
API=http://v1.41

PORT=18184 ADMIN=18185 TOKEN=coldstart
work="$(mktemp -d /tmp/cless-coldstart.XXXXXX)"
cless_pid=""
cleanup() {
  set +e  # best effort: a failing kill or wait must not stop the clean-up
  [ -n "$cless_pid" ] && kill "$cless_pid" 2>/dev/null && wait "$cless_pid" 2>/dev/null
  docker ps -aq --filter label=cloud.cless.bench=engine | xargs -r docker rm -f >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
ttfb_ms() { # ttfb_ms HOST -> ms to the first response byte through cless (any status); fails on no answer
  curl -s -o /dev/null --max-time 60 -w '%{http_code} %{time_starttransfer}\n' -H "Host: $1" "http://127.0.0.1:$PORT/" |
    awk '{ if ($1 == "200") printf "%.1f\n", $2 * 1000; else { print "status " $1 > "/dev/stderr"; exit 1 } }'
}
admin() { curl -sf -H "Authorization: Bearer $TOKEN" "$@"; }
instances() { admin "http://127.0.0.1:$ADMIN/serviceDefinitions/$1/instances"; }
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "timed out waiting for: $*"; return 1; }
    sleep 0.1
  done
}
no_instances() { [ "$(instances "$1")" = "[]" ]; }
all_paused() { local s; s=$(instances "$1"); [ "$s" != "[]" ] && ! grep -q '"state":"\(ready\|starting\)"' <<<"$s"; }
first_200() { # first_200 PORT -> polls until the app answers 200
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/" || true)" = "200" ]; do :; done
}
median() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f", (a[NR/2]+a[NR/2+1])/2 }'; }
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END { if (NR == 0) { print "-"; exit } i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i] }'; }

# --- the engine's own times (Docker API over its socket, no CLI overhead) -----------------------------------
log "engine: create, start to first 200, unpause to first 200 ($cycles cycles)"
: > "$work/engine-create" ; : > "$work/engine-start" ; : > "$work/engine-unpause"
for i in $(seq 1 "$cycles"); do
  hp=$((18200 + i))
  t0=$(now_ms)
  id=$(curl -sf --unix-socket "$SOCK" -H 'Content-Type: application/json' -X POST "$API/containers/create" -d "{
    \"Image\":\"$IMAGE\",\"Labels\":{\"cloud.cless.bench\":\"engine\"},\"ExposedPorts\":{\"8080/tcp\":{}},
    \"HostConfig\":{\"PortBindings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$hp\"}]}}}" |
    sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
  t1=$(now_ms)
  curl -sf --unix-socket "$SOCK" -X POST "$API/containers/$id/start" >/dev/null
  first_200 "$hp"
  t2=$(now_ms)
  curl -sf --unix-socket "$SOCK" -X POST "$API/containers/$id/pause" >/dev/null
  t3=$(now_ms)
  curl -sf --unix-socket "$SOCK" -X POST "$API/containers/$id/unpause" >/dev/null
  first_200 "$hp"
  t4=$(now_ms)
  curl -sf --unix-socket "$SOCK" -X DELETE "$API/containers/$id?force=1" >/dev/null
  echo $((t1 - t0)) >> "$work/engine-create"
  echo $((t2 - t1)) >> "$work/engine-start"
  echo $((t4 - t3)) >> "$work/engine-unpause"
done

# --- cless ----------------------------------------------------------------------------------------------------
bin/cless serve --bind 127.0.0.1 --port "$PORT" --admin-port "$ADMIN" --admin-token "$TOKEN" --store memory \
  --data-dir "$work/data" --stop-timeout 1s --queue-size 2000 >"$work/cless.log" 2>&1 &
cless_pid=$!
wait_for 60 curl -sf -o /dev/null "http://127.0.0.1:$ADMIN/healthz"

register() { # register NAME IDLE_ACTION IDLE_SECONDS [CONCURRENCY]
  admin -o /dev/null -d "{\"name\":\"$1\",\"image_name\":\"cless-test/hello\",\"idle_timeout_seconds\":$3,
    \"idle_action\":\"$2\",\"concurrency\":${4:-0}}" "http://127.0.0.1:$ADMIN/serviceDefinitions"
}

log "cless, stop mode ($cycles cycles)"
register cold-stop stop 1
: > "$work/cless-stop"
for i in $(seq 1 "$cycles"); do
  wait_for 60 no_instances cold-stop
  ttfb_ms cold-stop.localhost >> "$work/cless-stop"
done

log "cless, pause mode ($cycles cycles)"
register cold-pause pause 1
ttfb_ms cold-pause.localhost >/dev/null # the first start is a real one
: > "$work/cless-pause"
for i in $(seq 1 "$cycles"); do
  wait_for 60 all_paused cold-pause
  ttfb_ms cold-pause.localhost >> "$work/cless-pause"
done

log "herd: $herd concurrent first requests"
register herd stop 300
ab -q -n "$herd" -c "$herd" -s 60 -H "Host: herd.localhost" -e "$work/herd.csv" "http://127.0.0.1:$PORT/" \
  > "$work/herd.txt" 2>&1 || true
herd_containers=$(grep -c "Cold start of service herd:" "$work/cless.log" || true)
herd_failed=$(awk '/^Failed requests:/ {print $3}' "$work/herd.txt")
herd_non2xx=$(awk '/^Non-2xx responses:/ {print $3}' "$work/herd.txt")
herd_complete=$(awk '/^Complete requests:/ {print $3}' "$work/herd.txt")
herd_p50=$(awk '$1 == "50%" {print $2}' "$work/herd.txt")
herd_p99=$(awk '$1 == "99%" {print $2}' "$work/herd.txt")
# The same burst again once the container is warm, through cless and straight to the container's own port: what
# part of the tail is the app's (busybox httpd's small listen backlog and a process per connection), not cless's.
herd_port=$(instances herd | sed -n 's/.*"host_port":\([0-9]*\).*/\1/p' | head -1)
# ab gives up the whole run when one request passes -s, so the limit is long enough for TCP's retransmits.
ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd.localhost" "http://127.0.0.1:$PORT/" > "$work/herd-warm.txt" 2>&1 || true
ab -q -n "$herd" -c "$herd" -s 300 "http://127.0.0.1:$herd_port/" > "$work/herd-direct.txt" 2>&1 || true
# And with `concurrency` capping the connections one instance gets (the rest wait in cless's queue).
register herd-capped stop 300 64
ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd-capped.localhost" "http://127.0.0.1:$PORT/" > /dev/null 2>&1 || true
ab -q -n "$herd" -c "$herd" -s 300 -H "Host: herd-capped.localhost" "http://127.0.0.1:$PORT/" \
  > "$work/herd-capped.txt" 2>&1 || true
ab_summary() { # ab_summary FILE -> "N complete, N failed, p50 X ms, p99 Y ms"
  awk '/^Complete requests:/ {c=$3} /^Failed requests:/ {f=$3} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2}
    END { printf "%s complete, %s failed, p50 %s ms, p99 %s ms", c, f, p50, p99 }' "$1"
}

# --- report ---------------------------------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
  echo "# cless cold start"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(uname -r); $(docker version --format 'Docker {{.Server.Version}} (API {{.Server.APIVersion}})')"
  echo "- image: $IMAGE (busybox httpd, FROM scratch); $cycles cycles each; times in ms"
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
  echo "Herd of $herd concurrent first requests to one cold service: $herd_complete complete, ${herd_failed:-?} failed,"
  echo "${herd_non2xx:-0} non-2xx; containers started: $herd_containers; p50 ${herd_p50:-?} ms, p99 ${herd_p99:-?} ms (ab, one new connection each)."
  echo
  echo "The same burst with the container warm: through cless $(ab_summary "$work/herd-warm.txt");"
  echo "straight to the container's port $(ab_summary "$work/herd-direct.txt");"
  echo "through cless to a service with \`concurrency\` 64 (max_instances 1) $(ab_summary "$work/herd-capped.txt")."
} > "$out"
cat "$out"
log "written to $out"
