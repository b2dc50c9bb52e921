#!/usr/bin/env bash
# Run `vimax sweep` from a fixed commit, resumably, in the background, so that edits to the
# working copy meanwhile change nothing the sweep imports (the brief's rule for long sweeps).
#
#   scripts/fixed_commit_sweep.sh COMMIT SWEEP-ARGS...
#   e.g. nohup setsid scripts/fixed_commit_sweep.sh fa6a137 configs/cifar10.yaml --profile cpu \
#          --seeds 3 --jobs 2 --match 'vim_sigma0.5_beta1e-03_seed*' > sweep.log 2>&1 &
#
# The commit's tree is checked out once as a detached worktree beside this clone
# (../sweeps/<commit>), the sweep file is read from there, and the results go into this
# clone's results/ (commit each finished run folder and its records/<run>.json as it lands).
# Run it again with the same arguments to resume: finished runs are skipped, a stopped run
# continues from its last epoch. Runs at nice 10, so tests keep the CPU they need.
set -euo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: $0 COMMIT SWEEP-FILE [vimax sweep options...]" >&2
  exit 2
fi
main=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$main" rev-parse --short=7 "$1^{commit}" 2>/dev/null) || { echo "$0: $1 is not a commit" >&2; exit 2; }
shift
tree=${SWEEP_TREE:-$main/../sweeps/$commit}
if [[ ! -d $tree ]]; then
  mkdir -p "$(dirname "$tree")"
  git -C "$main" worktree add --detach "$tree" "$commit" >&2
fi
at=$(git -C "$tree" rev-parse --short=7 HEAD)
[[ $at == "$commit" ]] || { echo "$0: $tree is at $at, not $commit" >&2; exit 2; }
data=${VIMAX_DATA:-$main/../shared/data}
python=${PYTHON:-$main/.venv/bin/python}
cd "$tree"
# src/ layout since session 5; older commits keep the package at the top.
export PYTHONPATH="$tree/src:$tree" VIMAX_DATA="$data" MPLBACKEND=Agg
# With the kernel's autogroup scheduling on (Linux's default for desktops and many VMs), nice
# only orders processes within one session: a sweep started with setsid competes with the
# foreground's session as an equal whatever its nice. Detached from any terminal (setsid, cron),
# the session is the sweep's own: lower its autogroup priority as well.
if [[ $(ps -o tty= -p $$ | tr -d ' ') == "?" && -w /proc/self/autogroup ]]; then
  echo "${NICE:-10}" > /proc/self/autogroup 2>/dev/null || true
fi
exec nice -n "${NICE:-10}" "$python" -m vimax sweep "$@" --data-dir "$data" --results "$main/results"
