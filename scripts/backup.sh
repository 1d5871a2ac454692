#!/usr/bin/env bash
# Backs up SREKIT_BACKUP_SOURCE into SREKIT_BACKUP_REPO with `srekit backup
# create`, then applies the retention policy of the class when any
# SREKIT_BACKUP_KEEP_* variable is set. The exit code is srekit's: 0, 3 when
# some source files were skipped, 10 without a repository, 11 while prune
# holds the lock, 12 for a wrong key, 2 for bad settings, 1 otherwise.
#
# Usage: backup.sh [--env-file FILE] [-- EXTRA-CREATE-ARGS...]
#
# Settings:
#   SREKIT_BACKUP_REPO            repository directory or s3:// URL (required)
#   SREKIT_BACKUP_SOURCE          directory, sqlite:PATH or postgres:// URL (required)
#   SREKIT_BACKUP_CLASS           data class (default: default)
#   SREKIT_BACKUP_KEY_FILE        key file, or
#   SREKIT_BACKUP_PASSPHRASE_ENV  name of the variable with the passphrase
#   SREKIT_BACKUP_COMPRESSION     zstd, gzip or none (default: zstd)
#   SREKIT_BACKUP_METRICS_DIR     node-exporter textfile directory, read by srekit
#   SREKIT_BACKUP_KEEP_LAST, _HOURLY, _DAILY, _WEEKLY, _MONTHLY, _WITHIN
#                                 retention, passed to `srekit backup prune`
#   SREKIT_BIN                    srekit executable (default: srekit on PATH)
set -euo pipefail

# shellcheck source=scripts/backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"
srekit_load_env "$@"
srekit_require SREKIT_BACKUP_REPO
srekit_require SREKIT_BACKUP_SOURCE
srekit_find_cli
class=${SREKIT_BACKUP_CLASS:-default}

args=(backup create --repo "$SREKIT_BACKUP_REPO" --source "$SREKIT_BACKUP_SOURCE"
  --class "$class")
if [[ -n ${SREKIT_BACKUP_COMPRESSION:-} ]]; then
  args+=(--compression "$SREKIT_BACKUP_COMPRESSION")
fi
srekit_key_args
status=0
"${srekit[@]}" "${args[@]}" "${passthrough[@]}" || status=$?
# Exit 3 still wrote a backup, so retention applies after it too.
if [[ $status -ne 0 && $status -ne 3 ]]; then
  exit "$status"
fi

rules=()
for rule in last hourly daily weekly monthly within; do
  variable=SREKIT_BACKUP_KEEP_${rule^^}
  if [[ -n ${!variable:-} ]]; then
    rules+=("--keep-$rule" "${!variable}")
  fi
done
if [[ ${#rules[@]} -gt 0 ]]; then
  "${srekit[@]}" backup prune --repo "$SREKIT_BACKUP_REPO" --class "$class" "${rules[@]}" \
    || exit $?
fi
exit "$status"
