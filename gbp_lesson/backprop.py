"""One backward pass through one ReLU, in the two ways the lesson drives it.

- ``backprop_loss``: the seed's way. The loss ``sum |relu(x) - y|`` sends back the upstream gradient
  ``sign(relu(x) - y)``, and the rule decides what reaches ``x``.
- ``backprop_upstream``: Springenberg et al.'s way. The upstream gradient is given directly.

Both check their inputs first, so that a student's typo ends in one clear sentence, not a torch traceback.
"""

from typing import NamedTuple

import torch
import torch.nn.functional as F

from .rules import deconv_relu, guided_backprop_relu, my_relu

# The four ReLUs of the lesson by name; the functions themselves are accepted too.
RULES = {
    "relu": F.relu,
    "my_relu": my_relu,
    "deconvnet": deconv_relu,
    "guided": guided_backprop_relu,
}


class Backprop(NamedTuple):
    """What one pass computed. ``loss`` is entrywise (``None`` when the upstream gradient was given)."""

    output: torch.Tensor
    loss: "torch.Tensor | None"
    upstream: torch.Tensor
    grad: torch.Tensor


def _checked(value, name, shape=None):
    """A fresh floating-point copy of ``value``, or a ValueError/TypeError that names ``name``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (float16, float32 or float64) to carry a gradient, "
            f"got {value.dtype}; use {name}.float()"
        )
    if shape is not None and value.shape != shape:
        raise ValueError(f"{name} must have the shape of x, {tuple(shape)}, got {tuple(value.shape)}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must hold finite numbers, got NaN or infinity in {name}")
    return value.detach().clone()


def _rule(rule):
    if callable(rule):
        return rule
    if rule not in RULES:
        raise ValueError(f"rule must be one of {sorted(RULES)} or a function, got {rule!r}")
    return RULES[rule]


def _run(rule, x, target, target_name):
    """Check the inputs, then run ``rule`` forward on a fresh leaf copy of x."""
    rule = _rule(rule)
    x = _checked(x, "x")
    target = _checked(target, target_name, shape=x.shape)
    x.requires_grad_(True)
    output = rule(x)
    output.retain_grad()  # keep the upstream gradient, which autograd would otherwise free
    return x, output, target


def backprop_loss(rule, x, y):
    """Run ``loss = sum(|rule(x) - y|)`` backwards through ``rule``.

    ``rule`` is a name of ``RULES`` or a ReLU function; ``x`` and ``y`` are floating-point tensors of one
    shape. The caller's tensors are not touched: the pass runs on copies, so no ``.grad`` is left behind.
    Returns a ``Backprop`` with the output, the entrywise loss, the upstream gradient ``sign(output - y)``
    and the gradient that reached x.
    """
    x, output, y = _run(rule, x, y, "y")
    loss = torch.abs(output - y)
    loss.sum().backward()
    return Backprop(output.detach(), loss.detach(), output.grad, x.grad)


def backprop_upstream(rule, x, upstream):
    """Send the given ``upstream`` gradient back through ``rule`` applied to ``x``; returns a ``Backprop``."""
    x, output, upstream = _run(rule, x, upstream, "upstream")
    output.backward(upstream)
    return Backprop(output.detach(), None, output.grad, x.grad)


def disagreement(grads):
    """Where the rules disagree: a boolean tensor, True where the given gradients are not all equal."""
    grads = list(grads)
    if not grads:
        raise ValueError("disagreement needs at least one gradient")
    return torch.stack([grad != grads[0] for grad in grads]).any(dim=0)
