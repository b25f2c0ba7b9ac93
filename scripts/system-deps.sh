#!/usr/bin/env bash
# The system tools a make target needs. Installed where this user can (root with apt-get, as
# CI does); otherwise the target stops here with the exact command to run. Never skipped
# silently: `make test` without Chromium would pass without its browser tests.
#
#   scripts/system-deps.sh test | bench-ingest | bench-catalogue | bench-bundle | bench-delivery | bench-load | bench-royalties
#
# STOCKDATA_NO_APT=1 only names the command, without installing.
set -euo pipefail
target="${1:-test}"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

# "command-or-absolute-path:debian-package"
case "$target" in
  test) checks=("$chromium:chromium" "msgfmt:gettext" "unzip:unzip" "zip:zip" "7zz:7zip" "bsdtar:libarchive-tools"
                "nginx:nginx" "redis-server:redis-server") ;;
  bench-ingest) checks=("vipsthumbnail:libvips-tools") ;;
  bench-catalogue) checks=("wrk:wrk" "psql:postgresql-client") ;;
  bench-bundle) checks=("zip:zip" "unzip:unzip") ;;
  bench-delivery) checks=("curl:curl" "unzip:unzip") ;;
  bench-load) checks=("psql:postgresql-client" "redis-server:redis-server") ;;
  bench-royalties) checks=("psql:postgresql-client") ;;
  *) echo "scripts/system-deps.sh: unknown target '$target'" >&2; exit 2 ;;
esac

missing=()
for check in "${checks[@]}"; do
  tool="${check%%:*}"
  package="${check##*:}"
  if [[ "$tool" == /* ]]; then
    [ -x "$tool" ] || missing+=("$package")
  else
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("$package")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "${EUID:-1}" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${STOCKDATA_NO_APT:-}" ]; then
  echo "== make $target needs ${missing[*]}: installing with apt-get"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
    exit 0
  fi
  echo "!! apt-get could not install them" >&2
fi
sudo=""
[ "${EUID:-1}" = 0 ] || sudo="sudo "
echo "make $target needs system packages that are not installed: ${missing[*]}" >&2
echo "Install them, then run make $target again:" >&2
echo "    ${sudo}apt-get install -y ${missing[*]}" >&2
exit 1
