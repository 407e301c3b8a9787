#!/usr/bin/env bash
# The prepared GPU check (issue 14). On the lent machine, from the repository root, with
# bench/gpu/pack carried (built by bench/gpu/pack.sh):
#   bash bench/gpu/run.sh            # writes everything under $OUT
# Here (CPU, llvmpipe):  OUT=/tmp/gpu-out bash bench/gpu/run.sh --small
# Steps: unpack the loaders and node, print the adapter (vulkaninfo-free: Dawn's own query),
# check webgpu vs wasm and time NASWOT / grad_norm / a supernet step (check.mjs), then the same
# cells on the machine's PyTorch (torch_time.py). Extra arguments go to check.mjs.
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
P=bench/gpu/pack
W=$(mktemp -d)
exec > >(tee -a "$OUT/log.txt") 2>&1
echo "== $(date -u) on $(hostname); nvidia-smi:"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -3

# loaders: only where the machine has none (the device README's recipe)
if ! ldconfig -p | grep -q libvulkan.so.1 && [ -d "$P/gl" ]; then
  for f in "$P"/gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  echo "unpacked loaders: $(ls "$P/gl" | tr '\n' ' ')"
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$icd}; break; fi
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}"

unxz() { if command -v xz >/dev/null; then xz -dc "$1"; else python3 -c "import lzma,sys,shutil; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)" "$1"; fi; }
if command -v node >/dev/null && [ ! -f "$P/node.xz" ]; then NODE=$(command -v node); else unxz "$P/node.xz" > "$W/node" && chmod +x "$W/node" && NODE=$W/node; fi
unxz "$P/app.tar.xz" | tar -C "$W" -xf -
echo "node $("$NODE" --version)"

# the adapter, as Dawn reports it, for each attempt of src/engine/webgpu.ts
cat > "$W/adapter.mjs" <<'JS'
import { create } from 'webgpu';
for (const [name, toggles, opts] of [['native', [], {}], ['gles-compat', ['backend=opengles'], { featureLevel: 'compatibility' }]]) {
  if (name === 'gles-compat') process.env.EGL_PLATFORM ??= 'surfaceless';
  const a = await create(toggles).requestAdapter({ powerPreference: 'high-performance', ...opts });
  console.log(`adapter ${name}:`, a ? JSON.stringify({ ...Object.fromEntries(['vendor', 'architecture', 'device', 'description'].map((k) => [k, a.info[k]])), maxBufferSize: a.limits.maxBufferSize, maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize }) : 'none');
}
process.exit(0);
JS
(cd "$W" && timeout 30 "$NODE" adapter.mjs) 2>&1 | grep -v XDG_RUNTIME_DIR

echo "== node check"
(cd "$W" && timeout 300 "$NODE" check.mjs --out "$OUT" "$@") 2>&1 | grep -v "XDG_RUNTIME_DIR\|artificially reduced"
echo "node check exit ${PIPESTATUS[0]}"

echo "== torch"
PY=$(command -v python3); [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && PY=/usr/bin/python3
timeout 90 "$PY" bench/gpu/torch_time.py "$OUT"
echo "torch exit $?"
rm -rf "$W"
echo "== done $(date -u); files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
