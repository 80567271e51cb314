"""The error hierarchy lives in ``kernel.errors`` (every package raises it); dgm's name for it stays."""

# A lasting alias, not a leftover: dgm.errors is the name users and the CLI catch; the classes are kernel's.
from kernel.errors import (
    ConfigError,
    ContextOverflow,
    DgmError,
    EndpointDown,
    ModelEndpointError,
    NotFoundError,
    SandboxError,
    TaskError,
)

__all__ = ["ConfigError", "ContextOverflow", "DgmError", "EndpointDown", "ModelEndpointError", "NotFoundError",
           "SandboxError", "TaskError"]
