#!/usr/bin/env bash
# Scans the Bicep templates in infra/ with checkov, offline, and fails on any failed check.
#
# checkov pins an older pycep-parser than the tests use, so it lives in its own virtual
# environment, .venv-checkov, created here on first use (a fresh clone included) and kept
# for later runs. A check that cannot apply is skipped inside its resource with
# `// checkov:skip=ID: reason`, so every exception is read next to what it excuses.
set -euo pipefail

CHECKOV_VERSION="3.3.30"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-checkov"
stamp="$venv/.checkov-$CHECKOV_VERSION"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3

if [[ ! -f "$stamp" ]]; then
  echo "check_infra: installing checkov $CHECKOV_VERSION into .venv-checkov"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "checkov==$CHECKOV_VERSION"
  touch "$stamp"
fi

# Offline: no version check against PyPI, no download of policies or guidelines.
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true
export BC_SKIP_MAPPING=TRUE

cd "$root"
status=0
"$venv/bin/checkov" --framework bicep --skip-download --compact --quiet \
  --directory infra || status=$?
echo "check_infra: checkov exit status $status"
exit "$status"
