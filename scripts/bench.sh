#!/usr/bin/env bash
# Times cloudlint on the real corpus and on a generated 10,000-file repository and prints files,
# bytes, wall time, MB/s, peak RSS, the plain-read floor, the 1- vs 2-thread speedup, and the time
# per stage (`--timings`, 1 thread), and end-to-end throughput (best of three runs) as a share of
# the parsers' alone on the same files (benches/parsers_alone.rs).
# Usage: scripts/bench.sh [corpus-dir]   (default ../shared/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
cargo build --release --quiet
bin=target/release/cloudlint
# The parsers alone on the same files (benches/parsers_alone.rs), built like the binary.
parsers=$(cargo bench --bench parsers_alone --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json,sys; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("executable") and "parsers_alone" in m["executable"]]' | tail -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/synthetic" <<'PY'
import os, random, sys
root = sys.argv[1]
rng = random.Random(20261123)
def tf(i, size):
    out = []
    n = 0
    while sum(map(len, out)) < size:
        action = '"*"' if rng.random() < 0.01 else '["s3:GetObject", "s3:PutObject"]'
        out.append(f'resource "aws_iam_policy" "p{i}_{n}" {{\n  name = "p{i}_{n}"\n  policy = jsonencode({{\n    Version = "2012-10-17"\n    Statement = [{{\n      Effect   = "Allow"\n      Action   = {action}\n      Resource = "arn:aws:s3:::b{n}/*"\n    }}]\n  }})\n}}\n\n')
        n += 1
    return "".join(out)
def cfn_yaml(i, size):
    out = ["AWSTemplateFormatVersion: '2010-09-09'\nResources:\n"]
    n = 0
    while sum(map(len, out)) < size:
        action = "'*'" if rng.random() < 0.01 else "s3:GetObject"
        out.append(f"  P{n}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: {action}\n            Resource: !Sub 'arn:aws:s3:::b{n}-${{AWS::Region}}/*'\n")
        n += 1
    return "".join(out)
def cfn_json(i, size):
    items = []
    n = 0
    while sum(map(len, items)) < size:
        action = '"*"' if rng.random() < 0.01 else '"s3:GetObject"'
        items.append(f'"P{n}": {{"Type": "AWS::IAM::ManagedPolicy", "Properties": {{"PolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": {action}, "Resource": "arn:aws:s3:::b{n}/*"}}]}}}}}}')
        n += 1
    return '{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {' + ",\n".join(items) + "}}"
def iam(i, size):
    items = []
    n = 0
    while sum(map(len, items)) < size:
        items.append(f'{{"Sid": "S{n}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{n}/*"}}')
        n += 1
    return '{"Version": "2012-10-17", "Statement": [' + ",\n".join(items) + "]}"
kinds = [("tf", tf), ("cfn.yaml", cfn_yaml), ("cfn.json", cfn_json), ("iam.json", iam)]
for i in range(10000):
    ext, make = kinds[i % 4]
    size = rng.randint(1024, 40 * 1024)
    d = os.path.join(root, f"d{i // 50:03d}", f"m{i % 50 // 4:02d}") if ext == "tf" else os.path.join(root, f"d{i // 50:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.{ext}"), "w") as f:
        f.write(make(i, size))
PY

best_of_three() { # dir threads -> the fastest of three runs, in seconds
  local best="" start end took
  for _ in 1 2 3; do
    start=$(date +%s.%N); "$bin" --threads "$2" --format concise "$1" >/dev/null || true; end=$(date +%s.%N)
    took=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$took < $best" | bc)" = 1 ]; then best=$took; fi
  done
  echo "$best"
}

measure() { # name dir
  local name=$1 dir=$2
  local files bytes
  files=$(find "$dir" -type f \( -name '*.tf' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' -o -name '*.template' \) | wc -l)
  bytes=$(find "$dir" -type f \( -name '*.tf' -o -name '*.json' -o -name '*.yaml' -o -name '*.yml' -o -name '*.template' \) -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
  "$bin" --threads 2 --format concise "$dir" >/dev/null || true   # warm the page cache
  local start end floor
  start=$(date +%s.%N); find "$dir" -type f -print0 | xargs -0 cat >/dev/null; end=$(date +%s.%N)
  floor=$(echo "$end - $start" | bc)
  local t1 t2 rss
  t1=$(best_of_three "$dir" 1)
  /usr/bin/time -v "$bin" --threads 2 --format concise "$dir" >/dev/null 2>"$work/time.txt" || true
  t2=$(best_of_three "$dir" 2)
  rss=$(grep 'Maximum resident' "$work/time.txt" | awk '{print $NF}')
  printf '%s: %s files, %.1f MB; read floor %.3f s; 1 thread %.3f s (%.1f MB/s); 2 threads %.3f s (%.1f MB/s); speedup %.2fx; peak RSS %.1f MB\n' \
    "$name" "$files" "$(echo "$bytes/1000000" | bc -l)" "$floor" "$t1" "$(echo "$bytes/1000000/$t1" | bc -l)" \
    "$t2" "$(echo "$bytes/1000000/$t2" | bc -l)" "$(echo "$t1/$t2" | bc -l)" "$(echo "${rss:-0}/1024" | bc -l)"
  "$bin" --threads 1 --timings --format concise "$dir" 2>"$work/stages.txt" >/dev/null || true
  sed 's/^/    /' "$work/stages.txt"
  local parse total alone
  parse=$(awk '$1 == "parse" {print $2}' "$work/stages.txt")
  total=$(awk '$1 == "total" {print $2}' "$work/stages.txt")
  printf '    parsing is %.0f%% of the pipeline'"'"'s time\n' "$(echo "100*$parse/$total" | bc -l)"
  "$parsers" "$dir" | sed 's/^/    /' | tee "$work/alone.txt"
  alone=$(awk '/every file/ {print $(NF-3)}' "$work/alone.txt")
  printf '    end-to-end throughput (1 thread, whole process) = %.0f%% of the parsers alone on the same bytes\n' \
    "$(echo "100*$alone/$t1" | bc -l)"
}

[ -d "$corpus" ] && measure corpus "$corpus"
measure synthetic "$work/synthetic"
