#!/usr/bin/env bash
# Writes envs/sdk3/requirements.txt: the root uv.lock's versions (app + tests group), except
# sentry-sdk, which is 3.0.0b2. Everything else staying identical is what makes the sdk3 test
# run and the 2.75-vs-3.0 benchmark rows comparable. Re-run after `uv lock` changes uv.lock.
set -euo pipefail
cd "$(dirname "$0")"
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
uv export --frozen --no-hashes --no-emit-project --no-header --no-annotate --group tests --group docs \
    --project ../.. | grep -v '^sentry-sdk==' >"$constraints"
uv pip compile requirements.in --constraint "$constraints" --python-version 3.11.7 \
    --no-annotate --quiet --output-file requirements.txt \
    --custom-compile-command "bash envs/sdk3/lock.sh"
