#!/usr/bin/env bash
# Out-of-distribution detection with `vae score`: each pretrained model scores
# its own test set (normal) and the other data set's (the anomalies), for
# every metric, and we print the ROC AUC and the share of anomalies caught
# when at most 5% of normal images are flagged. Every number is exact and
# seeded: the same files give the same table. Full summaries land in OUT_DIR.
# Usage: tests/bench/anomaly_auc.sh MNIST_DIR [FASHION_DIR] [K] [OUT_DIR]
#   MNIST_DIR    holds t10k-images-idx3-ubyte.gz
#   FASHION_DIR  Debian's dataset-fashion-mnist (default /usr/share/datasets/fashion-mnist)
#   K            importance samples per image for --metric iwae (default 100)
set -euo pipefail
cd "$(dirname "$0")/../.."
usage="usage: anomaly_auc.sh MNIST_DIR [FASHION_DIR] [K] [OUT_DIR]"
mnist=${1:?$usage}
fashion=${2:-/usr/share/datasets/fashion-mnist}
k=${3:-100}
out=${4:-build/anomaly}
test_set=t10k-images-idx3-ubyte.gz
for dir in "$mnist" "$fashion"; do
  [[ -f $dir/$test_set ]] ||
    { echo "anomaly_auc.sh: no $dir/$test_set (Fashion-MNIST: apt-get install dataset-fashion-mnist)" >&2; exit 1; }
done
mkdir -p "$out"
build-scripts/build.sh >/dev/null

printf '%-18s %-13s %-13s %-12s %8s %8s %8s %8s\n' model normal anomalies metric "ROC AUC" "TPR@5%" \
  "mean(n)" "mean(a)"
compare() { # MODEL NORMAL_NAME NORMAL_DIR ANOMALY_NAME ANOMALY_DIR
  local metric opts label log
  for metric in elbo rec iwae; do
    opts=(--metric "$metric")
    label=$metric
    [[ $metric == iwae ]] && opts+=(--k "$k") label="iwae k=$k"
    log=$out/$1-$metric.txt
    build/native/vae score --model "pretrained/$1.safetensors" --images "$3/$test_set" --compare "$5/$test_set" \
      "${opts[@]}" >"$log"
    # summary rows: "images N mean median min max", "compare ..."; then "ROC AUC x", "TPR x ..."
    awk -v m="$1" -v n="$2" -v a="$4" -v metric="$label" '
      $1 == "images" && NF == 6 { mn = $3 } $1 == "compare" && NF == 6 { ma = $3 }
      $1 == "ROC" { auc = $3 } $1 == "TPR" { tpr = $2 }
      END { printf "%-18s %-13s %-13s %-12s %8s %8s %8.2f %8.2f\n", m, n, a, metric, auc, tpr, mn, ma }' "$log"
  done
}
compare mnist-vae MNIST "$mnist" Fashion-MNIST "$fashion"
compare fashion-mnist-vae Fashion-MNIST "$fashion" MNIST "$mnist"
