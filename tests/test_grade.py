"""`python -m gbp_lesson grade` on the real lesson: the grade comes from the student's exercise code alone.

One `grade` call grades every case at once (each real nbval run starts a kernel and imports torch).
"""

import csv

import nbformat
import pytest

from gbp_lesson.__main__ import main
from gbp_lesson.execute import NOTEBOOKS
from gbp_lesson.grade import code_cells, is_graded
from gbp_lesson.release import release_notebook

MY_RELU = "03_my_relu.ipynb"
GUIDED = "05_guided_backprop_relu.ipynb"


def reference(name):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def with_exercise(notebook, body):
    """The notebook with the body of its (only) exercise's backward replaced by ``body``."""
    cell = next(cell for cell in notebook.cells if "exercise" in cell.metadata.get("tags", []))
    head = cell.source.split("        ### BEGIN SOLUTION")[0].split("        # YOUR CODE HERE")[0]
    cell.source = head + body
    return notebook


def graded_ids(name):
    return [cell.id for cell in code_cells(reference(name)) if is_graded(cell)]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade five students' notebooks in one call; return the gradebook's rows and the command's output."""
    root = tmp_path_factory.mktemp("class")
    students = {
        # The reference itself, handed in as a student's work.
        ("teacher", MY_RELU): reference(MY_RELU),
        # The released copy, untouched, under a name of the student's choosing: matched by its metadata.
        ("lazy", "my_copy.ipynb"): release_notebook(NOTEBOOKS / MY_RELU),
        # A correct solution written differently from the reference.
        ("ada", MY_RELU): with_exercise(release_notebook(NOTEBOOKS / MY_RELU),
                                        "        return grad_output * (input >= 0)\n"),  # fmt: skip
        # A wrong rule: the Deconvnet's instead of Guided Backpropagation's. Its stored outputs are still the
        # reference's, so its own file "shows" the right tables: that must not help.
        ("bob", GUIDED): with_exercise(reference(GUIDED), "        return grad_output.clamp(min=0)\n"),
    }
    for (student, name), notebook in students.items():
        (root / student).mkdir(exist_ok=True)
        nbformat.write(notebook, root / student / name)
    gradebook = root / "grades.csv"
    status = main(["grade", str(root), "--jobs", "2", "--csv", str(gradebook)])
    with open(gradebook, newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return status, rows


def test_something_failed_so_the_exit_status_is_1(graded):
    status, rows = graded
    assert status == 1
    assert list(rows) == ["ada", "bob", "lazy", "teacher"]  # one row per student and notebook, in name order


def test_the_reference_passes_every_graded_cell(graded):
    row = graded[1]["teacher"]
    assert (row["notebook"], row["passed"], row["total"]) == (MY_RELU, "4", "4")
    assert row["my_relu-code-05"] == "pass" and row["reason"] == ""


def test_the_released_copy_fails_its_exercise_and_nothing_else(graded):
    row = graded[1]["lazy"]
    assert (row["notebook"], row["passed"], row["total"]) == (MY_RELU, "3", "4")
    assert row["my_relu-code-05"] == "fail"
    assert row["reason"] == "cell my_relu-code-06: NotImplementedError"


def test_a_correct_solution_written_differently_passes(graded):
    row = graded[1]["ada"]
    assert (row["passed"], row["total"], row["my_relu-code-05"], row["reason"]) == ("4", "4", "pass", "")


def test_a_wrong_solution_fails_exactly_its_exercises_graded_cells(graded):
    row = graded[1]["bob"]
    total = len(graded_ids(GUIDED))
    assert (row["notebook"], row["passed"], row["total"]) == (GUIDED, str(total - 1), str(total))
    assert row["guided-code-06"] == "fail"
    assert row["my_relu-code-05"] == ""  # not this notebook's exercise
    # The reason shows the expected table and the one the student's rule printed.
    assert row["reason"].startswith("cell guided-code-07: output differs\n  expected:\n")
    expected, got = row["reason"].split("  got:\n")
    assert "Springenberg et al.'s example with StudentGuidedReLU:\n     0  0  0\n     6  0  0\n     0  0  3" in expected
    assert "Springenberg et al.'s example with StudentGuidedReLU:\n     0  3  0\n     6  0  1\n     2  0  3" in got
