"""One error base class for the whole library; the CLI catches it once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class BroadcastError(Exception):
    """Base of every error the library raises on purpose. `exit_code` 2 = bad input, 1 = failure."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is, which field, what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class InputError(BroadcastError):
    """Bad input (config, content, lexicon, template): one or more located problems."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", None, "", problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p).lstrip(": ") for p in self.problems))

    @classmethod
    def at(cls, file: str | Path, line: int | None, field: str, message: str) -> "InputError":
        return cls([Problem(str(file), line, field, message)])


class ConfigError(InputError):
    """schedule.yaml is wrong."""


class ContentError(InputError):
    """The handbook data (or an editor's extra items) is wrong."""


class TemplateError(InputError):
    """A script template is missing or broken."""


class SpeechError(InputError):
    """Text cannot be made speech-ready, or the lexicon is wrong."""


class TTSError(BroadcastError):
    """A voice engine failed."""


class AudioError(BroadcastError):
    """Audio processing or encoding failed."""


class PublishError(BroadcastError):
    """Writing the programmes out failed (disk full, permissions, ...)."""
