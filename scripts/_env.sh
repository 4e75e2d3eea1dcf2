# Shared by scripts/demo and scripts/test: make sure uv, the Python environment and front-end assets exist.
# Sourced, not run. Everything here is idempotent and quick when already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
UV_VERSION="0.13.9"
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}" >/dev/null 2>&1 \
    || python3 -m pip install --quiet --user --disable-pip-version-check "uv==${UV_VERSION}"
  hash -r
fi
uv() { if command -v uv >/dev/null 2>&1; then command uv "$@"; else python3 -m uv "$@"; fi; }
uv sync --frozen --quiet
if [ -x scripts/build-assets ]; then
  scripts/build-assets
fi
