#!/usr/bin/env bash
# Start the web server and a real Celery worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
# Links in e-mails point at the address printed below (stockdata.mail.services.site_url).
export STOCKDATA_SITE_URL="${STOCKDATA_SITE_URL:-http://$HOST:$PORT}"
mkdir -p var/log

cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping web server and worker..."
  kill -TERM "${WORKER_PID:-}" "${WEB_PID:-}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

.venv/bin/celery -A stockdata worker --beat --loglevel info --concurrency 2 \
  --schedule var/celerybeat-schedule >var/log/worker.log 2>&1 &
WORKER_PID=$!
.venv/bin/python manage.py runserver "$HOST:$PORT" --noreload &
WEB_PID=$!

sleep 2
cat <<MSG

  Stockdata is running at $STOCKDATA_SITE_URL/
  Worker log: var/log/worker.log        API docs: $STOCKDATA_SITE_URL/api/docs/
MSG
.venv/bin/python manage.py seed_demo --logins-only
echo "  Press Ctrl-C to stop both."
wait -n "$WORKER_PID" "$WEB_PID"
