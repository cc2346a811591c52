#!/usr/bin/env bash
# Three InstaInstru nodes on 127.0.0.1 against one database, forming one actor cluster: HTTP on
# 8081-8083, actor remoting on 7081-7083, membership on 7181-7183 (BASE_HTTP, BASE_REMOTE and
# BASE_MEMBERSHIP move them). Runs until Ctrl-C, then stops its children. Expects the database
# migrated (make migrate; make seed-demo for demo data) and bin/instainstru built.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin/instainstru}
NODES=${NODES:-3}
BASE_HTTP=${BASE_HTTP:-8080}
BASE_REMOTE=${BASE_REMOTE:-7080}
BASE_MEMBERSHIP=${BASE_MEMBERSHIP:-7180}
LOG_DIR=${LOG_DIR:-$(mktemp -d -t instainstru-cluster.XXXXXX)}

members=""
for i in $(seq 1 "$NODES"); do
  members+="${members:+,}127.0.0.1:$((BASE_MEMBERSHIP + i))"
done

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping ${#pids[@]} nodes"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop INT TERM EXIT

for i in $(seq 1 "$NODES"); do
  HTTP_ADDR=127.0.0.1:$((BASE_HTTP + i)) \
  CLUSTER_NAME=${CLUSTER_NAME:-instainstru} \
  CLUSTER_ADDR=127.0.0.1:$((BASE_REMOTE + i)) \
  CLUSTER_MEMBERSHIP_PORT=$((BASE_MEMBERSHIP + i)) \
  CLUSTER_MEMBERS=$members \
    "$BIN" serve >"$LOG_DIR/node$i.log" 2>&1 &
  pids+=($!)
done

echo "waiting for $NODES nodes to see each other (logs in $LOG_DIR)"
for i in $(seq 1 "$NODES"); do
  url=http://127.0.0.1:$((BASE_HTTP + i))
  for _ in $(seq 1 120); do
    if curl -fsS "$url/readyz" 2>/dev/null | grep -q "\"members\":$NODES"; then break; fi
    if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null; then
      echo "node $i exited; its log:"; tail -20 "$LOG_DIR/node$i.log"; exit 1
    fi
    sleep 0.5
  done
done
echo
for i in $(seq 1 "$NODES"); do
  url=http://127.0.0.1:$((BASE_HTTP + i))
  echo "  node $i   API $url/api/v1   ready $url/readyz   actors 127.0.0.1:$((BASE_REMOTE + i))   membership 127.0.0.1:$((BASE_MEMBERSHIP + i))"
done
echo
echo "Ctrl-C stops all nodes."
wait
