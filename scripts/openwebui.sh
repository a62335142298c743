#!/usr/bin/env bash
# Install Open WebUI 0.12.4 (scripts/install-openwebui.sh) and run it offline, on loopback, with
# its data in a folder outside the repository, in the environment of scripts/openwebui.env (the
# one the interoperability tests use), to try the connector by hand (docs/openwebui.md).
#
#   scripts/openwebui.sh PORT DATA_DIR     # e.g. scripts/openwebui.sh 8080 /tmp/owui-data
#
# It runs in the foreground until Ctrl-C. Open WebUI is installed in $OPENWEBUI_HOME (default
# /work/openwebui). Its secret key is kept in DATA_DIR/.webui_secret_key, so that a restart on
# the same DATA_DIR keeps its sessions; the first account signed up is its admin.
set -euo pipefail

usage() {
    echo "usage: $0 PORT DATA_DIR" >&2
    exit 2
}
[[ $# -eq 2 ]] || usage
PORT="$1"
DATA_DIR="$2"
if ! [[ "$PORT" =~ ^[0-9]{1,5}$ ]] || ((PORT < 1 || PORT > 65535)); then
    echo "not a port: $PORT" >&2
    exit 2
fi

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPTS_DIR/.." && pwd -P)"
DATA_DIR="$(realpath -m -- "$DATA_DIR")"
case "$DATA_DIR/" in
    "$REPO_DIR"/*)
        echo "refusing a data folder inside the repository ($REPO_DIR): choose another folder" >&2
        exit 2
        ;;
esac

OPENWEBUI_HOME="${OPENWEBUI_HOME:-/work/openwebui}"
"$SCRIPTS_DIR/install-openwebui.sh" "$OPENWEBUI_HOME"
OPEN_WEBUI="$OPENWEBUI_HOME/venv/bin/open-webui"

# The fixed variables, one KEY=VALUE a line, as tests/interop/openwebui.py reads them.
fixed=()
while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [[ -z "$line" || "$line" == \#* ]] && continue
    if ! [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; then
        echo "$SCRIPTS_DIR/openwebui.env: not KEY=VALUE: $line" >&2
        exit 2
    fi
    fixed+=("$line")
done <"$SCRIPTS_DIR/openwebui.env"

# Files it creates (the database, the secret key) are for this user only.
umask 077
mkdir -p "$DATA_DIR/home"
cd "$DATA_DIR"

echo "Open WebUI: http://127.0.0.1:$PORT (data: $DATA_DIR)"
echo "environment: ${fixed[*]}"
# No WEBUI_SECRET_KEY: `open-webui serve` then reads (first: writes) ./.webui_secret_key.
exec env -i \
    PATH="${PATH:-/usr/bin:/bin}" \
    HOME="$DATA_DIR/home" \
    DATA_DIR="$DATA_DIR" \
    "${fixed[@]}" \
    "$OPEN_WEBUI" serve --host 127.0.0.1 --port "$PORT"
