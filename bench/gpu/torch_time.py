"""PyTorch timing of the GPU check (bench/gpu/run.sh): the same NB201 cells and sizes as check.ts
(read from <out>/cells.json), timed on CUDA (or CPU when none) for NASWOT, grad_norm and one DARTS
supernet training step. Writes <out>/torch.json.

A timing reference, not a score reference: weights are PyTorch's default initialisation, images
seeded noise as in check.ts. The network is NB201's (stem conv3x3 + BN, 3 stages of N cells with
ResNet reduction blocks, BN + ReLU, global average pool, linear); ops ReLU-conv-BN, avg-pool 3x3,
skip, zero. Edge order of `ops`: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (the arch string's order).
Timings wait for the GPU (torch.cuda.synchronize); the first cell / step is reported apart.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]


def make_op(name, c):
    if name == "none":
        return Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    k = 1 if name == "nor_conv_1x1" else 3
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, k, 1, k // 2, bias=False), nn.BatchNorm2d(c))


class Zero(nn.Module):
    def forward(self, x):
        return x.mul(0.0)


class Cell(nn.Module):
    """One op per edge (ops given) or every op mixed by softmax(alpha) (ops None)."""

    def __init__(self, c, ops):
        super().__init__()
        self.mixed = ops is None
        if self.mixed:
            self.edges = nn.ModuleList(nn.ModuleList(make_op(o, c) for o in OPS) for _ in EDGES)
        else:
            self.edges = nn.ModuleList(make_op(o, c) for o in ops)

    def forward(self, x, weights=None):
        nodes = [x]
        for j in (1, 2, 3):
            s = 0
            for e, (dst, src) in enumerate(EDGES):
                if dst != j:
                    continue
                if self.mixed:
                    s = s + sum(w * op(nodes[src]) for w, op in zip(weights[e], self.edges[e]))
                else:
                    s = s + self.edges[e](nodes[src])
            nodes.append(s)
        return nodes[3]


class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.a = nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, 3, 2, 1, bias=False), nn.BatchNorm2d(cout))
        self.b = nn.Sequential(nn.ReLU(), nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.short = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(cin, cout, 1, bias=False))

    def forward(self, x, weights=None):
        return self.b(self.a(x)) + self.short(x)


class Net(nn.Module):
    def __init__(self, ops, c=16, n=5, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, 1, 1, bias=False), nn.BatchNorm2d(c))
        layers = []
        for stage, width in enumerate((c, 2 * c, 4 * c)):
            if stage > 0:
                layers.append(Reduction(width // 2, width))
            layers += [Cell(width, ops) for _ in range(n)]
        self.cells = nn.ModuleList(layers)
        self.last = nn.Sequential(nn.BatchNorm2d(4 * c), nn.ReLU())
        self.classifier = nn.Linear(4 * c, classes)
        self.alpha = nn.Parameter(1e-3 * torch.randn(6, 5)) if ops is None else None

    def forward(self, x):
        w = F.softmax(self.alpha, dim=-1) if self.alpha is not None else None
        x = self.stem(x)
        for cell in self.cells:
            x = cell(x, w)
        x = self.last(x).mean((2, 3))
        return self.classifier(x)


def naswot(net, x):
    codes = []
    hooks = [m.register_forward_pre_hook(lambda m, inp: codes.append((inp[0].flatten(1) > 0).float())) for m in net.modules() if isinstance(m, nn.ReLU)]
    with torch.no_grad():
        net(x)
    for h in hooks:
        h.remove()
    c = torch.cat(codes, 1)
    k = c @ c.t() + (1 - c) @ (1 - c).t()
    return torch.slogdet(k.double())[1].item()


def grad_norm(net, x, y):
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return sum(m.weight.grad.norm().item() for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.grad is not None)


def timed(fn, dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    r = fn()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return r, time.perf_counter() - t0


def main(out):
    spec = json.load(open(f"{out}/cells.json"))
    sizes = spec["sizes"]
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"[torch] {torch.__version__} on {torch.cuda.get_device_name(0) if dev.type == 'cuda' else 'cpu'}", flush=True)
    g = torch.Generator().manual_seed(0)
    img = sizes["image"]
    xn = torch.randn(sizes["naswotBatch"], 3, img, img, generator=g).to(dev)
    xg = torch.randn(sizes["gradBatch"], 3, img, img, generator=g).to(dev)
    yg = (torch.arange(sizes["gradBatch"]) % 10).to(dev)
    res = {"torch": torch.__version__, "device": str(dev), "naswot": [], "grad_norm": []}
    for cell in spec["cells"]:
        torch.manual_seed(0)
        net = Net(cell["ops"]).to(dev).train()
        (s, t) = timed(lambda: naswot(net, xn), dev)
        res["naswot"].append({"cell": cell["index"], "score": s, "seconds": t})
        (s2, t2) = timed(lambda: grad_norm(net, xg, yg), dev)
        res["grad_norm"].append({"cell": cell["index"], "score": s2, "seconds": t2})
        print(f"[torch] cell {cell['index']}: naswot {s:.4f} in {t:.4f} s, grad_norm {s2:.6g} in {t2:.4f} s", flush=True)
    sn = Net(None).to(dev).train()
    opt = torch.optim.SGD(sn.parameters(), lr=0.025, momentum=0.9)
    xt = torch.randn(sizes["trainBatch"], 3, img, img, generator=g).to(dev)
    yt = (torch.arange(sizes["trainBatch"]) % 10).to(dev)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(sn(xt), yt)
        loss.backward()
        opt.step()
        return loss.item()

    steps = [timed(step, dev) for _ in range(sizes["trainSteps"] + 1)]
    res["supernet"] = {"firstSeconds": steps[0][1], "seconds": [t for _, t in steps[1:]], "losses": [l for l, _ in steps]}
    med = lambda xs: statistics.median(xs) if xs else math.nan
    res["summary"] = {
        "naswotFirst": res["naswot"][0]["seconds"], "naswot": med([r["seconds"] for r in res["naswot"][1:]]),
        "gradNormFirst": res["grad_norm"][0]["seconds"], "gradNorm": med([r["seconds"] for r in res["grad_norm"][1:]]),
        "supernetStepFirst": steps[0][1], "supernetStep": med(res["supernet"]["seconds"]),
    }
    print(f"[torch] supernet step (batch {sizes['trainBatch']}): first {steps[0][1]:.4f} s, then {' '.join(f'{t:.4f}' for _, t in steps[1:])} s", flush=True)
    print("[torch] seconds (median after the first):", json.dumps(res["summary"]), flush=True)
    json.dump(res, open(f"{out}/torch.json", "w"), indent=1)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out")
