"""Write the students' copies of the notebooks: every solution replaced by a placeholder that raises.

The reference notebooks in ``notebooks/`` hold full solutions. In a code cell tagged ``exercise``, the solution
sits between two marker lines::

    ### BEGIN SOLUTION
    return grad_output.clamp(min=0)
    ### END SOLUTION

``release`` replaces those lines, markers included, by ``# YOUR CODE HERE`` and ``raise NotImplementedError``,
indented like the BEGIN marker, so the student's copy runs and fails exactly where the work is. Everything else
stays as it is: markdown, other code cells with their stored outputs (the student sees what each check must
print), cell ids and tags. Exercise cells lose their outputs and execution counts: those belong to the solution.
Each copy records the reference it came from in ``metadata.gbp_lesson.reference``, which ``grade`` reads when a
student renames the file. The copies are generated, never edited by hand: run the command again after changing
a reference notebook.
"""

import re
from pathlib import Path

from .execute import NOTEBOOKS, lesson_notebooks

EXERCISE_TAG = "exercise"
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
PLACEHOLDER = ["# YOUR CODE HERE", "raise NotImplementedError"]
# A solution block: the BEGIN line (its indentation captured), anything, the END line.
SOLUTION_BLOCK = re.compile(
    rf"^(?P<indent>[ \t]*){re.escape(BEGIN_SOLUTION)}[ \t]*\n.*?^[ \t]*{re.escape(END_SOLUTION)}[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


def is_exercise(cell):
    return cell.get("cell_type") == "code" and EXERCISE_TAG in cell.get("metadata", {}).get("tags", [])


def remove_solution(source, cell_id="?"):
    """The cell's source with each solution block replaced by the placeholder; a ValueError if there is none."""
    released, count = SOLUTION_BLOCK.subn(
        lambda match: "\n".join(match["indent"] + line for line in PLACEHOLDER), source
    )
    if count == 0 or BEGIN_SOLUTION in released or END_SOLUTION in released:
        raise ValueError(f"exercise cell {cell_id}: needs matching '{BEGIN_SOLUTION}' and '{END_SOLUTION}' lines")
    return released


def release_notebook(reference):
    """The student's copy of the notebook at ``reference`` (an nbformat notebook, not yet written)."""
    import nbformat

    notebook = nbformat.read(reference, as_version=4)
    for cell in notebook.cells:
        if is_exercise(cell):
            cell.source = remove_solution(cell.source, cell.get("id"))
            cell.outputs = []
            cell.execution_count = None
        elif BEGIN_SOLUTION in cell.source:
            # A solution outside an exercise cell would reach the students as it is: refuse rather than leak it.
            raise ValueError(f"cell {cell.get('id')} of {Path(reference).name} has a solution but no 'exercise' tag")
    notebook.metadata["gbp_lesson"] = {"reference": Path(reference).name}
    return notebook


def add_arguments(parser):
    parser.add_argument("--out", type=Path, default=Path("release"), help="folder for the copies (default: release)")
    parser.add_argument("--reference", type=Path, default=NOTEBOOKS, help="folder of the reference notebooks")


def run(args):
    import nbformat

    references = lesson_notebooks(args.reference)
    if not references:
        print(f"error: no notebooks NN_*.ipynb in {args.reference}")
        return 2
    # Check every notebook before writing any, so that an authoring mistake leaves no half-written release.
    try:
        copies = [(path.name, release_notebook(path)) for path in references]
    except ValueError as error:
        print(f"error: {error}")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for name, notebook in copies:
        nbformat.write(notebook, args.out / name)
        print(f"released {args.out / name}")
    return 0
