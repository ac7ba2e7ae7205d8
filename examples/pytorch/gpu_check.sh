#!/usr/bin/env bash
# GPU check (issue 21): on a machine with NVIDIA GPUs, runs a 16-trial ASHA
# study of this PyTorch example the way a GPU fleet runs it, `automl search
# --listen` on loopback and one `automl worker --gpus all` (one slot per
# GPU), then checks that
#   1. every run of every trial saw exactly its slot's GPU:
#      CUDA_VISIBLE_DEVICES is one of the machine's GPUs, the one the
#      trial's record names, and torch.cuda.device_count() is 1;
#   2. no two runs that overlapped in time shared a GPU;
#   3. no process of the study holds a GPU afterwards, and each GPU's used
#      memory is back to where it started (within 64 MiB);
# and prints a summary. Exit status 0 when every check holds, 1 otherwise.
# On a machine without a GPU (no nvidia-smi, or it finds no device) it
# says "no GPU" and exits 0.
#
#   examples/pytorch/gpu_check.sh                 # builds automl
#   AUTOML=./automl PYTHON=/usr/bin/python3 examples/pytorch/gpu_check.sh
#
# Needs PyTorch with CUDA for PYTHON (default /usr/bin/python3 when it
# exists, else python3) and Go to build automl unless AUTOML names a binary.
set -euo pipefail

# Only shell builtins until a GPU is known to be there.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "no GPU: nvidia-smi is not on PATH; nothing to check"
  exit 0
fi
if ! gpu_list=$(nvidia-smi --query-gpu=index,uuid,memory.used --format=csv,noheader,nounits 2>&1); then
  case $gpu_list in
    *"No devices were found"*) echo "no GPU: nvidia-smi found no device; nothing to check"; exit 0 ;;
  esac
  echo "gpu_check: nvidia-smi failed: $gpu_list" >&2
  exit 1
fi
if [ -z "${gpu_list//[[:space:]]/}" ]; then
  echo "no GPU: nvidia-smi lists none; nothing to check"
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' 2>"$work/torch.err"; then
  echo "gpu_check: $PYTHON cannot use CUDA through torch (torch.cuda.is_available() is false, or no torch): $(tail -1 "$work/torch.err")" >&2
  exit 1
fi
AUTOML=${AUTOML:-}
if [ -z "$AUTOML" ]; then
  (cd "$repo" && go build -o "$work/automl" ./cmd/automl)
  AUTOML=$work/automl
fi
AUTOML=$(cd "$(dirname "$AUTOML")" && pwd)/$(basename "$AUTOML")

ngpu=$(printf '%s\n' "$gpu_list" | grep -c .)
printf '%s\n' "$gpu_list" > "$work/gpus.before"
echo "gpu_check: $ngpu GPU(s); automl: $("$AUTOML" version)"

# The probe runs train.py in its own process and records what the run saw.
cat > "$work/probe.py" <<'PY'
import json, os, runpy, sys, time
import torch
rec = {"trial": int(os.environ["AUTOML_TRIAL_ID"]), "from": os.environ.get("AUTOML_RESOURCE_FROM", ""),
       "to": os.environ.get("AUTOML_RESOURCE_TO", ""), "pid": os.getpid(),
       "cvd": os.environ.get("CUDA_VISIBLE_DEVICES"), "device_count": torch.cuda.device_count(), "start": time.time()}
code = 0
try:
    sys.argv = [sys.argv[1]] + sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
finally:
    rec["end"], rec["exit"] = time.time(), code
    with open(os.environ["GPU_CHECK_LOG"], "a") as f:
        f.write(json.dumps(rec) + "\n")
sys.exit(code)
PY

{
  cat <<YAML
study: gpu-check
objective: {metric: val_accuracy, direction: maximize}
budget: {trials: 16}
algorithm: {name: asha, seed: 21, min_resource: 1, max_resource: 9, reduction_factor: 3}
resource: epochs
trainer:
  plugin: exec
  config:
    command: [$PYTHON, $work/probe.py, $here/train.py, --epochs, "9"]
    workdir: $here
    env: {OMP_NUM_THREADS: 1, PYTHONDONTWRITEBYTECODE: 1, GPU_CHECK_LOG: $work/runs.jsonl}
    timeout: 10m
YAML
  sed -n '/^parameters:/,$p' "$here/space.yaml"
} > "$work/space.yaml"

port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$AUTOML" search -space "$work/space.yaml" --db "$work/automl.db" --listen "127.0.0.1:$port" \
  --workers 0 --parallel "$ngpu" --top 0 >"$work/search.out" 2>"$work/search.log" &
search=$!
pids+=("$search")
token=""
for _ in $(seq 100); do
  token=$("$AUTOML" fleet token --db "$work/automl.db" 2>/dev/null | awk '{print $NF}') && [ -n "$token" ] && break
  kill -0 "$search" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$token" ]; then
  echo "gpu_check: automl search did not set up its fleet:" >&2
  cat "$work/search.log" >&2
  exit 1
fi
"$AUTOML" worker --join "$token" --gpus all --name gpu-check --grace 5s >"$work/worker.log" 2>&1 &
worker=$!
pids+=("$worker")

search_rc=0
wait "$search" || search_rc=$?
kill -TERM "$worker" 2>/dev/null || true
worker_rc=0
wait "$worker" || worker_rc=$?
if [ "$search_rc" != 0 ]; then
  echo "gpu_check: automl search exited $search_rc:" >&2
  tail -20 "$work/search.log" >&2
  exit 1
fi
"$AUTOML" trials gpu-check --db "$work/automl.db" --json >"$work/trials.json"

# GPU memory: back to where it started once the study's processes are gone
# (a CUDA context freed by the driver can take a moment).
for _ in $(seq 30); do
  nvidia-smi --query-gpu=index,uuid,memory.used --format=csv,noheader,nounits >"$work/gpus.after"
  nvidia-smi --query-compute-apps=pid,gpu_uuid,used_memory --format=csv,noheader,nounits >"$work/apps.after" || true
  if "$PYTHON" - "$work" >/dev/null <<'PY'
import sys
d = sys.argv[1]
def mem(f):
    return {l.split(",")[0].strip(): int(l.split(",")[2]) for l in open(f) if l.strip()}
b, a = mem(d + "/gpus.before"), mem(d + "/gpus.after")
sys.exit(0 if all(a[i] <= b[i] + 64 for i in b) else 1)
PY
  then break; fi
  sleep 1
done

"$PYTHON" - "$work" "$worker_rc" <<'PY'
import json, os, sys
work, worker_rc = sys.argv[1], int(sys.argv[2])
def rows(f):
    return [[c.strip() for c in l.split(",")] for l in open(f) if l.strip()]
before = {r[0]: (r[1], int(r[2])) for r in rows(work + "/gpus.before")}
after = {r[0]: (r[1], int(r[2])) for r in rows(work + "/gpus.after")}
apps = rows(work + "/apps.after")
runs = [json.loads(l) for l in open(work + "/runs.jsonl")] if os.path.exists(work + "/runs.jsonl") else []
doc = json.load(open(work + "/trials.json"))
trials = {t["id"]: t for t in doc["trials"]}
fails = []

# 1. each run saw exactly its slot's GPU; the trial's record names it.
for r in runs:
    if r["cvd"] not in before:
        fails.append(f"trial {r['trial']} (epochs {r['from']}..{r['to']}): CUDA_VISIBLE_DEVICES={r['cvd']!r}, not one GPU of {sorted(before)}")
    if r["device_count"] != 1:
        fails.append(f"trial {r['trial']} (epochs {r['from']}..{r['to']}): torch.cuda.device_count() = {r['device_count']}, want 1")
last = {}
for r in sorted(runs, key=lambda r: r["start"]):
    last[r["trial"]] = r
for tid, t in trials.items():
    gpu = ",".join(t.get("gpus") or []) or None  # the record's GPUs: its last run's
    if tid not in last:
        if t["state"] in ("completed", "pruned", "stopped"):
            fails.append(f"trial {tid} ({t['state']}): no run of it was recorded")
        continue
    if gpu != last[tid]["cvd"]:
        fails.append(f"trial {tid}: its record names GPU {gpu!r}, its last run saw CUDA_VISIBLE_DEVICES={last[tid]['cvd']!r}")

# 2. no two overlapping runs on one GPU; the most runs at once.
overlap, most = [], 0
for i, a in enumerate(runs):
    at_once = 1 + sum(1 for b in runs if b is not a and b["start"] < a["start"] <= b["end"])
    most = max(most, at_once)
    for b in runs[i + 1:]:
        if a["start"] < b["end"] and b["start"] < a["end"] and a["cvd"] == b["cvd"]:
            overlap.append((a["trial"], b["trial"], a["cvd"]))
for a, b, g in overlap:
    fails.append(f"trials {a} and {b} ran at the same time on GPU {g}")

# 3. nothing of the study holds a GPU; memory back where it started.
ours = {r["pid"] for r in runs}
for app in apps:
    if app and app[0].isdigit() and int(app[0]) in ours:
        fails.append(f"process {app[0]} of the study still holds GPU {app[1]} ({app[2]} MiB)")
for i, (uuid, mb) in sorted(before.items()):
    if after[i][1] > mb + 64:
        fails.append(f"GPU {i}: {after[i][1]} MiB used after the study, {mb} MiB before")

states = {}
for t in trials.values():
    states[t["state"]] = states.get(t["state"], 0) + 1
per_gpu = {}
for r in runs:
    per_gpu[r["cvd"]] = per_gpu.get(r["cvd"], 0) + 1
best = doc.get("best") or {}
print(f"study gpu-check: {len(trials)} trials {dict(sorted(states.items()))}, {len(runs)} runs (ASHA promotions resume), best val_accuracy {best.get('value', 'none')}")
print(f"runs per GPU: {dict(sorted(per_gpu.items()))}; the most runs at once: {most}, on {len(before)} GPU(s)")
print("GPU memory used (MiB), before -> after: " + ", ".join(f"{i}: {before[i][1]} -> {after[i][1]}" for i in sorted(before)))
if len(trials) != 16:
    fails.append(f"the study has {len(trials)} trials, want 16")
if worker_rc != 0:
    fails.append(f"automl worker exited {worker_rc} on SIGTERM, want 0")
if len(before) > 1 and most < 2:
    print("note: no two runs overlapped, so sharing was not put to the test")
for f in fails:
    print("FAIL:", f)
print("gpu_check: " + ("ok" if not fails else f"{len(fails)} check(s) failed"))
sys.exit(1 if fails else 0)
PY
