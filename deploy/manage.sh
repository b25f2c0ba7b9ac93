#!/usr/bin/env bash
# Run a manage.py command exactly as the services run: as the stockdata user, in the app
# folder, with /etc/stockdata/env as its environment (through systemd, so the file is parsed
# the same way). Examples:
#   sudo deploy/manage.sh migrate --noinput
#   sudo deploy/manage.sh createsuperuser
#   sudo deploy/manage.sh backup_data --output /var/backups/stockdata/stockdata-$(date -u +%Y%m%dT%H%M%SZ).tar
set -euo pipefail
APP_DIR="${STOCKDATA_APP_DIR:-/srv/stockdata/app}"
# --pty for interactive use (createsuperuser), --pipe from cron and scripts.
if [ -t 0 ]; then MODE=--pty; else MODE=--pipe; fi
exec systemd-run --quiet --wait --collect "$MODE" \
  --uid=stockdata --gid=stockdata \
  -p EnvironmentFile=/etc/stockdata/env -p WorkingDirectory="$APP_DIR" \
  "$APP_DIR/.venv/bin/python" manage.py "$@"
