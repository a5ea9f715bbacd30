"""The pytest plugin of ``grade``: inside one nbval run, write down each cell's result for the grader.

``grade`` copies this file as ``conftest.py`` into the folder where it runs nbval on an assembled notebook, so
pytest loads it by its path: importing it from the package would import torch into pytest, seconds per
notebook for nothing. It does two things:

- before the first cell runs, it limits how much each cell may print (``limit_cell_output``, run in the kernel);
- after each cell, it appends one line of JSON to ``results.jsonl`` beside it: the cell's number among the code
  cells (nbval's ``Cell N``), whether nbval's check of the cell raised nothing, and if it did, a short reason.
  One line per cell, written at once, so the cells graded before a crash or a kill are not lost.
"""

import inspect
import json
from pathlib import Path

import pytest

RESULTS = Path(__file__).with_name("results.jsonl")
# Characters one cell may print. The lesson's cells print a few thousand at most; a loop that prints forever
# would otherwise send gigabytes to nbval, which keeps every output in memory and diffs it with the reference.
OUTPUT_LIMIT = 100_000
OUTPUT_CUT = "[the grader cut this cell's output at"
SHOWN_OUTPUT = 2_000  # characters of a wrong output kept for the report


def limit_cell_output(shell, limit, note):
    """Run in the kernel: from now on each cell's stdout and stderr together stop after ``limit`` characters.

    The cut is made where output enters ipykernel's streams, so the rest is never sent to nbval at all; a line
    starting with ``note`` marks it. (This function's source is sent to the kernel: it uses no global name.)
    """
    import sys

    printed = 0

    def limited(stream):
        # The stream class's own write: IPython 9 wraps the instance's write during each cell (to keep the
        # output in its history) and puts the one it found back afterwards, so only the class's is stable.
        write_to_kernel = type(stream).write.__get__(stream)

        def write(text):
            nonlocal printed
            room, printed = limit - printed, printed + len(text)
            if room > 0:
                cut = f"\n{note} {limit} characters]\n" if len(text) > room else ""
                write_to_kernel(text[:room] + cut)
            return len(text)

        return write

    writers = {name: limited(getattr(sys, name)) for name in ("stdout", "stderr")}

    def new_cell(*_):
        nonlocal printed
        printed = 0
        # Set at the start of every cell, after whatever IPython did to the streams' write for this cell.
        for name, write in writers.items():
            getattr(sys, name).write = write

    shell.events.register("pre_run_cell", new_cell)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """Before nbval runs the first cell (the kernel is up by now), limit the output in the kernel."""
    notebook = item.parent
    if getattr(notebook, "output_limited", False):
        return
    call = f"limit_cell_output(get_ipython(), {OUTPUT_LIMIT}, {OUTPUT_CUT!r})"
    source = f"{inspect.getsource(limit_cell_output)}\n{call}\n"
    # silent: no execution count used, nothing shown; the student's cells run exactly as nbval sends them.
    notebook.kernel.await_reply(notebook.kernel.kc.execute(source, silent=True), timeout=60)
    notebook.output_limited = True


def pytest_runtest_makereport(item, call):
    """Append the cell's result to ``results.jsonl``; return None so that pytest makes its report as usual."""
    if not hasattr(item, "cell_num") or call.when == "teardown" or (call.when == "setup" and call.excinfo is None):
        return None
    result = {"cell": item.cell_num, "passed": call.excinfo is None}
    if call.excinfo is not None:
        if call.excinfo.errisinstance(pytest.skip.Exception):
            result["skipped"] = True
        else:
            result.update(why_it_failed(item, call.excinfo.value))
    with RESULTS.open("a") as results:
        results.write(json.dumps(result) + "\n")
    return None


def why_it_failed(item, error):
    """A short reason, and what the cell printed when its output is what differs."""
    message = str(error).strip()
    outputs = getattr(item, "test_outputs", None) or []
    if message == "Cell outputs differ":
        printed = printed_text(outputs)
        if OUTPUT_CUT in printed:
            return {"reason": f"printed more than {OUTPUT_LIMIT} characters (the rest was cut)"}
        return {"reason": "output differs", "printed": printed[:SHOWN_OUTPUT]}
    if message.startswith("Timeout") and "Failed to interrupt" in message:
        return {"reason": "the kernel stopped answering: it died (sys.exit in a thread, os.kill, os._exit, a "
                          "crash) or a loop could not be interrupted"}
    if message.startswith("Timeout"):
        return {"reason": f"{message}, so it was interrupted (an endless loop?)"}
    errors = [output for output in outputs if output.get("output_type") == "error"]
    if errors:
        return {"reason": f"{errors[-1]['ename']}: {errors[-1]['evalue']}".strip().rstrip(":")}
    if message == "Kernel dead on test start":
        return {"reason": "the kernel had died before this cell"}
    return {"reason": f"{type(error).__name__}: {message.splitlines()[0] if message else ''}"}


def printed_text(outputs):
    """What a cell printed: its streams and the plain text of its displays, in order."""
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"] + "\n")
    return "".join(parts)
