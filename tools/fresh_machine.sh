#!/usr/bin/env bash
# Run README's two commands as on a fresh machine of the project's kind: Python and Debian's
# base packages, without Chromium, Poppler (pdftoppm, pdftotext, pdffonts, pdfinfo) or
# libharfbuzz-subset0, which .ci/run installs but a new user may not have.
#
# Needs root (mount namespaces). Nothing outside this process tree changes: in a private
# mount namespace, overlays with whiteouts hide those files from /usr/bin and the library
# directory; the committed tree (git archive HEAD) is installed into a new venv there.
#
#   sudo tools/fresh_machine.sh            # pip install '.[test]' && pytest
#   sudo tools/fresh_machine.sh tests/api  # ... && pytest tests/api
#   FRESH_VENV=/tmp/v sudo -E tools/fresh_machine.sh ...  # keep (and reuse) the venv there
#   FRESH_HIDE_BIN="chromium" ...  # hide only these programs (e.g. keep Poppler to read PDFs
#                                  # made without libharfbuzz-subset0)
set -euo pipefail

if [ -z "${PAXSILICA_FRESH_INNER:-}" ]; then
    exec unshare --mount --propagation private env PAXSILICA_FRESH_INNER=1 bash "$0" "$@"
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/paxsilica-fresh.XXXXXX)"
libdir="/usr/lib/$(uname -m)-linux-gnu"

hide() {  # hide DIR FILE...: overlay DIR with a whiteout (char device 0/0) per FILE
    local dir="$1" key
    shift
    key="$(echo "$dir" | tr / _)"
    mkdir -p "$work/up$key" "$work/work$key"
    for name in "$@"; do mknod "$work/up$key/$name" c 0 0; done
    mount -t overlay overlay \
        -o "lowerdir=$dir,upperdir=$work/up$key,workdir=$work/work$key" "$dir"
}

# shellcheck disable=SC2086
hide /usr/bin ${FRESH_HIDE_BIN-chromium pdftoppm pdftotext pdffonts pdfinfo}
# shellcheck disable=SC2046
hide "$libdir" $(cd "$libdir" && ls libharfbuzz-subset.so*)

for path in /usr/bin/chromium /usr/bin/pdftoppm "$libdir/libharfbuzz-subset.so.0"; do
    if [ -e "$path" ]; then echo "present: $path" >&2; else echo "hidden: $path" >&2; fi
done

git -C "$repo" archive --format=tar HEAD | tar -x -C "$work" --one-top-level=repo
cd "$work/repo"
venv="${FRESH_VENV:-$work/venv}"
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
# shellcheck disable=SC1091
source "$venv/bin/activate"
python -m pip install --quiet --upgrade pip
# README quick start, second command
pip install --quiet '.[test]' && pytest -q -p no:cacheprovider "$@"
