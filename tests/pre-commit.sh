#!/usr/bin/env bash
# Runs cloudlint through the real pre-commit client, as a user's repository would: a violating
# .tf file must fail the hook with the finding printed, and the fixed file must pass.
# Slow (pre-commit runs `cargo install --path .`, a release build); .ci/run calls it after
# `cargo test`. Needs python3 with venv and network access to PyPI and crates.io.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q pre-commit

mkdir "$tmp/work"
cd "$tmp/work"
git init -q .
cat > main.tf <<'TF'
resource "aws_iam_policy" "admin" {
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
TF
git add main.tf

hook() {
  PRE_COMMIT_HOME="$tmp/home" CARGO_TARGET_DIR="$repo/target" \
    "$tmp/venv/bin/pre-commit" try-repo "$repo" cloudlint --files main.tf >"$tmp/out" 2>&1
}

fail() {
  echo "pre-commit.sh: $1" >&2
  cat "$tmp/out" >&2
  exit 1
}

status=0
hook || status=$?
[ "$status" -eq 1 ] || fail "expected exit 1 on the violating file, got $status"
grep -q 'main.tf:3:38: error: statement allows all actions on all resources (administrator access) \[iam-wildcard-admin-policy\]' "$tmp/out" \
  || fail "the finding is missing from the hook output"

sed -i 's/Action = "\*"/Action = "s3:GetObject"/' main.tf
git add main.tf
status=0
hook || status=$?
[ "$status" -eq 0 ] || fail "expected exit 0 on the fixed file, got $status"
echo "pre-commit.sh: ok"
