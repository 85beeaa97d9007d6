#!/usr/bin/env bash
# One-shot training of a whole model on one GPU, in one run of at most ~9 minutes: data, the three
# components fitted to a time budget (train --time-budget: fewer steps, the whole schedule), labels,
# the camera prior (train camera), and the model card measured side by side with the decoders.
#
#   scripts/train_gpu.sh                                   # the `small` preset on CUDA -> runs/gpu-small
#   PRESET=tiny DEVICE=cpu BUDGET=30 EPISODES=8 QUICK=1 TRAIN_ARGS="--set batch=2 --set arch.dim=48" \
#     OUT=runs/cpu-check scripts/train_gpu.sh                              # the CPU check of this script
#
# Per-component options: LAM_ARGS and DYNAMICS_ARGS (for example DYNAMICS_ARGS="--set arch.draft=true" trains
# the copy-first dynamics, docs/world-is-the-drawing.md; LAM_ARGS="--set arch.center=true" the centred LAM,
# docs/latent-actions.md); TRAIN_ARGS goes to all three.
#
# Every stage resumes: rerun the same command after an interruption and it carries on (data generation
# skips a finished dataset, `train all --resume` skips finished components and resumes the current one
# from its last checkpoint). Ship the result only when its card beats the shipped model's.
set -euo pipefail
cd "$(dirname "$0")/.."

PRESET=${PRESET:-small}
DEVICE=${DEVICE:-cuda}
BUDGET=${BUDGET:-390}            # seconds of training for the three components together
EPISODES=${EPISODES:-2000}       # training episodes of the procedural platformer (sketch style)
WORKERS=${WORKERS:-$(nproc)}
OUT=${OUT:-runs/gpu-$PRESET}
DATA=${DATA:-datasets/gpu-sketch-train-$EPISODES}
EVAL=${EVAL:-datasets/eval-sketch}
QUICK=${QUICK:-}                 # set: a smoke run (small eval set, card without the dataset metrics)
GENIE=${GENIE:-python3 -m genie_studio}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

stamp() { echo "[$(date +%H:%M:%S)] $*"; }

if [ ! -f "$DATA/manifest.json" ]; then
  stamp "data: $EPISODES episodes -> $DATA"
  rm -rf "$DATA"
  $GENIE data generate --out "$DATA" --episodes "$EPISODES" --style sketch --seed 1 --workers "$WORKERS"
fi
if [ ! -f "$EVAL/manifest.json" ]; then
  rm -rf "$EVAL"
  $GENIE data generate --out "$EVAL" --episodes "${EVAL_EPISODES:-$([ -n "$QUICK" ] && echo 4 || echo 64)}" \
    --style sketch --seed 777001
fi

# the budget's shares: the dynamics model needs the most, the LAM the least
for part in "tokenizer 30" "lam 20" "dynamics 50"; do
  set -- $part
  if python3 -c "import json,sys; sys.exit('$1' not in json.load(open('$OUT/config.json')).get('training', {}))" \
      2>/dev/null; then
    stamp "train $1: already trained"
    continue
  fi
  resume=""
  [ -d "$OUT/.train/$1" ] && resume=--resume  # an interrupted run: carry on with the length it was given
  stamp "train $1 ($PRESET, $DEVICE, $(( BUDGET * $2 / 100 )) s) $resume"
  case $1 in lam) own=${LAM_ARGS:-} ;; dynamics) own=${DYNAMICS_ARGS:-} ;; *) own="" ;; esac
  # shellcheck disable=SC2086  # TRAIN_ARGS: extra `train` options, e.g. --set batch=2 for the CPU check
  $GENIE train "$1" --data "$DATA" --out "$OUT" --preset "$PRESET" --device "$DEVICE" --name "sketchworld-$PRESET" \
    --time-budget $(( BUDGET * $2 / 100 )) $resume ${TRAIN_ARGS:-} $own
done

stamp "camera prior and card"
$GENIE train camera --data "$DATA" --out "$OUT"
$GENIE card "$OUT" --eval "sketch=$EVAL" ${QUICK:+--quick}
stamp "done: $OUT (card: $OUT/README.md)"
