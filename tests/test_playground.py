"""The playground without a kernel: type into its boxes, press its buttons, read the tables it shows."""

from html.parser import HTMLParser

import nbformat
import pytest

from gbp_lesson import backprop_upstream, format_table, playground, rule_widget, springenberg_example
from gbp_lesson.execute import NOTEBOOKS
from gbp_lesson.playground import parse_number


class ShownTables(HTMLParser):
    """The tables of the widget's HTML, {NAME of the class gbp-table-NAME: [[cell label, ...], ...]}, and which
    of their cells are outlined."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.outlined, self._name = {}, {}, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._name = attrs["class"].removeprefix("gbp-table-")
            self.tables[self._name], self.outlined[self._name] = [], []
        elif tag == "tr":
            self.tables[self._name].append([])
        elif tag == "td":
            self.outlined[self._name].append("outline" in attrs["style"])

    def handle_endtag(self, tag):
        if tag == "table":
            self._name = None

    def handle_data(self, data):
        if self._name and self.tables[self._name] and data.strip():
            self.tables[self._name][-1].append(data.strip())


def shown(widget):
    return ShownTables(widget.tables.value)


def table(text):
    """``"1 0 1 / 0 1 0"`` -> ``[["1", "0", "1"], ["0", "1", "0"]]``, the way a table is written in these tests."""
    return [row.split() for row in text.split("/")]


def test_opens_on_the_seeds_example_with_the_three_rules():
    widget = playground()
    tables = shown(widget).tables
    assert tables["x"] == table("3 1 5 / -2 5 -7 / 3 2 -4")
    assert tables["y"] == table("2 2 2 / 2 2 2 / 2 2 2")
    assert tables["output"] == table("3 1 5 / 0 5 0 / 3 2 0")
    assert tables["loss"] == table("1 1 3 / 2 3 2 / 1 0 2")
    assert tables["upstream"] == table("1 -1 1 / -1 1 -1 / 1 0 -1")
    assert tables["grad-my_relu"] == table("1 -1 1 / 0 1 0 / 1 0 0")
    assert tables["grad-deconvnet"] == tables["grad-guided"] == table("1 0 1 / 0 1 0 / 1 0 0")
    assert "grad-relu" not in tables
    assert widget.status.value == "The chosen rules disagree on 1 entry (outlined)."


def test_an_edit_of_x_updates_every_table():
    widget = playground()
    widget.x_grid.boxes[1][0].value = "-0.5"  # x = -0.5 now, still blocked by the forward mask
    widget.x_grid.boxes[0][1].value = "4"  # x = 4: output 4 is above the target 2, so g = +1
    tables = shown(widget).tables
    assert tables["x"] == table("3.0000 4.0000 5.0000 / -0.5000 5.0000 -7.0000 / 3.0000 2.0000 -4.0000")
    assert tables["upstream"] == table("1 1 1 / -1 1 -1 / 1 0 -1")
    assert tables["grad-my_relu"] == tables["grad-guided"] == table("1 1 1 / 0 1 0 / 1 0 0")
    assert widget.status.value == "The chosen rules agree on every entry here."


def test_an_edit_of_y_can_make_deconvnet_and_guided_differ():
    widget = playground()
    widget.y_grid.boxes[1][0].value = "-1"  # out = 0 is now above y, so the negative input gets g = +1
    tables = shown(widget).tables
    assert tables["grad-deconvnet"] == table("1 0 1 / 1 1 0 / 1 0 0")
    assert tables["grad-guided"] == table("1 0 1 / 0 1 0 / 1 0 0")


def test_springenbergs_preset_drives_by_the_upstream_gradient_and_matches_the_paper():
    widget = playground()
    widget.springenberg_button.click()
    assert widget.mode.value == "upstream"
    assert widget.y_grid.layout.display == "none" and widget.upstream_grid.layout.display is None
    example = springenberg_example()
    page = shown(widget)
    for rule, paper_table in [("my_relu", example.backprop), ("deconvnet", example.deconvnet),
                              ("guided", example.guided)]:
        assert page.tables[f"grad-{rule}"] == [row.split() for row in format_table(paper_table).splitlines()]
    # Disagreements are outlined in every gradient table, and only there.
    assert page.outlined["grad-guided"] == [True, True, True, False, False, True, True, True, False]
    assert not any(page.outlined["upstream"])
    assert "loss" not in page.tables


def test_the_widget_computes_with_the_package_functions():
    widget = playground()
    widget.springenberg_button.click()
    example = springenberg_example()
    for rule in ["my_relu", "deconvnet", "guided"]:
        expected = backprop_upstream(rule, example.input, example.upstream).grad
        assert widget.results[rule].grad.tolist() == expected.tolist()


def test_the_random_preset_is_reproducible_from_its_visible_seed():
    widget = playground()
    widget.random_seed.value = 7
    widget.random_button.click()
    first = shown(widget).tables
    widget.seed_button.click()
    widget.random_seed.value = 7
    widget.random_button.click()
    assert shown(widget).tables == first
    widget.random_seed.value = 8
    widget.random_button.click()
    assert shown(widget).tables["x"] != first["x"]


def test_the_rule_checkboxes_choose_the_tables():
    widget = playground()
    widget.rule_boxes["my_relu"].value = False
    widget.rule_boxes["relu"].value = True
    tables = shown(widget).tables
    assert {name for name in tables if name.startswith("grad-")} == {"grad-relu", "grad-deconvnet", "grad-guided"}
    for checkbox in widget.rule_boxes.values():
        checkbox.value = False
    assert widget.status.value == "Choose a rule to see the gradient it sends back to x."
    assert shown(widget).tables["upstream"] == table("1 -1 1 / -1 1 -1 / 1 0 -1")


BAD_INPUTS = {
    "abc": "x row 2, column 3: &#x27;abc&#x27; is not a number",
    "": "x row 2, column 3: empty: type a number",
    "   ": "x row 2, column 3: empty: type a number",
    "nan": "x row 2, column 3: NaN is not a number a rule can use",
    "inf": "x row 2, column 3: infinity is not allowed: type a finite number",
    "-Infinity": "x row 2, column 3: infinity is not allowed: type a finite number",
    "1e400": "x row 2, column 3: &#x27;1e400&#x27; is too large for a float (the limit is about 1.8e308)",
    "1,5": "x row 2, column 3: &#x27;1,5&#x27;: write decimals with a point, not a comma",
}


@pytest.mark.parametrize("text", BAD_INPUTS, ids=repr)
def test_bad_input_is_named_next_to_its_box_and_the_last_good_result_stays(text, capsys):
    widget = playground()
    widget.x_grid.boxes[0][0].value = "4"
    good_tables, good_results = widget.tables.value, widget.results

    widget.x_grid.boxes[1][2].value = text
    assert widget.x_grid.message.value == BAD_INPUTS[text]
    assert widget.x_grid.boxes[1][2].style.background is not None
    assert widget.x_grid.boxes[1][2].tooltip is not None
    assert widget.tables.value == good_tables and widget.results is good_results
    assert "last good result" in widget.status.value
    assert capsys.readouterr() == ("", "")  # nothing printed, no traceback

    widget.x_grid.boxes[1][2].value = "-7"  # fixed: the message goes and the tables follow again
    assert widget.x_grid.message.value == ""
    assert widget.x_grid.boxes[1][2].style.background is None
    assert shown(widget).tables["x"][1] == ["-2", "5", "-7"]


def test_several_bad_boxes_are_counted():
    widget = playground()
    widget.y_grid.boxes[0][0].value = "two"
    widget.y_grid.boxes[2][2].value = ""
    assert widget.y_grid.message.value == "y row 1, column 1: &#x27;two&#x27; is not a number (and 1 more)"


def test_a_bad_box_in_the_hidden_grid_does_not_block_the_shown_mode():
    widget = playground()
    widget.upstream_grid.boxes[0][0].value = "oops"  # hidden in the loss mode
    widget.x_grid.boxes[0][1].value = "4"
    assert shown(widget).tables["upstream"][0] == ["1", "1", "1"]
    widget.mode.value = "upstream"
    assert "last good result" in widget.status.value
    assert widget.upstream_grid.message.value.startswith("g row 1, column 1:")


@pytest.mark.parametrize("text, value", [("2", 2.0), (" -1.5 ", -1.5), ("1e3", 1000.0), ("-0", -0.0)])
def test_parse_number_reads_what_python_reads(text, value):
    assert parse_number(text) == value


def test_each_core_notebook_has_a_widget_for_its_rule():
    widget = rule_widget("deconvnet")
    assert list(widget.rule_boxes) == ["deconvnet"]
    assert {name for name in shown(widget).tables if name.startswith("grad-")} == {"grad-deconvnet"}
    widget.y_grid.boxes[1][0].value = "-1"
    assert shown(widget).tables["grad-deconvnet"] == table("1 0 1 / 1 1 0 / 1 0 0")
    with pytest.raises(ValueError, match="rule must be one of"):
        rule_widget("guided_backprop")


@pytest.mark.parametrize("path, rule", [
    ("01_data.ipynb", "relu"), ("02_relu.ipynb", "relu"), ("03_my_relu.ipynb", "my_relu"),
    ("04_deconvnet_relu.ipynb", "deconvnet"), ("05_guided_backprop_relu.ipynb", "guided"),
])
def test_each_core_notebook_ends_with_its_widget_which_nbval_does_not_compare(path, rule):
    notebook = nbformat.read(NOTEBOOKS / path, as_version=4)
    last = notebook.cells[-1]
    assert last.id.endswith("-widget") and f'rule_widget("{rule}")' in last.source
    assert "nbval-ignore-output" in last.metadata["tags"]
    graded = [cell for cell in notebook.cells if "print_table" in cell.source]
    assert all(notebook.cells.index(cell) < len(notebook.cells) - 2 for cell in graded), "graded cells stay above"


def test_the_largest_finite_numbers_are_accepted_and_an_overflowing_loss_shows_as_inf():
    widget = playground()
    widget.x_grid.boxes[0][0].value = "1.7e308"
    widget.y_grid.boxes[0][0].value = "-1.7e308"  # |out - y| = 3.4e308 does not fit a float
    assert widget.x_grid.message.value == widget.y_grid.message.value == ""
    assert shown(widget).tables["loss"][0][0] == "inf"
    assert shown(widget).tables["upstream"][0][0] == "1"
