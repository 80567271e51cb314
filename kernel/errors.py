"""The small exception hierarchy the CLI turns into one clear line and a non-zero exit."""


class DgmError(Exception):
    """A user-facing error: its message is printed as one line, without a traceback."""


class ConfigError(DgmError):
    """The configuration file or a flag is malformed."""


class SandboxError(DgmError):
    """The Docker engine or the sandbox image is missing or misbehaves."""


class ModelEndpointError(DgmError):
    """The model endpoint cannot be reached or refuses us."""


class NotFoundError(DgmError):
    """An agent, run or task named by the user does not exist."""


class TaskError(DgmError):
    """A benchmark task folder is malformed."""


class EndpointDown(ModelEndpointError):
    """The model endpoint stayed down past the configured pause; the run stops, resumable."""


class ContextOverflow(ModelEndpointError):
    """A request is longer than the model's context window: that attempt fails, never the run."""
