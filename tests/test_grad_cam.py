"""Grad-CAM and Guided Grad-CAM: a case computed by hand, Captum's values, and what a call must leave alone."""

import warnings

import pytest
import torch
from torch import nn

from gbp_lesson import grad_cam, guided_grad_cam, saliency_map
from test_saliency import IMAGES, TARGETS, assert_same_state, model_state, tiny_cnn


def global_average_then_linear():
    """The layer's activations are the inputs themselves; then the mean of each channel and a linear layer."""
    linear = nn.Linear(2, 2, bias=False)
    linear.weight.data = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
    return nn.Sequential(nn.Identity(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), linear)


ACTIVATIONS = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]],    # channel 0
                             [[4.0, 0.0], [0.0, 0.0]]]])  # channel 1


def test_grad_cam_by_hand():
    # y_c = sum_k w_ck mean(A_k), so dy_c/dA_k = w_ck / 4 everywhere: alpha = w_c / 4.
    # class 0: relu(0.25 A_0 - 0.25 A_1) = relu([[-0.75, 0.5], [0.75, 1]])
    # class 1: relu(0.125 A_0 + 0.5 A_1) = [[2.125, 0.25], [0.375, 0.5]]
    model = global_average_then_linear()
    both = grad_cam(model, model[0], ACTIVATIONS.expand(2, 2, 2, 2), torch.tensor([0, 1]))
    assert torch.equal(both[0], torch.tensor([[0.0, 0.5], [0.75, 1.0]]))
    assert torch.equal(both[1], torch.tensor([[2.125, 0.25], [0.375, 0.5]]))
    assert torch.equal(grad_cam(model, model[0], ACTIVATIONS, 1), both[1:])


def test_guided_grad_cam_is_guided_backprop_times_the_upsampled_map():
    model = global_average_then_linear()
    model.insert(0, nn.ReLU())  # guided backpropagation needs a ReLU; on these inputs it changes nothing
    guided = saliency_map(model, ACTIVATIONS, 1, "guided")
    # Grad-CAM of class 1 as above; a 2x2 map upsampled to the 2x2 inputs is itself.
    expected = guided * torch.tensor([[2.125, 0.25], [0.375, 0.5]])
    assert torch.equal(guided_grad_cam(model, model[1], ACTIVATIONS, 1), expected)


def test_equal_to_captum():
    from captum.attr import GuidedGradCam, LayerGradCam

    model = tiny_cnn()
    layer = model[3]  # the second ReLU: rectified activations of the last convolution, 2x2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Captum warns that it sets hooks
        cam = LayerGradCam(model, layer).attribute(IMAGES, target=TARGETS, relu_attributions=True)
        guided = GuidedGradCam(model, layer).attribute(IMAGES, target=TARGETS, interpolate_mode="bilinear")
    assert torch.equal(grad_cam(model, layer, IMAGES, TARGETS), cam[:, 0])
    assert torch.allclose(guided_grad_cam(model, layer, IMAGES, TARGETS), guided, rtol=0, atol=1e-6)


def test_an_in_place_relu_after_the_layer_does_not_change_the_map():
    layer_then_relu = tiny_cnn(lambda: nn.ReLU(inplace=True))
    plain = tiny_cnn()
    assert torch.equal(grad_cam(layer_then_relu, layer_then_relu[2], IMAGES, TARGETS),
                       grad_cam(plain, plain[2], IMAGES, TARGETS))


def test_the_model_comes_back_as_it_was():
    model = tiny_cnn()
    before = model_state(model)
    images = IMAGES.clone().requires_grad_(True)
    guided_grad_cam(model, model[3], images, TARGETS)
    assert_same_state(before, model_state(model))
    assert images.grad is None and all(p.grad is None for p in model.parameters())

    def fail(module, args, output):
        raise RuntimeError("a bug after the layer")

    model[4].register_forward_hook(fail)
    before = model_state(model)
    with pytest.raises(RuntimeError, match="a bug after the layer"):
        grad_cam(model, model[3], IMAGES, TARGETS)
    assert_same_state(before, model_state(model))  # grad_cam's own hook on the layer is gone


def test_clear_errors():
    model = tiny_cnn()
    with pytest.raises(ValueError, match="layer must be one of the model's modules, got Conv2d from elsewhere"):
        grad_cam(model, nn.Conv2d(1, 1, 1), IMAGES, 0)
    with pytest.raises(ValueError, match=r"layer must output \(batch, channels, height, width\), got \(5, 16\)"):
        grad_cam(model, model[4], IMAGES, 0)
    model[3] = model[1]  # one nn.ReLU used twice: which of its two outputs would be meant?
    with pytest.raises(ValueError, match="layer must run exactly once in the forward pass, it ran 2 times"):
        grad_cam(model, model[1], IMAGES, 0)
    with pytest.raises(ValueError, match="target must be a class between 0 and 2, got 7"):
        guided_grad_cam(model, model[2], IMAGES, 7)
    with pytest.raises(TypeError, match="floating-point"):
        grad_cam(model, model[2], IMAGES.long(), 0)
