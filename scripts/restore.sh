#!/usr/bin/env bash
# Restores a backup from SREKIT_BACKUP_REPO with `srekit backup restore`:
# the newest backup (of SREKIT_BACKUP_CLASS when set), the one with
# SREKIT_BACKUP_RESTORE_ID, or the newest made at or before
# SREKIT_BACKUP_RESTORE_AT. The exit code is srekit's: 0, 1 when the backup
# is damaged or unsafe, 10 without a repository, 12 for a wrong key, 2 for
# bad settings or a target that is not empty without
# SREKIT_BACKUP_RESTORE_FORCE=1.
#
# Usage: restore.sh [--env-file FILE] [-- EXTRA-RESTORE-ARGS...]
#
# Settings:
#   SREKIT_BACKUP_REPO            repository directory or s3:// URL (required)
#   SREKIT_BACKUP_RESTORE_TO      target directory or database (required)
#   SREKIT_BACKUP_RESTORE_ID      backup id (default: latest)
#   SREKIT_BACKUP_RESTORE_AT      ISO 8601 time, such as 2026-12-04T17:00:00Z
#   SREKIT_BACKUP_RESTORE_FORCE   1 to replace a target that is not empty
#   SREKIT_BACKUP_CLASS           with latest or _AT: only backups of this class
#   SREKIT_BACKUP_KEY_FILE        key file, or
#   SREKIT_BACKUP_PASSPHRASE_ENV  name of the variable with the passphrase
#   SREKIT_BIN                    srekit executable (default: srekit on PATH)
set -euo pipefail

# shellcheck source=scripts/backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"
srekit_load_env "$@"
srekit_require SREKIT_BACKUP_REPO
srekit_require SREKIT_BACKUP_RESTORE_TO
srekit_find_cli

args=(backup restore --repo "$SREKIT_BACKUP_REPO" --to "$SREKIT_BACKUP_RESTORE_TO")
if [[ -n ${SREKIT_BACKUP_RESTORE_ID:-} ]]; then
  args+=(--id "$SREKIT_BACKUP_RESTORE_ID")
fi
if [[ -n ${SREKIT_BACKUP_RESTORE_AT:-} ]]; then
  args+=(--at "$SREKIT_BACKUP_RESTORE_AT")
fi
if [[ -n ${SREKIT_BACKUP_CLASS:-} ]]; then
  args+=(--class "$SREKIT_BACKUP_CLASS")
fi
if [[ ${SREKIT_BACKUP_RESTORE_FORCE:-0} == 1 ]]; then
  args+=(--force)
fi
srekit_key_args
exec "${srekit[@]}" "${args[@]}" "${passthrough[@]}"
