"""`grade` stays fair and safe whatever a submission holds: each bad case fails with a clear reason, the others
are still graded, and no submitted file changes. A tiny reference notebook (no torch) keeps the runs quick.
"""

import csv
import hashlib
import resource
import tempfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gbp_lesson.__main__ import main
from gbp_lesson import grade
from gbp_lesson.grade import find_reference, find_submissions, run_nbval

EXERCISE = "def double(v):\n    ### BEGIN SOLUTION\n    return 2 * v\n    ### END SOLUTION\n"


def printed(text):
    return [new_output("stream", name="stdout", text=text)]


def doubling_notebook(exercise=EXERCISE):
    """The reference: one exercise, followed by its graded check, and one more graded cell."""
    return new_notebook(cells=[
        new_markdown_cell("# Doubling\nWrite `double`.", id="intro"),
        new_code_cell("x = 2", id="setup", execution_count=1),
        new_code_cell(exercise, id="double-exercise", execution_count=2, metadata={"tags": ["exercise"]}),
        new_code_cell("print(double(x))", id="double-check", execution_count=3, outputs=printed("4\n")),
        new_code_cell("print('the end')", id="the-end", execution_count=4, outputs=printed("the end\n")),
    ])  # fmt: skip


def student_copy(body):
    return doubling_notebook("def double(v):\n" + body)


def tampered_but_right():
    """A correct solution in a mangled notebook: cells deleted, changed and added, outputs and counts edited,
    and the exercise copied into a new cell (a new id): it is still found, as the first exercise cell."""
    notebook = student_copy("    return v + v\n")
    notebook.cells[2].id = "my-own-cell"
    del notebook.cells[0]
    notebook.cells[-1].source = "print('something else')"
    notebook.cells.append(new_code_cell("print('extra')", outputs=printed("extra\n")))
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.execution_count = None
    return notebook


def tampered_and_wrong():
    """A wrong solution whose stored outputs were edited to show the right answer."""
    notebook = student_copy("    return v + 1\n")
    notebook.cells[3].outputs = printed("4\n")
    return notebook


def exercise_deleted():
    notebook = student_copy("    return 2 * v\n")
    del notebook.cells[2]
    return notebook


SUBMISSIONS = {
    "alice": tampered_but_right(),
    "bob": tampered_and_wrong(),
    "dave": exercise_deleted(),
    "erin": student_copy("    return 1 / 0\n"),
    "frank": student_copy("    while True:\n        pass\n"),
    "grace": student_copy("    print('spam\\n' * 25_000_000)\n    return 2 * v\n"),  # 125 MB
    "heidi": student_copy("    import sys\n    sys.exit()\n"),
    "ivan": student_copy("    import os\n    os.kill(os.getpid(), 9)\n"),
    # Deletes what it finds around it and writes a file, then answers correctly.
    "judy": student_copy(
        "    import pathlib\n"
        "    for path in pathlib.Path('.').glob('*.*'):\n"
        "        path.unlink()\n"
        "    pathlib.Path('notes.txt').unlink(missing_ok=True)\n"
        "    pathlib.Path('written.txt').write_text('written by the student')\n"
        "    return 2 * v\n"
    ),
}

REASONS = {
    "bob": "cell double-check: output differs\n  expected:\n    4\n  got:\n    3",
    "dave": "exercise cell double-exercise not found in the submission",
    "erin": "cell double-check: ZeroDivisionError: division by zero",
    "frank": "cell double-check: Timeout of 2 seconds exceeded executing cell, so it was interrupted "
    "(an endless loop?)",
    "grace": "cell double-check: printed more than 100000 characters (the rest was cut)",
    "heidi": "cell double-check: SystemExit",
    "ivan": "cell double-check: the kernel stopped answering: it died (sys.exit in a thread, os.kill, os._exit, a "
    "crash) or a loop could not be interrupted",
    "kim": "not a readable notebook (NotJSONError: Notebook does not appear to be JSON: '{\"cells\": [')",
    "leo": "no reference notebook for 99_unknown.ipynb",
}


def file_hashes(folder):
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob("*") if path.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Write the reference and the submissions, grade them all in one call; return what is needed to check."""
    root = tmp_path_factory.mktemp("robustness")
    (root / "reference").mkdir()
    nbformat.write(doubling_notebook(), root / "reference" / "01_double.ipynb")
    submissions = root / "submissions"
    for student, notebook in SUBMISSIONS.items():
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / "01_double.ipynb")
    (submissions / "judy" / "notes.txt").write_text("the student's own notes")
    (submissions / "kim").mkdir()
    (submissions / "kim" / "01_double.ipynb").write_text('{"cells": [')  # cut off while saving
    (submissions / "leo").mkdir()
    nbformat.write(doubling_notebook(), submissions / "leo" / "99_unknown.ipynb")

    before = file_hashes(submissions)
    gradebook = root / "grades.csv"
    status = main(["grade", str(submissions), "--reference", str(root / "reference"), "--jobs", "2",
                   "--timeout", "2", "--csv", str(gradebook)])  # fmt: skip
    after = file_hashes(submissions)
    with open(gradebook, newline="") as file:
        rows = {row["student"]: row for row in csv.DictReader(file)}
    return status, rows, before, after, submissions


def test_no_submitted_file_changes_and_nothing_is_written_beside_them(graded):
    status, rows, before, after, submissions = graded
    assert after == before
    assert (submissions / "judy" / "notes.txt").read_text() == "the student's own notes"


def test_every_submission_gets_a_row_and_the_exit_status_says_something_failed(graded):
    status, rows, *_ = graded
    assert status == 1
    assert sorted(rows) == sorted([*SUBMISSIONS, "kim", "leo"])


def test_the_students_file_cannot_change_the_grade_only_the_exercise_code_can(graded):
    rows = graded[1]
    for student in ["alice", "judy"]:  # judy's deletions hit a temporary folder only
        assert (rows[student]["passed"], rows[student]["total"], rows[student]["reason"]) == ("2", "2", "")
        assert rows[student]["double-exercise"] == "pass"


@pytest.mark.parametrize("student", sorted(REASONS))
def test_each_bad_case_fails_with_a_clear_reason(graded, student):
    row = graded[1][student]
    assert row["reason"] == REASONS[student]
    assert row["double-exercise"] == ("" if student in ("kim", "leo") else "fail")


def test_the_graded_cells_after_a_broken_exercise_still_count(graded):
    rows = graded[1]
    # The check of the exercise fails; the last cell is graded on its own. A dead kernel fails both.
    for student in ["bob", "dave", "erin", "frank", "grace", "heidi"]:
        assert (rows[student]["passed"], rows[student]["total"]) == ("1", "2"), student
    assert (rows["ivan"]["passed"], rows["ivan"]["total"]) == ("0", "2")
    assert (rows["kim"]["passed"], rows["kim"]["total"]) == ("0", "2")  # its name matches a reference
    assert (rows["leo"]["passed"], rows["leo"]["total"]) == ("0", "0")


def test_a_flood_of_output_is_cut_in_the_kernel_and_costs_no_memory(graded):
    # grace printed 125 MB. nbval keeps every output in memory and diffs it with the reference: uncut, its
    # process would grow by gigabytes. The largest process grading started (kernels included) stays small.
    largest_kilobytes = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert largest_kilobytes < 1_000_000


def test_a_run_over_its_wall_clock_limit_is_stopped_and_leaves_nothing_behind(tmp_path, monkeypatch):
    # The per-cell timeout handles endless cells; this limit on the whole run is the last line of defence.
    # Shrunk here to one second, it stops nbval while it is still starting.
    monkeypatch.setattr(grade, "KERNEL_START", 1 - 4 * (2 + 10))  # 4 code cells, 2 s each, +10 s each
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    results, stopped = run_nbval(doubling_notebook(), "01_double.ipynb", timeout=2)
    assert (results, stopped) == ({}, "grading stopped after 1 s")
    assert list(tmp_path.iterdir()) == []


def test_the_student_is_the_folder_a_notebook_is_in(tmp_path):
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "03_my_relu.ipynb").write_text("{}")
    (tmp_path / "class" / "alice" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "class" / "alice" / ".ipynb_checkpoints" / "03_my_relu-checkpoint.ipynb").write_text("{}")
    single = tmp_path / "mine.ipynb"
    single.write_text("{}")
    assert find_submissions([tmp_path / "class", single]) == [
        ("alice", tmp_path / "class" / "alice" / "03_my_relu.ipynb"),
        (tmp_path.name, single),
    ]


def test_a_renamed_notebook_is_matched_by_the_name_release_wrote_in_it(tmp_path):
    references = {"03_my_relu.ipynb": tmp_path / "03_my_relu.ipynb"}
    copy = new_notebook(metadata={"gbp_lesson": {"reference": "03_my_relu.ipynb"}})
    assert find_reference(tmp_path / "03_my_relu.ipynb", new_notebook(), references) == references["03_my_relu.ipynb"]
    assert find_reference(tmp_path / "ada_final.ipynb", copy, references) == references["03_my_relu.ipynb"]
    for metadata in [{}, {"gbp_lesson": "03_my_relu.ipynb"}, {"gbp_lesson": {"reference": ["x"]}}]:
        assert find_reference(tmp_path / "ada_final.ipynb", new_notebook(metadata=metadata), references) is None


def test_usage_errors_exit_with_status_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing.ipynb")]) == 2
    assert main(["grade", str(tmp_path), "--reference", str(tmp_path)]) == 2  # no reference notebooks there
    assert main(["grade", str(tmp_path)]) == 2  # a folder without notebooks
    errors = capsys.readouterr().err
    for message in ["no such file or folder", "no reference notebooks", "no notebooks to grade"]:
        assert message in errors


def test_a_notebook_without_exercises_is_not_run(tmp_path, monkeypatch):
    # Nothing in it is the student's: running the reference again would only cost a kernel.
    def no_run(*args):
        raise AssertionError("nbval was started for a notebook without exercises")

    monkeypatch.setattr(grade, "run_nbval", no_run)
    reference = new_notebook(cells=[new_code_cell("print(1)", id="one", execution_count=1, outputs=printed("1\n"))])
    nbformat.write(reference, tmp_path / "01_plain.ipynb")
    (tmp_path / "ada").mkdir()
    nbformat.write(reference, tmp_path / "ada" / "01_plain.ipynb")
    references = {"01_plain.ipynb": tmp_path / "01_plain.ipynb"}
    row = grade.grade_notebook("ada", tmp_path / "ada" / "01_plain.ipynb", references, timeout=5)
    assert (row.passed, row.total, row.reason, row.all_passed) == (0, 0, "", True)
    assert grade.format_grade(row) == "ada  01_plain.ipynb  no exercises: nothing of the student's to grade"
