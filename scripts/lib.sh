# Shared by scripts/demo and scripts/test: create or refresh a virtualenv.
# ensure_venv DIR PYTHON DJANGO_SPEC: DIR gets perfkit installed editable with its dev
# extra and the given Django. It is rebuilt when pyproject.toml or the spec changes.
ensure_venv() {
  local dir=$1 python=$2 django_spec=$3
  local stamp
  stamp="$(sha256sum pyproject.toml | cut -c1-16)-${django_spec}"
  if [ -f "$dir/.perfkit-stamp" ] && [ "$(cat "$dir/.perfkit-stamp")" = "$stamp" ]; then
    return 0
  fi
  echo "==> setting up $dir ($python, $django_spec)"
  rm -rf "$dir"
  "$python" -m venv "$dir"
  # pip's notes about unreachable local package folders are noise here; errors still show.
  "$dir/bin/python" -m pip install --quiet --upgrade pip 2>&1 | { grep -v '^WARNING: Location' || true; }
  "$dir/bin/python" -m pip install --quiet -e ".[dev]" "$django_spec" 2>&1 \
    | { grep -v '^WARNING: Location' || true; }
  echo "$stamp" > "$dir/.perfkit-stamp"
}

# find_python VERSION: print a working interpreter for VERSION (e.g. 3.12), or nothing.
# A pyenv shim can exist for a version that is installed but not selected, so each
# candidate is tried, not just looked up.
find_python() {
  local version=$1 candidate
  for candidate in "python$version" \
      "$(pyenv root 2>/dev/null)"/versions/"$version"*/bin/"python$version"; do
    if "$candidate" -c "import sys" >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
}
