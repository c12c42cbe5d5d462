#!/usr/bin/env bash
# Builds the example image cless-test/hello:latest from this folder and the host's static busybox.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -x /bin/busybox ] || { echo "build.sh: /bin/busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
cp -r "$here/Dockerfile" "$here/www" "$ctx/"
cp /bin/busybox "$ctx/busybox"
chmod 755 "$ctx/www/cgi-bin/"*
if ! out="$(docker build -q -t cless-test/hello:latest "$ctx" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi
echo "built cless-test/hello:latest" >&2
