#!/usr/bin/env bash
# Checks the ready-made Prometheus configuration and alert rules with promtool:
#   promtool check config deploy/prometheus/prometheus.yml   (also checks the rule files it names)
#   promtool check rules  deploy/prometheus/alerts.yml
# promtool is used from PATH or bin/tools; when missing it is taken from Debian's `prometheus`
# package (downloaded with `apt-get download` and unpacked into bin/tools: nothing is installed
# system-wide and no service starts). Without apt or the package the check is skipped, not failed:
# `make test` never depends on it, and the Go test TestDeployRulesUseServedMetrics still checks
# every metric name the rules use.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TOOLS_BIN:-$PWD/bin/tools}
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMTOOL" ] && [ -x "$BIN/promtool" ]; then
  PROMTOOL=$BIN/promtool
fi
if [ -z "$PROMTOOL" ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1); then
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
    mkdir -p "$BIN"
    cp "$tmp/x/usr/bin/promtool" "$BIN/promtool"
    PROMTOOL=$BIN/promtool
    echo "promtool: unpacked from Debian's prometheus package into $BIN"
  fi
fi
if [ -z "$PROMTOOL" ]; then
  echo "promtool: not available (install Debian's prometheus package); rule check skipped"
  exit 0
fi
"$PROMTOOL" check config deploy/prometheus/prometheus.yml
"$PROMTOOL" check rules deploy/prometheus/alerts.yml
