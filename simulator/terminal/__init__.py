"""The terminal: a small shell in each place the learner can be, with the real AWS CLI.

    from simulator import terminal
    terminal.places(world)                     # CloudShell, each running instance, the laptop, ...
    ran = terminal.run(world, "laptop", "aws sts get-caller-identity")
    terminal.transcript(world, "laptop")       # its lines, history, cwd and prompt
    terminal.held_credentials(world)           # every credential set some place holds

places.py is where one can be and who one is there (the credential chain); shell.py runs a
command line; curl.py is curl and the metadata service; cli.py is `aws`. All of it is pure
Python over the world's state: no real file, socket or process is ever touched.
"""

from simulator.terminal.places import Held, Place, add_place, held_credentials, places, resolve
from simulator.terminal.shell import Ran, Transcript, run, transcript

__all__ = [
    "Held",
    "Place",
    "Ran",
    "Transcript",
    "add_place",
    "held_credentials",
    "places",
    "resolve",
    "run",
    "transcript",
]
