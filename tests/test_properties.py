"""Properties every rule keeps for all inputs, checked by hypothesis on random shapes and values."""

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from gbp_lesson import deconv_relu, guided_backprop_relu, my_relu

RULES = [my_relu, deconv_relu, guided_backprop_relu]
values = st.floats(-1e6, 1e6, allow_nan=False, width=32)


@st.composite
def forward_input_and_upstream(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, max_side=5))
    x = draw(arrays("float32", shape, elements=values))
    g = draw(arrays("float32", shape, elements=values))
    return torch.from_numpy(x), torch.from_numpy(g)


def gradient(rule, x, upstream):
    x = x.clone().requires_grad_(True)
    kept = upstream.clone()
    rule(x).backward(upstream)
    assert torch.equal(upstream, kept), "the upstream gradient was modified in place"
    return x.grad


@settings(max_examples=60, deadline=None)
@given(forward_input_and_upstream())
def test_forward_of_every_rule_is_relu(pair):
    x, _ = pair
    for rule in RULES:
        assert torch.equal(rule(x), F.relu(x))


@settings(max_examples=60, deadline=None)
@given(forward_input_and_upstream())
def test_my_relu_is_f_relu_away_from_zero(pair):
    x, g = pair
    away = x != 0
    assert torch.equal(gradient(my_relu, x, g)[away], gradient(F.relu, x, g)[away])


@settings(max_examples=60, deadline=None)
@given(forward_input_and_upstream())
def test_deconvnet_is_relu_of_the_upstream_gradient(pair):
    x, g = pair
    assert torch.equal(gradient(deconv_relu, x, g), F.relu(g))


@settings(max_examples=60, deadline=None)
@given(forward_input_and_upstream())
def test_guided_is_deconvnet_masked_by_the_forward_sign(pair):
    x, g = pair
    guided = gradient(guided_backprop_relu, x, g)
    assert torch.equal(guided, gradient(deconv_relu, x, g) * (x >= 0))
    away = x != 0
    # ... and, away from the kink at 0, the positive part of plain backpropagation.
    assert torch.equal(guided[away], F.relu(gradient(F.relu, x, g))[away])
