"""The three ReLU rules on the lesson's two examples, and what they promise beyond them."""

import pytest
import torch
import torch.nn.functional as F

from gbp_lesson import (
    deconv_relu,
    guided_backprop_relu,
    my_relu,
    seed_example,
    show_upstream,
    springenberg_example,
)

# The seed notebook's printed tables.
SEED_UPSTREAM = [[1, -1, 1], [-1, 1, -1], [1, 0, -1]]
SEED_GRAD = {
    F.relu: [[1, -1, 1], [0, 1, 0], [1, 0, 0]],
    my_relu: [[1, -1, 1], [0, 1, 0], [1, 0, 0]],
    deconv_relu: [[1, 0, 1], [0, 1, 0], [1, 0, 0]],
    guided_backprop_relu: [[1, 0, 1], [0, 1, 0], [1, 0, 0]],
}


def seed_gradient(rule):
    x, y = seed_example()
    torch.sum(torch.abs(rule(x) - y)).backward()
    return x.grad


@pytest.mark.parametrize("rule", SEED_GRAD, ids=lambda rule: rule.__name__)
def test_seed_tables(rule):
    assert torch.equal(seed_gradient(rule), torch.tensor(SEED_GRAD[rule], dtype=torch.float32))


@pytest.mark.parametrize("rule", [my_relu, deconv_relu, guided_backprop_relu])
def test_each_rule_receives_the_seeds_upstream_gradient(rule):
    with show_upstream(print_tables=False) as seen:
        seed_gradient(rule)
    assert len(seen) == 1
    assert torch.equal(seen[0][1], torch.tensor(SEED_UPSTREAM, dtype=torch.float32))


def test_show_upstream_prints_like_the_seed_and_only_when_asked(capsys):
    seed_gradient(my_relu)
    assert capsys.readouterr().out == ""
    with show_upstream():
        seed_gradient(my_relu)
    assert capsys.readouterr().out == "MyReLU.backward receives grad_output:\n 1 -1  1\n-1  1 -1\n 1  0 -1\n"


@pytest.mark.parametrize(
    "rule, expected",
    [(my_relu, "backprop"), (deconv_relu, "deconvnet"), (guided_backprop_relu, "guided")],
)
def test_springenberg_figure_1(rule, expected):
    example = springenberg_example()
    x = example.input.clone().requires_grad_(True)
    rule(x).backward(example.upstream)
    assert torch.equal(x.grad, getattr(example, expected))


def test_at_zero_my_relu_passes_the_gradient_and_f_relu_blocks_it():
    """The seed masks `input < 0`; autograd's ReLU uses derivative 0 at 0. The lesson states both."""
    ones = torch.ones(3)
    for rule, expected in [(my_relu, [0, 1, 1]), (F.relu, [0, 0, 1]), (guided_backprop_relu, [0, 1, 1])]:
        x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
        rule(x).backward(ones)
        assert x.grad.tolist() == expected, rule


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("rule", [my_relu, deconv_relu, guided_backprop_relu])
def test_any_float_dtype_and_shape(rule, dtype):
    x = torch.randn(2, 3, 4, 5, generator=torch.Generator().manual_seed(0)).to(dtype).requires_grad_(True)
    out = rule(x)
    assert out.dtype == dtype and out.shape == x.shape
    out.backward(torch.ones_like(out))
    assert x.grad.dtype == dtype and x.grad.shape == x.shape


@pytest.mark.parametrize("rule", [my_relu, deconv_relu, guided_backprop_relu])
def test_non_tensor_input_is_a_clear_type_error(rule):
    with pytest.raises(TypeError, match="expects a torch.Tensor as input, got list"):
        rule([[1.0, -1.0]])


def test_integer_tensor_needing_a_gradient_is_refused():
    # torch itself refuses to make an integer tensor require a gradient, so the message comes from torch.
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, -1]).requires_grad_(True)
    # Without a gradient, an integer tensor goes forward fine.
    assert my_relu(torch.tensor([1, -1])).tolist() == [1, 0]
