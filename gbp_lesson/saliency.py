"""Saliency maps of a whole network: the lesson's three rules applied to every ReLU of a CNN.

A saliency map is the gradient of one class's logit with respect to the input image. ``saliency_map`` runs the
model once forward and once backward, with every ReLU's backward pass replaced by the rule's:

- ``"gradient"``: nothing replaced, autograd's own gradient;
- ``"deconvnet"``: the Deconvnet ReLU of Zeiler & Fergus (2014) at every ReLU;
- ``"guided"``: the Guided Backpropagation ReLU of Springenberg et al. (2014) at every ReLU.

One mechanism catches every ReLU, however the model calls it: a ``TorchFunctionMode`` sees each call of
``torch.relu``, ``torch.relu_``, ``F.relu`` (``nn.ReLU`` modules call it), ``Tensor.relu`` and ``Tensor.relu_`` while
the model runs forward. Hooks on ``nn.ReLU`` modules (Captum's way) would miss every ``F.relu``, and the map would
silently be the plain gradient. The model itself is never touched.
"""

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch.autograd import Function
from torch.overrides import TorchFunctionMode

# The rules of rules.py, written for a network. One difference, at 0: rules.py follows the seed and passes the
# gradient where a ReLU's input is exactly 0; a network follows autograd's ReLU, which blocks it there, so that
# "gradient" is autograd's gradient and the maps equal Captum's. Both rules read the mask from the ReLU's output
# (output > 0 exactly where input > 0), which exists even when the ReLU ran in place.


def deconvnet_backward(grad_output, output):
    """Zeiler & Fergus 2014, as ``DeconvReLU``: a ReLU on the upstream gradient; the forward pass is ignored."""
    return grad_output.clamp(min=0)


def guided_backward(grad_output, output):
    """Springenberg et al. 2014, as ``GuidedBackpropReLU``: autograd's ReLU backward (``threshold_backward``: the
    upstream gradient where output > 0, else 0), then the deconvnet's ReLU on it, in place on that new tensor."""
    return torch.ops.aten.threshold_backward(grad_output, output, 0).clamp_(min=0)


# name -> backward rule; None means autograd's own.
BACKWARD_RULES = {"gradient": None, "deconvnet": deconvnet_backward, "guided": guided_backward}


class ReLUWithRule(Function):
    """A ReLU whose backward pass is ``rule(grad_output, output)``; in place when the model asked for it."""

    @staticmethod
    def forward(ctx, input, rule, inplace):
        output = torch.relu_(input) if inplace else torch.relu(input)
        if inplace:
            ctx.mark_dirty(input)
        ctx.save_for_backward(output)
        ctx.rule = rule
        return output

    @staticmethod
    def backward(ctx, grad_output):
        output, = ctx.saved_tensors
        return ctx.rule(grad_output, output), None, None


# Every way to call a ReLU that a TorchFunctionMode sees, and whether it works in place. F.relu decides with its
# `inplace` argument; nn.ReLU calls F.relu, so its modules (any number of uses each) are caught there.
_RELU_CALLS = {torch.relu: False, torch.relu_: True, torch.Tensor.relu: False, torch.Tensor.relu_: True}


class ReplaceReLUBackward(TorchFunctionMode):
    """While active, every ReLU call runs as ``ReLUWithRule`` with the given backward rule; ``relus_seen`` counts
    them. Other activations (GELU, SiLU, LeakyReLU, ReLU6, ...) and ``clamp(min=0)`` are left alone."""

    def __init__(self, rule):
        super().__init__()
        self.rule = rule
        self.relus_seen = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is F.relu:
            inplace = args[1] if len(args) > 1 else kwargs.get("inplace", False)
        elif func in _RELU_CALLS:
            inplace = _RELU_CALLS[func]
        else:
            return func(*args, **kwargs)
        self.relus_seen += 1
        # Inside __torch_function__ the mode is switched off, so the ReLU inside ReLUWithRule is torch's own.
        return ReLUWithRule.apply(args[0], self.rule, inplace)


@contextmanager
def model_left_as_it_was(model):
    """Run a forward pass without changing the model: its buffers (e.g. batch norm's running statistics, which a
    forward pass in training mode updates) are put back afterwards, also after an exception."""
    buffers = {name: buffer.clone() for name, buffer in model.named_buffers()}
    try:
        yield
    finally:
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                buffer.copy_(buffers[name])


def checked_inputs(inputs):
    """``inputs`` detached from any graph of the caller, as a fresh leaf needing a gradient; or a TypeError."""
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"inputs must be a torch.Tensor, got {type(inputs).__name__}")
    if not inputs.is_floating_point():
        raise TypeError(f"inputs must be a floating-point tensor to have a gradient, got {inputs.dtype}; "
                        "use inputs.float()")
    return inputs.detach().requires_grad_(True)


def target_logits(logits, target):
    """The logit of each sample's target class, ``logits[i, target[i]]``, with a clear error for a bad target.

    ``target`` is an int (the same class for the whole batch) or a 1-D integer tensor with one class per sample.
    """
    if logits.dim() != 2:
        raise ValueError(f"the model must return logits of shape (batch, classes), got {tuple(logits.shape)}")
    batch, classes = logits.shape
    if isinstance(target, torch.Tensor):
        if target.is_floating_point() or target.is_complex() or target.dtype == torch.bool:
            raise TypeError(f"target must hold integer class indices, got {target.dtype}")
        if target.dim() == 0:
            target = target.item()
        elif target.shape != (batch,):
            raise ValueError(f"target must be an int or hold one class per sample, {batch} of them, "
                             f"got shape {tuple(target.shape)}")
    elif not isinstance(target, int) or isinstance(target, bool):
        raise TypeError(f"target must be an int or a 1-D integer tensor, got {type(target).__name__}")
    target = torch.as_tensor(target, device=logits.device).expand(batch)
    wrong = (target < 0) | (target >= classes)
    if wrong.any():
        raise ValueError(f"target must be a class between 0 and {classes - 1}, got {target[wrong][0].item()}")
    return logits.gather(1, target[:, None])[:, 0]


def saliency_map(model, inputs, target, rule="guided"):
    """The gradient of the ``target`` logit with respect to ``inputs``, every ReLU's backward set by ``rule``.

    - ``model``: maps ``inputs`` to logits of shape (batch, classes); run in the mode it is in (call
      ``model.eval()`` first for a trained model: dropout in training mode makes the map random).
    - ``inputs``: a floating-point tensor of shape (batch, ...), e.g. (batch, channels, height, width). Whether it
      requires a gradient does not matter; it is not modified and gets no ``.grad``.
    - ``target``: an int, the class for every sample, or a 1-D integer tensor with one class per sample.
    - ``rule``: ``"gradient"`` (autograd's gradient), ``"deconvnet"`` or ``"guided"``. The rule replaces the
      backward pass of every ReLU call: ``nn.ReLU`` modules (also ``inplace=True``, also one module used twice),
      ``F.relu``, ``torch.relu``, ``Tensor.relu`` and their in-place forms. Other activations (GELU, SiLU,
      LeakyReLU, ReLU6, ...) keep their own backward, and so does a ReLU written as ``x.clamp(min=0)``.

    Returns a tensor of the shape of ``inputs``: the raw map, neither absolute-valued nor normalised. The model
    comes back as it was (modules, parameters, buffers, hooks, mode) and no parameter gets a ``.grad``. A model
    that calls no ReLU is an error for ``"deconvnet"`` and ``"guided"``: their map would silently be the gradient.
    """
    if rule not in BACKWARD_RULES:
        raise ValueError(f"rule must be one of {list(BACKWARD_RULES)}, got {rule!r}")
    inputs = checked_inputs(inputs)
    with torch.enable_grad(), model_left_as_it_was(model):
        if BACKWARD_RULES[rule] is None:
            logits = model(inputs)
        else:
            with ReplaceReLUBackward(BACKWARD_RULES[rule]) as relus:
                logits = model(inputs)
            if relus.relus_seen == 0:
                raise ValueError(f"rule={rule!r} replaces the backward pass of ReLUs, but the model called no "
                                 "ReLU (torch.relu, F.relu, nn.ReLU, Tensor.relu): its map would be the gradient")
        score = target_logits(logits, target).sum()
        if not score.requires_grad:
            raise ValueError("the model's output does not depend on its inputs through autograd "
                             "(does it run under torch.no_grad?)")
        gradient, = torch.autograd.grad(score, inputs)
    return gradient
