#!/usr/bin/env bash
# Known-vulnerability check of the whole module with govulncheck, against a Go vulnerability
# database built locally from the golang.org/x/vulndb module (its data/osv/*.json entries, turned
# into the file:// layout govulncheck reads: index/db.json, index/modules.json, index/vulns.json,
# ID/<id>.json, by vulndb's own cmd/indexdb). Only the module proxy is needed, once per database
# version; the database is kept under bin/vulndb/<version>.
#
#   bash scripts/vulncheck.sh            fail on vulnerable code reached in a dependency module;
#                                        standard library findings are listed, not fatal (they are
#                                        fixed by the Go toolchain, which is not pinned here)
#   bash scripts/vulncheck.sh --strict   fail on every reached vulnerability, standard library too
#
# VULNDB_VERSION=latest refreshes the database (default: the pinned version below, so a lint run
# is reproducible). Tools go to bin/tools (TOOLS_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STRICT=0
[ "${1:-}" = "--strict" ] && STRICT=1

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
BIN=${TOOLS_BIN:-$ROOT/bin/tools}
mkdir -p "$BIN"
# Module downloads and tool installs run outside the project's module, so they never touch
# go.mod or go.sum.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT

if [ "$VULNDB_VERSION" = "latest" ]; then
  VULNDB_VERSION=$(cd "$SCRATCH" && go list -m -f '{{.Version}}' golang.org/x/vulndb@latest)
fi
DB=$ROOT/bin/vulndb/$VULNDB_VERSION

if [ ! -x "$BIN/govulncheck" ] || ! "$BIN/govulncheck" -version 2>/dev/null | grep -q "$GOVULNCHECK_VERSION"; then
  echo "vulncheck: installing govulncheck $GOVULNCHECK_VERSION into $BIN"
  (cd "$SCRATCH" && GOBIN="$BIN" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
fi

if [ ! -f "$DB/index/modules.json" ]; then
  echo "vulncheck: building the vulnerability database $VULNDB_VERSION"
  src=$(cd "$SCRATCH" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  if [ ! -d "$src/data/osv" ]; then
    echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv directory" >&2
    exit 2
  fi
  (cd "$SCRATCH" && GOBIN="$BIN" go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION")
  rm -rf "$DB.tmp"
  "$BIN/indexdb" -vulns "$src/data/osv" -out "$DB.tmp"
  rm -rf "$DB" && mv "$DB.tmp" "$DB"
  echo "vulncheck: $(ls "$DB/ID" | grep -c '\.json$') entries in $DB"
fi

"$BIN/govulncheck" -db "file://$DB" -format json ./... >"$SCRATCH/findings.json"
STRICT=$STRICT DBV=$VULNDB_VERSION MAINMOD=$(go list -m) python3 - "$SCRATCH/findings.json" <<'PY'
import json, os, sys

text = open(sys.argv[1]).read()
dec, i, objs = json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    objs.append(obj)

summaries = {o["osv"]["id"]: o["osv"].get("summary", "") for o in objs if "osv" in o}
reached = {}  # (module, osv) -> (found version, fixed version, example call)
for o in objs:
    f = o.get("finding")
    if not f or not f.get("trace") or "function" not in f["trace"][0]:
        continue  # only code that is really called counts; imported-but-unused is informational
    top = f["trace"][0]
    # The project's frame nearest to the vulnerable symbol: where our code enters it.
    ours = [fr for fr in f["trace"] if fr.get("module") == os.environ["MAINMOD"] and "position" in fr]
    caller = ours[0] if ours else f["trace"][-1]
    where = caller.get("position", {})
    call = "%s:%s %s" % (where.get("filename", "?"), where.get("line", "?"), caller.get("function", ""))
    reached.setdefault((top["module"], f["osv"]), (top.get("version", ""), f.get("fixed_version", "none"), call))

strict = os.environ["STRICT"] == "1"
fatal = 0
for (mod, osv), (found, fixed, call) in sorted(reached.items()):
    std = mod == "stdlib"
    bad = strict or not std
    fatal += bad
    print("%s %s %s@%s, fixed in %s: %s (e.g. %s)" % ("FAIL" if bad else "note", osv, mod, found, fixed,
                                                       summaries.get(osv, ""), call))
std = sum(1 for (m, _) in reached if m == "stdlib")
print("vulncheck: database %s; %d reached vulnerabilities (%d in the standard library: upgrade the Go toolchain)"
      % (os.environ["DBV"], len(reached), std))
sys.exit(1 if fatal else 0)
PY
