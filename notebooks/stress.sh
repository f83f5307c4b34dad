#!/usr/bin/env bash
# Starts the notebooks' Java kernel N times in a row (default 20) and executes
# 01-trajectory-analysis.ipynb with it each time, with no retry: a run is clean when nbconvert
# exits 0, no cell has an error or logs a line at ERROR (Spark's code generation reports its
# failures that way), and every chart cell has an image.
#   notebooks/stress.sh [N] [run-dir]
# Without run-dir it trains a small CartPole run into jobs/notebook-kernel/target/stress-run first.
# Needs the build's kernelspec (mvn -B -ntp -DskipTests package writes it to
# jobs/notebook-kernel/target/jupyter) and Jupyter (notebooks/setup-jupyter.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
kernel_target="$root/jobs/notebook-kernel/target"
n=${1:-20}
run=${2:-}
if [ ! -f "$kernel_target/jupyter/kernels/sparkac-java/kernel.json" ]; then
  echo "stress: no kernelspec in $kernel_target/jupyter; build first: mvn -B -ntp -DskipTests package" >&2
  exit 2
fi
if [ -z "$run" ]; then
  run="$kernel_target/stress-run"
  if [ ! -d "$run/manifest" ]; then
    "$root/jobs/sparkac" train "$root/conf/cartpole.conf" --overwrite "run.dir=\"$run\"" run.id=stress \
      run.total-steps=4096 eval.interval-rounds=2 eval.episodes=5 eval.target-return=none >&2
  fi
fi
work=$(mktemp -d)
export JUPYTER_PATH="$kernel_target/jupyter" JUPYTER_RUNTIME_DIR="$work/runtime" \
  JUPYTER_CONFIG_DIR="$work/config" JUPYTER_DATA_DIR="$work/data" SPARKAC_RUN="$run"
clean=0
times=()
for i in $(seq 1 "$n"); do
  t0=$(date +%s.%N)
  if jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=sparkac-java \
      --ExecutePreprocessor.startup_timeout=60 --ExecutePreprocessor.timeout=300 \
      --output-dir "$work" --output "run-$i.ipynb" "$here/01-trajectory-analysis.ipynb" >"$work/run-$i.log" 2>&1; then
    verdict=$(python3 - "$work/run-$i.ipynb" <<'PY'
import json, sys
nb = json.load(open(sys.argv[1]))
problems, images = [], 0
for i, c in enumerate(nb["cells"]):
    if c["cell_type"] != "code":
        continue
    has_image = False
    for o in c["outputs"]:
        if o["output_type"] == "error":
            problems.append("cell %d: %s" % (i, o["ename"]))
        if "image/png" in o.get("data", {}):
            has_image = True
        if o["output_type"] == "stream" and " ERROR " in "".join(o["text"]):
            problems.append("cell %d logged an ERROR" % i)
    if "chart" in c["metadata"].get("tags", []):
        images += has_image
        if not has_image:
            problems.append("cell %d: chart without image" % i)
print("clean, %d images" % images if not problems else "; ".join(problems))
PY
)
  else
    verdict="nbconvert exited $? ($(grep -m1 -E "Error|didn't respond|died" "$work/run-$i.log" || echo 'see log'))"
  fi
  t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  times+=("$t")
  case "$verdict" in clean*) clean=$((clean + 1)) ;; esac
  printf 'run %2d/%d: %6.1f s  %s\n' "$i" "$n" "$t" "$verdict"
done
# Starts where rapaio's handler-map race struck and jobs/notebook-kernel's LoopThread kept the shell going
# (without it, each of these starts hangs until the start-up timeout).
recovered=$(grep -l 'message loop iteration failed' "$work"/run-*.log 2>/dev/null | wc -l)
echo "stress: the kernel's start-up race struck and was recovered in $recovered of $n starts"
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
printf 'stress: %d/%d clean; seconds per execution (kernel start to shutdown): min %.1f, median %.1f, max %.1f; logs in %s\n' \
  "$clean" "$n" "$(echo "$sorted" | head -1)" "$(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p")" \
  "$(echo "$sorted" | tail -1)" "$work"
[ "$clean" -eq "$n" ]
