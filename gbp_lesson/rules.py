"""The three ReLU backward rules of the lesson, each next to its forward pass.

All three share the forward pass ``input.clamp(min=0)``; they differ only in which entries of the upstream
gradient (``grad_output``, the gradient of the loss with respect to the ReLU's output) they let through:

=====================  ===========================================  ==========================================
rule                   zeroes the gradient where                    keeps
=====================  ===========================================  ==========================================
``MyReLU``             the forward input was negative               the sign of the forward input
``DeconvReLU``         the upstream gradient is negative            the sign of the backward signal
``GuidedBackpropReLU`` either of the two                            both
=====================  ===========================================  ==========================================

The rules follow the seed notebook to the letter, including one detail: where the forward input is exactly 0
they pass the gradient (the seed masks ``input < 0``), while autograd's ``F.relu`` blocks it there.

None of them modifies ``grad_output`` in place: autograd may hand the same tensor to other functions.
"""

from contextlib import contextmanager

import torch
from torch.autograd import Function

# Who wants to see the upstream gradients; filled only inside ``show_upstream``.
_upstream_watchers = []


def _report_upstream(rule_name, grad_output):
    for watcher in _upstream_watchers:
        watcher(rule_name, grad_output)


def _check_input(input, rule_name):
    if not isinstance(input, torch.Tensor):
        raise TypeError(f"{rule_name} expects a torch.Tensor as input, got {type(input).__name__}")
    if input.requires_grad and not input.is_floating_point():
        raise TypeError(f"{rule_name} needs a floating-point input to have a gradient, got {input.dtype}")


class MyReLU(Function):
    """Plain ReLU written by hand, as in PyTorch's "custom autograd Function" tutorial.

    Backward: the upstream gradient where the forward input was >= 0, and 0 where it was negative.
    """

    @staticmethod
    def forward(ctx, input):
        _check_input(input, "MyReLU")
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        _report_upstream("MyReLU", grad_output)
        return grad_output.masked_fill(input < 0, 0)


class DeconvReLU(Function):
    """The Deconvnet ReLU of Zeiler & Fergus, "Visualizing and Understanding Convolutional Networks" (2014).

    Backward: a ReLU applied to the upstream gradient. The forward input is ignored, so nothing is saved.
    """

    @staticmethod
    def forward(ctx, input):
        _check_input(input, "DeconvReLU")
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        _report_upstream("DeconvReLU", grad_output)
        return grad_output.clamp(min=0)


class GuidedBackpropReLU(Function):
    """The Guided Backpropagation ReLU of Springenberg et al., "Striving for Simplicity: The All Convolutional
    Net" (2014).

    Backward: the upstream gradient only where it is positive AND the forward input was not negative; that is
    MyReLU's mask and DeconvReLU's mask at once.
    """

    @staticmethod
    def forward(ctx, input):
        _check_input(input, "GuidedBackpropReLU")
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        _report_upstream("GuidedBackpropReLU", grad_output)
        return grad_output.clamp(min=0).masked_fill(input < 0, 0)


my_relu = MyReLU.apply
deconv_relu = DeconvReLU.apply
guided_backprop_relu = GuidedBackpropReLU.apply


@contextmanager
def show_upstream(print_tables=True):
    """Show what each rule's ``backward`` receives, as the seed's ``print`` inside ``backward`` did.

    Inside the ``with`` block every call of a rule's backward prints ``grad_output`` as a table (unless
    ``print_tables=False``) and appends ``(rule name, copy of grad_output)`` to the list it yields. Outside
    it the rules print nothing.

    >>> with show_upstream() as seen:
    ...     loss.backward()
    """
    from .tables import print_table

    seen = []

    def watch(rule_name, grad_output):
        seen.append((rule_name, grad_output.detach().clone()))
        if print_tables:
            print(f"{rule_name}.backward receives grad_output:")
            print_table(grad_output)

    _upstream_watchers.append(watch)
    try:
        yield seen
    finally:
        _upstream_watchers.remove(watch)
