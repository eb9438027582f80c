#!/usr/bin/env bash
# Browser prerequisites of the teaching-page test: Debian's chromium (Playwright drives it; its own
# browser download is not used) and Solara's JavaScript assets cached locally from the npm registry.
# Outside CI a failure here only means the browser test will be skipped; in CI (CI=true) it fails.
set -u
venv="${1:-.venv}"
strict="${CI:-}"
fail() { echo "setup_browser: $*" >&2; if [ -n "$strict" ]; then exit 1; fi; exit 0; }

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup_browser: installing Debian's chromium" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || fail "could not install chromium with apt-get"
  else
    fail "chromium is not installed (as root: apt-get install chromium); the browser test will be skipped"
  fi
fi
if [ -f scripts/setup_offline_assets.py ]; then
  "$venv/bin/python" scripts/setup_offline_assets.py || fail "could not fill Solara's asset cache"
fi
exit 0
