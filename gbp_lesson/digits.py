"""A small CNN and the data it learns from: scikit-learn's bundled handwritten digits (no download).

``load_digits`` ships 1797 images of 8x8 pixels, grey levels 0 to 16, from 43 writers. ``digits_data`` splits them
the same way every time; ``DigitsCNN`` is three convolutions and a linear layer, trained by ``train_digits_cnn``
in a few seconds on a laptop's CPU.
"""

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn


class DigitsData(NamedTuple):
    train_images: torch.Tensor  # (N, 1, 8, 8), floats in [0, 1]
    train_labels: torch.Tensor  # (N,), int64 classes 0..9
    test_images: torch.Tensor
    test_labels: torch.Tensor


def digits_data(test_fraction=0.25, seed=0):
    """The digits as tensors, split into train and test sets with every class in the same proportion in both."""
    # Imported here: scikit-learn takes a while to import, and only this function needs it.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16
    labels = torch.tensor(digits.target, dtype=torch.int64)
    train, test = train_test_split(
        torch.arange(len(labels)).numpy(), test_size=test_fraction, random_state=seed, stratify=labels.numpy()
    )
    train, test = torch.from_numpy(train), torch.from_numpy(test)
    return DigitsData(images[train], labels[train], images[test], labels[test])


class DigitsCNN(nn.Module):
    """8x8 grey image -> 10 logits. Three 3x3 convolutions, each followed by its own ``nn.ReLU`` module, a 2x2 max
    pooling after the second. Grad-CAM looks at ``relu2``'s output, 32 channels of 8x8 (see the notebook on why
    not at ``relu3``'s)."""

    def __init__(self):
        super().__init__()
        self.conv1, self.relu1 = nn.Conv2d(1, 16, 3, padding=1), nn.ReLU()
        self.conv2, self.relu2 = nn.Conv2d(16, 32, 3, padding=1), nn.ReLU()
        self.conv3, self.relu3 = nn.Conv2d(32, 32, 3, padding=1), nn.ReLU()
        self.linear = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x):
        x = self.relu1(self.conv1(x))
        x = F.max_pool2d(self.relu2(self.conv2(x)), 2)
        x = self.relu3(self.conv3(x))
        return self.linear(x.flatten(1))


class DigitsCNNWithFunctionalReLU(DigitsCNN):
    """The same network (same parameters, same outputs) calling ``F.relu`` instead of its ``nn.ReLU`` modules:
    invisible to hooks on modules, which is how Captum finds ReLUs."""

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.conv3(x))
        return self.linear(x.flatten(1))


def train_digits_cnn(data, epochs=10, batch_size=64, seed=0):
    """Train a new ``DigitsCNN`` on ``data.train_images`` with Adam; the same seed gives the same network.

    Returns the network in evaluation mode.
    """
    torch.manual_seed(seed)
    model = DigitsCNN()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    order = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for batch in torch.randperm(len(data.train_labels), generator=order).split(batch_size):
            loss = F.cross_entropy(model(data.train_images[batch]), data.train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def accuracy(model, images, labels):
    """The fraction of ``images`` whose highest logit is the right label."""
    with torch.no_grad():
        return (model(images).argmax(dim=1) == labels).float().mean().item()
