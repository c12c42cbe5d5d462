# Shell helpers shared by the bench scripts (sourced, not run). Each script sets `log_tag` before sourcing.

log() { printf '%s: %s\n' "${log_tag:-bench}" "$*" >&2; }

# install_packages PKG...: installs Debian packages that are missing, as root, without letting their services start
# (nginx and HAProxy would take port 80 on install). A policy-rc.d the host already has is left as it was.
install_packages() {
  [ "$#" -gt 0 ] || return 0
  [ "$(id -u)" -eq 0 ] || { log "missing $*; run as root to install them, or install them yourself"; return 1; }
  log "installing $*"
  local own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; } || rc=$?
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || log "could not install $*"
  return "$rc"
}

# ensure_built: builds cless and the benchmarks jar when either is missing or older than a source or pom file.
ensure_built() {
  local jar stale=""
  for jar in proxy/target/cless.jar bench/target/benchmarks.jar; do
    if [ ! -f "$jar" ] || [ -n "$(find pom.xml core admin proxy bench -newer "$jar" \
        \( -name pom.xml -o -path '*/src/main/*' \) -type f -print -quit 2>/dev/null)" ]; then
      stale=1
    fi
  done
  [ -z "$stale" ] && return 0
  log "building cless and the benchmarks jar (mvn package, no tests)"
  mvn -q -B -ntp -DskipTests package
}

# run_fg COMMAND...: runs a command in the background and waits for it, so that INT and TERM reach the script's
# traps at once instead of after the command ends; the EXIT trap stops "$child".
child=""
run_fg() {
  local rc=0
  "$@" &
  child=$!
  wait "$child" || rc=$?
  child=""
  return "$rc"
}

# port_free PORT: nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT [SECONDS]: until something listens on 127.0.0.1:PORT.
wait_port() {
  local deadline=$(( $(date +%s) + ${2:-30} ))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { log "nothing listens on port $1"; return 1; }
    sleep 0.1
  done
}

# stop_process PID [SECONDS]: TERM, then KILL when it has not exited within SECONDS (default 60).
stop_process() {
  local pid="$1" deadline=$(( $(date +%s) + ${2:-60} ))
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "process $pid did not stop within ${2:-60} s; killing it"
      kill -KILL "$pid" 2>/dev/null
      break
    fi
    sleep 0.1
  done
  wait "$pid" 2>/dev/null || true
}

# remove_installation_containers DATA_DIR: removes the containers a cless on DATA_DIR left behind (it removes its
# own on a clean exit; these are what a killed one leaves), by the installation label it puts on each.
remove_installation_containers() {
  local id
  id=$(cat "$1/installation.id" 2>/dev/null) || return 0
  [ -n "$id" ] || return 0
  docker ps -aq --filter "label=cloud.cless.installation=$id" | xargs -r docker rm -f >/dev/null 2>&1 || true
}

# to_ms VALUE: a wrk latency value (1.23ms, 850.00us, 1.02s) in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# median / pct P: of the numbers on stdin, one a line ("-" when there are none).
median() {
  sort -n | awk '{a[NR]=$1} END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR+1)/2];
    else printf "%.2f\n", (a[NR/2] + a[NR/2+1]) / 2 }'
}
pct() {
  sort -n | awk -v p="$1" '{a[NR]=$1} END { if (NR == 0) { print "-"; exit } i = int(NR * p / 100 + 0.999);
    if (i < 1) i = 1; print a[i] }'
}
