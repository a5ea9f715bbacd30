"""``python -m gbp_lesson``: the lesson's tables in the terminal, and the project's commands.

Without a command it prints the seed's tables for ReLU, MyReLU, Deconvnet and Guided Backpropagation, a
check that needs no Jupyter. ``python -m gbp_lesson --help`` lists the commands.
"""

import argparse
import sys

from . import execute, figures, grade, release
from .backprop import backprop_loss
from .data import seed_example
from .tables import format_table

SEED_SECTIONS = [
    ("3-1) ReLU", "relu"),
    ("3-2) MyReLU", "my_relu"),
    ("3-3) Deconvnet ReLU", "deconvnet"),
    ("3-4) Guided Backpropagation ReLU", "guided"),
]


def print_seed_tables():
    x, y = seed_example()
    print(f"Input X:\n{format_table(x)}\nTarget Y:\n{format_table(y)}")
    for title, rule in SEED_SECTIONS:
        result = backprop_loss(rule, x, y)
        print(f"\n{title}\nupstream gradient:\n{format_table(result.upstream)}\nx.grad:\n{format_table(result.grad)}")
    return 0


# name -> (module with add_arguments(parser) and run(args), one-line help). A command module keeps its slow
# imports inside run(), so that `--help` and the default command start quickly.
COMMANDS = {
    "tables": (None, "print the seed's tables (the default)"),
    "figures": (figures, "redraw the figures in images/"),
    "execute": (execute, "run notebooks top to bottom and store their outputs"),
    "release": (release, "write the students' copies: solutions replaced by placeholders"),
    "grade": (grade, "grade students' notebooks with nbval against the reference outputs"),
}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gbp_lesson", description=__doc__.split("\n\n")[1])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (command, help_text) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if command is not None:
            command.add_arguments(sub)
    args = parser.parse_args(argv)
    if args.command in (None, "tables"):
        return print_seed_tables()
    return COMMANDS[args.command][0].run(args)


if __name__ == "__main__":
    sys.exit(main())
