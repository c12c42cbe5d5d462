#!/usr/bin/env bash
# Makes sure this host has what cless needs: a running Docker engine, busybox-static (for the example and test
# images, which are built FROM scratch around a static busybox) and PostgreSQL's server binaries (the tests of
# `--store postgres` start throwaway servers of their own with initdb; no system-wide server is set up or
# started). Installs what is missing when run as root on Debian/Ubuntu; starts dockerd itself where no init system
# manages it.
set -euo pipefail

log() { printf 'prepare-host: %s\n' "$*" >&2; }

need_packages=()
command -v dockerd >/dev/null 2>&1 || need_packages+=(docker.io)
[ -x /bin/busybox ] || need_packages+=(busybox-static)
# Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/<major>/bin.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null 2>&1 \
  || need_packages+=(postgresql)

if [ "${#need_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing: ${need_packages[*]}; run as root to install them, or install them yourself"
    exit 1
  fi
  log "installing ${need_packages[*]}"
  # The package would create and start a cluster on port 5432 that nothing here uses; its own configuration
  # directory says not to (read by postgresql-common's createcluster.conf).
  mkdir -p /etc/postgresql-common/createcluster.d
  [ -e /etc/postgresql-common/createcluster.d/cless.conf ] \
    || echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/cless.conf
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_packages[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "the Docker engine is not running and only root can start it here"
    exit 1
  fi
  # Published ports are reached through iptables rather than Docker's userland proxy (a process per port that
  # copies every byte): under a burst of a thousand connections the proxy reset about one in ten and held others
  # for a minute, while the kernel path answered all of them within 0.1 s. A daemon.json that decides this
  # itself wins (dockerd refuses a setting given both ways).
  dockerd_args=()
  grep -qs '"userland-proxy"' /etc/docker/daemon.json || dockerd_args+=(--userland-proxy=false)
  log "starting dockerd ${dockerd_args[*]} (log: /tmp/dockerd.log)"
  (setsid dockerd "${dockerd_args[@]}" >/tmp/dockerd.log 2>&1 &)
  for _ in $(seq 1 150); do
    docker info >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not come up; see /tmp/dockerd.log"
    tail -20 /tmp/dockerd.log >&2 || true
    exit 1
  fi
fi
log "Docker engine $(docker version --format '{{.Server.Version}}' 2>/dev/null) is running"
pg_bin=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -1 || true)
log "PostgreSQL $("${pg_bin:+$pg_bin/}postgres" --version | awk '{print $3}') server binaries are installed${pg_bin:+ in $pg_bin}"

