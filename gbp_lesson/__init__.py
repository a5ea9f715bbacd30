"""Guided Backpropagation, step by step: the code the lesson's notebooks import.

- ``rules``: the three ReLU backward rules (``MyReLU``, ``DeconvReLU``, ``GuidedBackpropReLU``).
- ``data``: the seed's example and Springenberg et al.'s Fig. 1 example.
- ``backprop``: one backward pass through one ReLU, driven by a loss or by a given upstream gradient.
- ``tables``: the one printer of every graded table.
- ``playground``: the live widgets: ``playground()`` (notebook 7) and ``rule_widget(rule)`` (notebooks 1-5).
- ``saliency``: saliency maps of a whole network under the three rules (``saliency_map``).
- ``grad_cam``: Grad-CAM and Guided Grad-CAM (``grad_cam``, ``guided_grad_cam``).
- ``digits``: scikit-learn's bundled digits and the small CNN the saliency notebook trains on them.
"""

from .backprop import RULES, Backprop, backprop_loss, backprop_upstream, disagreement
from .data import SpringenbergExample, seed_example, springenberg_example
from .rules import (
    DeconvReLU,
    GuidedBackpropReLU,
    MyReLU,
    deconv_relu,
    guided_backprop_relu,
    my_relu,
    show_upstream,
)
from .grad_cam import grad_cam, guided_grad_cam
from .playground import playground, rule_widget
from .saliency import saliency_map
from .tables import format_table, print_table

__version__ = "0.1.0"
