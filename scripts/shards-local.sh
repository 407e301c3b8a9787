#!/bin/bash
# Shards as background processes on one machine: N processes, each `--shard I/N` of the same
# command into its own cache (<cache>/shard-I-of-N), then `nasrepro merge` and the tables.
#
#   scripts/shards-local.sh N COMMAND...     e.g.
#   scripts/shards-local.sh 4 node bin/nasrepro.js score naswot --space nb201 --all --workers 1 --out results/naswot-all
#   scripts/shards-local.sh 4 node --import tsx experiments/reproduce-nb201.ts --data data --only naswot --full --workers 1
#
# `score` runs get --out <out>.shard-I-of-N.csv; reproduce runs write results/nb201/shard-I-of-N/.
# CACHE (default results/cache) must match the command's --cache-dir. Logs: logs/shard-I-of-N.log.
# A failed shard stops the merge (rerun it: it resumes from its cache).
set -euo pipefail
N=${1:?usage: scripts/shards-local.sh N COMMAND...}
shift
CACHE=${CACHE:-results/cache}
mkdir -p logs
pids=()
for i in $(seq 1 "$N"); do
  args=("$@")
  for k in "${!args[@]}"; do
    # a score command's --out gets the shard's suffix so shards do not overwrite one another
    if [[ "${args[$k]}" == --out && "$*" == *" score "* ]]; then args[$((k + 1))]="${args[$((k + 1))]}.shard-$i-of-$N.csv"; fi
  done
  "${args[@]}" --shard "$i/$N" > "logs/shard-$i-of-$N.log" 2>&1 &
  pids+=($!)
  echo "shard $i/$N: pid ${pids[-1]}, log logs/shard-$i-of-$N.log"
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then echo "shard $((i + 1))/$N failed: see logs/shard-$((i + 1))-of-$N.log" >&2; failed=1; fi
done
[[ $failed == 0 ]] || exit 1
node bin/nasrepro.js merge $(for i in $(seq 1 "$N"); do echo "$CACHE/shard-$i-of-$N"; done) --into "$CACHE"
echo "merged; now run the same command without --shard for the tables (every score is cached)"
