"""Grad-CAM and Guided Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", 2017).

Guided backpropagation draws fine detail but hardly depends on the class (the sanity checks of the saliency
notebook show why). Grad-CAM is the opposite: a coarse map, at the resolution of a late convolutional layer, of
where the evidence for one class lies. Guided Grad-CAM multiplies the two.
"""

import torch
import torch.nn.functional as F

from .saliency import checked_inputs, model_left_as_it_was, saliency_map, target_logits


def grad_cam(model, layer, inputs, target):
    """Grad-CAM of ``target`` at ``layer``, one map per sample: shape (batch, height, width) of the layer's output.

    ``layer`` is a module of ``model`` whose output has shape (batch, channels, height, width), usually the last
    convolutional block. With ``A`` its output and ``y`` the target logit, each channel gets the weight
    ``alpha_k = mean over positions of dy/dA_k`` and the map is ``relu(sum_k alpha_k A_k)``. ``inputs`` and
    ``target`` are as for ``saliency_map``; the gradient is autograd's, and the model comes back as it was.
    """
    if not any(module is layer for module in model.modules()):
        raise ValueError(f"layer must be one of the model's modules, got {type(layer).__name__} from elsewhere")
    inputs = checked_inputs(inputs)
    seen = []

    def keep_activations(module, args, output):
        # The rest of the forward pass gets a copy, so that an in-place ReLU after the layer cannot overwrite
        # the activations read here.
        seen.append(output)
        return output.clone()

    handle = layer.register_forward_hook(keep_activations)
    try:
        with torch.enable_grad(), model_left_as_it_was(model):
            score = target_logits(model(inputs), target).sum()
    finally:
        handle.remove()
    if len(seen) != 1:
        raise ValueError(f"layer must run exactly once in the forward pass, it ran {len(seen)} times")
    activations = seen[0]
    if activations.dim() != 4:
        raise ValueError(f"layer must output (batch, channels, height, width), got {tuple(activations.shape)}")
    gradients, = torch.autograd.grad(score, activations)
    alpha = gradients.mean(dim=(2, 3), keepdim=True)
    return F.relu((alpha * activations).sum(dim=1)).detach()


def guided_grad_cam(model, layer, inputs, target):
    """Guided Grad-CAM: the guided-backprop saliency map times the Grad-CAM map upsampled (bilinear, as Selvaraju
    et al.) to the inputs' height and width. ``inputs`` of shape (batch, channels, height, width); the result has
    that shape."""
    cam = grad_cam(model, layer, inputs, target)
    if inputs.dim() != 4:
        raise ValueError(f"inputs must have shape (batch, channels, height, width), got {tuple(inputs.shape)}")
    upsampled = F.interpolate(cam[:, None], size=inputs.shape[2:], mode="bilinear", align_corners=False)
    return saliency_map(model, inputs, target, rule="guided") * upsampled
