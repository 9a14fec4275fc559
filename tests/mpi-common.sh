# SPDX-License-Identifier: LGPL-2.1-or-later
# What test-mpi.sh and test-sweep-mpi.sh share, sourced by both: a scratch
# directory to work in, removed at the end, fail, and mpi.

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# A command on N processes; as root, as CI runs, Open MPI wants to be told.
# Processes that disagree wait for each other for ever: a minute is ample.
mpi () {
  n=$1
  shift
  timeout 60 "$MPIRUN" --allow-run-as-root --oversubscribe -np "$n" "$@"
}
