"""The stored notebooks are what a clean run produced, and nbval really compares them."""

import json
import re
import subprocess
import sys

import nbformat
import pytest

from gbp_lesson.execute import NOTEBOOKS, lesson_notebooks
from gbp_lesson.grade import is_graded

NOTEBOOK_PATHS = lesson_notebooks()


def code_cells(path):
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def test_the_core_lesson_is_there_in_order():
    names = [path.stem for path in NOTEBOOK_PATHS]
    assert names[:5] == ["01_data", "02_relu", "03_my_relu", "04_deconvnet_relu", "05_guided_backprop_relu"]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_every_code_cell_was_executed_top_to_bottom(path):
    # nbval silently skips a cell with no execution count, so such a cell would check nothing.
    counts = [cell.execution_count for cell in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), f"re-run with `python -m gbp_lesson execute {path.name}`"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_stored_outputs_hold_no_error_and_nothing_of_this_machine(path):
    outputs = json.dumps([cell.outputs for cell in code_cells(path)])
    assert '"output_type": "error"' not in outputs
    assert not re.search(r"/(work|root|home|tmp)/", outputs), "a machine path is stored in an output"
    assert not re.search(r"0x[0-9a-f]{6,}", outputs), "a memory address is stored in an output"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name)
def test_no_graded_table_is_excused_from_comparison(path):
    # is_graded reads the markers as nbval does: "# NBVAL_IGNORE_OUTPUT: why" is NOT a marker, for instance.
    for cell in code_cells(path):
        if "print_table(" in cell.source:
            assert is_graded(cell), f"cell {cell.id} prints a graded table but nbval does not compare it"


def run_nbval(notebook, cwd):
    # -o addopts= and a folder without pyproject.toml: only this copy is collected, by nbval alone.
    command = [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
               "-p", "no:xdist", "-o", "addopts=", str(notebook)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_nbval_fails_on_a_tampered_table(tmp_path):
    """The untampered notebook passes in the main nbval run; here one changed number must fail its cell."""
    original = NOTEBOOKS / "02_relu.ipynb"
    notebook = nbformat.read(original, as_version=4)
    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    graded = next(i for i, cell in enumerate(cells) if cell.outputs and "Gradient of X:" in cell.outputs[0].text)
    stored = cells[graded].outputs[0]
    assert stored.text == "Gradient of X:\n 1 -1  1\n 0  1  0\n 1  0  0\n"
    stored.text = "Gradient of X:\n 1  1  1\n 0  1  0\n 1  0  0\n"  # one number changed
    nbformat.write(notebook, tmp_path / "tampered.ipynb")

    result = run_nbval(tmp_path / "tampered.ipynb", tmp_path)
    assert result.returncode == 1, result.stdout
    assert re.search(rf"1 failed, {len(cells) - 1} passed", result.stdout), result.stdout
    assert f"tampered.ipynb::Cell {graded}" in result.stdout
