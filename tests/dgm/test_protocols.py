"""The default parts satisfy the engine's seams (dgm/protocols.py): every member a Protocol names
exists on the concrete class, a method takes the Protocol's parameters by the same names and kinds
(extra ones must have defaults), and a property stays a property. A part that drifts from its seam
fails here, not in the middle of a run."""

from __future__ import annotations

import inspect
import typing

import pytest

from archive_db import Archive as ArchiveStore
from dgm import protocols
from dgm.executor import LocalExecutor
from dgm.model_client import ModelClient
from dgm.policies import HgmPolicy, StagedPolicy
from dgm.policy import DgmPolicy
from dgm.ray_executor import RayExecutor
from sandbox.container import DockerSandbox

PAIRS = [(protocols.Model, ModelClient), (protocols.Sandbox, DockerSandbox), (protocols.Archive, ArchiveStore),
         (protocols.Executor, LocalExecutor), (protocols.Executor, RayExecutor), (protocols.Policy, DgmPolicy),
         (protocols.Policy, HgmPolicy), (protocols.Policy, StagedPolicy)]


def members(protocol: type) -> dict[str, object]:
    own = {}
    for klass in protocol.__mro__:
        if klass in (typing.Protocol, typing.Generic, object):
            continue
        own.update({k: v for k, v in vars(klass).items() if not k.startswith("_")})
    return own


def mismatches(protocol: type, concrete: type) -> list[str]:
    found = []
    for name, member in members(protocol).items():
        actual = inspect.getattr_static(concrete, name, None)
        if isinstance(member, property):
            if not isinstance(actual, property):
                found.append(f"{name}: a property in the protocol, {type(actual).__name__} in {concrete.__name__}")
            continue
        if not callable(member):
            continue
        if actual is None or not callable(actual):
            found.append(f"{name}: missing from {concrete.__name__}")
            continue
        wanted = list(inspect.signature(member).parameters.values())
        given = inspect.signature(actual).parameters
        for param in wanted:
            if param.kind is param.VAR_KEYWORD:
                if not any(p.kind is p.VAR_KEYWORD for p in given.values()):
                    found.append(f"{name}: {concrete.__name__} takes no **{param.name}")
            elif param.name not in given:
                found.append(f"{name}: {concrete.__name__} has no parameter {param.name}")
            elif given[param.name].kind is not param.kind:
                found.append(f"{name}({param.name}): {given[param.name].kind.description} in {concrete.__name__}, "
                             f"{param.kind.description} in the protocol")
        extra = [p for p in given.values() if p.name not in {w.name for w in wanted}
                 and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        if extra:
            found.append(f"{name}: {concrete.__name__} requires {', '.join(p.name for p in extra)}")
    return found


@pytest.mark.parametrize(("protocol", "concrete"), PAIRS, ids=[f"{p.__name__}-{c.__name__}" for p, c in PAIRS])
def test_the_default_part_satisfies_its_seam(protocol, concrete):
    assert members(protocol), protocol  # the check below would pass on an empty protocol
    assert mismatches(protocol, concrete) == []


def test_the_check_catches_a_part_that_drifted():
    class Drifted:
        labels: dict[str, str] = {}

        def run(self, command, mounts=None):  # the protocol's keyword-only parameters, positional here
            raise NotImplementedError

        def image_id(self, tag):  # renamed parameter
            raise NotImplementedError

        def remove_where(self, labels, everything):  # an extra required parameter
            raise NotImplementedError

    found = mismatches(protocols.Sandbox, Drifted)
    assert "close: missing from Drifted" in found
    assert "image_id: Drifted has no parameter image" in found
    assert "remove_where: Drifted requires everything" in found
    assert any(f.startswith("run(mounts): positional or keyword in Drifted") for f in found)
    assert "run: Drifted has no parameter inputs" in found
