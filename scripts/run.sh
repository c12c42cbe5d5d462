#!/usr/bin/env bash
# Builds cless, builds the example image cless-test/hello, and runs `cless serve` with the given flags
# (default: port 80). Installs Docker and busybox-static first when they are missing and this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prepare-host.sh
mvn -q -B -DskipTests package
examples/hello/build.sh
exec bin/cless serve "$@"
