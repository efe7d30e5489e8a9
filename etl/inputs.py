"""The kinds of care input a user can give, named once for the rules, the upload check, the build and the command line."""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal["teams", "providers", "caseloads"]
KINDS: tuple[Kind, ...] = get_args(Kind)
