#!/usr/bin/env bash
# Install Open WebUI 0.12.4 from the package index into a folder outside the repository, for the
# opt-in interoperability test (tests/interop, docs/openwebui.md).
#
#   scripts/install-openwebui.sh [DIR]     # DIR, else $OPENWEBUI_HOME, else /work/openwebui
#
# Torch is installed first, pinned, so that pip takes the CPU build lying on this machine's disk
# instead of resolving a CUDA build as a dependency of open-webui. Running it again once the
# installation is complete does nothing.
set -euo pipefail

OPENWEBUI_VERSION=0.12.4
TORCH_VERSION=2.13.0
HOME_DIR="${1:-${OPENWEBUI_HOME:-/work/openwebui}}"
PYTHON="${PYTHON:-python3}"

case "$HOME_DIR" in
    /*) ;;
    *) HOME_DIR="$(pwd)/$HOME_DIR" ;;
esac
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$HOME_DIR/" in
    "$REPO_DIR"/*)
        echo "refusing to install inside the repository ($REPO_DIR): choose another folder" >&2
        exit 2
        ;;
esac

VENV="$HOME_DIR/venv"
installed_version() {
    "$VENV/bin/python" -c \
        'import importlib.metadata as m; print(m.version("open-webui"))' 2>/dev/null || true
}

if [[ -x "$VENV/bin/open-webui" && "$(installed_version)" == "$OPENWEBUI_VERSION" ]]; then
    echo "Open WebUI $OPENWEBUI_VERSION is already installed in $VENV"
    exit 0
fi

mkdir -p "$HOME_DIR"
if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install "torch==$TORCH_VERSION"
# Naming torch again keeps the build above: no dependency of open-webui may replace it.
"$VENV/bin/python" -m pip install "open-webui==$OPENWEBUI_VERSION" "torch==$TORCH_VERSION"

torch_build="$("$VENV/bin/python" -c 'import torch; print(torch.__version__)')"
echo "Open WebUI $(installed_version) installed in $VENV (torch $torch_build)"
