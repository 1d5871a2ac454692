# shellcheck shell=bash
# Shared by backup.sh, verifybackup.sh and restore.sh, which source it.
#
# Each script takes `--env-file FILE` (optional, first) and then arguments
# that go to the srekit command unchanged. Settings come from SREKIT_BACKUP_*
# variables in the environment or in FILE, which is read with `set -a`, so
# its assignments are exported to srekit too (SREKIT_BACKUP_METRICS_DIR, and
# the variable that --passphrase-env names).

# Reads `--env-file FILE` from the arguments and sources FILE. The arguments
# that follow are left in the array `passthrough`.
srekit_load_env() {
  passthrough=()
  if [[ $# -ge 1 && $1 == --env-file ]]; then
    if [[ $# -lt 2 ]]; then
      srekit_usage_error "--env-file needs a file name"
    fi
    if [[ ! -r $2 ]]; then
      srekit_usage_error "env file $2 is missing or not readable"
    fi
    set -a
    # shellcheck disable=SC1090 # the file is chosen at run time
    . "$2"
    set +a
    shift 2
  fi
  if [[ $# -ge 1 && $1 == -- ]]; then
    shift
  fi
  passthrough=("$@")
}

# Prints an error and exits with 2, srekit's code for bad usage.
srekit_usage_error() {
  echo "error: $1" >&2
  exit 2
}

# Exits with 2 unless the variable named $1 is set and not empty.
srekit_require() {
  if [[ -z ${!1:-} ]]; then
    srekit_usage_error "$1 is not set; set it in the environment or in the --env-file"
  fi
}

# Sets the array `srekit` to the command that runs srekit: $SREKIT_BIN, else
# `srekit` on PATH, else the build in this checkout (dist/src/bin.js).
srekit_find_cli() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  if [[ -n ${SREKIT_BIN:-} ]]; then
    srekit=("$SREKIT_BIN")
  elif command -v srekit >/dev/null; then
    srekit=(srekit)
  elif [[ -f $here/../dist/src/bin.js ]]; then
    srekit=(node "$here/../dist/src/bin.js")
  else
    echo "error: srekit not found: set SREKIT_BIN, put srekit on PATH, or run npm run build" >&2
    exit 1
  fi
}

# Appends the key options from SREKIT_BACKUP_KEY_FILE or
# SREKIT_BACKUP_PASSPHRASE_ENV to the array `args`.
srekit_key_args() {
  if [[ -n ${SREKIT_BACKUP_KEY_FILE:-} ]]; then
    args+=(--key-file "$SREKIT_BACKUP_KEY_FILE")
  fi
  if [[ -n ${SREKIT_BACKUP_PASSPHRASE_ENV:-} ]]; then
    args+=(--passphrase-env "$SREKIT_BACKUP_PASSPHRASE_ENV")
  fi
}
