"""The one error type users see: a list of problems, each naming file, row, column and a bilingual message."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can (row is 1-based, header = row 1)."""

    code: str
    nl: str
    en: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def location(self) -> str:
        parts = [self.file or "<invoer>"]
        if self.row is not None:
            parts.append(f"rij/row {self.row}")
        if self.column is not None:
            parts.append(f"kolom/column {self.column}")
        return ", ".join(parts)

    def format(self) -> str:
        return f"{self.location()}: [{self.code}] {self.nl} / {self.en}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class InputError(ValueError):
    """Raised when an input cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: Problem | Sequence[Problem]):
        self.problems: tuple[Problem, ...] = (problems,) if isinstance(problems, Problem) else tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def single(
        cls,
        code: str,
        nl: str,
        en: str,
        *,
        file: object = None,
        row: int | None = None,
        column: str | None = None,
    ) -> InputError:
        return cls(Problem(code, nl, en, None if file is None else str(file), row, column))

    def to_json(self) -> str:
        return json.dumps([p.to_dict() for p in self.problems], ensure_ascii=False, indent=2)


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise one InputError for all problems, so a user fixes everything in one go."""
    found = list(problems)
    if found:
        raise InputError(found)
