#!/usr/bin/env bash
# Builds bench/gpu/pack/ (git-ignored), everything bench/gpu/run.sh needs on the lent GPU machine
# (no Node, no network, 64 MiB travel, 8 carried paths): one carried path, about 40 MB.
#   node.xz        this machine's node binary, xz-compressed (~99 MB -> ~27 MB)
#   app.tar.xz     check.ts bundled by esbuild into one check.mjs, plus the few files it loads at
#                  run time: webgpu's index.js + dawn.node, tfjs-backend-wasm's .wasm binaries
#   gl/*.deb       the Vulkan/EGL loaders (libvulkan1, libegl1, libglvnd0, libgles2, ...), as the
#                  device README says, unpacked with dpkg -x at the start of the run
# Run here (needs apt to reach Debian): bash bench/gpu/pack.sh; then carry bench/gpu/pack.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=bench/gpu/pack
# node.xz and gl/ are kept when present (they take minutes and do not change with the code)
rm -rf "$P/stage" "$P/app.tar.xz" && mkdir -p "$P/gl" "$P/stage/node_modules/@tensorflow"
stage="$P/stage"

# 1. the bundle (ESM; the banner gives the CJS parts require/__dirname, tfjs-backend-wasm's loader reads __dirname):
# CJS builds of tfjs everywhere (platform node), webgpu left outside (a .node addon)
npx esbuild bench/gpu/check.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --outfile="$stage/check.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
mkdir -p "$stage/node_modules/webgpu/dist/linux-x64"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/node_modules/webgpu/dist/linux-x64/"
# webgpu's index.js imports nothing else; tfjs-backend-wasm is resolved (require.resolve) to find its binaries
w=node_modules/@tensorflow/tfjs-backend-wasm
mkdir -p "$stage/$w/dist"
cp "$w/package.json" "$stage/$w/"
cp "$w"/dist/*.wasm "$stage/$w/dist/"
main=$(node -p "require('./$w/package.json').main")
cp "$w/$main" "$stage/$w/$main"
tar -C "$stage" -cf - . | xz -T2 -6 > "$P/app.tar.xz"
rm -rf "$stage"

# 2. node
[ -s "$P/node.xz" ] || xz -T2 -6 -c "$(command -v node)" > "$P/node.xz"

# 3. loaders
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64'
ls "$P"/gl/libvulkan1_*.deb >/dev/null 2>&1 || (cd "$P/gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)

du -ab "$P" | sort -n | tail -20
total=$(du -sb "$P" | cut -f1)
echo "pack: $total bytes ($((total / 1048576)) MiB; the limit is 64 MiB with the tracked tree)"
