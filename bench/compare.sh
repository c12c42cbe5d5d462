#!/usr/bin/env bash
# Side-by-side load comparison on this machine. One nginx backend on the host answers a fixed small body; it is
# reached directly, through cless (an `upstream` service), through nginx as a reverse proxy (with and without its
# pool of upstream connections) and through HAProxy in http and tcp mode. A second backend, the same nginx in a
# container (bench/nginx-image.sh), is reached directly on its published port, through cless as a container service
# and through cless as an `upstream` service pointing at that container's port. Every peer proxy gets one
# worker/thread; cless runs twice, with one event loop and with the default count. wrk runs in interleaved rounds
# so drift in the machine's speed hits every target alike; only ratios within one run mean anything.
#
# Usage: bench/compare.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--targets T1,T2,...] [--out FILE]
#   smoke run (under a minute): bench/compare.sh --rounds 1 --duration 1 --warmup 0
# Needs: nginx-light, haproxy and wrk (installed from Debian's packages when missing, as root); Java 17 and Maven
# (cless is built when its jar is missing or stale); for the container targets the Docker engine
# (scripts/prepare-host.sh, as root) and the image cless-bench/nginx:latest (built when missing, and then removed
# again on exit). Cleans up on exit, INT and TERM: every process it started, and cless's containers.
set -euo pipefail
cd "$(dirname "$0")/.."
log_tag=compare
# shellcheck source=bench/lib.sh
. bench/lib.sh

all_targets=(direct container cless cless-1 cless-ctr cless-1-ctr cless-ctr-up cless-1-ctr-up nginx nginx-nopool
  haproxy-http haproxy-tcp)
rounds=3
duration=10
warmup=10
targets_arg=""
out=""
usage="usage: bench/compare.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--targets T1,T2,...] [--out FILE]
targets (default all): ${all_targets[*]}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --targets) targets_arg="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) echo "$usage"; exit 0 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).md"

selected=()
if [ -z "$targets_arg" ]; then
  selected=("${all_targets[@]}")
else
  IFS=, read -r -a wanted <<<"$targets_arg"
  for t in "${all_targets[@]}"; do
    for w in "${wanted[@]}"; do [ "$t" = "$w" ] && selected+=("$t"); done
  done
  for w in "${wanted[@]}"; do
    [[ " ${all_targets[*]} " == *" $w "* ]] || { log "unknown target $w"; echo "$usage" >&2; exit 2; }
  done
fi
is_selected() { [[ " ${selected[*]} " == *" $1 "* ]]; }
# nginx-nopool opens a backend connection per request: measured with new connections only.
ka_targets=() close_targets=()
for t in "${selected[@]}"; do
  [ "$t" = nginx-nopool ] || ka_targets+=("$t")
  close_targets+=("$t")
done
with_containers=""
for t in container cless-ctr cless-1-ctr cless-ctr-up cless-1-ctr-up; do is_selected "$t" && with_containers=1; done

# --- tools -------------------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
install_packages "${missing[@]}"
ensure_built
IMAGE=cless-bench/nginx:latest
built_image=""
if [ -n "$with_containers" ]; then
  scripts/prepare-host.sh
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    bench/nginx-image.sh --tag "$IMAGE" >/dev/null
    built_image=1
  fi
fi

# --- ports and work dir ---------------------------------------------------------------------------------------
BACKEND=18080 NGINX=18081 HAPROXY_HTTP=18082 HAPROXY_TCP=18083 CLESS1=18084 CLESS1_ADMIN=18085 NGINX_NOPOOL=18086
CLESS=18087 CLESS_ADMIN=18088
for port in $BACKEND $NGINX $HAPROXY_HTTP $HAPROXY_TCP $CLESS1 $CLESS1_ADMIN $NGINX_NOPOOL $CLESS $CLESS_ADMIN; do
  port_free "$port" || { log "port $port is in use: another compare.sh, or something else; stop it first"; exit 1; }
done
work="$(mktemp -d /tmp/cless-compare.XXXXXX)"
pids=()
cless_pid="" cless1_pid=""
cleanup() {
  set +e  # best effort: a failing kill or wait must not stop the clean-up
  [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
  # Each cless stops and removes its containers on TERM; what a killed one leaves goes by its installation label.
  for pid in $cless_pid $cless1_pid; do stop_process "$pid" 60; done
  if [ -n "$with_containers" ]; then
    remove_installation_containers "$work/cless-data"
    remove_installation_containers "$work/cless1-data"
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "$built_image" ] && docker rmi "$IMAGE" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- servers ----------------------------------------------------------------------------------------------
mkdir -p "$work/nginx-backend" "$work/nginx-proxy"
cat > "$work/nginx-backend/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx-backend/nginx.pid;
error_log $work/nginx-backend/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$BACKEND reuseport;
    location / { default_type text/plain; return 200 "hello\n"; }
  }
}
EOF
cat > "$work/nginx-proxy/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx-proxy/nginx.pid;
error_log $work/nginx-proxy/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$BACKEND; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
  # The same proxy without a pool of backend connections: one backend connection per request.
  server {
    listen 127.0.0.1:$NGINX_NOPOOL;
    location / { proxy_pass http://127.0.0.1:$BACKEND; }
  }
}
EOF
cat > "$work/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 4096
defaults
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend http_in
  mode http
  bind 127.0.0.1:$HAPROXY_HTTP
  option http-keep-alive
  default_backend http_backend
backend http_backend
  mode http
  http-reuse always
  server b1 127.0.0.1:$BACKEND
frontend tcp_in
  mode tcp
  bind 127.0.0.1:$HAPROXY_TCP
  default_backend tcp_backend
backend tcp_backend
  mode tcp
  server b1 127.0.0.1:$BACKEND
EOF

nginx -p "$work/nginx-backend" -c "$work/nginx-backend/nginx.conf" & pids+=($!)
nginx -p "$work/nginx-proxy" -c "$work/nginx-proxy/nginx.conf" & pids+=($!)
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 & pids+=($!)
haproxy_pid=$!
# Like the peers (access_log off, no HAProxy log), cless runs without its access log. Each cless has its own data
# dir (so its own installation id) and its own port range for containers.
start_cless() { # start_cless NAME PORT ADMIN_PORT PORT_RANGE [FLAGS...]
  local name="$1" port="$2" admin="$3" range="$4"; shift 4
  CLESS_ACCESS_LOG_LEVEL=OFF bin/cless serve --bind 127.0.0.1 --port "$port" --admin-port "$admin" \
    --admin-token bench --store memory --data-dir "$work/$name-data" --port-range "$range" --stop-timeout 5s "$@" \
    >"$work/$name.log" 2>&1 &
}
start_cless cless "$CLESS" "$CLESS_ADMIN" 18300-18349
cless_pid=$!
start_cless cless1 "$CLESS1" "$CLESS1_ADMIN" 18350-18399 --event-loop-threads 1
cless1_pid=$!

for port in $BACKEND $NGINX $NGINX_NOPOOL $HAPROXY_HTTP $HAPROXY_TCP $CLESS_ADMIN $CLESS $CLESS1_ADMIN $CLESS1; do
  wait_port "$port" 60 || { tail -20 "$work"/cless*.log >&2; exit 1; }
done

admin_of() { [ "$1" = cless1 ] && echo "$CLESS1_ADMIN" || echo "$CLESS_ADMIN"; }
register() { # register CLESS JSON
  curl -sf -o /dev/null -H 'Authorization: Bearer bench' -d "$2" "http://127.0.0.1:$(admin_of "$1")/serviceDefinitions" ||
    { log "$1: could not register $2"; exit 1; }
}
instances() { curl -sf -H 'Authorization: Bearer bench' "http://127.0.0.1:$(admin_of "$1")/serviceDefinitions/$2/instances"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"]*\).*/\1/p" ; } # field NAME: its value in the (one-object) JSON on stdin

declare -A host_of=([direct]="127.0.0.1" [container]="127.0.0.1" [nginx]="127.0.0.1" [nginx-nopool]="127.0.0.1"
  [haproxy-http]="127.0.0.1" [haproxy-tcp]="127.0.0.1" [cless]="bench.localhost" [cless-1]="bench.localhost"
  [cless-ctr]="ctr.localhost" [cless-1-ctr]="ctr.localhost" [cless-ctr-up]="ctr-up.localhost"
  [cless-1-ctr-up]="ctr-up.localhost")
declare -A port_of=([direct]=$BACKEND [nginx]=$NGINX [nginx-nopool]=$NGINX_NOPOOL [haproxy-http]=$HAPROXY_HTTP
  [haproxy-tcp]=$HAPROXY_TCP [cless]=$CLESS [cless-1]=$CLESS1 [cless-ctr]=$CLESS [cless-1-ctr]=$CLESS1
  [cless-ctr-up]=$CLESS [cless-1-ctr-up]=$CLESS1)
declare -A ctr_instance ctr_container
for c in cless cless1; do
  register "$c" "{\"name\":\"bench\",\"upstream\":\"127.0.0.1:$BACKEND\"}"
  [ -n "$with_containers" ] || continue
  # A container service kept warm for the whole run: one instance, idle for a day before it would stop.
  register "$c" "{\"name\":\"ctr\",\"image_name\":\"cless-bench/nginx\",\"image_tag\":\"latest\",\"port\":8080,
    \"max_instances\":1,\"idle_timeout_seconds\":86400}"
  port=$([ "$c" = cless1 ] && echo "$CLESS1" || echo "$CLESS")
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 60 -H 'Host: ctr.localhost' "http://127.0.0.1:$port/")" = 200 ] ||
    { log "$c: the container service did not answer 200"; tail -20 "$work/$c.log" >&2; exit 1; }
  json=$(instances "$c" ctr)
  ctr_instance[$c]=$(field id <<<"$json")
  ctr_container[$c]=$(field container_id <<<"$json")
  host_port=$(field host_port <<<"$json")
  [ -n "$host_port" ] || { log "$c: no host port in $json"; exit 1; }
  # The same container as an `upstream` service: the same backend and network path, without the lifecycle.
  register "$c" "{\"name\":\"ctr-up\",\"upstream\":\"127.0.0.1:$host_port\"}"
  [ "$c" = cless1 ] && port_of[container]=$host_port
done

# Every selected target answers 200 with the backend's body before anything is measured.
for target in "${selected[@]}"; do
  body=$(curl -s --max-time 10 -H "Host: ${host_of[$target]}" "http://127.0.0.1:${port_of[$target]}/" || true)
  [ "$body" = hello ] || { log "$target (port ${port_of[$target]}) answered '$body', not the backend's body"; exit 1; }
done

# --- measuring --------------------------------------------------------------------------------------------
# nginx runs a master and one worker: the worker is the one that works, but count both.
with_children() { [ -z "$1" ] || echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
container_pid() { docker inspect -f '{{.State.Pid}}' "${ctr_container[cless1]}" 2>/dev/null; }
pids_of() {
  case "$1" in
    direct) with_children "$(cat "$work/nginx-backend/nginx.pid")" ;;
    container) with_children "$(container_pid)" ;;
    cless|cless-ctr|cless-ctr-up) echo "$cless_pid" ;;
    cless-1|cless-1-ctr|cless-1-ctr-up) echo "$cless1_pid" ;;
    nginx|nginx-nopool) with_children "$(cat "$work/nginx-proxy/nginx.pid")" ;;
    haproxy-http|haproxy-tcp) echo "$haproxy_pid" ;;
  esac
}
cpu_ticks() { # CPU ticks (user + system) of the given processes
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
rss_kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
declare -A max_rss=([cless]=0 [cless1]=0)
note_rss() {
  local r
  r=$(rss_kb "$cless_pid" VmRSS); [ "${r:-0}" -gt "${max_rss[cless]}" ] && max_rss[cless]=$r
  r=$(rss_kb "$cless1_pid" VmRSS); [ "${r:-0}" -gt "${max_rss[cless1]}" ] && max_rss[cless1]=$r
  return 0
}

results="$work/results.tsv"
: > "$results"
round=0
# run TARGET KIND CONNECTIONS: appends "target kind rps p50ms p99ms cpu_us_per_req errors round requests".
run() {
  local target="$1" kind="$2" conns="$3" extra=()
  [ "$kind" = close ] && extra=(-H "Connection: close")
  local procs before after
  procs=$(pids_of "$target")
  before=$(cpu_ticks $procs)
  run_fg wrk -t1 -c"$conns" -d"${duration}s" --latency -H "Host: ${host_of[$target]}" "${extra[@]}" \
    "http://127.0.0.1:${port_of[$target]}/" > "$work/wrk.out" || { log "wrk failed against $target"; exit 1; }
  after=$(cpu_ticks $procs)
  local rps requests p50 p99 errors cpu_us="-"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/wrk.out" | tr '\n' ' ' | sed 's/ *$//')
  if [ -n "$procs" ] && [ "${requests:-0}" -gt 0 ]; then
    cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$kind" "$rps" "$p50" "$p99" "$cpu_us" "$errors" "$round" \
    "${requests:-0}" >> "$results"
  log "$target $kind (c$conns): $rps req/s p50 $p50 ms p99 $p99 ms cpu $cpu_us us/req $errors"
}

# Every target is warmed up alike, on both paths: requests on open connections, and new connections (whose set-up
# code a JIT-compiled proxy only compiles once it has run for a while).
if [ "$warmup" != 0 ]; then
  log "warming up (${warmup} s per target and kind)"
  for target in "${close_targets[@]}"; do
    if [ "$target" != nginx-nopool ]; then
      run_fg wrk -t1 -c50 -d"${warmup}s" -H "Host: ${host_of[$target]}" "http://127.0.0.1:${port_of[$target]}/" >/dev/null
    fi
    run_fg wrk -t1 -c50 -d"${warmup}s" -H "Host: ${host_of[$target]}" -H "Connection: close" \
      "http://127.0.0.1:${port_of[$target]}/" >/dev/null
  done
fi
started=$(date +%s)
for round in $(seq 1 "$rounds"); do
  log "round $round of $rounds: keep-alive c50, keep-alive c1, a new connection per request c50"
  for target in "${ka_targets[@]}"; do run "$target" keepalive 50; note_rss; done
  for target in "${ka_targets[@]}"; do run "$target" c1 1; done
  for target in "${close_targets[@]}"; do run "$target" close 50; note_rss; done
done
elapsed=$(( $(date +%s) - started ))
heap_of() { # heap_of PID -> "used X of Y MiB committed", summed over the heap's generations or regions
  jcmd "$1" GC.heap_info 2>/dev/null | awk 'match($0, /total [0-9]+K, used [0-9]+K/) {
      split(substr($0, RSTART, RLENGTH), f, /[ K,]+/); total += f[2]; used += f[4] }
    END { if (total > 0) printf "used %.0f of %.0f MiB committed", used / 1024, total / 1024 }' || true
}
loops_of() { # event-loop threads (Netty names them cless-io-N-M) in process PID, "?" when none is seen
  local n; n=$(grep -l '^cless-io' /proc/"$1"/task/*/comm 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] && echo "$n" || echo "?"
}
declare -A heap hwm loops
for c in cless cless1; do
  pid=$([ "$c" = cless1 ] && echo "$cless1_pid" || echo "$cless_pid")
  heap[$c]=$(heap_of "$pid"); hwm[$c]=$(rss_kb "$pid" VmHWM); loops[$c]=$(loops_of "$pid")
done
declare -A ctr_check
if [ -n "$with_containers" ]; then
  for c in cless cless1; do
    json=$(instances "$c" ctr || true)
    count=$(grep -o '"id":' <<<"$json" | wc -l)
    if [ "$count" = 1 ] && [ "$(field id <<<"$json")" = "${ctr_instance[$c]}" ]; then
      ctr_check[$c]="one instance (${ctr_instance[$c]}) throughout"
    else
      ctr_check[$c]="CHANGED: $count instance(s) at the end, $(field id <<<"$json") instead of ${ctr_instance[$c]}"
    fi
  done
fi

# --- report -----------------------------------------------------------------------------------------------
stat() { # stat TARGET KIND COLUMN -> median over rounds
  awk -F'\t' -v t="$1" -v k="$2" -v c="$3" '$1 == t && $2 == k && $c != "-" {print $c}' "$results" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 <= 0) print "-"; else printf "%.2f", a / b }'; }
# paired KIND COLUMN A B -> median over rounds of A's value / B's value in the same round. Rounds interleave the
# targets, so the two runs of a pair saw the same machine; the pairs cancel drift between rounds.
paired() {
  awk -F'\t' -v k="$1" -v c="$2" -v a="$3" -v b="$4" '$2 == k && $1 == a {x[$8] = $c} $2 == k && $1 == b {y[$8] = $c}
    END { for (r in x) if (x[r] != "-" && y[r] != "-" && y[r] > 0) print x[r] / y[r] }' "$results" |
    median | awk '{ if ($1 == "-") print; else printf "%.2f", $1 }'
}
both() { # both KIND COLUMN A B -> "ratio of medians (paired)"
  local r; r=$(ratio "$(stat "$3" "$1" "$2")" "$(stat "$4" "$1" "$2")")
  [ "$r" = "-" ] && echo "-" || echo "$r ($(paired "$1" "$2" "$3" "$4"))"
}
have() { is_selected "$1" && is_selected "$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

mkdir -p "$(dirname "$out")"
{
  echo "# cless load comparison"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- cless $(git describe --always --dirty 2>/dev/null || echo '(no git)'); $(nginx -v 2>&1 | sed 's/.*version: //'), $(haproxy -v 2>/dev/null | head -1 | awk '{print "HAProxy " $3}'), $(wrk -v 2>&1 | head -1 | awk '{print $1 " " $2}')"
  echo "- wrk -t1, ${duration} s per run, rounds: $rounds, interleaved (median shown; $elapsed s of runs), after ${warmup} s of warm-up per target and kind"
  if [ -n "$with_containers" ]; then
    echo "- backends: nginx (1 worker, fixed 6-byte body) on the host (\`direct\`), and the same in a container ($IMAGE, \`container\`, its port published on 127.0.0.1)"
  else
    echo "- backend: nginx (1 worker, fixed 6-byte body) on the host (\`direct\`)"
  fi
  echo "- peers: one worker/thread each, no access log. cless: launcher defaults (bin/cless), CLESS_ACCESS_LOG_LEVEL=OFF; \`cless-1\`: --event-loop-threads 1; \`cless\`: the default count (${loops[cless]:-?} event-loop threads seen)"
  echo -n "- cless services: \`cless\`, \`cless-1\`: \`upstream\` to the host backend"
  [ -z "$with_containers" ] && echo || echo "; \`-ctr\`: a container service (max_instances 1, kept warm); \`-ctr-up\`: \`upstream\` to that container's port"
  echo
  echo "| target | keep-alive c50 req/s | p50 ms | p99 ms | CPU µs/req | c1 p50 ms | c1 p99 ms | new conn/req c50 req/s | p99 ms | CPU µs/conn |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for t in "${close_targets[@]}"; do
    echo "| $t | $(stat "$t" keepalive 3) | $(stat "$t" keepalive 4) | $(stat "$t" keepalive 5) | $(stat "$t" keepalive 6) | $(stat "$t" c1 4) | $(stat "$t" c1 5) | $(stat "$t" close 3) | $(stat "$t" close 5) | $(stat "$t" close 6) |"
  done
  echo
  echo "CPU is the target's processes' user + system time over the requests served (for \`direct\` and \`container\`, the backend's)."
  echo
  echo "## cless beside the peers"
  echo
  echo "Ratios cless / peer: of the medians above, and (in brackets) the median of the per-round ratios. Above 1 is"
  echo "better for req/s; below 1 is better for CPU and p99."
  echo
  echo "| ratio | keep-alive req/s | new conn req/s | CPU/req keep-alive | CPU/conn | p99 c50 | p99 c1 | p99 new conn |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  for c in cless cless-1; do
    for peer in nginx haproxy-http haproxy-tcp nginx-nopool direct; do
      have "$c" "$peer" || continue
      if [ "$peer" = nginx-nopool ]; then
        echo "| $c / $peer | - | $(both close 3 "$c" "$peer") | - | $(both close 6 "$c" "$peer") | - | - | $(both close 5 "$c" "$peer") |"
      else
        echo "| $c / $peer | $(both keepalive 3 "$c" "$peer") | $(both close 3 "$c" "$peer") | $(both keepalive 6 "$c" "$peer") | $(both close 6 "$c" "$peer") | $(both keepalive 5 "$c" "$peer") | $(both c1 5 "$c" "$peer") | $(both close 5 "$c" "$peer") |"
      fi
    done
  done
  if [ -n "$with_containers" ]; then
    echo
    echo "## The container path"
    echo
    echo "A container service against an \`upstream\` service in the same cless: first to the same container (the same"
    echo "backend and network path; what is left is the lifecycle: leases, the pool), then to the host backend."
    echo "\`container / direct\` is the difference between the two backends alone. Target: container path >= 0.95 x."
    echo
    echo "| ratio | keep-alive req/s | new conn req/s | CPU/req keep-alive | CPU/conn | p99 c50 | p99 c1 |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    for pair in "cless-ctr cless-ctr-up" "cless-1-ctr cless-1-ctr-up" "cless-ctr cless" "cless-1-ctr cless-1" "container direct"; do
      read -r a b <<<"$pair"
      have "$a" "$b" || continue
      echo "| $a / $b | $(both keepalive 3 "$a" "$b") | $(both close 3 "$a" "$b") | $(both keepalive 6 "$a" "$b") | $(both close 6 "$a" "$b") | $(both keepalive 5 "$a" "$b") | $(both c1 5 "$a" "$b") |"
    done
  fi
  echo
  echo "## Memory and checks"
  echo
  for c in cless cless1; do
    name=$([ "$c" = cless1 ] && echo cless-1 || echo cless)
    peak=${hwm[$c]:-0}; [ "${max_rss[$c]}" -gt "$peak" ] && peak=${max_rss[$c]}
    echo "- $name: peak RSS $(mib "$peak") MiB (target < 256 MB); heap after the runs: ${heap[$c]:-n/a}"
    [ -z "$with_containers" ] || echo "- $name container service: ${ctr_check[$c]}"
  done
  if awk -F'\t' '$7 != "" {found = 1} END {exit !found}' "$results"; then
    echo
    echo "Errors reported by wrk:"
    awk -F'\t' '$7 != "" {print "- " $1 " " $2 " round " $8 ": " $7}' "$results"
  else
    echo "- every run: no socket errors, no non-2xx responses"
  fi
} > "$out"
cat "$out"
log "written to $out"
if awk -F'\t' '$7 != "" {found = 1} END {exit !found}' "$results"; then
  log "some runs had errors (listed in the report)"
  exit 3
fi
