#!/usr/bin/env bash
# The README's first command (`npm start`): installs what the project needs, then runs the local
# twin (local/main.ts) in the foreground until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

required_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$required_major" ]; then
  echo "Node.js $required_major or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

bash scripts/install-system-packages.sh

# Install dependencies when they are missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

exec node --import tsx local/main.ts
