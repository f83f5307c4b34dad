#!/usr/bin/env bash
# Regenerates the outputs committed with the notebooks (their tables and charts), in place:
#   notebooks/regenerate.sh
# Trains the README's first command (jobs/sparkac train conf/cartpole.conf, which builds the
# project and the notebooks' kernelspec on first use) into a scratch folder, target/notebook-runs/
# at the top of the checkout, with seed 2 beside it for the comparison notebook; then executes
# every notebooks/*.ipynb in place with nbconvert and the build's kernel. Needs Jupyter
# (notebooks/setup-jupyter.sh). Your own runs/ are not touched.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
scratch="$root/target/notebook-runs"
"$root/jobs/sparkac" train "$root/conf/cartpole.conf" --overwrite "run.dir=\"$scratch/cartpole\""
"$root/jobs/sparkac" train "$root/conf/cartpole.conf" --overwrite "run.dir=\"$scratch/cartpole-seed2\"" run.seed=2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Paths relative to notebooks/, where nbconvert runs the kernel: the outputs name no folder of this machine.
export JUPYTER_PATH="$root/jobs/notebook-kernel/target/jupyter" JUPYTER_RUNTIME_DIR="$work/runtime" \
  JUPYTER_CONFIG_DIR="$work/config" JUPYTER_DATA_DIR="$work/data" \
  SPARKAC_RUN=../target/notebook-runs/cartpole SPARKAC_RUN_A=../target/notebook-runs/cartpole \
  SPARKAC_RUN_B=../target/notebook-runs/cartpole-seed2
for nb in "$here"/*.ipynb; do
  echo "regenerate: executing $(basename "$nb")" >&2
  (cd "$here" && jupyter-nbconvert --to notebook --execute --inplace --ExecutePreprocessor.kernel_name=sparkac-java \
    --ExecutePreprocessor.startup_timeout=120 --ExecutePreprocessor.timeout=1200 "$(basename "$nb")")
done
