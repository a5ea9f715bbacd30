"""Produce the notebooks' stored outputs: run each notebook top to bottom in a fresh kernel and save it.

This is the only way stored outputs are made. nbval later re-runs the cells and compares with them, so what
is stored must be what a clean run prints: no timing metadata, no widget state (its model ids are random).
"""

from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def lesson_notebooks(folder=NOTEBOOKS):
    """The lesson's notebooks in the order they are taught (their names sort that way)."""
    return sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))


def execute_notebook(path, timeout=600):
    """Run the notebook at ``path`` from its own folder, in a new kernel, and write it back with its outputs."""
    # Imported here, not at the top: nbformat takes seconds to import, and `python -m gbp_lesson` should not wait.
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        # nbclient needs the widget state to run an Output widget (as ipywidgets' interact makes); its model ids
        # are random, so it is dropped before saving.
        store_widget_state=True,
    )
    client.execute()
    notebook.metadata.pop("widgets", None)
    nbformat.write(notebook, path)
    return path


def add_arguments(parser):
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: the whole lesson)")


def run(args):
    for path in args.notebooks or lesson_notebooks():
        print(f"executing {path.name}", flush=True)
        execute_notebook(path)
    return 0
