#!/usr/bin/env bash
# dashboard-check.sh: load the job dashboard in a real (headless) browser and check that the
# page's JavaScript fetched and rendered the queue list.
#
# It installs Debian's chromium when missing, starts dashboard/internal/checkserver (which
# flushes Redis DB 9, enqueues three tasks into the queue "dashboard-check" and serves the
# dashboard behind Basic auth, read-only as in production), then dumps the rendered DOM and
# takes a screenshot. It first tries credentials in the URL (http://user:pass@host/...); when the
# browser will not use them, it loads the page through the check server's reverse proxy, which
# adds the Authorization header, and says so.
#
#   REDIS_URL  a Redis DB this check may flush (default redis://127.0.0.1:6379/9)
#   OUT        where the DOM dumps and the screenshot go (default: a new temporary directory)
#
# Exit status 0 when the rendered page lists the queue, 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/9}
OUT=${OUT:-$(mktemp -d)}
QUEUE=dashboard-check
USER_=admin
PASS=check-password

say() { printf '[dashboard-check] %s\n' "$*"; }
die() { printf '[dashboard-check] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
	say "chromium missing: installing Debian's package"
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >/dev/null ||
		die "could not install chromium (apt-get install -y chromium)"
	BROWSER=$(command -v chromium) || die "chromium still missing after install"
fi
say "browser: $("$BROWSER" --version 2>/dev/null || echo "$BROWSER")"

mkdir -p "$OUT"
BIN="$OUT/checkserver"
go build -o "$BIN" ./dashboard/internal/checkserver
"$BIN" -redis "$REDIS_URL" -queue "$QUEUE" -user "$USER_" -password "$PASS" -proxy >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
	grep -q '^proxy ' "$OUT/server.log" 2>/dev/null && break
	kill -0 "$SERVER" 2>/dev/null || die "check server exited: $(cat "$OUT/server.log")"
	sleep 0.1
done
DIRECT=$(awk '/^dashboard /{print $2}' "$OUT/server.log")
PROXY=$(awk '/^proxy /{print $2}' "$OUT/server.log")
[ -n "$DIRECT" ] && [ -n "$PROXY" ] || die "check server did not start: $(cat "$OUT/server.log")"
say "dashboard at $DIRECT (Basic auth), proxy at $PROXY"

browse() { # browse <url> <dom file> [extra flags...]
	local url=$1 dom=$2
	shift 2
	"$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d)" --virtual-time-budget=10000 "$@" "$url" >"$dom" 2>>"$OUT/browser.log"
}
# page_text <dom file>: the visible text the app rendered into <div id="root">, pieces joined by " | ".
page_text() {
	python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip, self.root, self.out = 0, False, []
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        if dict(attrs).get("id") == "root":
            self.root = True
    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
    def handle_data(self, data):
        if self.root and not self.skip and data.strip():
            self.out.append(data.strip())
t = Text()
t.feed(open(sys.argv[1], encoding="utf-8", errors="replace").read())
print(" | ".join(t.out))
PY
}
# shows_queue <dom file>: the rendered queue table has the row "<queue> | run | 3" (name, state,
# size: the three tasks the check server enqueued), which only the page's API calls can produce.
shows_queue() { page_text "$1" | grep -q "$QUEUE | run | 3 |"; }

# Negative control: without credentials the page must not render the queues.
browse "$DIRECT" "$OUT/dom-no-credentials.html" --dump-dom || true
if shows_queue "$OUT/dom-no-credentials.html"; then die "the dashboard rendered queues without credentials"; fi
say "without credentials: no queue list rendered (DOM of $(wc -c <"$OUT/dom-no-credentials.html") bytes)"

WITH_CREDS=${DIRECT/http:\/\//http://$USER_:$PASS@}
METHOD=""
browse "$WITH_CREDS" "$OUT/dom-url-credentials.html" --dump-dom || true
if shows_queue "$OUT/dom-url-credentials.html"; then
	METHOD="credentials in the URL"
	URL=$WITH_CREDS DOM=$OUT/dom-url-credentials.html
else
	say "credentials in the URL did not render the queue list; trying the auth-injecting proxy"
	browse "$PROXY" "$OUT/dom-proxy.html" --dump-dom || true
	if shows_queue "$OUT/dom-proxy.html"; then
		METHOD="reverse proxy adding the Authorization header"
		URL=$PROXY DOM=$OUT/dom-proxy.html
	fi
fi
[ -n "$METHOD" ] || die "no rendering listed queue $QUEUE; DOM dumps and browser.log are in $OUT"

browse "$URL" /dev/null --screenshot="$OUT/dashboard.png" --window-size=1280,900 || true
say "authenticated by: $METHOD"
say "rendered page text:"
page_text "$DOM" | fold -w 100 | sed 's/^/    /'
say "DOM: $DOM"
[ -s "$OUT/dashboard.png" ] && say "screenshot: $OUT/dashboard.png"
say "OK: the page lists queue $QUEUE"
