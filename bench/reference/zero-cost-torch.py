# Written for nasrepro (not the reference's code): a minimal NB201 TinyNetwork in torch with the
# zero-cost reference's cell variant (BN without affine/running stats, conv bias) and its state-dict
# names, loading weights exported by bench/reference/export-cells.ts. Independent PyTorch evaluation of grad_norm and fisher (reference procedure: hooks on conv/linear
# outputs via an identity, 0.5*mean_n (sum_pos a*g)^2 per channel, spread over weight.shape[1:]).
import json, sys, numpy as np, torch, torch.nn as nn, torch.nn.functional as F
OUT = sys.argv[1] if len(sys.argv) > 1 else '/tmp/fx'
torch.set_default_dtype(torch.float32)
EDGES = [(0,1),(0,2),(1,2),(0,3),(1,3),(2,3)]
m = json.load(open(f'{OUT}/manifest.json'))
x = np.fromfile(f'{OUT}/x.bin', dtype=np.float32).reshape(64,32,32,3).transpose(0,3,1,2).copy()
y = np.fromfile(f'{OUT}/y.bin', dtype=np.int32).astype(np.int64)
x = torch.tensor(x); y = torch.tensor(y)

class Hooked(nn.Module):
    """conv or linear whose output passes through an identity, as the reference's fisher_forward."""
    def __init__(self, w, b, kind, stride=1, pad=0):
        super().__init__(); self.w = nn.Parameter(w); self.b = None if b is None else nn.Parameter(b)
        self.kind, self.stride, self.pad = kind, stride, pad; self.dummy = nn.Identity(); self.fisher = None
        self.dummy.register_full_backward_hook(self.hook)
    def hook(self, mod, gin, gout):
        act = self.act.detach(); g = gout[0].detach()
        g_nk = (act*g).sum([2,3]) if act.dim() > 2 else act*g
        d = g_nk.pow(2).mean(0).mul(0.5)
        self.fisher = d if self.fisher is None else self.fisher + d
    def forward(self, h):
        out = F.conv2d(h, self.w, self.b, self.stride, self.pad) if self.kind == 'conv' else F.linear(h, self.w, self.b)
        self.act = self.dummy(out); return self.act

def bn(h, P, prefix):
    g = P.get(prefix + '.weight'); b = P.get(prefix + '.bias')
    return F.batch_norm(h, None, None, g, b, training=True, momentum=0.0, eps=1e-5)

def run(cell):
    P = {}
    for p in cell['params']:
        a = np.fromfile(p['file'], dtype=np.float32).reshape(p['shape'])
        if len(p['shape']) == 4: a = a.transpose(3,2,0,1)  # [kh,kw,in,out] -> [out,in,kh,kw]
        elif len(p['shape']) == 2: a = a.T                  # [in,out] -> [out,in]
        P[p['name']] = torch.tensor(np.ascontiguousarray(a))
    layers = {}
    def conv(name, bias, stride, pad):
        if name not in layers: layers[name] = Hooked(P[name], P.get(bias) if bias else None, 'conv', stride, pad)
        return layers[name]
    def relu_conv_bn(h, prefix, stride, k, with_bn):
        out = conv(prefix + '.op.1.weight', prefix + '.op.1.bias' if prefix + '.op.1.bias' in P else None, stride, (k-1)//2)(F.relu(h))
        return bn(out, P, prefix + '.op.2') if with_bn else out
    h = bn(conv('stem.0.weight', None, 1, 1)(x), P, 'stem.1')
    k = 0
    for stage in range(3):
        if stage > 0:
            pre = f'cells.{k}'
            a = relu_conv_bn(h, pre + '.conv_a', 2, 3, True)
            b = relu_conv_bn(a, pre + '.conv_b', 1, 3, True)
            h = conv(pre + '.downsample.1.weight', None, 1, 0)(F.avg_pool2d(h, 2, 2)) + b
            k += 1
        for _ in range(5):
            nodes = [h]
            for j in (1, 2, 3):
                terms = []
                for e, (f, t) in enumerate(EDGES):
                    if t != j: continue
                    op = cell['ops'][e]; src = nodes[f]; pre = f'cells.{k}.layers.{e}'
                    if op == 'none': terms.append(src.mul(0.))
                    elif op == 'skip_connect': terms.append(src)
                    elif op == 'avg_pool_3x3': terms.append(F.avg_pool2d(src, 3, 1, 1, count_include_pad=False))
                    else: terms.append(relu_conv_bn(src, pre, 1, 3 if op == 'nor_conv_3x3' else 1, True))
                nodes.append(sum(terms))
            h = nodes[3]; k += 1
    h = F.relu(bn(h, P, 'lastact.0'))
    logits = Hooked(P['classifier.weight'], P['classifier.bias'], 'linear')
    layers['classifier.weight'] = logits
    out = logits(h.mean([2,3]))
    loss = F.cross_entropy(out, y)
    loss.backward()
    fisher = sum(float((L.fisher.abs() * np.prod(L.w.shape[1:])).sum()) if L.fisher is not None else 0.0 for L in layers.values())
    gn = sum(float(L.w.grad.norm()) if L.w.grad is not None else 0.0 for L in layers.values())
    return fisher, gn

for cell in m:
    f, g = run(cell)
    print(f"cell {cell['cell']:5d} fisher ours {cell['fisher']:.6e} torch {f:.6e} rel {abs(f-cell['fisher'])/abs(f):.2e} | grad_norm ours {cell['grad_norm']:.6e} torch {g:.6e} rel {abs(g-cell['grad_norm'])/abs(g):.2e}")
