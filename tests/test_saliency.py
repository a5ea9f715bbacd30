"""saliency_map on whole networks: the same maps as Captum where Captum sees the ReLUs, and also where it does not."""

import warnings

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from gbp_lesson import backprop_upstream, saliency_map
from gbp_lesson.saliency import ReplaceReLUBackward, guided_backward

RULES = ["gradient", "deconvnet", "guided"]


def tiny_cnn(relu=nn.ReLU):
    """Two convolutions and a linear layer on 1x6x6 images; a fixed seed, so every call builds the same weights."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), relu(),
        nn.Conv2d(4, 4, 3), relu(),
        nn.Flatten(), nn.Linear(4 * 2 * 2, 3),
    ).eval()


class TinyCNNCalling(nn.Module):
    """``tiny_cnn``'s layers, with its ReLUs called as ``call`` instead of as modules."""

    def __init__(self, call):
        super().__init__()
        self.layers = tiny_cnn()
        self.call = call

    def forward(self, x):
        conv1, _, conv2, _, flatten, linear = self.layers
        return linear(flatten(self.call(conv2(self.call(conv1(x))))))


def with_one_relu_used_twice():
    model = tiny_cnn()
    model[3] = model[1]  # the same nn.ReLU object at both places
    return model


RELU_CALLS = {
    "F.relu": F.relu,
    "F.relu inplace": lambda x: F.relu(x, inplace=True),
    "F.relu_": F.relu_,
    "torch.relu": torch.relu,
    "torch.relu_": torch.relu_,
    "Tensor.relu": torch.Tensor.relu,
    "Tensor.relu_": torch.Tensor.relu_,
}

IMAGES = torch.randn(5, 1, 6, 6, generator=torch.Generator().manual_seed(1))
TARGETS = torch.tensor([0, 1, 2, 1, 0])


def captum_map(model, rule, images=IMAGES, target=TARGETS):
    from captum.attr import Deconvolution, GuidedBackprop, Saliency

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Captum warns that it sets hooks
        if rule == "gradient":
            return Saliency(model).attribute(images, target=target, abs=False)
        method = {"deconvnet": Deconvolution, "guided": GuidedBackprop}[rule]
        return method(model).attribute(images, target=target)


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize(
    "model", [tiny_cnn, lambda: tiny_cnn(lambda: nn.ReLU(inplace=True)), with_one_relu_used_twice],
    ids=["nn.ReLU", "nn.ReLU(inplace=True)", "one nn.ReLU used twice"],
)
def test_equal_to_captum_on_relu_modules(model, rule):
    assert torch.equal(saliency_map(model(), IMAGES, TARGETS, rule), captum_map(model(), rule))


ALL_RELU_CALLS = {**RELU_CALLS, "nn.ReLU()": nn.ReLU(), "nn.ReLU(inplace=True)": nn.ReLU(inplace=True)}


@pytest.mark.parametrize("call", ALL_RELU_CALLS.values(), ids=ALL_RELU_CALLS.keys())
def test_the_mode_sees_each_relu_call_once_and_keeps_in_place_in_place(call):
    x = torch.tensor([-1.0, 0.0, 2.0, 3.0], requires_grad=True)
    h = x * 1  # not a leaf, so that an in-place ReLU is allowed
    with ReplaceReLUBackward(guided_backward) as relus:
        out = call(h)
    assert relus.relus_seen == 1  # F.relu(inplace=True) calls torch.relu_: caught once, at F.relu
    assert out.grad_fn.name() == "ReLUWithRuleBackward"
    assert torch.equal(out, torch.tensor([0.0, 0.0, 2.0, 3.0]))
    in_place = (out is h)
    assert in_place == (call in [F.relu_, torch.relu_, torch.Tensor.relu_, ALL_RELU_CALLS["nn.ReLU(inplace=True)"],
                                 ALL_RELU_CALLS["F.relu inplace"]])
    out.backward(torch.tensor([5.0, 5.0, 3.0, -3.0]))
    assert x.grad.tolist() == [0, 0, 3, 0]  # the 5s stopped by the forward mask (input <= 0), -3 by its sign


@pytest.mark.parametrize("call", RELU_CALLS.values(), ids=RELU_CALLS.keys())
@pytest.mark.parametrize("rule", RULES)
def test_every_way_of_calling_relu_gives_the_module_networks_map(rule, call):
    model = TinyCNNCalling(call)
    assert torch.equal(saliency_map(model, IMAGES, TARGETS, rule), saliency_map(tiny_cnn(), IMAGES, TARGETS, rule))


@pytest.mark.parametrize("call", RELU_CALLS.values(), ids=RELU_CALLS.keys())
def test_on_functional_relus_guided_is_not_the_gradient_though_captum_says_so(call):
    model = TinyCNNCalling(call)
    gradient = saliency_map(model, IMAGES, TARGETS, "gradient")
    assert not torch.equal(saliency_map(model, IMAGES, TARGETS, "guided"), gradient)
    assert torch.equal(captum_map(model, "guided"), gradient)  # Captum's hooks found no nn.ReLU


def test_a_batch_of_targets_is_one_map_per_sample():
    model = tiny_cnn()
    one_by_one = [saliency_map(model, IMAGES[i:i + 1], int(TARGETS[i]), "guided") for i in range(len(TARGETS))]
    assert torch.allclose(saliency_map(model, IMAGES, TARGETS, "guided"), torch.cat(one_by_one), atol=1e-6)
    # An int is the same class for every sample.
    assert torch.equal(saliency_map(model, IMAGES, 2, "guided"),
                       saliency_map(model, IMAGES, torch.full((5,), 2), "guided"))


def test_the_map_is_raw_signed_and_shaped_like_the_inputs():
    gradient = saliency_map(tiny_cnn(), IMAGES, TARGETS, "gradient")
    assert gradient.shape == IMAGES.shape
    assert (gradient < 0).any() and gradient.abs().max() != 1  # not absolute-valued, not normalised


def model_state(model):
    """Everything a call could change in a model, as plain comparable values."""
    return {
        "tensors": {name: value.clone() for name, value in model.state_dict().items()},
        "modules": [(name, id(module), module.training) for name, module in model.named_modules()],
        "hooks": [(dict(m._forward_hooks), dict(m._forward_pre_hooks), dict(m._backward_hooks),
                   dict(m._backward_pre_hooks)) for m in model.modules()],
        "inplace": [m.inplace for m in model.modules() if isinstance(m, nn.ReLU)],
        "requires_grad": [p.requires_grad for p in model.parameters()],
    }


def assert_same_state(before, after):
    assert before["tensors"].keys() == after["tensors"].keys()
    assert all(torch.equal(before["tensors"][k], after["tensors"][k]) for k in before["tensors"])
    assert {k: v for k, v in before.items() if k != "tensors"} == {k: v for k, v in after.items() if k != "tensors"}


def model_in_training_mode_with_batch_norm():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(inplace=True), nn.Flatten(),
                          nn.Linear(2 * 4 * 4, 3))
    model[0].weight.requires_grad_(False)  # a frozen layer must stay frozen
    model.register_forward_hook(lambda module, args, output: None)
    return model.train()


@pytest.mark.parametrize("rule", RULES)
def test_the_model_comes_back_as_it_was_and_nothing_gets_a_grad(rule):
    model = model_in_training_mode_with_batch_norm()
    before = model_state(model)
    images = IMAGES.clone().requires_grad_(True)
    saliency_map(model, images, TARGETS, rule)
    assert_same_state(before, model_state(model))  # batch norm's running statistics included
    assert images.grad is None and all(p.grad is None for p in model.parameters())
    assert torch.equal(images, IMAGES)


class FailsAfterItsReLUs(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = model_in_training_mode_with_batch_norm()

    def forward(self, x):
        self.cnn(x)
        raise RuntimeError("a bug in the model's forward pass")


@pytest.mark.parametrize("rule", RULES)
def test_the_model_comes_back_as_it_was_after_its_forward_pass_raised(rule):
    model = FailsAfterItsReLUs()
    before = model_state(model)
    with pytest.raises(RuntimeError, match="a bug in the model's forward pass"):
        saliency_map(model, IMAGES, TARGETS, rule)
    assert_same_state(before, model_state(model))
    # And ReLUs called afterwards, outside saliency_map, are torch's own again.
    x = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(x).backward(torch.tensor([1.0, 1.0, -1.0]))
    assert x.grad.tolist() == [0, 0, -1]


@pytest.mark.parametrize("requires_grad", [False, True])
def test_inputs_may_or_may_not_require_a_gradient(requires_grad):
    images = IMAGES.clone().requires_grad_(requires_grad)
    assert torch.equal(saliency_map(tiny_cnn(), images, TARGETS), saliency_map(tiny_cnn(), IMAGES, TARGETS))
    assert images.grad is None


def test_works_under_no_grad():
    with torch.no_grad():
        assert torch.equal(saliency_map(tiny_cnn(), IMAGES, TARGETS), saliency_map(tiny_cnn(), IMAGES, TARGETS))


@pytest.mark.parametrize("activation", [nn.Identity, nn.GELU, nn.SiLU, nn.LeakyReLU, nn.ReLU6])
def test_a_model_without_relu_is_refused_by_the_relu_rules(activation):
    model = tiny_cnn(activation)
    for rule in ["deconvnet", "guided"]:
        with pytest.raises(ValueError, match="called no ReLU"):
            saliency_map(model, IMAGES, TARGETS, rule)
    assert saliency_map(model, IMAGES, TARGETS, "gradient").shape == IMAGES.shape


@pytest.mark.parametrize(
    "target, error, message",
    [
        (3, ValueError, "target must be a class between 0 and 2, got 3"),
        (-1, ValueError, "target must be a class between 0 and 2, got -1"),
        (torch.tensor([0, 1]), ValueError, r"one class per sample, 5 of them, got shape \(2,\)"),
        (torch.zeros(5, 1, dtype=torch.int64), ValueError, r"got shape \(5, 1\)"),
        (torch.zeros(5), TypeError, "integer class indices, got torch.float32"),
        (1.0, TypeError, "int or a 1-D integer tensor, got float"),
    ],
)
def test_a_bad_target_is_a_clear_error(target, error, message):
    with pytest.raises(error, match=message):
        saliency_map(tiny_cnn(), IMAGES, target)


def test_bad_inputs_and_rules_are_clear_errors():
    with pytest.raises(TypeError, match="floating-point tensor .* got torch.int64"):
        saliency_map(tiny_cnn(), torch.zeros(1, 1, 6, 6, dtype=torch.int64), 0)
    with pytest.raises(TypeError, match="must be a torch.Tensor, got list"):
        saliency_map(tiny_cnn(), [[0.0]], 0)
    with pytest.raises(ValueError, match=r"rule must be one of \['gradient', 'deconvnet', 'guided'\], got 'relu'"):
        saliency_map(tiny_cnn(), IMAGES, 0, rule="relu")


# One ReLU and a linear layer: the upstream gradient reaching the ReLU is the linear layer's row of the target
# class, so the network's map must be what the lesson's one-ReLU rules send back, except at an input of exactly 0,
# where the network follows autograd (the gradient stops) and the lesson follows the seed (it passes).
LESSON_RULE = {"gradient": "relu", "deconvnet": "deconvnet", "guided": "guided"}
small = st.floats(-100, 100, width=32).map(lambda v: 0.0 if abs(v) < 1 else v)  # plenty of exact zeros


@settings(max_examples=40, deadline=None)
@given(
    x=arrays("float32", (3, 4), elements=small),
    weights=arrays("float32", (2, 4), elements=small),
    target=st.integers(0, 1),
)
def test_one_relu_network_agrees_with_the_lessons_rules(x, weights, target):
    x, weights = torch.from_numpy(x), torch.from_numpy(weights)
    linear = nn.Linear(4, 2, bias=False)
    linear.weight.data = weights
    model = nn.Sequential(nn.ReLU(), linear)
    for rule, lesson_rule in LESSON_RULE.items():
        lesson = backprop_upstream(lesson_rule, x, weights[target].expand(3, 4)).grad
        if rule == "guided":
            lesson = lesson.masked_fill(x == 0, 0)
        assert torch.equal(saliency_map(model, x, target, rule), lesson), rule
