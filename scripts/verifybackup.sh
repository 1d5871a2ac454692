#!/usr/bin/env bash
# Checks backups in SREKIT_BACKUP_REPO with `srekit backup verify`: by
# default the newest backup (of SREKIT_BACKUP_CLASS when set). The exit code
# is srekit's: 0 when every checked backup passed, 1 when one is damaged, 10
# without a repository, 12 for a wrong key, 2 for bad settings.
#
# Usage: verifybackup.sh [--env-file FILE] [-- EXTRA-VERIFY-ARGS...]
#
# Settings:
#   SREKIT_BACKUP_REPO            repository directory or s3:// URL (required)
#   SREKIT_BACKUP_CLASS           check the newest backup of this class
#   SREKIT_BACKUP_VERIFY          quick (default), full, or a sample percentage such as 10%
#   SREKIT_BACKUP_VERIFY_ALL      1 to check every backup
#   SREKIT_BACKUP_KEY_FILE        key file, or
#   SREKIT_BACKUP_PASSPHRASE_ENV  name of the variable with the passphrase
#   SREKIT_BACKUP_METRICS_DIR     node-exporter textfile directory, read by srekit
#   SREKIT_BIN                    srekit executable (default: srekit on PATH)
set -euo pipefail

# shellcheck source=scripts/backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"
srekit_load_env "$@"
srekit_require SREKIT_BACKUP_REPO
srekit_find_cli

args=(backup verify --repo "$SREKIT_BACKUP_REPO")
if [[ -n ${SREKIT_BACKUP_CLASS:-} ]]; then
  args+=(--class "$SREKIT_BACKUP_CLASS")
fi
mode=${SREKIT_BACKUP_VERIFY:-quick}
case $mode in
  quick) ;;
  full) args+=(--full) ;;
  *%) args+=(--sample "${mode%\%}") ;;
  *)
    srekit_usage_error "SREKIT_BACKUP_VERIFY=$mode is not quick, full or a percentage such as 10%"
    ;;
esac
if [[ ${SREKIT_BACKUP_VERIFY_ALL:-0} == 1 ]]; then
  args+=(--all)
fi
srekit_key_args
exec "${srekit[@]}" "${args[@]}" "${passthrough[@]}"
