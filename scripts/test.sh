#!/usr/bin/env bash
# Runs the whole test suite, the Docker end-to-end tests included. Installs Docker and busybox-static first when
# they are missing and this runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/prepare-host.sh
exec mvn -B -ntp verify "$@"
