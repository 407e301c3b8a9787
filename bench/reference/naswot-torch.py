# Written for nasrepro (not the reference's code): the PyTorch side of bench/onnx-engine.ts.
# Times NASWOT per NB201 cell the way the reference (BayesWatch/nas-without-training) runs it:
# build the TinyNetwork (C=16, N=5, BN affine with running stats, PyTorch's default init) for
# the cell, register forward hooks on every nn.ReLU that accumulate K = c c^T + (1-c)(1-c)^T of
# the binarised ReLU inputs, one train-mode forward pass on the batch, then slogdet.
# The seconds of a cell include building its network, as the reference's loop does.
#   /usr/bin/python3 bench/reference/naswot-torch.py DIR THREADS [KERNEL]
# KERNEL 'reference' (default): K as the reference computes it, two matmuls per ReLU
# (x @ x.t() and (1-x) @ (1-x).t()); 'none': the same pass with the hooks binarising but no K,
# a lower bound of any PyTorch NASWOT (Debian's torch has BLAS_INFO=generic, whose matmuls are
# slow; its convolutions go through oneDNN).
# DIR holds x.bin (float32 NHWC [n,32,32,3], normalised) and cells.json ({"n": n, "cells": [[op x6], ...]}).
# Prints one JSON line: wall and CPU seconds per cell (after one warm-up cell), scores, peak RSS.
import json, resource, sys, time
import numpy as np, torch, torch.nn as nn

DIR, THREADS = sys.argv[1], int(sys.argv[2])
KERNEL = sys.argv[3] if len(sys.argv) > 3 else 'reference'
torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)
meta = json.load(open(f'{DIR}/cells.json'))
n = meta['n']
x = torch.tensor(np.fromfile(f'{DIR}/x.bin', dtype=np.float32).reshape(n, 32, 32, 3).transpose(0, 3, 1, 2).copy())
EDGES = [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)]

class ReLUConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride, pad):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False), nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))
    def forward(self, h): return self.op(h)

class Zero(nn.Module):
    def forward(self, h): return h.mul(0.)

def make_op(name, c):
    if name == 'none': return Zero()
    if name == 'skip_connect': return nn.Identity()
    if name == 'avg_pool_3x3': return nn.AvgPool2d(3, 1, 1, count_include_pad=False)
    if name == 'nor_conv_3x3': return ReLUConvBN(c, c, 3, 1, 1)
    if name == 'nor_conv_1x1': return ReLUConvBN(c, c, 1, 1, 0)
    raise ValueError(name)

class Cell(nn.Module):
    def __init__(self, ops, c):
        super().__init__(); self.layers = nn.ModuleList([make_op(o, c) for o in ops])
    def forward(self, h):
        nodes = [h]
        for j in (1, 2, 3):
            nodes.append(sum(self.layers[e](nodes[f]) for e, (f, t) in enumerate(EDGES) if t == j))
        return nodes[3]

class Reduction(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv_a = ReLUConvBN(cin, cout, 3, 2, 1); self.conv_b = ReLUConvBN(cout, cout, 3, 1, 1)
        self.downsample = nn.Sequential(nn.AvgPool2d(2, 2, 0), nn.Conv2d(cin, cout, 1, 1, 0, bias=False))
    def forward(self, h): return self.conv_b(self.conv_a(h)) + self.downsample(h)

class TinyNetwork(nn.Module):
    def __init__(self, ops, C=16, N=5, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, C, 3, padding=1, bias=False), nn.BatchNorm2d(C))
        cells, c = [], C
        for stage in range(3):
            if stage > 0: cells.append(Reduction(c, 2 * c)); c *= 2
            cells += [Cell(ops, c) for _ in range(N)]
        self.cells = nn.ModuleList(cells)
        self.lastact = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(inplace=False))
        self.global_pooling = nn.AdaptiveAvgPool2d(1); self.classifier = nn.Linear(c, classes)
    def forward(self, h):
        h = self.stem(h)
        for cell in self.cells: h = cell(h)
        return self.classifier(self.global_pooling(self.lastact(h)).flatten(1))

def naswot(ops):
    net = TinyNetwork(ops)
    net.K = np.zeros((n, n))
    def hook(module, inp, out):
        c = (inp[0].view(n, -1) > 0).float()
        if KERNEL == 'none': return
        net.K = net.K + (c @ c.t()).numpy() + ((1. - c) @ (1. - c).t()).numpy()
    for m in net.modules():
        if isinstance(m, nn.ReLU): m.register_forward_hook(hook)
    net.train()
    with torch.no_grad(): net(x)
    return float(np.linalg.slogdet(net.K)[1]) if KERNEL == 'reference' else None  # JSON null

cells = meta['cells']
naswot(cells[0])  # warm-up
scores, t0, c0 = [], time.perf_counter(), time.process_time()
for ops in cells: scores.append(naswot(ops))
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({'engine': f'torch {torch.__version__}', 'kernel': KERNEL, 'threads': THREADS, 'cells': len(cells), 'seconds': seconds,
                  'secondsPerCell': seconds / len(cells), 'cpuPerCell': cpu / len(cells), 'scores': scores,
                  'maxRssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
