# shellcheck shell=bash
# Shared by the DRF gates (drf_suite, drf_pagination). Sourced from the repository root.
#
# The gates run DRF's own tests, from the source distribution of the DRF that .venv has
# (the .venv ./scripts/test builds), in a throwaway virtualenv .venv-drfgate: perfkit
# installed editable, plus Django, DRF and what DRF's tests need at the versions .venv
# has, so .venv itself stays exactly what pyproject.toml says.

GATE_VENV=.venv-drfgate
# shellcheck disable=SC2034  # read by the gate scripts that source this file
GATE_PLUGINS=scripts/gates/pytest_plugins
# DRF's tests import these; the run is meaningless without them.
GATE_REQUIRED="django djangorestframework pytest pytest-django pytest-xdist dj-database-url"
# DRF's optional test dependencies: installed when .venv has them (same version), so
# DRF skips the same tests here as it would in .venv.
GATE_OPTIONAL="django-filter markdown pygments pyyaml psycopg psycopg-binary"

# quiet_pip PYTHON ARGS...: pip, without its notes about unreachable local package folders.
quiet_pip() {
  local python=$1
  shift
  "$python" -m pip --quiet "$@" 2>&1 | { grep -v '^WARNING: Location' || true; }
  return "${PIPESTATUS[0]}"
}

# venv_version VENV DISTRIBUTION: the version installed there, or nothing.
venv_version() {
  "$1/bin/python" - "$2" <<'PY'
import sys
from importlib.metadata import PackageNotFoundError, version

try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
PY
}

# ensure_gate_venv: create or refresh .venv-drfgate; rebuilt when pyproject.toml or any
# pinned version changes.
ensure_gate_venv() {
  if [ ! -x .venv/bin/python ]; then
    echo ".venv is missing: run ./scripts/test first (it builds .venv)" >&2
    return 1
  fi
  local pins=() dist version stamp
  for dist in $GATE_REQUIRED; do
    version=$(venv_version .venv "$dist")
    if [ -z "$version" ]; then
      echo "$dist is not installed in .venv (pyproject.toml's dev extra should bring it)" >&2
      return 1
    fi
    pins+=("$dist==$version")
  done
  for dist in $GATE_OPTIONAL; do
    version=$(venv_version .venv "$dist")
    if [ -n "$version" ]; then pins+=("$dist==$version"); fi
  done
  stamp="$(sha256sum pyproject.toml | cut -c1-16) ${pins[*]}"
  if [ -f "$GATE_VENV/.perfkit-stamp" ] && [ "$(cat "$GATE_VENV/.perfkit-stamp")" = "$stamp" ]; then
    return 0
  fi
  echo "==> setting up $GATE_VENV: perfkit (editable) ${pins[*]}"
  rm -rf "$GATE_VENV"
  # .venv's python makes the new virtualenv from the same base interpreter.
  .venv/bin/python -m venv "$GATE_VENV"
  quiet_pip "$GATE_VENV/bin/python" install --upgrade pip
  quiet_pip "$GATE_VENV/bin/python" install -e . "${pins[@]}"
  echo "$stamp" > "$GATE_VENV/.perfkit-stamp"
}

# unpack_drf_sdist DIR: download the source distribution of the DRF installed in the gate
# virtualenv into DIR, unpack it there and print the path of its top folder.
unpack_drf_sdist() {
  local dir=$1 version
  version=$(venv_version "$GATE_VENV" djangorestframework)
  quiet_pip "$GATE_VENV/bin/python" download --no-binary :all: --no-deps \
    --dest "$dir" "djangorestframework==$version" >&2
  tar -xzf "$dir/djangorestframework-$version.tar.gz" -C "$dir"
  echo "$dir/djangorestframework-$version"
}

# seconds_since START: wall time since START (from `date +%s.%N`), to 0.1 s.
seconds_since() {
  awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }'
}
