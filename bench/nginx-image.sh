#!/usr/bin/env bash
# Builds a keep-alive HTTP server image without a registry, for measuring a container service: Debian's nginx
# binary and the shared libraries it links (as ldd lists them), a minimal config, FROM scratch. The server answers
# every request with the same fixed body as compare.sh's host backend ("hello\n", text/plain) on port 8080, with
# keep-alive, as one worker in the foreground (daemon off), as user 65534, and logs only errors, to stderr.
#
# Usage: bench/nginx-image.sh [--tag IMAGE]          (default cless-bench/nginx:latest)
# Needs the Docker engine (scripts/prepare-host.sh) and /usr/sbin/nginx: installs nginx-light from Debian's
# packages when it is missing (as root). Prints the image name on stdout.
set -euo pipefail

tag="cless-bench/nginx:latest"
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    *) echo "usage: bench/nginx-image.sh [--tag IMAGE]" >&2; exit 2 ;;
  esac
done
log_tag=nginx-image
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

nginx_bin=/usr/sbin/nginx
[ -x "$nginx_bin" ] || install_packages nginx-light
docker info >/dev/null 2>&1 || { log "the Docker engine is not running (scripts/prepare-host.sh starts it)"; exit 1; }

ctx="$(mktemp -d /tmp/cless-nginx-image.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
root="$ctx/rootfs"
mkdir -p "$root/usr/sbin" "$root/etc/nginx" "$root/tmp" "$root/var/lib/nginx"
cp "$nginx_bin" "$root/usr/sbin/nginx"
# Every library the dynamic linker loads, the linker itself included, at the path the binary asks for.
libs=$(ldd "$nginx_bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
[ -n "$libs" ] || { log "ldd listed no libraries for $nginx_bin"; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
# nginx creates its temp dirs (body, proxy, ...) under the compiled-in /var/lib/nginx at start: they must be
# writable by the unprivileged user. /tmp holds the pid file.
chmod 1777 "$root/tmp" "$root/var/lib/nginx"

cat > "$root/etc/nginx/nginx.conf" <<'EOF'
# One worker, like compare.sh's host backend, so the two backends are alike.
worker_processes 1;
daemon off;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  server {
    listen 8080;
    location / { default_type text/plain; return 200 "hello\n"; }
  }
}
EOF
cat > "$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY rootfs/ /
USER 65534:65534
EXPOSE 8080
# -e stderr: the error log nginx opens before it reads its config (the compiled-in /var/log/nginx does not exist).
ENTRYPOINT ["/usr/sbin/nginx", "-e", "stderr", "-c", "/etc/nginx/nginx.conf"]
EOF

if ! out="$(docker build -q -t "$tag" "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
log "built $tag ($("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //'), $(echo "$libs" | wc -l) libraries)"
echo "$tag"
