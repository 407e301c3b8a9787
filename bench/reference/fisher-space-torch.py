# Written for nasrepro (not the reference's code). Issue 4's open question: is our fisher's
# Spearman rho on NB201 (~0.25 over 600 cells, published 0.36) a property of our TypeScript
# implementation, or of the published definition itself? This script computes the zero-cost
# reference's fisher, grad_norm and snip in PyTorch, from scratch, on many NB201 cells, the way
# the reference's nasbench2_pred.py run does: one torch.manual_seed at the start, then per cell a
# FRESH PyTorch-default-initialised network and a FRESH random batch of 64 augmented (crop pad 4 +
# flip) CIFAR-10 training images, networks in train mode. It shares no code and no weights with
# the TypeScript harness, so agreement between the two is evidence about the definition.
#
# Network (the reference's NB201 variant, as methods.md and the zero-cost code describe it): stem
# conv3x3 (no bias) + affine BN; 3 stages of 5 cells with cell BN non-affine, no running stats
# and a conv bias; two ResNet reduction blocks with affine BN; lastact BN + ReLU; GAP; linear.
# fisher: an identity after every conv/linear output; per output channel 0.5 * mean over samples
# of (sum over positions of activation * gradient)^2; spread to every weight of the channel
# (x prod(weight.shape[1:])); summed. grad_norm: sum of per-layer L2 norms of dL/dW. snip:
# sum |W * dL/dW|. All over conv and linear weights.
#
#   python3 bench/reference/fisher-space-torch.py DATA OUT.csv [--cells N] [--seed S] [--threads T]
# Resumable: cells already in OUT.csv are skipped. Prints Spearman rho of each measure against
# cifar10-valid ori-test 200 epochs (the zero-cost notebook's 'test-accuracy') at the end.
# Measured 2026-12-02 (--seed 42, 1 thread, ~1 s per cell): over 2,679 cells fisher 0.297
# [0.260, 0.338], grad_norm 0.571, snip 0.572 (published 0.36, 0.594, 0.596); on 300 of them the
# harness's fisher (nasrepro score fisher --augment) rank-correlates with this one at 0.988.
import argparse, csv, gc, os, sys, time
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument('data'); p.add_argument('out')
p.add_argument('--cells', type=int, default=1000)
p.add_argument('--seed', type=int, default=42)
p.add_argument('--threads', type=int, default=1)
args = p.parse_args()
torch.set_num_threads(args.threads)

EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]
MEAN = np.array([125.3, 123.0, 113.9], dtype=np.float32) / 255
STD = np.array([63.0, 62.1, 66.7], dtype=np.float32) / 255

def read_table(path):
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[int(r['index'])] = (r['arch'], float(r['cifar10valid_test_200']))
    return rows

def read_cifar(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 3073: sys.exit(f'{path}: {raw.size} bytes is not a whole number of 3073-byte records')
    raw = raw.reshape(-1, 3073)
    x = raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255
    x = (x - MEAN[None, :, None, None]) / STD[None, :, None, None]
    return torch.tensor(x), torch.tensor(raw[:, 0].astype(np.int64))

def parse_arch(arch):
    ops = []
    for node in arch.split('+'):
        for tok in node.strip('|').split('|'):
            ops.append(tok.split('~')[0])
    return ops  # edge order (0,1),(0,2),(1,2),(0,3),(1,3),(2,3)

class Tap(nn.Module):
    """Wraps a conv/linear; its output passes through an identity whose backward hook sees dL/dy."""
    def __init__(self, layer):
        super().__init__(); self.layer = layer; self.dummy = nn.Identity(); self.fisher = None
        self.dummy.register_full_backward_hook(self._hook)
    def _hook(self, module, grad_in, grad_out):
        a = self.act.detach(); g = grad_out[0].detach()
        s = (a * g).sum(dim=(2, 3)) if a.dim() == 4 else a * g
        d = 0.5 * s.pow(2).mean(0)
        self.fisher = d if self.fisher is None else self.fisher + d
        del self.act  # the stored output keeps the whole graph (and the hooks) alive otherwise: 23 GB after ~100 cells
    def forward(self, x):
        self.act = self.dummy(self.layer(x)); return self.act

class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, affine):
        super().__init__()
        self.conv = Tap(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=not affine))
        self.bn = nn.BatchNorm2d(cout, affine=affine, track_running_stats=affine)
    def forward(self, x): return self.bn(self.conv(F.relu(x)))

class Cell(nn.Module):
    def __init__(self, c, ops):
        super().__init__(); self.ops = ops
        self.edges = nn.ModuleList([ReLUConvBN(c, c, 3 if o == 'nor_conv_3x3' else 1, 1, False) if o.startswith('nor_conv') else nn.Identity() for o in ops])
    def forward(self, x):
        nodes = [x]
        for j in (1, 2, 3):
            terms = []
            for e, (f, t) in enumerate(EDGES):
                if t != j: continue
                o = self.ops[e]; h = nodes[f]
                if o == 'none': terms.append(h.mul(0.))
                elif o == 'avg_pool_3x3': terms.append(F.avg_pool2d(h, 3, 1, 1, count_include_pad=False))
                else: terms.append(self.edges[e](h))
            nodes.append(sum(terms))
        return nodes[3]

class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = ReLUConvBN(cin, cout, 3, 2, True); self.b = ReLUConvBN(cout, cout, 3, 1, True)
        self.short = Tap(nn.Conv2d(cin, cout, 1, 1, 0, bias=False))
    def forward(self, x): return self.b(self.a(x)) + self.short(F.avg_pool2d(x, 2, 2))

class Net(nn.Module):
    def __init__(self, ops, c=16, n=5, classes=10):
        super().__init__()
        self.stem = Tap(nn.Conv2d(3, c, 3, 1, 1, bias=False)); self.stem_bn = nn.BatchNorm2d(c)
        body = []
        for s, w in enumerate((c, 2 * c, 4 * c)):
            if s > 0: body.append(Reduction(w // 2, w))
            body += [Cell(w, ops) for _ in range(n)]
        self.body = nn.Sequential(*body)
        self.last_bn = nn.BatchNorm2d(4 * c); self.fc = Tap(nn.Linear(4 * c, classes))
    def forward(self, x):
        h = self.body(self.stem_bn(self.stem(x)))
        return self.fc(F.relu(self.last_bn(h)).mean((2, 3)))

def augmented_batch(x, y, n, gen):
    idx = torch.randperm(x.shape[0], generator=gen)[:n]
    xb = F.pad(x[idx], (4, 4, 4, 4))
    out = torch.empty(n, 3, 32, 32)
    for i in range(n):
        dy, dx = torch.randint(0, 9, (2,), generator=gen).tolist()
        img = xb[i, :, dy:dy + 32, dx:dx + 32]
        out[i] = img.flip(2) if torch.rand(1, generator=gen).item() < 0.5 else img
    return out, y[idx]

def measures(ops, xb, yb):
    net = Net(ops).train()
    loss = F.cross_entropy(net(xb), yb)
    loss.backward()
    fisher = grad_norm = snip = 0.0
    for m in net.modules():
        if not isinstance(m, Tap): continue
        w = m.layer.weight
        if m.fisher is not None: fisher += float((m.fisher.abs() * float(np.prod(w.shape[1:]))).sum())
        if w.grad is not None:
            grad_norm += float(w.grad.norm()); snip += float((w.grad * w).abs().sum())
    for m in net.modules():
        if isinstance(m, Tap) and hasattr(m, 'act'): del m.act  # a tap whose output got no gradient
    return fisher, grad_norm, snip

def spearman(a, b):
    ra = np.argsort(np.argsort(a)).astype(float); rb = np.argsort(np.argsort(b)).astype(float)
    return float(np.corrcoef(ra, rb)[0, 1])

table = read_table(os.path.join(args.data, 'nb201', 'nb201-accuracies.csv'))
x, y = read_cifar(os.path.join(args.data, 'cifar10', 'cifar-10-batches-bin', 'data_batch_1.bin'))
cells = np.random.RandomState(args.seed).permutation(len(table))[:args.cells].tolist()
done = {}
if os.path.exists(args.out):
    with open(args.out) as f:
        for r in csv.DictReader(f): done[int(r['index'])] = r
torch.manual_seed(args.seed)
gen = torch.Generator().manual_seed(args.seed)
new = not os.path.exists(args.out)
with open(args.out, 'a', newline='') as f:
    w = csv.writer(f)
    if new: w.writerow(['index', 'fisher', 'grad_norm', 'snip', 'acc']); f.flush()
    t0 = time.time(); k = 0
    for c in cells:
        if c in done: continue
        xb, yb = augmented_batch(x, y, 64, gen)
        fi, gn, sn = measures(parse_arch(table[c][0]), xb, yb)
        gc.collect()
        w.writerow([c, repr(fi), repr(gn), repr(sn), table[c][1]]); f.flush(); k += 1
        if sys.stderr.isatty() and k % 10 == 0: print(f'{k} cells, {(time.time() - t0) / k:.2f} s/cell', file=sys.stderr)
rows = list(csv.DictReader(open(args.out)))
acc = np.array([float(r['acc']) for r in rows])
for m in ('fisher', 'grad_norm', 'snip'):
    v = np.array([float(r[m]) for r in rows]); ok = np.isfinite(v)
    print(f'{m}: spearman rho {spearman(v[ok], acc[ok]):.3f} over {ok.sum()} cells')
