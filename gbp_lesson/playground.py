"""The playground: change the numbers of one ReLU's backward pass and watch the rules answer, live.

- ``playground()``: the whole playground of notebook 7. Edit the 3x3 input x and either the target y (the
  seed's loss ``|out - y|``) or the upstream gradient g (Springenberg et al.'s way); load a preset; choose
  the rules. Every edit redraws the forward output, the loss, the upstream gradient and each rule's gradient,
  with the entries where the rules disagree outlined.
- ``rule_widget(rule)``: the small widget at the end of each core notebook: x and y, and that one rule.

Every number passes ``parse_number``, whose message is shown next to the box; a bad box leaves the last good
result on screen. Every pass goes through ``backprop_loss`` or ``backprop_upstream``, as in the notebooks.

The heatmaps are HTML tables coloured with the colormap of ``figures`` (PuOr, centred on 0): redrawing six
matplotlib heatmaps took about 110 ms per edit, far above the 50 ms an edit may take; an HTML table takes well
under 1 ms.
"""

import html
import math

import ipywidgets as widgets
import matplotlib
import torch

from .backprop import backprop_loss, backprop_upstream, disagreement
from .data import SEED_X, SEED_Y, springenberg_example
from .figures import COLORMAP, label_colour
from .tables import format_table

RULE_NAMES = {"relu": "F.relu", "my_relu": "MyReLU", "deconvnet": "Deconvnet", "guided": "Guided Backprop"}
THE_THREE_RULES = ["my_relu", "deconvnet", "guided"]
LOSS, UPSTREAM = "loss", "upstream"
BAD_BOX = "#ffd9d9"  # the background of a box whose text is not a number
SIZE = 3


def parse_number(text):
    """The number typed in a box, or a ValueError short enough to show next to the box.

    >>> parse_number(" -1.5 ")
    -1.5
    """
    text = text.strip()
    if not text:
        raise ValueError("empty: type a number")
    if "," in text:
        raise ValueError(f"{text!r}: write decimals with a point, not a comma")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if math.isnan(value):
        raise ValueError("NaN is not a number a rule can use")
    if math.isinf(value):
        if "inf" in text.lower():
            raise ValueError("infinity is not allowed: type a finite number")
        raise ValueError(f"{text!r} is too large for a float (the limit is about 1.8e308)")
    return value


def _box_text(value):
    """How a preset's number is typed into a box: ``-2`` rather than ``-2.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class NumberGrid(widgets.VBox):
    """A titled 3x3 grid of text boxes with one line for messages below it.

    Each box carries the CSS class ``gbp-NAME-ROW-COLUMN`` so that a browser test can find it.
    """

    def __init__(self, name, title):
        self.name = name
        self.boxes = [[self._box(i, j) for j in range(SIZE)] for i in range(SIZE)]
        self.title = widgets.HTML(f"<b>{title}</b>")
        self.message = widgets.HTML("")
        self.message.add_class(f"gbp-{name}-message")
        grid = widgets.GridBox(
            [box for row in self.boxes for box in row],
            layout=widgets.Layout(grid_template_columns=f"repeat({SIZE}, 5.5em)", grid_gap="2px"),
        )
        super().__init__([self.title, grid, self.message], layout=widgets.Layout(margin="0 2em 0 0"))

    def _box(self, i, j):
        # continuous_update=False: the value arrives when the student presses Enter or leaves the box, not
        # after every key, so that "-" on the way to "-3" is not reported as an error.
        box = widgets.Text(continuous_update=False, layout=widgets.Layout(width="5em"))
        box.add_class(f"gbp-{self.name}-{i}-{j}")
        return box

    def set(self, tensor):
        for row_boxes, row in zip(self.boxes, tensor.tolist()):
            for box, value in zip(row_boxes, row):
                box.value = _box_text(value)

    def read(self):
        """The grid as a float64 tensor, or None after marking every bad box and writing the first problem."""
        values, problems = [], []
        for i, row_boxes in enumerate(self.boxes):
            row = []
            for j, box in enumerate(row_boxes):
                try:
                    row.append(parse_number(box.value))
                    box.style.background, box.tooltip = None, None
                except ValueError as error:
                    row.append(0.0)
                    problems.append(f"{self.name} row {i + 1}, column {j + 1}: {error}")
                    box.style.background, box.tooltip = BAD_BOX, str(error)
            values.append(row)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        self.message.value = html.escape(problems[0]) + more if problems else ""
        return None if problems else torch.tensor(values, dtype=torch.float64)


def _heatmap(name, title, tensor, vmax, outlined=None):
    """One table as an HTML heatmap: each cell coloured on the PuOr scale from -vmax to vmax and labelled as
    ``format_table`` prints it; cells where ``outlined`` is True get a thick outline. The table's CSS class
    ``gbp-table-NAME`` lets a test find it (JupyterLab's sanitizer drops ``id`` and ``data-`` attributes)."""
    colormap = matplotlib.colormaps[COLORMAP]
    labels = [row.split() for row in format_table(tensor).splitlines()]
    rows = []
    for i, row in enumerate(labels):
        cells = []
        for j, label in enumerate(row):
            value = tensor[i, j].item()
            background = matplotlib.colors.to_hex(colormap(0.5 + 0.5 * max(-1.0, min(1.0, value / vmax))))
            style = f"background:{background};color:{label_colour(value, vmax)}"
            if outlined is not None and outlined[i, j]:
                # As in figures.outline_cells: a black frame with a white line inside, visible on every colour.
                style += ";outline:3px solid black;outline-offset:-3px;box-shadow:inset 0 0 0 5px white"
            cells.append(f'<td style="{style}">{label}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="gbp-panel"><div class="gbp-panel-title">{title}</div>'
        f'<table class="gbp-table-{name}">{"".join(rows)}</table></div>'
    )


STYLE = """<style>
.gbp-panels {display:flex; flex-wrap:wrap; gap:1.5em; margin:0.3em 0 0.8em 0}
.gbp-panel-title {font-weight:bold; margin-bottom:0.2em}
.gbp-panel table {border-collapse:collapse}
.gbp-panel td {width:3.6em; height:2.2em; text-align:center; font-family:monospace; font-size:14px;
               border:1px solid #ccc; padding:0}
</style>"""


def _scale(tensors):
    """One colour scale for tensors that are compared with each other (never 0, so that 0/0 cannot occur)."""
    return max(max(t.abs().max().item() for t in tensors), 1e-12)


class Playground(widgets.VBox):
    """The widget of ``playground()`` and ``rule_widget()``; ``results`` holds the last good passes by rule."""

    def __init__(self, rules=THE_THREE_RULES, choose=True):
        self.x_grid = NumberGrid("x", "input x")
        self.y_grid = NumberGrid("y", "target y")
        self.upstream_grid = NumberGrid("g", "upstream gradient g")
        self.mode = widgets.ToggleButtons(
            options=[("loss |out − y|, the seed's way", LOSS),
                     ("upstream gradient g, Springenberg's way", UPSTREAM)],
            value=LOSS,
            style={"button_width": "auto"},
        )
        self.rule_boxes = {
            rule: widgets.Checkbox(value=rule in rules, description=RULE_NAMES[rule], indent=False,
                                   layout=widgets.Layout(width="auto", margin="0 1.5em 0 0"))
            for rule in (RULE_NAMES if choose else rules)
        }
        wide = widgets.Layout(width="auto")
        self.seed_button = widgets.Button(description="seed's example", layout=wide)
        self.springenberg_button = widgets.Button(description="Springenberg's example", layout=wide)
        self.random_button = widgets.Button(description="random example, seed:", layout=wide)
        self.random_seed = widgets.BoundedIntText(value=0, min=0, max=2**31 - 1, layout=widgets.Layout(width="7em"))
        self.tables = widgets.HTML()
        self.status = widgets.HTML()
        self.status.add_class("gbp-status")
        self.results = {}

        controls = [
            widgets.HBox([self.seed_button, self.springenberg_button, self.random_button, self.random_seed]),
            widgets.HBox([widgets.Label("drive the backward pass by:"), self.mode]),
            widgets.HBox([widgets.Label("rules:")] + list(self.rule_boxes.values())),
        ]
        grids = widgets.HBox([self.x_grid, self.y_grid, self.upstream_grid])
        super().__init__((controls if choose else []) + [grids, self.tables, self.status])
        self.add_class("gbp-playground")

        self._loading = False
        for grid in (self.x_grid, self.y_grid, self.upstream_grid):
            for box in (box for row in grid.boxes for box in row):
                box.observe(self.update, "value")
        self.mode.observe(self.update, "value")
        for checkbox in self.rule_boxes.values():
            checkbox.observe(self.update, "value")
        self.seed_button.on_click(lambda _: self.load_seed_example())
        self.springenberg_button.on_click(lambda _: self.load_springenberg_example())
        self.random_button.on_click(lambda _: self.load_random_example())
        self.load_seed_example()

    def __repr__(self):
        # Shown where the widget cannot be drawn (a notebook viewed outside Jupyter), and stored by nbval.
        return f"Playground(rules={self.chosen_rules()}): open the notebook in JupyterLab to use it"

    def chosen_rules(self):
        return [rule for rule, checkbox in self.rule_boxes.items() if checkbox.value]

    # Presets: fill every box first, then compute once.
    def _load(self, x, y=None, upstream=None, mode=None):
        self._loading = True
        try:
            self.x_grid.set(x)
            if y is not None:
                self.y_grid.set(y)
            if upstream is not None:
                self.upstream_grid.set(upstream)
            if mode is not None:
                self.mode.value = mode
        finally:
            self._loading = False
        self.update()

    def load_seed_example(self):
        """The seed's x and y, driven by the loss; the upstream gradient box gets sign(relu(x) - y) to start from."""
        x, y = torch.tensor(SEED_X), torch.tensor(SEED_Y)
        self._load(x, y, torch.sign(x.clamp(min=0) - y), LOSS)

    def load_springenberg_example(self):
        example = springenberg_example()
        self._load(example.input, upstream=example.upstream, mode=UPSTREAM)

    def load_random_example(self):
        """Small whole numbers drawn with the seed shown in the box, so that a class can share an example."""
        generator = torch.Generator().manual_seed(self.random_seed.value)
        x, y, upstream = (torch.randint(-9, 10, (SIZE, SIZE), generator=generator) for _ in range(3))
        self._load(x, y, upstream)

    def update(self, change=None):
        """Recompute and redraw from the boxes; with a bad box, keep the last good result and say why."""
        if self._loading:
            return
        by_loss = self.mode.value == LOSS
        self.y_grid.layout.display = None if by_loss else "none"
        self.upstream_grid.layout.display = "none" if by_loss else None
        x = self.x_grid.read()
        target = (self.y_grid if by_loss else self.upstream_grid).read()
        if x is None or target is None:
            self.status.value = "<b>Showing the last good result</b> until the boxes named above hold numbers."
            return
        backprop = backprop_loss if by_loss else backprop_upstream
        self.results = {rule: backprop(rule, x, target) for rule in self.chosen_rules()}
        # The forward output, the loss and the upstream gradient are the same for every rule; with no rule
        # chosen, MyReLU's pass still shows them.
        first = next(iter(self.results.values()), None) or backprop("my_relu", x, target)
        self.tables.value = STYLE + self._draw(x, target, first)
        self.status.value = self._summary()

    def _disagreement(self):
        """True where the chosen rules do not all send back the same number (None with fewer than two)."""
        if len(self.results) < 2:
            return None
        return disagreement(result.grad for result in self.results.values())

    def _draw(self, x, target, first):
        """Two rows of heatmaps, each on its own colour scale: what goes forward, and what comes back."""
        by_loss = first.loss is not None
        forward = [("x", "input x", x)] + ([("y", "target y", target)] if by_loss else [])
        forward += [("output", "output relu(x)", first.output)]
        forward += [("loss", "loss |out − y|", first.loss)] if by_loss else []
        backward = [("upstream", "upstream gradient " + ("sign(out − y)" if by_loss else "g"), first.upstream)]
        for rule, result in self.results.items():
            backward.append((f"grad-{rule}", f"x.grad, {RULE_NAMES[rule]}", result.grad))
        outlined = self._disagreement()
        rows = []
        for panels in (forward, backward):
            scale = _scale([tensor for _, _, tensor in panels])
            rows.append("".join(
                _heatmap(name, title, tensor, scale, outlined if name.startswith("grad-") else None)
                for name, title, tensor in panels
            ))
        return "".join(f'<div class="gbp-panels">{row}</div>' for row in rows)

    def _summary(self):
        if not self.results:
            return "Choose a rule to see the gradient it sends back to x."
        outlined = self._disagreement()
        if outlined is None:
            return "Change a number and press Enter (or leave the box): the tables follow."
        count = int(outlined.sum())
        if count == 0:
            return "The chosen rules agree on every entry here."
        return f"The chosen rules disagree on {count} {'entry' if count == 1 else 'entries'} (outlined)."


def playground():
    """The whole playground: presets, both ways to drive the backward pass, and a choice of rules."""
    return Playground()


def rule_widget(rule):
    """A small live widget for one rule: edit x and y of the seed's example, watch ``rule``'s gradient."""
    if rule not in RULE_NAMES:
        raise ValueError(f"rule must be one of {sorted(RULE_NAMES)}, got {rule!r}")
    return Playground(rules=[rule], choose=False)
