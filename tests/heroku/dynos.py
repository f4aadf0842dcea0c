"""`python -m heroku.dynos TYPE=DYNO ...`: the Procfile's process types run as Heroku dynos.

    python -m heroku.dynos web=web.1 worker=worker-23z34x56y-w78k9 beat=beat.1

Each argument names a process type of `./Procfile` and the dyno name Heroku gives it. honcho,
a Procfile runner, starts each type's command with `DYNO` set to that name, prints every
output line prefixed with it, and on SIGTERM stops them all as Heroku does at a restart:
SIGTERM to each dyno's process group (pool children included), SIGKILL 5 s later.
"""

import argparse
import os
import sys
from pathlib import Path

from honcho.environ import parse_procfile
from honcho.manager import Manager
from honcho.printer import Printer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dynos", nargs="+", metavar="TYPE=DYNO")
    args = parser.parse_args()

    commands = parse_procfile(Path("Procfile").read_text()).processes
    manager = Manager(Printer(sys.stdout, colour=False))
    for argument in args.dynos:
        process_type, _, dyno = argument.partition("=")
        manager.add_process(dyno, commands[process_type], env={**os.environ, "DYNO": dyno})
    manager.loop()
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
