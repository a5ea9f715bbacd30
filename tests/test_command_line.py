"""`python -m gbp_lesson` checks the lesson without Jupyter, and redraws its picture."""

import subprocess
import sys

from gbp_lesson.__main__ import main
from gbp_lesson.figures import IMAGES, save_figures

EXPECTED_START = """\
Input X:
 3  1  5
-2  5 -7
 3  2 -4
Target Y:
 2  2  2
 2  2  2
 2  2  2

3-1) ReLU
upstream gradient:
 1 -1  1
-1  1 -1
 1  0 -1
x.grad:
 1 -1  1
 0  1  0
 1  0  0
"""

GUIDED = """\
3-4) Guided Backpropagation ReLU
upstream gradient:
 1 -1  1
-1  1 -1
 1  0 -1
x.grad:
 1  0  1
 0  1  0
 1  0  0
"""


def test_prints_the_seeds_tables(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED_START)
    assert out.endswith(GUIDED)
    assert "3-2) MyReLU" in out and "3-3) Deconvnet ReLU" in out


def test_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "gbp_lesson", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "figures" in result.stdout and "execute" in result.stdout


def test_the_stored_picture_is_the_one_the_package_draws(tmp_path):
    for path in save_figures(tmp_path):
        assert path.read_bytes() == (IMAGES / path.name).read_bytes(), f"run `python -m gbp_lesson figures`"
