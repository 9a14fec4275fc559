#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# nnrun sweep under mpirun (docs/sweeps.md), one case per run:
#   match N     the 3 x 3 Iris grid of configs/iris-sweep.yaml on N
#               processes: trials.csv's rows (order and seconds aside) and
#               best.yaml are those of -j 1; every run started once; one
#               table; the trials, started under mpirun, train alone
#   resume      two trials recorded by --trial, then 3 processes: they run
#               the 7 others only, and the rows are -j 1's
#   rank-dies   a process killed in the middle: mpirun stops all with a
#               message, well within a minute; run again, the sweep
#               finishes with -j 1's rows, none twice
#   interrupt   Ctrl-C (SIGINT to mpirun) in the middle: exit 1, the sweep
#               interrupted, said at most once, no best.yaml; run again, -j 1's rows, none twice
#   cv          nnrun cv, 5 folds on 3 processes: the means and folds.csv of
#               -j 1
#   refuse      (a build without MPI) nnrun sweep started as one of 2
#               processes refuses: exit 2, the reason, nothing written
#
# Usage: test-sweep-mpi.sh CASE [N] (NNRUN, NN_SOURCE_ROOT and MPIRUN in the
# environment)
set -eu

: "${NNRUN:?}" "${NN_SOURCE_ROOT:?}" "${MPIRUN:=mpirun}"
what="$*"
. "$(dirname "$0")/mpi-common.sh"

# The Iris grid into DIR, with EXTRA lines of parameters.
sweep_file () {
  sed -e "s#^experiment: .*#experiment: $NN_SOURCE_ROOT/configs/iris.yaml#" \
      -e "s#^output: .*#output: {dir: $1}#" "$NN_SOURCE_ROOT/configs/iris-sweep.yaml" >"$1.yaml"
  [ -z "${2:-}" ] || sed -i "s#^parameters:#parameters:\n  $2#" "$1.yaml"
}

# trials.csv's rows, sorted, without the seconds.
rows () {
  awk -F, -v OFS=, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") s = i; next }
                    { $s = ""; print }' "$1/trials.csv" | sort
}

# The rows of DIR1 and DIR2 the same, and none twice in DIR2 (runs named by
# the first KEYS columns, 2 unless given).
same_rows () {
  [ "$(rows "$1")" = "$(rows "$2")" ] || fail "rows of $1 and $2 differ:
$(rows "$1")
--
$(rows "$2")"
  n=$(tail -n +2 "$2/trials.csv" | cut -d, -f1-"${3:-2}" | sort | uniq -d | wc -l)
  [ "$n" = 0 ] || fail "$2 records a run twice"
}

case "$1" in
  match)
    sweep_file one
    sweep_file many
    "$NNRUN" sweep one.yaml -j 1 >one.out 2>one.err
    mpi "$2" "$NNRUN" sweep many.yaml >many.out 2>many.err || fail "$(cat many.err)"
    same_rows one many
    [ "$(tail -n +2 one/best.yaml)" = "$(tail -n +2 many/best.yaml)" ] || fail "best.yaml differs"
    [ "$(grep -c '^trial ' many.out)" = 1 ] || fail "not one table: $(cat many.out)"
    [ "$(sed 1d many.out)" = "$(sed 1d one.out)" ] || fail "the tables differ"
    # Every run started once: no process found a run under way elsewhere.
    grep -q '^sweep: 9/9 done, 0 failed, 0 running; best' many.err || fail "$(cat many.err)"
    ! grep -q elsewhere many.err || fail "a run was handed out twice: $(cat many.err)"
    [ -s many/sweep.svg ] && [ -d many/trials/0008 ] || fail "$(ls many many/trials)"
    ;;
  resume)
    sweep_file one
    sweep_file many
    "$NNRUN" sweep one.yaml -j 1 >/dev/null 2>&1
    "$NNRUN" sweep many.yaml --trial 0 >/dev/null 2>&1
    "$NNRUN" sweep many.yaml --trial 4 >/dev/null 2>&1
    mpi 3 "$NNRUN" sweep many.yaml >many.out 2>many.err || fail "$(cat many.err)"
    grep -q '^sweep: 2/9 done, 0 failed, 0 running;' many.err || fail "$(cat many.err)"
    grep -q '^sweep: 9/9 done' many.err || fail "$(cat many.err)"
    same_rows one many
    ;;
  rank-dies)
    # Runs long enough to be under way when the process dies.
    long='train.epochs: {values: [3000]}'
    sweep_file one "$long"
    sweep_file many "$long"
    "$NNRUN" sweep one.yaml -j 1 >/dev/null 2>&1
    status=0
    mpi 3 sh -c 'echo $$ >pid.$OMPI_COMM_WORLD_RANK; exec "$0" "$@"' \
      "$NNRUN" sweep many.yaml >many.out 2>many.err &
    job=$!
    i=0
    until [ -s pid.1 ] && [ "$(cat many/trials.csv 2>/dev/null | wc -l)" -ge 2 ]; do
      i=$((i + 1))
      [ $i -lt 600 ] || fail "the sweep did not start: $(cat many.err)"
      sleep 0.1
    done
    kill -9 "$(cat pid.1)"
    wait $job || status=$?
    [ "$status" != 0 ] || fail "exit status 0 with a process killed"
    [ "$status" != 124 ] || fail "the others hung: $(cat many.err)"
    grep -qi 'signal 9\|killed' many.err || fail "no message: $(cat many.err)"
    [ "$(tail -n +2 many/trials.csv | wc -l)" -lt 9 ] || fail "finished despite the kill"
    cat many.err >&2
    mpi 3 "$NNRUN" sweep many.yaml >many.out 2>many.err || fail "$(cat many.err)"
    same_rows one many
    ;;
  interrupt)
    # Many short runs: the sweep still runs a second after Ctrl-C, when
    # mpirun passes SIGTERM on, and each run stops at once.
    long='train.epochs: {values: [3000, 3001, 3002, 3003]}'
    sweep_file one "$long"
    sweep_file many "$long"
    "$NNRUN" sweep one.yaml -j 1 >/dev/null 2>&1
    status=0
    # SIGINT, which a shell has background jobs ignore, as Ctrl-C sends it.
    env --default-signal=INT timeout 60 "$MPIRUN" --allow-run-as-root --oversubscribe -np 3 \
      "$NNRUN" sweep many.yaml >many.out 2>many.err &
    job=$!
    i=0
    until [ "$(cat many/trials.csv 2>/dev/null | wc -l)" -ge 2 ]; do
      i=$((i + 1))
      [ $i -lt 600 ] || fail "the sweep did not start: $(cat many.err)"
      sleep 0.1
    done
    kill -INT $job
    wait $job || status=$?
    [ "$status" = 1 ] || fail "exit status $status, not 1: $(cat many.err)"
    # The first process says it once, but mpirun may drop what the
    # processes print while it stops them, and no process can finish
    # until mpirun kills it: MPI_Finalize waits for mpirun.
    [ "$(grep -c 'sweep interrupted; run it again' many.err)" -le 1 ] || fail "$(cat many.err)"
    [ ! -e many/best.yaml ] || fail "an interrupted sweep wrote best.yaml"
    mpi 3 "$NNRUN" sweep many.yaml >many.out 2>many.err || fail "$(cat many.err)"
    same_rows one many
    ;;
  cv)
    cv="$NN_SOURCE_ROOT/configs/iris.yaml"
    "$NNRUN" cv "$cv" --folds 5 -j 1 --out one >one.out 2>one.err
    mpi 3 "$NNRUN" cv "$cv" --folds 5 --out many >many.out 2>many.err || fail "$(cat many.err)"
    [ "$(cat many.out)" = "$(cat one.out)" ] || fail "the means differ: $(cat many.out)"
    mv one/folds.csv one/trials.csv
    mv many/folds.csv many/trials.csv
    same_rows one many 3
    ! grep -q elsewhere many.err || fail "a run was handed out twice: $(cat many.err)"
    ;;
  refuse)
    sweep_file many
    status=0
    OMPI_COMM_WORLD_SIZE=2 "$NNRUN" sweep many.yaml 2>err || status=$?
    [ "$status" = 2 ] || fail "exit status $status, not 2"
    grep -q 'built without MPI.*-j N.*--trial I' err || fail "$(cat err)"
    [ ! -e many ] || fail "a sweep directory was written"
    ;;
  *)
    fail "unknown case $1"
    ;;
esac
echo "ok $what"
