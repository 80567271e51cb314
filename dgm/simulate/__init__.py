"""`dgm simulate`: the search policies on synthetic landscapes, with no Docker and no model.

    landscape.py  what a self-edit does to an agent's hidden true skill, what an evaluation says of it;
                  the named landscapes, and calibration from a real run's archive (--from RUN_DIR)
    engine.py     one run: the real policy over a real RunState, work applied as the coordinator does
    report.py     many seeds per policy: evaluations to a target, what each hands over within a budget
    svg.py        the plot, written by hand

docs/SIMULATE.md explains the model, its parameters and how to read the report.
"""

from dgm.simulate.engine import Outcome, Simulation, simulate
from dgm.simulate.landscape import LANDSCAPES, Landscape, calibrate, landscape

__all__ = ["LANDSCAPES", "Landscape", "Outcome", "Simulation", "calibrate", "landscape", "simulate"]
