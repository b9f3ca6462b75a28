#!/usr/bin/env bash
# Install the Debian packages named as arguments that the delivery targets need and pip cannot
# provide, only those missing:
#   chromium  - the browser the browser tests drive (Playwright uses /usr/bin/chromium);
#   npm       - fetches the offline slide assets (reveal.js, MathJax, ...) from the npm registry.
# Usage: bash tools/install_system_tools.sh chromium npm As root it uses apt-get; otherwise `sudo -n`; if neither
# works it says what to install and exits 1 (the tests then fail with the same message; never skipped).
set -euo pipefail
[ $# -gt 0 ] || set -- chromium npm
missing=()
for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install_system_tools.sh: cannot install ${missing[*]} (not root, no password-less sudo): run" \
         "'sudo apt-get install ${missing[*]}' (Debian/Ubuntu), then 'make test' again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing Debian packages: ${missing[*]} ..."
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
