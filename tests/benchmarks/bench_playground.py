"""How long the playground takes to answer one edit, in the Python process: run it, it is not a test.

    python tests/benchmarks/bench_playground.py

Each edit sets one box's value, which is what the browser's Enter does; the widget parses all boxes, runs the
backward pass of every chosen rule and redraws every table and heatmap before the assignment returns. The
budget is a median under 50 ms. On a shared machine the figure varies from run to run: report it with that caveat.
"""

import statistics
import time

from gbp_lesson import playground

EDITS = 100


def time_edits(widget, boxes, edits=EDITS):
    """Milliseconds per edit, each edit writing a new number into the next box of ``boxes``."""
    timings = []
    for k in range(edits):
        box = boxes[k % len(boxes)]
        start = time.perf_counter()
        box.value = str(k % 11 - 5)
        timings.append(1000 * (time.perf_counter() - start))
        assert widget.results, "the edit produced no result"
    return timings


def main():
    widget = playground()
    widget.rule_boxes["relu"].value = True  # the most work: all four rules
    runs = [("seed's example, driven by the loss", widget.load_seed_example, widget.y_grid),
            ("Springenberg's example, driven by g", widget.load_springenberg_example, widget.upstream_grid)]
    for name, load, second_grid in runs:
        load()
        boxes = [box for grid in (widget.x_grid, second_grid) for row in grid.boxes for box in row]
        timings = time_edits(widget, boxes)
        print(f"{name}: median {statistics.median(timings):.1f} ms per edit, "
              f"90th percentile {statistics.quantiles(timings, n=10)[-1]:.1f} ms, over {len(timings)} edits")


if __name__ == "__main__":
    main()
