#!/usr/bin/env bash
# Issue 12's paper-schedule sweep (Tables 1-3, 200 epochs), resumable, in the background, from the
# fixed commit whose code it tests (2b08775), so that edits to main meanwhile change nothing it runs:
#   git -C /work/main worktree add --detach /work/sweep-paper 2b08775   # once
#   nohup setsid scripts/paper_schedule_sweep.sh > sweep-paper.log 2>&1 &
# Seed 0 of each setting first, then seed 1, then seed 2; a stopped run resumes from its last epoch.
# Commit results/tables2_3/paper/<run> (and records/<run>.json) as each finishes.
set -u
tree=${SWEEP_TREE:-/work/sweep-paper}
main=${MAIN:-/work/main}
data=${VIMAX_DATA:-/work/shared/data}
cd "$tree"
export PYTHONPATH="$tree" VIMAX_DATA="$data" MPLBACKEND=Agg
pats=()
for s in 0 1 2; do
  for v in deterministic vib_beta1e-03_sigma1 vim_beta1e-03_sigma1 vim_beta1e+01_sigma1; do pats+=("${v}_seed$s"); done
done
nice -n 10 "$main/.venv/bin/python" -m vimax sweep configs/tables2_3.yaml --profile paper --seeds 3 --jobs 2 \
  --data-dir "$data" --results "$main/results" --match "${pats[@]}"
