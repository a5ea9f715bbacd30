"""Grade students' notebooks with nbval, against the reference notebooks' stored outputs.

Plain ``pytest --nbval student.ipynb`` compares a run of the student's notebook with the outputs stored in the
student's own file: outputs that their wrong code just wrote there, or that they edited by hand. So the grader
never trusts the submitted file beyond the code of its exercises. For each submitted notebook it:

1. finds the reference notebook: same file name in the reference folder, else the name that ``release`` wrote
   in the copy's ``metadata.gbp_lesson.reference``;
2. assembles a notebook from the reference (its cells, tags, stored outputs and execution counts), with the
   student's source put into the cells tagged ``exercise`` only, matched by cell id, else by the order of the
   exercise cells. Edited outputs, cleared counts, changed, deleted or extra cells in the submission: none of
   it reaches the assembled notebook;
3. runs real nbval on it, in a subprocess, in a new temporary folder (the kernel's working folder, deleted
   afterwards), with a time limit per cell (``--timeout``) and one for the whole run, and reads each cell's
   result back from ``grading_plugin.py``;
4. counts the graded cells that passed.

A notebook without exercises is not run at all: nothing in it is the student's.

A **graded cell** is a code cell of the reference whose stored outputs nbval compares: it has outputs, an
execution count, and no ``NBVAL_IGNORE_OUTPUT``/``NBVAL_SKIP`` marker (comment or tag). An exercise's result
is "pass" when its cell ran and every graded cell after it, up to the next exercise, passed.

Grading runs the students' code with your rights: it can read, change or delete anything you can. The
temporary folder protects against accidents, not against intent. Grade in an account or container that can
reach nothing else (the README shows how).
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .execute import NOTEBOOKS, lesson_notebooks
from .release import is_exercise

SANITIZE = NOTEBOOKS.parent / "tests" / "nbval_sanitize.cfg"  # what may differ between two runs
PLUGIN = Path(__file__).with_name("grading_plugin.py")
CELL_TIMEOUT = 10  # seconds; the first cell imports torch, which takes several on a busy machine
KERNEL_START = 60  # seconds allowed on top of the cells' time for pytest and the kernel to start
SHOWN_LINES = 12  # lines of a table shown in a reason
# `python -m pytest`, minus 1.5 s a run: nbformat's jsonschema imports rfc3987_syntax, if installed, to check
# IRIs, which no notebook holds; building that package's grammar was a quarter of the time to grade a notebook.
RUN_PYTEST = "import sys; sys.modules['rfc3987_syntax'] = None; import pytest; sys.exit(pytest.main(sys.argv[1:]))"


@dataclass
class Grade:
    """One row of the gradebook: one student's notebook."""

    student: str
    notebook: str
    passed: int = 0
    total: int = 0
    exercises: dict = field(default_factory=dict)  # exercise cell id -> "pass" or "fail"
    reason: str = ""  # why the first failing cell failed; empty when all passed

    @property
    def all_passed(self):
        return self.passed == self.total and not self.reason


def read_notebook(path):
    import nbformat

    return nbformat.read(path, as_version=4)


def code_cells(notebook):
    """The code cells, in the order nbval numbers them (``Cell 0``, ``Cell 1``...)."""
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def is_graded(cell):
    """Whether nbval compares this reference cell's stored outputs with the run's (see the module docstring)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    compared = options.get("check", True) and not options.get("skip")
    return compared and bool(cell.outputs) and cell.execution_count is not None


def find_submissions(paths):
    """(student, notebook path) for every notebook given, or found in a folder given (and its sub-folders).

    The student's name is the name of the folder the notebook sits in. A missing path is a FileNotFoundError.
    """
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            notebooks = sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            notebooks = [path]
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        found += [(notebook.resolve().parent.name, notebook) for notebook in notebooks]
    return found


def find_reference(submission, notebook, references):
    """The reference notebook's path for this submission, or None."""
    if submission.name in references:
        return references[submission.name]
    written_by_release = notebook.metadata.get("gbp_lesson")
    name = written_by_release.get("reference") if isinstance(written_by_release, dict) else None
    return references.get(name) if isinstance(name, str) else None


def assemble(reference, submission):
    """The reference notebook with the submission's exercise code in it, and the ids of exercises not found."""
    by_id = {cell.get("id"): cell for cell in code_cells(submission)}
    submitted_exercises = [cell for cell in submission.cells if is_exercise(cell)]
    missing = []
    for number, cell in enumerate(cell for cell in reference.cells if is_exercise(cell)):
        if cell.get("id") in by_id:
            cell.source = by_id[cell.id].source
        elif number < len(submitted_exercises):
            cell.source = submitted_exercises[number].source
        else:
            # Keep the notebook runnable so that the other exercises are still graded.
            cell.source = "raise NotImplementedError('exercise cell missing from the submission')"
            missing.append(cell.get("id"))
    return reference, missing


def run_nbval(notebook, name, timeout):
    """Run nbval on ``notebook`` in a new temporary folder: {code cell number: result} and a note if stopped.

    The folder holds the plugin (as conftest.py), its results file, and ``run/`` with the notebook alone: the
    kernel works in ``run/``, so what a cell writes or deletes there disappears with the folder.
    """
    import nbformat

    folder = Path(tempfile.mkdtemp(prefix="gbp_lesson_grade_"))
    try:
        (folder / "run").mkdir()
        nbformat.write(notebook, folder / "run" / name)
        shutil.copy(PLUGIN, folder / "conftest.py")
        command = [
            sys.executable, "-c", RUN_PYTEST, "--nbval", "--nbval-current-env", f"--nbval-cell-timeout={timeout}",
            f"--nbval-sanitize-with={SANITIZE}", "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=",
            f"--rootdir={folder}", f"--confcutdir={folder}", "-q", "--tb=no", f"run/{name}",
        ]  # fmt: skip
        limit = KERNEL_START + len(code_cells(notebook)) * (timeout + 10)
        # A session of its own, so that a run over its limit is stopped with everything it started.
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, start_new_session=True)  # fmt: skip
        stopped = ""
        try:
            log = process.communicate(timeout=limit)[0]
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            log = process.communicate()[0]
            stopped = f"grading stopped after {limit} s"
        results_file = folder / "results.jsonl"
        lines = results_file.read_text().splitlines() if results_file.exists() else []
        results = {}
        for line in lines:
            result = json.loads(line)
            results[result["cell"]] = result
        if not results and not stopped:
            stopped = "nbval did not run: " + " | ".join(log.strip().splitlines()[-3:])
        return results, stopped
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def grade_notebook(student, path, references, timeout):
    """The Grade of one submitted notebook. Never raises: whatever goes wrong becomes the row's reason."""
    try:
        submission = read_notebook(path)
    except Exception as error:  # invalid JSON, not a notebook, unreadable file...
        reference = references.get(path.name)
        return Grade(student, path.name, total=len(graded_cells(reference)) if reference else 0,
                     reason=f"not a readable notebook ({type(error).__name__}: {str(error)[:200]})")  # fmt: skip
    try:
        reference_path = find_reference(path, submission, references)
        if reference_path is None:
            return Grade(student, path.name, reason=f"no reference notebook for {path.name}")
        reference = read_notebook(reference_path)
        if not any(is_exercise(cell) for cell in reference.cells):
            # Only a student's exercise code ever runs, so without exercises the run would be the reference's
            # own: a kernel's worth of time that says nothing about the student.
            return Grade(student, reference_path.name)
        notebook, missing = assemble(reference, submission)
        results, stopped = run_nbval(notebook, reference_path.name, timeout)
        return score(student, reference_path.name, notebook, results, missing, stopped)
    except Exception as error:  # a malformed notebook, or a bug: say so in this row and grade the others
        return Grade(student, path.name, reason=f"could not grade: {type(error).__name__}: {str(error)[:200]}")


def graded_cells(reference_path):
    return [number for number, cell in enumerate(code_cells(read_notebook(reference_path))) if is_graded(cell)]


def score(student, name, notebook, results, missing, stopped):
    """Count the graded cells that passed, judge each exercise, and explain the first failure."""
    cells = code_cells(notebook)
    graded = [number for number, cell in enumerate(cells) if is_graded(cell)]

    def passed(number):
        return results.get(number, {}).get("passed", False)

    grade = Grade(student, name, passed=sum(map(passed, graded)), total=len(graded))
    exercises = [number for number, cell in enumerate(cells) if is_exercise(cell)]
    for exercise, following in zip(exercises, exercises[1:] + [len(cells)]):
        checks = [number for number in graded if exercise < number < following]
        ok = cells[exercise].get("id") not in missing and passed(exercise) and all(map(passed, checks))
        grade.exercises[cells[exercise].get("id")] = "pass" if ok else "fail"

    failed = [n for n in range(len(cells)) if not passed(n) and not results.get(n, {}).get("skipped")]
    if missing:
        grade.reason = f"exercise cell {', '.join(map(str, missing))} not found in the submission"
    elif failed and failed[0] in results:
        grade.reason = explain(cells[failed[0]], results[failed[0]])
    elif failed and stopped:
        grade.reason = stopped
    elif failed:
        grade.reason = f"cell {cells[failed[0]].get('id')} was not run"
    return grade


def explain(cell, result):
    """The reason a cell failed; for a wrong output, the expected table and, below it, the printed one."""
    reason = f"cell {cell.get('id')}: {result.get('reason', 'failed')}"
    if result.get("reason") != "output differs":
        return reason
    from .grading_plugin import printed_text

    return f"{reason}\n{indent_block('expected', printed_text(cell.outputs))}\n{indent_block('got', result['printed'])}"


def indent_block(title, text):
    lines = text.splitlines() or ["(nothing)"]
    if len(lines) > SHOWN_LINES:
        lines = lines[:SHOWN_LINES] + [f"... ({len(lines) - SHOWN_LINES} more lines)"]
    return "\n".join([f"  {title}:"] + [f"    {line}" for line in lines])


def grade_all(submissions, references, jobs=1, timeout=CELL_TIMEOUT):
    """Grade every (student, path) pair, ``jobs`` at a time; yields the Grades in the submissions' order."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(lambda submission: grade_notebook(*submission, references, timeout), submissions)


def write_csv(grades, path):
    """The gradebook: student, notebook, passed, total, one column per exercise (pass/fail/empty), reason."""
    exercise_ids = list(dict.fromkeys(id_ for grade in grades for id_ in grade.exercises))
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "notebook", "passed", "total", *exercise_ids, "reason"])
        for grade in grades:
            exercises = [grade.exercises.get(id_, "") for id_ in exercise_ids]
            writer.writerow([grade.student, grade.notebook, grade.passed, grade.total, *exercises, grade.reason])


def format_grade(grade):
    if grade.total == 0 and not grade.reason:
        return f"{grade.student}  {grade.notebook}  no exercises: nothing of the student's to grade"
    exercises = "".join(f"  {id_}: {result}" for id_, result in grade.exercises.items())
    line = f"{grade.student}  {grade.notebook}  {grade.passed}/{grade.total} graded cells passed{exercises}"
    return line + "".join(f"\n    {reason_line}" for reason_line in grade.reason.splitlines())


def add_arguments(parser):
    parser.add_argument("submissions", nargs="+", type=Path,
                        help="students' notebooks, or folders of them (named after the student)")  # fmt: skip
    parser.add_argument("--reference", type=Path, default=NOTEBOOKS, help="folder of the reference notebooks")
    parser.add_argument("--csv", type=Path, help="write the gradebook to this CSV file")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks graded at the same time (default 1)")
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT,
                        help=f"seconds one cell may run (default {CELL_TIMEOUT})")  # fmt: skip


def run(args):
    """Exit status: 0 when every graded cell passed, 1 when something failed, 2 for a usage error."""
    references = {path.name: path for path in lesson_notebooks(args.reference)}
    if not references:
        print(f"error: no reference notebooks NN_*.ipynb in {args.reference}", file=sys.stderr)
        return 2
    try:
        submissions = find_submissions(args.submissions)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not submissions or args.jobs < 1 or args.timeout <= 0:
        print("error: no notebooks to grade" if not submissions else "error: --jobs and --timeout must be > 0",
              file=sys.stderr)  # fmt: skip
        return 2
    grades = []
    for grade in grade_all(submissions, references, args.jobs, args.timeout):
        print(format_grade(grade), flush=True)
        grades.append(grade)
    if args.csv:
        write_csv(grades, args.csv)
    return 0 if all(grade.all_passed for grade in grades) else 1
