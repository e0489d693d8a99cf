"""One error base class for the whole library; the CLI catches it once."""

from __future__ import annotations

import errno
import signal
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


class DiskFullError(PublishError):
    """The disk is full or a file size limit was reached: stop the whole build, not one item."""


_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
_DISK_FULL_SIGNALS = frozenset({-getattr(signal, "SIGXFSZ", 25)})


def is_disk_full(exc: BaseException) -> bool:
    """True for an OSError saying the disk is full or a file grew past its size limit."""
    return isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS


def disk_full_from_process(returncode: int, stderr: str) -> bool:
    """True when a child process (ffmpeg) died of a full disk or of the file size limit."""
    return returncode in _DISK_FULL_SIGNALS or "No space left" in stderr or "File too large" in stderr
