#!/usr/bin/env bash
# Debian packages the test suite needs: a PostgreSQL server for the PostgreSQL run of the database tests, and
# Chromium for the browser tests of the web pages (Playwright drives /usr/bin/chromium; no browser download), and
# nginx to check the deploy/ folder's reverse-proxy configuration (nginx -t; never started).
set -euo pipefail
PACKAGES=(postgresql chromium nginx-light)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "system-deps: please install: ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 0
  fi
else SUDO=""; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
