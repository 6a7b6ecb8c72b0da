#!/usr/bin/env bash
# The README's first command (`npm start`). Installs what the project needs, then synthesizes
# both stacks offline. The local twin will take over this command once it exists.
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

export CDK_DISABLE_CLI_TELEMETRY=true
start=$(date +%s%N)
npx cdk synth --quiet
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "Synthesized VodEdge (us-east-1) and VodPlatform into cdk.out/ in ${elapsed_ms} ms; nag and guard found nothing unacknowledged."
