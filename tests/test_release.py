"""`python -m gbp_lesson release` writes the students' copies: the solutions out, everything else as it was."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from gbp_lesson.__main__ import main
from gbp_lesson.execute import NOTEBOOKS, lesson_notebooks
from gbp_lesson.release import is_exercise, release_notebook, remove_solution

EXERCISE = """\
class StudentReLU(torch.autograd.Function):
    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        ### BEGIN SOLUTION
        mask = input < 0
        return grad_output.masked_fill(mask, 0)
        ### END SOLUTION
"""

RELEASED = """\
class StudentReLU(torch.autograd.Function):
    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        # YOUR CODE HERE
        raise NotImplementedError
"""


def test_the_solution_becomes_a_placeholder_indented_like_its_marker():
    assert remove_solution(EXERCISE) == RELEASED
    two_blocks = "### BEGIN SOLUTION\na = 1\n### END SOLUTION\nb = a\n  ### BEGIN SOLUTION\n  c = 2\n  ### END SOLUTION"
    assert remove_solution(two_blocks) == (
        "# YOUR CODE HERE\nraise NotImplementedError\nb = a\n  # YOUR CODE HERE\n  raise NotImplementedError"
    )


@pytest.mark.parametrize("source", ["x = 1", "### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION"])
def test_an_exercise_without_a_whole_solution_block_is_an_authoring_error(source):
    with pytest.raises(ValueError, match="BEGIN SOLUTION"):
        remove_solution(source, "my-exercise")


def test_a_solution_outside_an_exercise_cell_is_refused_rather_than_leaked(tmp_path):
    notebook = new_notebook(cells=[new_code_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", id="leak")])
    nbformat.write(notebook, tmp_path / "01_leak.ipynb")
    with pytest.raises(ValueError, match="leak.*no 'exercise' tag"):
        release_notebook(tmp_path / "01_leak.ipynb")


@pytest.mark.parametrize("reference", lesson_notebooks(), ids=lambda p: p.name)
def test_release_changes_the_exercise_cells_only(reference):
    original = nbformat.read(reference, as_version=4)
    released = release_notebook(reference)

    assert released.metadata.gbp_lesson == {"reference": reference.name}
    assert [cell.get("id") for cell in released.cells] == [cell.get("id") for cell in original.cells]
    for before, after in zip(original.cells, released.cells):
        assert after.cell_type == before.cell_type and after.metadata == before.metadata  # tags included
        if is_exercise(before):
            assert after.source == remove_solution(before.source)
            assert "### BEGIN SOLUTION" in before.source and "# YOUR CODE HERE" in after.source
            assert after.outputs == [] and after.execution_count is None
        else:
            assert after == before  # markdown, other code, their outputs and execution counts


def test_the_graded_notebooks_have_exercises():
    for name in ["03_my_relu", "04_deconvnet_relu", "05_guided_backprop_relu"]:
        cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
        assert sum(map(is_exercise, cells)) >= 1, name


def test_the_command_writes_every_notebook_and_is_deterministic(tmp_path, capsys):
    assert main(["release", "--out", str(tmp_path / "first")]) == 0
    assert main(["release", "--out", str(tmp_path / "second")]) == 0
    names = [path.name for path in lesson_notebooks()]
    assert sorted(path.name for path in (tmp_path / "first").iterdir()) == names
    for name in names:
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()
        assert (NOTEBOOKS / name).exists()  # the references are untouched, only read
    assert f"released {tmp_path / 'first' / names[0]}" in capsys.readouterr().out


def test_an_authoring_error_writes_nothing(tmp_path, capsys):
    references = tmp_path / "notebooks"
    references.mkdir()
    cells = [new_markdown_cell("# A"), new_code_cell("x = 1", metadata={"tags": ["exercise"]})]
    nbformat.write(new_notebook(cells=cells), references / "01_no_markers.ipynb")
    assert main(["release", "--reference", str(references), "--out", str(tmp_path / "out")]) == 1
    assert "needs matching '### BEGIN SOLUTION'" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
