#!/usr/bin/env bash
# Side-by-side load comparison on this machine: one nginx backend answering a fixed small body, reached
# directly, through cless (an `upstream` service), through nginx as a reverse proxy, and through HAProxy in
# http and tcp mode. Every proxy gets one worker/thread. wrk runs in interleaved rounds so drift in the
# machine's speed hits every target alike; only ratios within one run mean anything.
#
# Usage: bench/compare.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--out FILE]
# Installs nginx-light, haproxy and wrk from Debian's packages when missing (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

rounds=3
duration=10
warmup=10
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: bench/compare.sh [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--out FILE]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).md"

log() { printf 'compare: %s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------------------
missing=()
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { log "missing ${missing[*]}; run as root to install them"; exit 1; }
  log "installing ${missing[*]}"
  # Keep the packages' own services from starting (and taking port 80) on install.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
  trap - EXIT
fi
if [ ! -f proxy/target/cless.jar ]; then
  log "building cless"
  mvn -q -B -DskipTests package
fi

# --- ports and work dir ---------------------------------------------------------------------------------------
BACKEND=18080 NGINX=18081 HAPROXY_HTTP=18082 HAPROXY_TCP=18083 CLESS=18084 CLESS_ADMIN=18085 NGINX_NOPOOL=18086
work="$(mktemp -d /tmp/cless-compare.XXXXXX)"
pids=()
cleanup() {
  set +e  # best effort: a failing kill or wait must not stop the clean-up
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
  # The same proxy without a pool of backend connections: one backend connection per request, the cost a relay
  # that binds each client connection to its own backend connection (cless, HAProxy tcp) pays per connection.
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
# Like the peers (access_log off, no HAProxy log), cless runs without its access log.
CLESS_ACCESS_LOG_LEVEL=OFF bin/cless serve --bind 127.0.0.1 --port "$CLESS" --admin-port "$CLESS_ADMIN" \
  --admin-token bench --store memory --data-dir "$work/cless-data" --event-loop-threads 1 \
  >"$work/cless.log" 2>&1 & pids+=($!)
cless_pid=$!

wait_port() {
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  log "nothing listens on port $1"; return 1
}
for port in $BACKEND $NGINX $NGINX_NOPOOL $HAPROXY_HTTP $HAPROXY_TCP $CLESS_ADMIN $CLESS; do wait_port "$port"; done
curl -sf -o /dev/null -H 'Authorization: Bearer bench' -d "{\"name\":\"bench\",\"upstream\":\"127.0.0.1:$BACKEND\"}" \
  "http://127.0.0.1:$CLESS_ADMIN/serviceDefinitions" || { log "could not register the upstream service"; exit 1; }

# nginx runs a master and one worker: the worker is the one that works, but count both.
nginx_proxy_pids() {
  local master; master=$(cat "$work/nginx-proxy/nginx.pid")
  echo "$master $(pgrep -P "$master" | tr '\n' ' ')"
}

# --- measuring --------------------------------------------------------------------------------------------
declare -A host_of=([direct]="127.0.0.1" [cless]="bench.localhost" [nginx]="127.0.0.1" [nginx-nopool]="127.0.0.1" [haproxy-http]="127.0.0.1" [haproxy-tcp]="127.0.0.1")
declare -A port_of=([direct]=$BACKEND [cless]=$CLESS [nginx]=$NGINX [nginx-nopool]=$NGINX_NOPOOL [haproxy-http]=$HAPROXY_HTTP [haproxy-tcp]=$HAPROXY_TCP)
targets=(direct cless nginx haproxy-http haproxy-tcp)
# Only for new connections: with keep-alive clients it would open a backend connection per request.
close_targets=(direct cless nginx nginx-nopool haproxy-http haproxy-tcp)

pids_of() {
  case "$1" in
    cless) echo "$cless_pid" ;;
    nginx|nginx-nopool) nginx_proxy_pids ;;
    haproxy-http|haproxy-tcp) echo "$haproxy_pid" ;;
    *) echo "" ;;
  esac
}
# CPU ticks (user + system) of the given processes.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
hz=$(getconf CLK_TCK)
to_ms() { # wrk latency value (e.g. 1.23ms, 850.00us, 1.02s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

results="$work/results.tsv"
: > "$results"
# run TARGET KIND CONNECTIONS: appends "target kind rps p50ms p99ms cpu_us_per_req" to the results.
run() {
  local target="$1" kind="$2" conns="$3" extra=()
  [ "$kind" = "close" ] && extra=(-H "Connection: close")
  local procs; procs=$(pids_of "$target")
  local before; before=$(cpu_ticks $procs)
  local text
  text=$(wrk -t1 -c"$conns" -d"${duration}s" --latency -H "Host: ${host_of[$target]}" "${extra[@]}" \
    "http://127.0.0.1:${port_of[$target]}/")
  local after; after=$(cpu_ticks $procs)
  local rps requests p50 p99 errors
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$text")
  requests=$(awk '/requests in/ {print $1}' <<<"$text")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$text")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$text")")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$text" | tr '\n' ' ')
  local cpu_us="-"
  if [ -n "$procs" ] && [ "${requests:-0}" -gt 0 ]; then
    cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v r="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / r }')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$kind" "$rps" "$p50" "$p99" "$cpu_us" "$errors" "${round:-0}" \
    >> "$results"
  log "$target $kind (c$conns): $rps req/s p50 ${p50} ms p99 ${p99} ms cpu ${cpu_us} us/req ${errors}"
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$cless_pid/status"; }
max_rss=0
note_rss() { local r; r=$(rss_kb); [ "$r" -gt "$max_rss" ] && max_rss=$r; return 0; }

# Every target is warmed up alike, on both paths: requests on open connections, and new connections (whose
# setup code a JIT-compiled proxy only compiles once it has run for a while).
log "warming up (${warmup} s per target and kind)"
for target in "${close_targets[@]}"; do
  wrk -t1 -c50 -d"${warmup}s" -H "Host: ${host_of[$target]}" "http://127.0.0.1:${port_of[$target]}/" >/dev/null
  wrk -t1 -c50 -d"${warmup}s" -H "Host: ${host_of[$target]}" -H "Connection: close" \
    "http://127.0.0.1:${port_of[$target]}/" >/dev/null
done
for round in $(seq 1 "$rounds"); do
  log "round $round of $rounds (keep-alive, 50 connections)"
  for target in "${targets[@]}"; do run "$target" keepalive 50; note_rss; done
done
log "latency (keep-alive, 1 connection)"
round=0
for target in "${targets[@]}"; do run "$target" c1 1; done
log "a new connection per request (50 connections)"
for round in $(seq 1 "$rounds"); do
  for target in "${close_targets[@]}"; do run "$target" close 50; note_rss; done
done
heap=$(jcmd "$cless_pid" GC.heap_info 2>/dev/null | awk '/total/ && /used/ {print; exit}' || true)

# --- report -----------------------------------------------------------------------------------------------
median() { sort -n | awk '{a[NR]=$1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.2f", (a[NR/2] + a[NR/2+1]) / 2 }'; }
stat() { # stat TARGET KIND COLUMN -> median over rounds
  awk -F'\t' -v t="$1" -v k="$2" -v c="$3" '$1 == t && $2 == k {print $c}' "$results" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# paired KIND A B -> median over rounds of A's req/s / B's req/s in the same round. Rounds interleave the targets, so
# the two runs of a pair saw the same machine; the pairs cancel drift between rounds.
paired() {
  awk -F'\t' -v k="$1" -v a="$2" -v b="$3" '$2 == k && $1 == a {x[$8] = $3} $2 == k && $1 == b {y[$8] = $3}
    END { for (r in x) if (y[r] > 0) print x[r] / y[r] }' "$results" |
    median | awk '{ if ($1 == "-") print; else printf "%.2f", $1 }'
}

mkdir -p "$(dirname "$out")"
{
  echo "# cless load comparison"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
  echo "- wrk -t1, ${duration} s per run, $rounds interleaved rounds (median shown), after ${warmup} s of warm-up per target and kind; backend: nginx, 1 worker, fixed 6-byte body"
  echo "- every proxy has one worker/thread and no access log; cless: --event-loop-threads 1, launcher defaults (bin/cless), CLESS_ACCESS_LOG_LEVEL=OFF"
  echo
  echo "| target | keep-alive c50 req/s | p50 ms | p99 ms | CPU µs/req | c1 p50 ms | c1 p99 ms | new conn/req c50 req/s | CPU µs/req |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  for target in "${close_targets[@]}"; do
    echo "| $target | $(stat "$target" keepalive 3) | $(stat "$target" keepalive 4) | $(stat "$target" keepalive 5) | $(stat "$target" keepalive 6) | $(stat "$target" c1 4) | $(stat "$target" c1 5) | $(stat "$target" close 3) | $(stat "$target" close 6) |"
  done
  echo
  ka_cless=$(stat cless keepalive 3)
  echo "Ratios of req/s: of the medians above, and (in brackets) the median of the per-round ratios."
  echo
  echo "| ratio | keep-alive | new connection per request |"
  echo "| --- | --- | --- |"
  for peer in nginx nginx-nopool haproxy-tcp haproxy-http direct; do
    ka="-"
    [ "$peer" = nginx-nopool ] || ka="$(ratio "$ka_cless" "$(stat "$peer" keepalive 3)") ($(paired keepalive cless "$peer"))"
    echo "| cless / $peer | $ka | $(ratio "$(stat cless close 3)" "$(stat "$peer" close 3)") ($(paired close cless "$peer")) |"
  done
  echo
  echo "cless RSS at most $((max_rss / 1024)) MiB during the runs; heap after the runs: ${heap:-n/a}"
  if grep -q . <(awk -F'\t' '$7 != ""' "$results"); then
    echo
    echo "Errors reported by wrk:"
    awk -F'\t' '$7 != "" {print "- " $1 " " $2 ": " $7}' "$results"
  fi
} > "$out"
cat "$out"
log "written to $out"
