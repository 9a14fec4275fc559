#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Data-parallel training under mpirun (docs/distributed.md), one case per
# run:
#   match N       Iris in batches of 16 on N processes: the history is one
#                 process's within RTOL, and only the run directory is written
#                 (up to 4 processes on one machine sum through shared
#                 memory, 5 through MPI_Iallreduce)
#   fmnist        configs/fashion-mnist.yaml (Adam, a schedule) on the
#                 10 000 images of its test set, on 3 processes: one
#                 process's history; one epoch in the float build, where
#                 Adam makes rounding grow past RTOL by the third, three in
#                 the double build (skipped without the data)
#   repeat        two runs on 3 processes: the same history and weights
#   uneven        batches of 17 with class weights and clipping on 3
#                 processes, the last batch of 1 sample: one process's history
#   early-stop    early stopping with restore_best on 3 processes stops at
#                 one process's epoch, with its history
#   diverged      a learning rate that diverges stops every process at the
#                 same batch: exit 1, stop_reason diverged, one message
#   batch-norm    batch normalization (statistics per shard) trains to the
#                 end, the same in two runs
#   resume N      15 epochs on 2 processes, resumed to 30 on N: one
#                 uninterrupted process's history
#   interrupt WHO SIGINT to mpirun (WHO mpirun) or SIGTERM to the second of 2
#                 processes alone (WHO peer) mid-run: every process stops at
#                 the same batch, mpirun exits 1, the run directory is whole
#                 with stop_reason interrupted, and --resume on 2 processes
#                 ends with the history and weights of a run never stopped
#   late-signal   SIGTERM to the first of 2 processes once the training has
#                 ended, while it writes the run: the run is written whole
#   killed N      SIGKILL of the second of 2 processes mid-run: mpirun fails,
#                 the previous run in the directory is as it was, and
#                 --resume on N processes ends with the history of a run
#                 never stopped
#   write-error   rank 0 cannot write into its run directory mid-run: its message,
#                 all stop, exit 1, the previous run as it was
#   bench         nnrun bench w1 on 2 processes: one report, with the time
#                 in the sums
#   too-many      more processes than samples in a batch: exit 2, the reason
#   peer-input    bad input in one process only: all stop, exit 2, its
#                 message, nothing written
#   mismatch      started as one of 2 by another MPI's launcher (PMI_SIZE
#                 set, no Open MPI world): exit 2, the reason, nothing written
#   refuse        (a build without MPI) nnrun started as one of 2 processes
#                 refuses: exit 2, the reason
#
# Usage: test-mpi.sh CASE [N] (NNRUN, NN_SOURCE_ROOT, MPIRUN and RTOL in the
# environment)
set -eu

: "${NNRUN:?}" "${NN_SOURCE_ROOT:?}" "${RTOL:=1e-4}" "${MPIRUN:=mpirun}"
what="$*"
configs="$NN_SOURCE_ROOT/configs"
. "$(dirname "$0")/mpi-common.sh"

par () {
  n=$1
  shift
  mpi "$n" "$NNRUN" "$@"
}

# Every value of two histories but the seconds within RTOL of each other
# (relative to the larger), and as many rows.
same_history () {
  awk -F, -v rtol="$RTOL" '
    FNR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") skip = i; next }
    NR == FNR { row[FNR] = $0; rows = FNR; next }
    {
      if (!(FNR in row)) { print "extra row " FNR; bad = 1; exit }
      n = split(row[FNR], a, ",")
      for (i = 1; i <= n; i++) {
        if (i == skip) continue
        d = a[i] - $i; if (d < 0) d = -d
        m = a[i] < 0 ? -a[i] : a[i]; v = $i < 0 ? -$i : $i; if (v > m) m = v
        if (d > rtol * m) { print "row " FNR " column " i ": " a[i] " vs " $i; bad = 1 }
      }
      seen = FNR
    }
    END { if (!bad && seen != rows) { print "rows: " rows " vs " seen; bad = 1 } exit bad }
  ' "$1/history.csv" "$2/history.csv" || fail "$1 and $2 differ beyond $RTOL"
}

without_seconds () {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") s = i }
           { $s = ""; print }' "$1/history.csv"
}

# Waits until FILE exists: at most a minute.
await () {
  i=0
  while [ ! -e "$1" ]; do
    i=$((i + 1))
    [ "$i" -le 1200 ] || fail "no $1 after a minute"
    sleep 0.05
  done
}

# A wrapper that runs nnrun as rank k after writing its process id into
# pid.k.
wrap_pid () {
  cat >wrap <<EOF
#!/bin/sh
echo \$\$ >pid.\$OMPI_COMM_WORLD_RANK
exec "$NNRUN" "\$@"
EOF
  chmod +x wrap
}

iris="$configs/iris.yaml"
quick="--quiet --threads 1 --set train.epochs=30"

case "$1" in
  match)
    "$NNRUN" train "$iris" $quick --out one
    par "$2" train "$iris" $quick --out many
    same_history one many
    # The other processes wrote nothing: no directory but the two runs'.
    [ "$(ls | tr '\n' ' ')" = "many one " ] || fail "files besides the runs: $(ls)"
    ;;
  fmnist)
    fm=/usr/share/datasets/fashion-mnist
    [ -r "$fm/t10k-images-idx3-ubyte.gz" ] || exit 77
    epochs=$(awk -v rtol="$RTOL" 'BEGIN { print rtol < 1e-6 ? 3 : 1 }')
    set -- --quiet --threads 1 --set train.epochs="$epochs" \
      --set data.source.idx.images="$fm/t10k-images-idx3-ubyte.gz" \
      --set data.source.idx.labels="$fm/t10k-labels-idx1-ubyte.gz"
    "$NNRUN" train "$configs/fashion-mnist.yaml" "$@" --out one
    par 3 train "$configs/fashion-mnist.yaml" "$@" --out many
    same_history one many
    ;;
  repeat)
    par 3 train "$iris" $quick --out a
    par 3 train "$iris" $quick --out b
    [ "$(without_seconds a)" = "$(without_seconds b)" ] || fail "two runs on 3 differ"
    cmp a/model.safetensors b/model.safetensors
    ;;
  uneven)
    # 120 training samples in batches of 17: the last has 1, fewer than
    # the processes; 17 is no multiple of 3 either.
    set -- --set train.batch_size=17 --set "train.class_weight={setosa: 4.0, virginica: 0.5}" \
      --set train.clip_norm=0.5
    "$NNRUN" train "$iris" $quick "$@" --out one
    par 3 train "$iris" $quick "$@" --out many
    same_history one many
    ;;
  early-stop)
    "$NNRUN" train "$configs/iris-binary.yaml" --quiet --threads 1 --out one
    par 3 train "$configs/iris-binary.yaml" --quiet --threads 1 --out many
    grep -q '"stop_reason" : "early_stopping"' many/summary.json || fail "no early stop"
    same_history one many
    ;;
  diverged)
    status=0
    par 2 train "$configs/iris-regression.yaml" --quiet --threads 1 \
      --set optimizer.learning_rate=1e200 --out many 2>err || status=$?
    [ "$status" = 1 ] || fail "exit status $status, not 1"
    grep -q '"stop_reason" : "diverged"' many/summary.json || fail "not diverged"
    [ "$(grep -c 'training diverged' err)" = 1 ] || fail "not one message: $(cat err)"
    ;;
  batch-norm)
    bn="$NN_SOURCE_ROOT/tests/data/reference-batch-norm.yaml"
    set -- --quiet --threads 1 --set train.batch_size=32 --set train.epochs=20
    par 2 train "$bn" "$@" --out a
    par 2 train "$bn" "$@" --out b
    grep -q '"stop_reason" : "completed"' a/summary.json || fail "not completed"
    [ "$(without_seconds a)" = "$(without_seconds b)" ] || fail "two runs on 2 differ"
    ;;
  resume)
    "$NNRUN" train "$iris" $quick --out one
    par 2 train "$iris" --quiet --threads 1 --set train.epochs=15 --out many
    par "$2" train "$iris" $quick --resume many
    same_history one many
    ;;
  interrupt)
    # Batches of 2 make each epoch 60 steps: the run lasts seconds, and the
    # signal, which mpirun passes on as SIGTERM a second later, comes
    # mid-run.
    set -- --quiet --threads 1 --set train.epochs=4000 --set train.batch_size=2 \
      --set train.checkpoint_every=50
    par 2 train "$iris" "$@" --out whole
    wrap_pid
    mpi 2 ./wrap train "$iris" "$@" --out run 2>err &
    pid=$!
    await run.partial/checkpoint.nnckpt
    if [ "$2" = mpirun ]; then
      kill -INT "$(ps -o ppid= -p "$(cat pid.0)")"
    else
      kill -TERM "$(cat pid.1)"
    fi
    status=0
    wait "$pid" || status=$?
    [ "$status" = 1 ] || fail "exit status $status, not 1: $(cat err)"
    grep -q '"stop_reason" : "interrupted"' run/summary.json || fail "not interrupted: $(cat err)"
    [ "$(grep -c 'interrupted after epoch' err)" = 1 ] || fail "not one message: $(cat err)"
    [ ! -e run.partial ] || fail "run.partial left"
    for f in checkpoint.nnckpt history.csv loss.svg; do
      [ -s "run/$f" ] || fail "no run/$f"
    done
    rows=$(wc -l <run/history.csv)
    [ "$rows" -gt 1 ] && [ "$rows" -lt 4001 ] || fail "$rows lines in history.csv"
    par 2 train "$iris" "$@" --resume run
    same_history whole run
    cmp whole/model.safetensors run/model.safetensors
    ;;
  late-signal)
    # 20 000 epochs of history take the plots a while to draw.
    set -- --quiet --threads 1 --set train.epochs=20000
    wrap_pid
    "$MPIRUN" --allow-run-as-root --oversubscribe -np 2 ./wrap train "$iris" "$@" \
      --out run 2>err &
    pid=$!
    await run.partial/summary.json
    kill -TERM "$(cat pid.0)"
    status=0
    wait "$pid" || status=$?
    [ "$status" = 0 ] || fail "exit status $status, not 0: $(cat err)"
    grep -q '"stop_reason" : "completed"' run/summary.json || fail "not completed: $(cat err)"
    [ -s run/loss.png ] || fail "no run/loss.png"
    [ ! -e run.partial ] || fail "run.partial left"
    ;;
  killed)
    n=$2
    set -- --quiet --threads 1 --set train.epochs=1000 --set train.batch_size=2 \
      --set train.checkpoint_every=20
    par 2 train "$iris" "$@" --out whole
    par 2 train "$iris" --quiet --threads 1 --set train.epochs=5 --out run
    cp run/history.csv before.csv
    wrap_pid
    "$MPIRUN" --allow-run-as-root --oversubscribe -np 2 ./wrap train "$iris" "$@" \
      --out run 2>err &
    pid=$!
    await run.partial/checkpoint.nnckpt
    kill -KILL "$(cat pid.1)"
    status=0
    wait "$pid" || status=$?
    # Open MPI's mpirun exits with the status of the process killed, 137.
    [ "$status" != 0 ] || fail "exit status 0"
    cmp before.csv run/history.csv || fail "the previous run was changed"
    [ -s run.partial/checkpoint.nnckpt ] || fail "no checkpoint in run.partial"
    par "$n" train "$iris" "$@" --resume run
    same_history whole run
    [ ! -e run.partial ] || fail "run.partial left"
    ;;
  write-error)
    "$NNRUN" train "$iris" --quiet --threads 1 --set train.epochs=5 --out run
    cp run/history.csv before.csv
    # A run far longer than it takes to stop it.
    mpi 2 "$NNRUN" train "$iris" --quiet --threads 1 --set train.epochs=100000 \
      --set train.batch_size=2 --set train.checkpoint_every=20 --out run 2>err &
    pid=$!
    await run.partial/checkpoint.nnckpt
    # The staging directory becomes a file: the next write into it fails.
    mv run.partial gone
    : >run.partial
    status=0
    wait "$pid" || status=$?
    [ "$status" = 1 ] || fail "exit status $status, not 1: $(cat err)"
    grep -q 'run.partial/.*cannot write' err || fail "$(cat err)"
    cmp before.csv run/history.csv || fail "the previous run was changed"
    ;;
  bench)
    par 2 bench w1 -e 200 >out
    [ "$(grep -c '^w1 ' out)" = 1 ] || fail "not one report: $(cat out)"
    grep -q 'in the sums .*(2 processes' out || fail "no time in the sums: $(cat out)"
    ;;
  too-many)
    status=0
    par 3 train "$iris" $quick --set train.batch_size=2 --out many 2>err || status=$?
    [ "$status" = 2 ] || fail "exit status $status, not 2"
    grep -q '3 processes for training batches of 2 samples' err || fail "$(cat err)"
    [ ! -e many ] || fail "a run directory was written"
    ;;
  peer-input)
    # The second process alone is given a data file that does not exist.
    cat >wrap <<EOF
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then
  exec "$NNRUN" "\$@" --set data.source=$work/missing.csv
fi
exec "$NNRUN" "\$@"
EOF
    chmod +x wrap
    status=0
    mpi 2 ./wrap train "$iris" $quick --out many 2>err || status=$?
    [ "$status" = 2 ] || fail "exit status $status, not 2"
    grep -q 'missing.csv' err || fail "$(cat err)"
    [ ! -e many ] || fail "a run directory was written"
    ;;
  mismatch)
    status=0
    PMI_SIZE=2 timeout 60 "$NNRUN" train "$iris" $quick --out many 2>err || status=$?
    [ "$status" = 2 ] || fail "exit status $status, not 2"
    grep -q "the launcher is another MPI's" err || fail "$(cat err)"
    [ ! -e many ] || fail "a run directory was written"
    ;;
  refuse)
    status=0
    OMPI_COMM_WORLD_SIZE=2 "$NNRUN" train "$iris" $quick --out many 2>err || status=$?
    [ "$status" = 2 ] || fail "exit status $status, not 2"
    grep -q 'built without MPI' err || fail "$(cat err)"
    [ ! -e many ] || fail "a run directory was written"
    ;;
  *)
    fail "unknown case $1"
    ;;
esac
echo "ok $what"
