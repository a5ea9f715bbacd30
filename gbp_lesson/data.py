"""The two examples of the lesson, defined once so that every notebook, test and widget uses the same numbers."""

from typing import NamedTuple

import torch

# The seed notebook's 3x3 input and its constant target.
SEED_X = [[3, 1, 5], [-2, 5, -7], [3, 2, -4]]
SEED_Y = [[2, 2, 2], [2, 2, 2], [2, 2, 2]]


def seed_example(dtype=torch.float32):
    """Return the seed's ``(x, y)``: x the 3x3 input (a leaf that requires a gradient), y the target of 2s."""
    x = torch.tensor(SEED_X, dtype=dtype, requires_grad=True)
    y = torch.tensor(SEED_Y, dtype=dtype)
    return x, y


class SpringenbergExample(NamedTuple):
    """Fig. 1 of Springenberg et al. (2014): one ReLU's forward input, the gradient arriving from above it,
    and what each rule sends back."""

    input: torch.Tensor
    upstream: torch.Tensor
    backprop: torch.Tensor
    deconvnet: torch.Tensor
    guided: torch.Tensor


def springenberg_example(dtype=torch.float32):
    """Return the numbers of Springenberg et al.'s Fig. 1 as a ``SpringenbergExample`` of 3x3 tensors."""
    tables = {
        "input": [[1, -1, 5], [2, -5, -7], [-3, 2, 4]],
        "upstream": [[-2, 3, -1], [6, -3, 1], [2, -1, 3]],
        "backprop": [[-2, 0, -1], [6, 0, 0], [0, -1, 3]],
        "deconvnet": [[0, 3, 0], [6, 0, 1], [2, 0, 3]],
        "guided": [[0, 0, 0], [6, 0, 0], [0, 0, 3]],
    }
    return SpringenbergExample(**{name: torch.tensor(t, dtype=dtype) for name, t in tables.items()})
