#!/usr/bin/env bash
# Issue 13's CIFAR-10 plan (configs/cifar10.yaml, profile cpu), part by part, from a fixed commit:
#   nohup setsid scripts/cifar10_plan_sweep.sh COMMIT > cifar10-sweep.log 2>&1 &
# Part 1: the sigma claim at the paper's beta = 1e-3, VIM and VIB at sigma 0.5, 1, 2.5, 3 seeds.
# Part 2: Fig. 3 and Fig. 4a's beta grids for VIM at sigma 0.5 and 2.5 (with beta 10, 100) and VIB
#         at sigma 2.5, seed 0.
# Part 3: Fig. 4b (beta = 1, sigma 0.5-3) for both objectives, seed 0.
# Part 4: the deterministic baseline, 3 seeds.
# Part 5: best against best: the seeds of each objective's validation-best (beta, sigma) and of its
#         best other model by Hoyer, as `vimax report results --pending` lists them (this clone's
#         report code; it only reads results). The choice can move when new seeds land, so the
#         list is asked for again after each round, at most 4 rounds.
# Finished runs are skipped and a stopped one resumes, so the script can be started again.
set -u
commit=${1:?usage: $0 COMMIT}
here=$(cd "$(dirname "$0")" && pwd)
main=$(cd "$here/.." && pwd)
sweep=(configs/cifar10.yaml --profile cpu --seeds 3 --jobs "${JOBS:-2}")
"$here/fixed_commit_sweep.sh" "$commit" "${sweep[@]}" --match 'vim_sigma*_beta1e-03_seed*' 'vib_sigma*_beta1e-03_seed*'
"$here/fixed_commit_sweep.sh" "$commit" "${sweep[@]}" --match 'vim_sigma0.5_beta*_seed0' 'vim_sigma2.5_beta*_seed0' 'vib_sigma2.5_beta*_seed0'
"$here/fixed_commit_sweep.sh" "$commit" "${sweep[@]}" --match 'fig4b_*_seed0' '*_beta1e+00_seed0'
"$here/fixed_commit_sweep.sh" "$commit" "${sweep[@]}" --match 'deterministic_seed*'
for round in 1 2 3 4; do
  mapfile -t pending < <(PYTHONPATH="$main/src" "${PYTHON:-$main/.venv/bin/python}" -m vimax report "$main/results" --pending)
  if [[ ${#pending[@]} -eq 0 ]]; then
    echo "issue 13's plan: no run pending"
    exit 0
  fi
  echo "part 5, round $round: ${pending[*]}"
  "$here/fixed_commit_sweep.sh" "$commit" "${sweep[@]}" --match "${pending[@]}"
done
