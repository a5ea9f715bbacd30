"""One backward pass through one ReLU, driven by the seed's loss or by a given upstream gradient."""

import pytest
import torch

from gbp_lesson import RULES, backprop_loss, backprop_upstream, seed_example, springenberg_example


def test_the_seeds_tables_from_one_call():
    x, y = seed_example()
    result = backprop_loss("my_relu", x, y)
    assert result.output.tolist() == [[3, 1, 5], [0, 5, 0], [3, 2, 0]]
    assert result.loss.tolist() == [[1, 1, 3], [2, 3, 2], [1, 0, 2]]
    assert result.upstream.tolist() == [[1, -1, 1], [-1, 1, -1], [1, 0, -1]]
    assert result.grad.tolist() == [[1, -1, 1], [0, 1, 0], [1, 0, 0]]
    assert x.grad is None, "the caller's x must not collect a gradient"


@pytest.mark.parametrize("rule, expected", [("relu", "backprop"), ("deconvnet", "deconvnet"), ("guided", "guided")])
def test_springenberg_from_a_given_upstream_gradient(rule, expected):
    example = springenberg_example()
    result = backprop_upstream(rule, example.input, example.upstream)
    assert result.loss is None
    assert torch.equal(result.upstream, example.upstream)
    assert torch.equal(result.grad, getattr(example, expected))


def test_a_rule_function_is_accepted_as_well_as_a_name():
    x, y = seed_example()
    assert torch.equal(backprop_loss(RULES["guided"], x, y).grad, backprop_loss("guided", x, y).grad)


def test_float64_stays_float64():
    x, y = seed_example(torch.float64)
    assert backprop_loss("guided", x, y).grad.dtype == torch.float64


x, y = seed_example()


@pytest.mark.parametrize(
    "args, error, message",
    [
        (("relu", x, torch.ones(2, 3)), ValueError, r"y must have the shape of x, \(3, 3\), got \(2, 3\)"),
        (("relu", x.long(), y), TypeError, "x must be a floating-point tensor .* got torch.int64; use x.float()"),
        (("relu", x, y.int()), TypeError, "y must be a floating-point tensor"),
        (("relu", [[1.0]], y), TypeError, "x must be a torch.Tensor, got list"),
        (("relu", x, 2.0), TypeError, "y must be a torch.Tensor, got float"),
        (("relu", torch.full((3, 3), float("nan")), y), ValueError, "x must hold finite numbers"),
        (("relu", x, torch.full((3, 3), float("inf"))), ValueError, "y must hold finite numbers"),
        (("softplus", x, y), ValueError, "rule must be one of"),
    ],
)
def test_bad_input_is_named_in_a_clear_error(args, error, message):
    with pytest.raises(error, match=message):
        backprop_loss(*args)


def test_bad_upstream_gradient_is_named():
    example = springenberg_example()
    with pytest.raises(ValueError, match="upstream must have the shape of x"):
        backprop_upstream("guided", example.input, torch.ones(3))
