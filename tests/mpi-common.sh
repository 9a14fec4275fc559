# SPDX-License-Identifier: LGPL-2.1-or-later
# What test-mpi.sh and test-sweep-mpi.sh share, sourced by both: scratch
# directories to work in, removed at the end, fail, and mpi.

work=$(mktemp -d)
# Open MPI's shared-memory files, which a killed rank leaves behind, go to
# a directory of the test's own, removed with it.
shm=$(mktemp -d "${TMPDIR_SHM:-/dev/shm}/nn-test.XXXXXX" 2>/dev/null || mktemp -d)
export OMPI_MCA_btl_vader_backing_directory="$shm"
trap 'rm -rf "$work" "$shm"' EXIT
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
