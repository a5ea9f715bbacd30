"""One way to print every table the lesson grades.

torch's own printing changed between versions (the seed shows PyTorch 0.3's ``[torch.FloatTensor of size 3x3]``)
and depends on print options, so the graded lines never go through it. ``format_table`` lays out numbers like the
seed: right-aligned columns one space apart, with room for a minus sign, integers without a trailing ``.``.
"""

import math

import torch

DECIMALS = 4
# Beyond this size "fixed decimals" would be unreadable, so such tables switch to scientific notation.
_LARGE = 1e6


def _format_number(value, style):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if style == "integer":
        text = str(int(value))
    elif style == "scientific":
        text = f"{value:.{DECIMALS}e}"
    else:
        text = f"{value:.{DECIMALS}f}"
    # -0.0 (and a tiny negative rounded to zero) would print as "-0": a sign that means nothing.
    if text.startswith("-") and float(text) == 0:
        text = text[1:]
    return text


def format_table(tensor):
    """Return a 0-D, 1-D or 2-D tensor as text, one row per line, e.g. ``" 1 -1  1"``.

    Every entry of the table gets the same style: integers if all finite entries are whole numbers,
    scientific notation if any is 1e6 or larger in size, 4 fixed decimals otherwise.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"format_table expects a torch.Tensor, got {type(tensor).__name__}")
    if tensor.dim() > 2:
        raise ValueError(f"format_table prints 0-D, 1-D or 2-D tensors, got shape {tuple(tensor.shape)}")
    rows = tensor.detach().cpu().double().reshape(-1, tensor.shape[-1] if tensor.dim() else 1).tolist()
    finite = [v for row in rows for v in row if math.isfinite(v)]
    if any(abs(v) >= _LARGE for v in finite):
        style = "scientific"
    elif all(v == int(v) for v in finite):
        style = "integer"
    else:
        style = "fixed"
    texts = [[_format_number(v, style) for v in row] for row in rows]
    # One column for a sign even when there is none, as the seed's ` 2  2  2`.
    width = 1 + max((len(t.lstrip("-")) for row in texts for t in row), default=0)
    return "\n".join(" ".join(t.rjust(width) for t in row) for row in texts)


def print_table(tensor):
    """Print ``format_table(tensor)``."""
    print(format_table(tensor))
