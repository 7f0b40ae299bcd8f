"""Errors a user can act on: each names the task, file, column or expectation at fault."""


class CourseworkError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""

    exit_code = 2


class UnknownTaskError(CourseworkError):
    """A task id that is not in params.yaml / pipelines/."""


class SourceError(CourseworkError):
    """A data source that cannot be read: missing, empty, truncated, not tabular, bad checksum."""


class ConfigError(CourseworkError):
    """params.yaml is missing a key or holds a value of the wrong kind."""


class ValidationFailed(CourseworkError):
    """The task's Great Expectations suite failed on the ingested batch."""

    exit_code = 3

    def __init__(self, task: str, failures: list[dict], quarantine: str | None = None):
        self.task = task
        self.failures = failures
        self.quarantine = quarantine
        lines = [f"{task}: data failed validation ({len(failures)} expectation(s)):"]
        for f in failures:
            col = f" column '{f['column']}'" if f.get("column") else ""
            lines.append(f"  - {f['expectation']}{col}: {f['observed']}")
        if quarantine:
            lines.append(f"  the rejected batch is kept at {quarantine}; the last validated snapshot is unchanged")
        super().__init__("\n".join(lines))


class DataVersionError(CourseworkError):
    """Data that is not the version data.dvc records: a source that changed its bytes, a missing task."""

    exit_code = 5

    def __init__(self, message: str, tasks: list[str] | None = None):
        self.tasks = list(tasks or [])
        super().__init__(message)


class OutputError(CourseworkError):
    """An output path (--metrics-out, --plots-out) that would overwrite or remove what the user wrote."""


class ArtifactIntegrityError(CourseworkError):
    """A model's files differ from what was registered, or name types outside the allow-list: not loaded."""

    exit_code = 4


class IncompleteVersion(CourseworkError):
    """A model version a killed run registered without finishing: it never takes the champion alias."""
