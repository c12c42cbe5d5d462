#!/usr/bin/env bash
# A multi-node Docker Swarm on this one machine: three Docker engines, each in a network namespace of its own and
# joined by veth pairs to one bridge (their addresses are the only targets besides loopback), formed into one swarm
# (lab-n1 the manager, lab-n2 and lab-n3 workers), the images loaded on every node. Reports, in one run:
#   (a) cold start on swarm: scale 0 -> 1 through core's SwarmClient, to the task running and to its first 200 at
#       node address + published port, the task on a worker (lab-n2); beside a plain container start on lab-n2's
#       engine (create, start, first 200), rounds alternating;
#   (b) request throughput with wrk (keep-alive) to a task on another node (lab-n3) reached directly at its address
#       and published port, beside a plain container on lab-n3, rounds interleaved;
#   (c) through cless: cold start to first byte with --runtime swarm beside --runtime docker (the host's engine),
#       cycles alternating; and wrk through the swarm cless to its task beside the task reached directly;
#   (d) Swarm's ingress routing mesh and virtual IPs: probed, and reported as working or as why not.
# A step that cannot work here stops the run with a line saying which step and why; everything made is removed on
# exit, INT and TERM. The host's own engine only builds the images and never joins the swarm.
#
# Usage: bench/swarm-lab.sh [--cycles N] [--rounds N] [--duration SECONDS] [--connections N] [--out FILE]
# Needs root (namespaces, dockerd), iproute2, util-linux; installs wrk from Debian's packages when missing.
# The lab's /24 is SWARM_LAB_PREFIX (default 10.213.57): the host gets .1, the nodes .11, .12, .13.
set -euo pipefail
cd "$(dirname "$0")/.."

cycles=10
rounds=2
duration=10
connections=50
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --cycles) cycles="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: bench/swarm-lab.sh [--cycles N] [--rounds N] [--duration S] [--connections N] [--out FILE]" >&2
       exit 2 ;;
  esac
done
[ -n "$out" ] || out="bench/results/swarm-lab-$(date -u +%Y%m%dT%H%M%SZ).md"
log_tag=swarm-lab
# shellcheck source=bench/lib.sh
. bench/lib.sh

ENGINE=scripts/swarm-engine.sh
NET=lab
PREFIX="${SWARM_LAB_PREFIX:-10.213.57}"
HELLO=cless-test/hello:latest
NODES=(n1 n2 n3)
declare -A addr sock
work="$(mktemp -d /tmp/cless-swarm-lab.XXXXXX)"
lab_up=""
swarm_pid="" docker_pid=""

cleanup() {
  set +e  # best effort: a failing step of the clean-up must not stop the rest
  [ -n "$child" ] && kill "$child" 2>/dev/null && wait "$child" 2>/dev/null
  for pid in $swarm_pid $docker_pid; do stop_process "$pid" 60; done
  remove_installation_containers "$work/cless-docker"  # what a killed docker-runtime cless leaves on the host
  [ -n "$lab_up" ] && "$ENGINE" net-down "$NET"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# fail STEP WHY: the one line that says which step could not work here, and why.
fail() { log "step '$1' failed: $2"; exit 1; }
node() { local n="$1"; shift; docker -H "${sock[$n]}" "$@"; }

# --- the host -------------------------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "prerequisites" "network namespaces and private dockerd need root"
for tool in ip nsenter unshare curl; do
  command -v "$tool" >/dev/null 2>&1 || fail "prerequisites" "$tool is not installed"
done
command -v wrk >/dev/null 2>&1 || install_packages wrk || fail "prerequisites" "wrk could not be installed"
scripts/prepare-host.sh
ensure_built
examples/hello/build.sh
NGINX=$(bench/nginx-image.sh)

# --- the lab: three engines, one swarm ------------------------------------------------------------------------
"$ENGINE" sweep
"$ENGINE" net-up "$NET" "$PREFIX" "$$" || fail "network" "scripts/swarm-engine.sh net-up $NET $PREFIX refused (see above)"
lab_up=1
for i in 1 2 3; do
  n="n$i"
  line=$("$ENGINE" engine-up "$NET" "$n" "$i") || fail "engine $n" "its dockerd did not come up (see above)"
  addr[$n]="${line%% *}"
  sock[$n]="${line#* }"
done
log "engines: ${addr[n1]} ${addr[n2]} ${addr[n3]}"
node n1 swarm init --advertise-addr "${addr[n1]}" >/dev/null 2>"$work/init.err" ||
  fail "swarm init" "$(cat "$work/init.err")"
token=$(node n1 swarm join-token -q worker)
for n in n2 n3; do
  node "$n" swarm join --token "$token" --advertise-addr "${addr[$n]}" "${addr[n1]}:2377" >/dev/null \
    2>"$work/join.err" || fail "swarm join of $n" "$(cat "$work/join.err")"
done
deadline=$((SECONDS + 30))
until [ "$(node n1 node ls --format '{{.Status}}' | grep -c '^Ready$')" -eq 3 ]; do
  [ "$SECONDS" -lt "$deadline" ] || fail "swarm join" "not all three nodes are Ready after 30 s: $(node n1 node ls)"
  sleep 0.2
done
for n in "${NODES[@]}"; do
  docker save "$HELLO" "$NGINX" | node "$n" load -q >/dev/null || fail "image load on $n" "docker load failed"
done
log "swarm of 3 nodes up, $HELLO and $NGINX on every node"

# running_task SERVICE: the id of its task that runs, after waiting up to 60 s for one.
running_task() {
  local service="$1" deadline=$((SECONDS + 60)) id
  while [ "$SECONDS" -lt "$deadline" ]; do
    id=$(node n1 service ps -q --filter desired-state=running "$service" 2>/dev/null | head -1)
    if [ -n "$id" ] && [ "$(node n1 inspect --format '{{.Status.State}}' "$id")" = running ]; then
      echo "$id"
      return 0
    fi
    sleep 0.2
  done
  node n1 service ps --no-trunc "$service" >&2 || true
  return 1
}

# task_port SERVICE: the host port its running task publishes on its node (the node's port allocator picks it).
task_port() {
  local id port
  id=$(running_task "$1") || return 1
  port=$(node n1 inspect --format '{{range .Status.PortStatus.Ports}}{{.PublishedPort}} {{end}}' "$id")
  port="${port%% *}"
  [ -n "$port" ] && echo "$port"
}

# --- (a) cold start to first 200 ----------------------------------------------------------------------------
per_round=$(( (cycles + rounds - 1) / rounds ))
log "(a) cold start: $rounds rounds of $per_round cycles, swarm (task on lab-n2) and a plain container on lab-n2"
: > "$work/swarm.tsv"; : > "$work/plain.tsv"
for r in $(seq 1 "$rounds"); do
  run_fg java -cp bench/target/benchmarks.jar cloud.cless.bench.engine.SwarmColdStart --docker-host "${sock[n1]}" \
    --image "$HELLO" --revision "lab-cold-0000$r" --constraint "node.hostname==$NET-n2" --cycles "$per_round" \
    > "$work/swarm.out" 2>>"$work/swarm.err" || fail "(a) swarm cold start" "$(tail -5 "$work/swarm.err")"
  grep -v '^#' "$work/swarm.out" >> "$work/swarm.tsv"
  run_fg java -cp bench/target/benchmarks.jar cloud.cless.bench.engine.EngineColdStart --docker-host "${sock[n2]}" \
    --image "$HELLO" --address "${addr[n2]}" --host-port $((18200 + 100 * r)) --cycles "$per_round" \
    > "$work/plain.out" 2>>"$work/plain.err" || fail "(a) plain container start" "$(tail -5 "$work/plain.err")"
  grep -v '^#' "$work/plain.out" >> "$work/plain.tsv"
done
task_poll=$(sed -n 's/^swarm-coldstart: \(tasks polled every [0-9]* ms\).*/\1/p' "$work/swarm.err" | head -1)

# wrk_round STEP LABEL TSV WRK-ARGS...: one measured wrk run, appended to TSV as label, req/s, p50, p99, errors.
wrk_round() {
  local step="$1" label="$2" tsv="$3" rps p50 p99 errors; shift 3
  run_fg wrk -t1 -c"$connections" -d"${duration}s" --latency "$@" > "$work/wrk.out" 2>&1 ||
    fail "$step" "$(tail -3 "$work/wrk.out")"
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.out")
  p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")")
  p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")")
  errors=$(awk '/Socket errors|Non-2xx/ {sub(/^ +/, ""); printf "%s; ", $0}' "$work/wrk.out")
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$rps" "$p50" "$p99" "${errors:-none}" >> "$tsv"
}

# --- (b) throughput to a task on another node -----------------------------------------------------------------
log "(b) throughput: wrk -t1 -c$connections, $rounds rounds of ${duration} s, to a task on lab-n3 and a plain container there"
node n1 service create -d --quiet --no-resolve-image --name cless-lab-web --endpoint-mode dnsrr \
  --publish mode=host,target=8080 --constraint "node.hostname==$NET-n3" --replicas 1 "$NGINX" >/dev/null ||
  fail "(b) service" "the manager refused the service"
web_port=$(task_port cless-lab-web) || fail "(b) service" "its task did not run within 60 s"
node n3 run -d --name lab-plain-web -p "${addr[n3]}:18300:8080" "$NGINX" >/dev/null ||
  fail "(b) plain container" "lab-n3's engine did not start it"
declare -A target=([swarm]="http://${addr[n3]}:$web_port/" [plain]="http://${addr[n3]}:18300/")
for t in swarm plain; do
  deadline=$((SECONDS + 30))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${target[$t]}")" = 200 ]; do
    [ "$SECONDS" -lt "$deadline" ] || fail "(b) $t target" "${target[$t]} did not answer 200 within 30 s"
    sleep 0.1
  done
  wrk -t1 -c"$connections" -d3s "${target[$t]}" >/dev/null # warm-up
done
: > "$work/wrk.tsv"
for r in $(seq 1 "$rounds"); do
  for t in swarm plain; do
    wrk_round "(b) wrk against $t" "$t" "$work/wrk.tsv" "${target[$t]}"
  done
done

# --- (c) through cless with --runtime swarm -------------------------------------------------------------------
# Two cless processes in the host namespace, started the same way: one with --runtime swarm against the manager,
# one with the docker runtime on the host's engine. Cold start: a fresh service per cycle on each (its spare made:
# the swarm service at 0 replicas, the created container), then its first request, cycles alternating. Throughput:
# a service of "$NGINX" through the swarm cless, beside its task reached directly, rounds interleaved.
log "(c) cless --runtime swarm beside cless --runtime docker: $cycles cold starts each, then throughput"
SWARM_CLESS=18500 SWARM_ADMIN=18501 DOCKER_CLESS=18502 DOCKER_ADMIN=18503 TOKEN=swarm-lab
for port in $SWARM_CLESS $SWARM_ADMIN $DOCKER_CLESS $DOCKER_ADMIN; do
  port_free "$port" || fail "(c) cless" "port $port is in use"
done
start_cless() { # start_cless NAME PORT ADMIN_PORT FLAGS...: prints its PID
  local name="$1" port="$2" admin="$3"; shift 3
  CLESS_ACCESS_LOG_LEVEL=OFF bin/cless serve --bind 127.0.0.1 --port "$port" --admin-port "$admin" \
    --admin-token "$TOKEN" --store memory --data-dir "$work/$name" --stop-timeout 1s "$@" \
    >"$work/$name.log" 2>&1 &
  echo $!
}
swarm_pid=$(start_cless cless-swarm "$SWARM_CLESS" "$SWARM_ADMIN" --runtime swarm --docker-host "${sock[n1]}")
docker_pid=$(start_cless cless-docker "$DOCKER_CLESS" "$DOCKER_ADMIN" --port-range 18600-18699)
for admin_port in $SWARM_ADMIN $DOCKER_ADMIN; do
  deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null "http://127.0.0.1:$admin_port/healthz"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "(c) cless" "not serving within 60 s: $(tail -5 "$work"/cless-*.log)"
    sleep 0.2
  done
done
admin() { # admin PORT METHOD PATH [JSON]
  curl -sf -o /dev/null -X "$2" -H "Authorization: Bearer $TOKEN" ${4:+-d "$4"} "http://127.0.0.1:$1$3"
}
ttfb_ms() { # ttfb_ms PORT HOST: ms to the first response byte through cless; fails unless the status is 200
  curl -s -o /dev/null --max-time 60 -w '%{http_code} %{time_starttransfer}\n' -H "Host: $2" "http://127.0.0.1:$1/" |
    awk '{ if ($1 == "200") printf "%.1f\n", $2 * 1000; else { print "status " $1 > "/dev/stderr"; exit 1 } }'
}
spare_ready() { # spare_ready RUNTIME NAME: the revision's spare exists (swarm service, or created container)
  if [ "$1" = swarm ]; then
    [ -n "$(node n1 service ls -q --filter "label=cloud.cless.revision=$2-00001")" ]
  else
    [ -n "$(docker ps -aq --filter "label=cloud.cless.revision=$2-00001" --filter status=created)" ]
  fi
}
: > "$work/cless-cold.tsv"
for i in $(seq 1 "$cycles"); do
  for runtime in swarm docker; do
    name="lab-$runtime-$i"
    [ "$runtime" = swarm ] && { port=$SWARM_CLESS; admin_port=$SWARM_ADMIN; } ||
      { port=$DOCKER_CLESS; admin_port=$DOCKER_ADMIN; }
    admin "$admin_port" POST /serviceDefinitions "{\"name\":\"$name\",\"image_name\":\"cless-test/hello\"}" ||
      fail "(c) cless $runtime" "registering $name was refused"
    deadline=$((SECONDS + 30))
    until spare_ready "$runtime" "$name"; do
      [ "$SECONDS" -lt "$deadline" ] || fail "(c) cless $runtime" "no spare for $name within 30 s"
      sleep 0.1
    done
    ms=$(ttfb_ms "$port" "$name.localhost" 2>"$work/ttfb.err") ||
      fail "(c) cless $runtime cold start" "$(cat "$work/ttfb.err"); $(tail -3 "$work/cless-$runtime.log")"
    where=host
    [ "$runtime" = swarm ] && where=$(node n1 service ps --filter desired-state=running --format '{{.Node}}' \
      "$(node n1 service ls -q --filter "label=cloud.cless.revision=$name-00001")" | head -1)
    printf '%s\t%s\t%s\n' "$runtime" "$ms" "$where" >> "$work/cless-cold.tsv"
    admin "$admin_port" DELETE "/serviceDefinitions/$name" || fail "(c) cless $runtime" "deleting $name was refused"
  done
done

admin "$SWARM_ADMIN" POST /serviceDefinitions "{\"name\":\"lab-web\",\"image_name\":\"${NGINX%:*}\",
  \"image_tag\":\"${NGINX##*:}\",\"port\":8080}" || fail "(c) cless web" "registering lab-web was refused"
ttfb_ms "$SWARM_CLESS" lab-web.localhost >/dev/null 2>"$work/ttfb.err" ||
  fail "(c) cless web" "$(cat "$work/ttfb.err"); $(tail -3 "$work/cless-swarm.log")"
web_node=$(node n1 service ps --filter desired-state=running --format '{{.Node}}' \
  "$(node n1 service ls -q --filter label=cloud.cless.revision=lab-web-00001)" | head -1)
wrk -t1 -c"$connections" -d3s -H "Host: lab-web.localhost" "http://127.0.0.1:$SWARM_CLESS/" >/dev/null # warm-up
: > "$work/wrk-c.tsv"
for r in $(seq 1 "$rounds"); do
  for t in direct cless; do
    if [ "$t" = cless ]; then
      wrk_round "(c) wrk through cless" cless "$work/wrk-c.tsv" -H "Host: lab-web.localhost" "http://127.0.0.1:$SWARM_CLESS/"
    else
      wrk_round "(c) wrk direct" direct "$work/wrk-c.tsv" "${target[swarm]}"
    fi
  done
done
for pid in $swarm_pid $docker_pid; do stop_process "$pid" 60; done
swarm_pid="" docker_pid=""

# --- (d) ingress routing mesh and virtual IPs -----------------------------------------------------------------
log "(d) probing the ingress routing mesh (published port 18400 on every node)"
node n1 service create -d --quiet --no-resolve-image --name lab-mesh --publish published=18400,target=8080 \
  --constraint "node.hostname==$NET-n2" --replicas 1 "$HELLO" >/dev/null 2>"$work/mesh.err" || true
mesh_task="did not run within 60 s ($(head -c 300 "$work/mesh.err"))"
running_task lab-mesh >/dev/null 2>&1 && mesh_task="runs on lab-n2"
mesh="" mesh_ok=0
for n in "${NODES[@]}"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://${addr[$n]}:18400/" 2>/dev/null) || true
  case "$code" in
    200) mesh+="${addr[$n]}:18400 answers 200; "; mesh_ok=$((mesh_ok + 1)) ;;
    000|"") mesh+="${addr[$n]}:18400 does not answer (refused or timed out); " ;;
    *) mesh+="${addr[$n]}:18400 answers $code; " ;;
  esac
done
ipvs_says=$(grep -h -o 'Could not get ipvs family information[^"]*' /tmp/cless-swarm/"$NET"/n*/dockerd.log \
  2>/dev/null | head -1 || true)
[ -e /proc/net/ip_vs ] && ipvs_kernel="present" || ipvs_kernel="absent (no /proc/net/ip_vs, and no loadable modules)"
if [ "$mesh_ok" -eq "${#NODES[@]}" ]; then
  mesh_verdict="the routing mesh works here: every node forwards the published port to the task"
else
  mesh_verdict="the routing mesh does not work here ($mesh_ok of ${#NODES[@]} nodes forward the port); cless does not"
  mesh_verdict+=" need it: it picks the task itself and reaches it at node address + published port"
fi

# --- report ---------------------------------------------------------------------------------------------------
col() { cut -f"$1" "$2"; }
sum_cols() { awk -F'\t' -v a="$1" -v b="$2" '{ printf "%.1f\n", $a + $b }' "$3"; }
row() { # row LABEL < numbers
  local f; f=$(mktemp "$work/row.XXXXXX"); cat > "$f"
  echo "| $1 | $(median < "$f") | $(pct 90 < "$f") | $(sort -n "$f" | head -1) | $(sort -n "$f" | tail -1) | $(wc -l < "$f") |"
}
mkdir -p "$(dirname "$out")"
{
  echo "# Swarm lab: three engines on one machine"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); machine: $(nproc) cores, kernel $(uname -r); engines: Docker $(node n1 version --format '{{.Server.Version}}') (API 1.41)"
  echo "- nodes: lab-n1 ${addr[n1]} (manager), lab-n2 ${addr[n2]}, lab-n3 ${addr[n3]} (workers); each engine in its own network namespace, veth pairs to one bridge; the host at $PREFIX.1"
  echo "- services: endpoint mode dnsrr, the container port published in host mode without a fixed host port (each task gets a port of its node)"
  echo
  echo "## (a) Cold start to first 200 (ms)"
  echo
  echo "Swarm: from the scale call (0 -> 1 replica, with the service's version index) through core's SwarmClient, to the"
  echo "manager listing the task as running with its published port (${task_poll:-tasks polled}), and to the first 200 at"
  echo "lab-n2's address and that port (polled on cless's readiness-probe schedule). Plain: the same image created and"
  echo "started on lab-n2's engine through the Docker API, to the first 200 at lab-n2's address. $rounds rounds alternating."
  echo
  echo "| measurement | median | p90 | min | max | n |"
  echo "| --- | --- | --- | --- | --- | --- |"
  col 1 "$work/swarm.tsv" | row "swarm: scale call answered"
  col 2 "$work/swarm.tsv" | row "swarm: task running, port known"
  col 3 "$work/swarm.tsv" | row "swarm: first 200"
  col 1 "$work/plain.tsv" | row "plain: create"
  sum_cols 1 2 "$work/plain.tsv" | row "plain: create + start to first 200"
  echo
  echo "## (b) Throughput to a task on another node, reached directly"
  echo
  echo "wrk -t1 -c$connections, keep-alive, ${duration} s per round, from the host namespace to lab-n3 ($NGINX: nginx, one worker, fixed 6-byte body)."
  echo
  echo "| target | round | requests/s | p50 ms | p99 ms | errors |"
  echo "| --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '{ n[$1]++; printf "| %s | %d | %s | %s | %s | %s |\n", ($1 == "swarm" ? "swarm task (dnsrr, host-mode port)" : "plain container on lab-n3"), n[$1], $2, $3, $4, $5 }' "$work/wrk.tsv"
  for t in swarm plain; do
    echo "- median $t: $(awk -F'\t' -v t="$t" '$1 == t {print $2}' "$work/wrk.tsv" | median) requests/s"
  done
  echo
  echo "## (c) Through cless: --runtime swarm beside --runtime docker"
  echo
  echo "Cold start to the first response byte through cless (curl's time_starttransfer), a fresh service of $HELLO per"
  echo "cycle whose spare was made (the swarm service at 0 replicas; the created container), cycles alternating. The"
  echo "swarm cless drives the manager lab-n1, Swarm places the task; the docker cless runs it on the host's engine."
  echo
  echo "| runtime | median ms | p90 | min | max | n | nodes the tasks ran on |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for t in swarm docker; do
    f="$work/cold-$t"; awk -F'\t' -v t="$t" '$1 == t {print $2}' "$work/cless-cold.tsv" > "$f"
    nodes=$(awk -F'\t' -v t="$t" '$1 == t {n[$3]++} END {for (k in n) printf "%s %d; ", k, n[k]}' "$work/cless-cold.tsv")
    echo "| $t | $(median < "$f") | $(pct 90 < "$f") | $(sort -n "$f" | head -1) | $(sort -n "$f" | tail -1) | $(wc -l < "$f") | ${nodes% } |"
  done
  echo
  echo "Throughput: wrk -t1 -c$connections, keep-alive, ${duration} s per round, through the swarm cless (Host"
  echo "lab-web.localhost, its task on $web_node) beside the task of (b) on lab-n3 reached directly, rounds interleaved."
  echo
  echo "| target | round | requests/s | p50 ms | p99 ms | errors |"
  echo "| --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '{ n[$1]++; printf "| %s | %d | %s | %s | %s | %s |\n", ($1 == "cless" ? "through cless" : "task directly"), n[$1], $2, $3, $4, $5 }' "$work/wrk-c.tsv"
  c_med=$(awk -F'\t' '$1 == "cless" {print $2}' "$work/wrk-c.tsv" | median)
  d_med=$(awk -F'\t' '$1 == "direct" {print $2}' "$work/wrk-c.tsv" | median)
  echo "- median through cless: $c_med requests/s; directly: $d_med requests/s; ratio $(awk -v a="$c_med" -v b="$d_med" 'BEGIN { printf "%.2f", a / b }')"
  echo
  echo "## (d) Ingress routing mesh and virtual IPs"
  echo
  echo "- IPVS in this kernel: $ipvs_kernel"
  echo "- a service with an ingress-published port 18400 (endpoint mode vip): task $mesh_task; ${mesh}"
  echo "- the engine says: ${ipvs_says:-nothing about IPVS}"
  echo "- so: $mesh_verdict"
} > "$out"
cat "$out"
log "written to $out"
