#!/bin/sh
# Installs the Debian packages ghpool needs to build and test, and only the
# missing ones. As root it runs apt-get; otherwise it prints the command.
set -eu

PACKAGES="gcc make pkg-config meson ninja-build libevent-dev libcurl4-openssl-dev
libjansson-dev libssl-dev libcriterion-dev libjq-dev git python3 python3-pytest"
# Tests: promtool (Debian's prometheus) validates /metrics; PyYAML loads the
# Kubernetes manifests.
PACKAGES="$PACKAGES prometheus python3-yaml"
# Redis: hiredis to build, a redis-server for the tests to start.
PACKAGES="$PACKAGES libhiredis-dev redis-server"
# The GraphQL oracle test runs graphql-js: a node and npm already on PATH
# will do, else Debian's.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "ghpool needs these Debian packages:$missing" >&2
	echo "run as root: apt-get update && apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
