#!/usr/bin/env bash
# Private Docker engines for Swarm tests and labs, each in a network namespace of its own, so that a swarm can be
# formed without touching the host's own engine (which never joins a swarm).
#
#   swarm-engine.sh net-up NET PREFIX [OWNER_PID]   a hub namespace with a bridge, and a veth from the host to it;
#                                                   the host gets PREFIX.1/24 (PREFIX: three octets, e.g. 10.213.57)
#   swarm-engine.sh engine-up NET NODE INDEX        a namespace with address PREFIX.(10+INDEX) on the hub's bridge
#                                                   and a dockerd in it; prints "ADDRESS unix://SOCKET"
#   swarm-engine.sh net-down NET                    stops every engine of NET, removes its namespaces, links, files
#   swarm-engine.sh sweep                           net-down for every NET whose owner process has gone
#
# Why a hub namespace and not a bridge on the host: the host's engine sets the host's FORWARD policy to DROP, and
# with bridge netfilter on, frames bridged between two namespaces on a host bridge pass that chain and are dropped.
# A bridge inside a namespace of its own is forwarded by that namespace's empty (accepting) firewall, and the host
# firewall stays as it is. Node namespaces get no default route: an image pull then fails at once ("network is
# unreachable") instead of waiting for a DNS timeout, because a Swarm agent tries a pull before every task start.
#
# Names: namespaces cless-NET-hub and cless-NET-NODE, host link cless-NET (NET: at most 8 characters), state in
# /tmp/cless-swarm/NET. Needs root, iproute2, util-linux (nsenter, unshare) and docker.io (dockerd, docker).
set -euo pipefail

STATE_ROOT=/tmp/cless-swarm
ENGINE_START_SECONDS=30
ENGINE_STOP_SECONDS=20

log() { printf 'swarm-engine: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

net_dir() { printf '%s/%s' "$STATE_ROOT" "$1"; }
hub_ns() { printf 'cless-%s-hub' "$1"; }
node_ns() { printf 'cless-%s-%s' "$1" "$2"; }
host_link() { printf 'cless-%s' "$1"; }

ns_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

check_name() {
  [[ "$1" =~ ^[a-z0-9]{1,8}$ ]] || die "bad name '$1': 1 to 8 lower-case letters or digits"
}

net_up() {
  local net="$1" prefix="$2" owner="${3:-$PPID}"
  check_name "$net"
  [[ "$prefix" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "bad prefix '$prefix': three octets, e.g. 10.213.57"
  [ "$(id -u)" -eq 0 ] || die "network namespaces and dockerd need root"
  local dir hub link
  dir="$(net_dir "$net")" hub="$(hub_ns "$net")" link="$(host_link "$net")"
  [ ! -e "$dir" ] || die "$dir exists: network $net is up already (net-down $net first)"
  if ip -o -4 addr show to "$prefix.0/24" | grep -q .; then
    die "$prefix.0/24 is in use on this host: $(ip -o -4 addr show to "$prefix.0/24" | awk '{print $2}' | head -1)"
  fi
  # From here on a failing step takes down what the earlier ones made.
  trap 'log "net-up $net failed; removing what it made"; net_down "$net"' ERR
  mkdir -p "$dir"
  printf '%s\n' "$owner" > "$dir/owner"
  printf '%s\n' "$prefix" > "$dir/prefix"
  ip netns add "$hub"
  ip -n "$hub" link set lo up
  ip -n "$hub" link add br0 type bridge
  ip -n "$hub" link set br0 up
  ip link add "$link" type veth peer name uplink netns "$hub"
  ip -n "$hub" link set uplink master br0 up
  ip addr add "$prefix.1/24" dev "$link"
  ip link set "$link" up
  trap - ERR
}

engine_up() {
  local net="$1" node="$2" index="$3"
  check_name "$node"
  [[ "$index" =~ ^[0-9]+$ ]] && [ "$index" -ge 1 ] && [ "$index" -le 200 ] || die "bad index '$index': 1 to 200"
  local dir prefix ns hub address ndir sock
  dir="$(net_dir "$net")"
  [ -f "$dir/prefix" ] || die "network $net is not up (net-up $net PREFIX first)"
  prefix="$(cat "$dir/prefix")" ns="$(node_ns "$net" "$node")" hub="$(hub_ns "$net")"
  address="$prefix.$((10 + index))" ndir="$dir/$node" sock="$dir/$node/docker.sock"
  [ ! -e "$ndir" ] || die "engine $node of network $net exists already"
  trap 'log "engine-up $node failed; removing what it made"; engine_down "$net" "$node"' ERR
  mkdir -p "$ndir"
  printf '%s\n' "$address" > "$ndir/address"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip link add "v$node" netns "$hub" type veth peer name eth0 netns "$ns"
  ip -n "$hub" link set "v$node" master br0 up
  ip -n "$ns" addr add "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
  # Its own key file: the host engine's /etc/docker/key.json would give every engine the same engine id.
  printf '{"deprecated-key-path": "%s/key.json"}\n' "$ndir" > "$ndir/daemon.json"
  # A mount namespace of its own keeps the engine's layer mounts out of the host's mount table (they go away with
  # the last process in it), and a UTS namespace gives each Swarm node its own host name.
  (setsid nsenter --net="/run/netns/$ns" -- unshare --mount --uts --propagation slave -- \
      sh -c 'hostname "$1" && shift && exec "$@"' sh "$net-$node" \
      dockerd --config-file "$ndir/daemon.json" --data-root "$ndir/data" --exec-root "$ndir/exec" \
        --pidfile "$ndir/dockerd.pid" -H "unix://$sock" --userland-proxy=false \
        --swarm-default-advertise-addr "$address" \
      </dev/null >"$ndir/dockerd.log" 2>&1 &)
  local deadline=$((SECONDS + ENGINE_START_SECONDS))
  until docker -H "unix://$sock" version --format '{{.Server.Version}}' >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the engine $node of network $net did not answer on $sock within ${ENGINE_START_SECONDS} s; its log:"
      tail -20 "$ndir/dockerd.log" >&2 || true
      trap - ERR
      engine_down "$net" "$node"
      exit 1
    fi
    sleep 0.05
  done
  trap - ERR
  printf '%s unix://%s\n' "$address" "$sock"
}

# Every process in the namespace and their children (the container processes live in namespaces of their own, as
# children of the containerd shims in this one).
namespace_pids() {
  local ns="$1" pid
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    printf '%s\n' "$pid"
    pgrep -P "$pid" 2>/dev/null || true
  done
}

engine_down() {
  local net="$1" node="$2" dir ndir ns sock pid
  dir="$(net_dir "$net")" ndir="$(net_dir "$net")/$node" ns="$(node_ns "$net" "$node")"
  sock="$ndir/docker.sock"
  if [ -S "$sock" ] && timeout 5 docker -H "unix://$sock" version >/dev/null 2>&1; then
    # Services first, or the Swarm agent would start their tasks again while the engine shuts down (only a
    # manager has them; elsewhere this lists nothing). Then the containers, killed at once: an engine that stops
    # them itself waits out each one's grace period.
    local engine=(timeout 30 docker -H "unix://$sock")
    "${engine[@]}" service ls -q 2>/dev/null | xargs -r "${engine[@]}" service rm >/dev/null 2>&1 || true
    "${engine[@]}" ps -aq 2>/dev/null | xargs -r "${engine[@]}" rm -f -v >/dev/null 2>&1 || true
  fi
  pid="$(cat "$ndir/dockerd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + ENGINE_STOP_SECONDS))
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  fi
  if ns_exists "$ns"; then
    local left
    left="$(namespace_pids "$ns" | sort -u)"
    if [ -n "$left" ]; then
      # shellcheck disable=SC2086  # one pid per word
      kill -KILL $left 2>/dev/null || true
      sleep 0.2
    fi
    ip netns del "$ns" 2>/dev/null || log "could not delete namespace $ns"
  fi
  rm -rf "$ndir"
}

net_down() {
  local net="$1" dir hub node
  check_name "$net"
  dir="$(net_dir "$net")" hub="$(hub_ns "$net")"
  if [ -d "$dir" ]; then
    # In parallel: an engine that was a Swarm node takes a few seconds to stop its containerd.
    for node in $(find "$dir" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'); do
      engine_down "$net" "$node" &
    done
    wait
  fi
  # Namespaces of engines whose state directory is already gone (a half-finished engine-up).
  for node in $(ip netns list | awk '{print $1}' | grep "^cless-$net-" | grep -v -- '-hub$' | sed "s/^cless-$net-//"); do
    engine_down "$net" "$node"
  done
  ns_exists "$hub" && { ip netns del "$hub" || log "could not delete namespace $hub"; }
  ip link show "$(host_link "$net")" >/dev/null 2>&1 && ip link del "$(host_link "$net")" 2>/dev/null || true
  rm -rf "$dir"
}

sweep() {
  local dir net owner
  [ -d "$STATE_ROOT" ] || return 0
  for dir in "$STATE_ROOT"/*/; do
    [ -d "$dir" ] || continue
    net="$(basename "$dir")"
    owner="$(cat "$dir/owner" 2>/dev/null || true)"
    if [ -z "$owner" ] || ! kill -0 "$owner" 2>/dev/null; then
      log "removing network $net left behind by process ${owner:-?}"
      net_down "$net"
    fi
  done
}

case "${1:-}" in
  net-up) [ $# -ge 3 ] || die "usage: $0 net-up NET PREFIX [OWNER_PID]"; net_up "$2" "$3" "${4:-$PPID}" ;;
  engine-up) [ $# -eq 4 ] || die "usage: $0 engine-up NET NODE INDEX"; engine_up "$2" "$3" "$4" ;;
  net-down) [ $# -eq 2 ] || die "usage: $0 net-down NET"; net_down "$2" ;;
  sweep) sweep ;;
  *) die "usage: $0 net-up NET PREFIX [OWNER_PID] | engine-up NET NODE INDEX | net-down NET | sweep" ;;
esac
