#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (`make test-browser`, Playwright drives /usr/bin/chromium).
# As root it uses apt-get; otherwise `sudo -n`; if neither works it says what to install and
# exits 1 (the browser tests then fail with the same message - they are never skipped).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    echo "browser: $(chromium --version 2>/dev/null | head -1)"
    exit 0
fi
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "install_browser.sh: cannot install Chromium (not root, no password-less sudo): run" \
         "'sudo apt-get install chromium' (Debian/Ubuntu), then 'make test-browser' again" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "browser: $(chromium --version 2>/dev/null | head -1)"
