"""Scenarios: one YAML file each, no Python. Loading, running and checking them.

A scenario builds its starting world from `setup` (AWS API calls run as the account's admin,
validated by botocore's models, plus a few facts no API sets: a file on an instance, the
application it runs, the clock), then walks the learner through `steps`. Each step's `check`
is a list of probe calls ("as instance web-1, s3 GetObject on config/app.json: AccessDenied")
and state conditions ("instance web-1 has role AppRole"), run on a *copy* of the learner's
world so that checking changes nothing. Every scenario carries a reference `solution`;
`validate_scenarios` proves each step fails before its solution and passes after.

- `model.py`: the frozen values a file becomes (Scenario, Step, Probe, Condition, Question...);
- `loader.py`: YAML with line numbers, read into the model (`load_scenario`, `ScenarioError`),
  and a folder into the `Catalogue` the site serves, broken files left out (`read_catalogue`);
- `run.py`: actions run on a world (`build_world`, `run_actions`, placeholders, actors);
- `checks.py`: a step's check (`check_step`), its probes and the table of `CONDITIONS`;
- `validate.py`: every problem in a file or folder (`validate_file`, `problems_in`).

The package does not import Django: the app reads the folder from its settings
(`ROLECALL_SCENARIO_DIR`, in `lessons.models.catalogue` and `validate_scenarios`) and passes it.
"""

from lessons.scenario.checks import CheckResult, check_step
from lessons.scenario.loader import (
    Catalogue,
    ScenarioError,
    load_scenario,
    load_scenarios,
    read_catalogue,
    scenario_files,
)
from lessons.scenario.model import Probe, Scenario, Step
from lessons.scenario.run import build_world, run_actions
from lessons.scenario.validate import problems_in, validate_file, validate_scenario

__all__ = [
    "Catalogue",
    "CheckResult",
    "Probe",
    "Scenario",
    "ScenarioError",
    "Step",
    "build_world",
    "check_step",
    "load_scenario",
    "load_scenarios",
    "problems_in",
    "read_catalogue",
    "run_actions",
    "scenario_files",
    "validate_file",
    "validate_scenario",
]
