"""Pictures of the lesson, drawn from the package's own rules (never by hand).

Tables are drawn as heatmaps with one diverging colormap centred on 0 (``PuOr``, which stays readable with
the common forms of colour blindness), every cell annotated with its value.
"""

from pathlib import Path



import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle

from .backprop import backprop_upstream, disagreement
from .data import springenberg_example
from .tables import format_table

COLORMAP = "PuOr"
IMAGES = Path(__file__).resolve().parent.parent / "images"


def label_colour(value, vmax):
    """Dark text on the pale middle of the colormap, white on its saturated ends."""
    return "black" if abs(value) < 0.6 * vmax else "white"


def draw_table(ax, tensor, title, vmax=None):
    """Draw a 2-D tensor on ``ax`` as a heatmap centred on 0, each cell labelled as ``format_table`` prints it."""
    values = tensor.detach().cpu().double()
    vmax = vmax or max(values.abs().max().item(), 1e-12)
    ax.imshow(values.numpy(), cmap=COLORMAP, vmin=-vmax, vmax=vmax)
    labels = [row.split() for row in format_table(values).splitlines()]
    for i, row in enumerate(labels):
        for j, label in enumerate(row):
            colour = label_colour(values[i, j].item(), vmax)
            ax.text(j, i, label, ha="center", va="center", fontsize=12, color=colour)
    ax.set_title(title, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])


def outline_cells(ax, where):
    """Outline the cells of a heatmap where ``where`` is True: a black frame with a white line inside it, which
    stands out on every colour of the map."""
    for i, j in where.nonzero().tolist():
        for colour, width, inset in (("black", 3, 0.05), ("white", 1, 0.1)):
            ax.add_patch(Rectangle((j - 0.5 + inset, i - 0.5 + inset), 1 - 2 * inset, 1 - 2 * inset,
                                   fill=False, edgecolor=colour, linewidth=width))


def rules_figure(title, x, upstream, grads):
    """The input, the upstream gradient and each rule's gradient (``grads``: panel title -> tensor) in one row of
    heatmaps, the entries where the rules disagree outlined. The gradients share one colour scale."""
    vmax = max(t.abs().max().item() for t in [upstream, *grads.values()]) or 1
    fig, axes = plt.subplots(1, 2 + len(grads), figsize=(2.6 * (2 + len(grads)), 3.2))
    draw_table(axes[0], x, "input $x$")
    draw_table(axes[1], upstream, "upstream gradient $g$", vmax)
    differ = disagreement(grads.values())
    for ax, (panel_title, grad) in zip(axes[2:], grads.items()):
        draw_table(ax, grad, panel_title, vmax)
        outline_cells(ax, differ)
    fig.suptitle(title, fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


def springenberg_figure():
    """Fig. 1 of Springenberg et al. (2014) recomputed: one ReLU, its input and upstream gradient, and what
    plain backpropagation, the deconvnet and guided backpropagation send back."""
    example = springenberg_example()
    panels = [
        ("forward input $x$", example.input),
        ("upstream gradient $g$", example.upstream),
        ("backpropagation\n$g \\cdot [x > 0]$", backprop_upstream("relu", example.input, example.upstream).grad),
        ("deconvnet\n$g \\cdot [g > 0]$", backprop_upstream("deconvnet", example.input, example.upstream).grad),
        (
            "guided backpropagation\n$g \\cdot [x > 0] \\cdot [g > 0]$",
            backprop_upstream("guided", example.input, example.upstream).grad,
        ),
    ]
    vmax = max(t.abs().max().item() for _, t in panels)
    fig, axes = plt.subplots(1, len(panels), figsize=(13, 3.6))
    for ax, (title, tensor) in zip(axes, panels):
        draw_table(ax, tensor, title, vmax)
    fig.suptitle("One ReLU, three backward rules (Springenberg et al. 2014, Fig. 1)", fontsize=13)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def save_figures(folder=IMAGES):
    """Draw every figure of the lesson into ``folder``; returns the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "guided_backprop.png"
    fig = springenberg_figure()
    # No timestamp or software version in the file, so that redrawing an unchanged figure changes no byte.
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return [path]


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder to draw into (default: images/)")


def run(args):
    for path in save_figures(args.out):
        print(f"wrote {path}")
    return 0
