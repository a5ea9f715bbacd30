"""How much does guided backpropagation cost over the plain gradient, and over Captum's GuidedBackprop?

Run `python tests/benchmarks/bench_saliency.py` (pytest does not collect it: a timing is not a test). It times, in
interleaved rounds so that a change of load on the machine hits every variant alike:

- the plain input gradient: one forward pass, `torch.autograd.grad` with respect to the inputs only;
- `saliency_map(..., rule="guided")`;
- the naive guided rule `grad.clamp(min=0) * (output > 0)` in the same machinery, for comparison;
- Captum's `GuidedBackprop`;

on a CNN of four 3x3 convolutions with a batch of 64 images of 3x64x64, and prints each variant's median time
divided by the plain gradient's (and guided's by Captum's), with the spread of the per-round ratios.
"""

import argparse
import statistics
import time
import warnings

import torch
from torch import nn

from gbp_lesson import saliency_map
from gbp_lesson.saliency import ReplaceReLUBackward


def benchmark_cnn():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
    ).eval()


def plain_gradient(model, images, target):
    images = images.detach().requires_grad_(True)
    return torch.autograd.grad(model(images)[:, target].sum(), images)[0]


def naive_guided(model, images, target):
    images = images.detach().requires_grad_(True)
    with ReplaceReLUBackward(lambda grad, output: grad.clamp(min=0) * (output > 0)):
        logits = model(images)
    return torch.autograd.grad(logits[:, target].sum(), images)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")  # Captum warns on every call that it sets hooks

    from captum.attr import GuidedBackprop

    model = benchmark_cnn()
    images = torch.randn(64, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    target = 3
    captum = GuidedBackprop(model)
    variants = {
        "plain gradient": lambda: plain_gradient(model, images, target),
        "saliency_map guided": lambda: saliency_map(model, images, target, rule="guided"),
        "naive guided rule": lambda: naive_guided(model, images, target),
        "Captum GuidedBackprop": lambda: captum.attribute(images, target=target),
    }
    # The guided maps must agree before their times mean anything.
    assert torch.equal(variants["saliency_map guided"](), variants["Captum GuidedBackprop"]())
    assert torch.equal(variants["saliency_map guided"](), variants["naive guided rule"]())

    # Wall-clock time, and this process's CPU time: on a machine shared with other jobs, the CPU time is the
    # steadier of the two (waiting for a core is not counted), though caches are still shared.
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}
    times = {(clock, name): [] for clock in clocks for name in variants}
    for round in range(args.rounds + 1):
        for name, run in variants.items():
            start = {clock: read() for clock, read in clocks.items()}
            run()
            if round > 0:  # the first round warms up
                for clock, read in clocks.items():
                    times[clock, name].append(read() - start[clock])

    def ratio(clock, name, reference):
        mine, theirs = times[clock, name], times[clock, reference]
        low, _, high = statistics.quantiles([a / b for a, b in zip(mine, theirs)], n=4)
        return f"{statistics.median(mine) / statistics.median(theirs):.3f} (per-round quartiles {low:.3f}-{high:.3f})"

    print(f"batch {tuple(images.shape)}, {args.rounds} interleaved rounds, {torch.get_num_threads()} threads")
    for name in variants:
        print(f"{name:22s} median wall {statistics.median(times['wall', name]) * 1000:7.1f} ms, "
              f"cpu {statistics.median(times['cpu', name]) * 1000:7.1f} ms")
    for clock in clocks:
        print(f"{clock} time ratios of the medians:")
        print(f"  guided / plain gradient: {ratio(clock, 'saliency_map guided', 'plain gradient')}   target <= 1.05")
        print(f"  guided / Captum:         {ratio(clock, 'saliency_map guided', 'Captum GuidedBackprop')}   target <= 0.9")
        print(f"  naive / plain gradient:  {ratio(clock, 'naive guided rule', 'plain gradient')}")
        print(f"  Captum / plain gradient: {ratio(clock, 'Captum GuidedBackprop', 'plain gradient')}")


if __name__ == "__main__":
    main()
