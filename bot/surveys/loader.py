"""Survey YAML files → checked `SurveyFile`s, or every problem with its file and line.

The YAML is composed into nodes first (which keep their line numbers), turned into plain
data while noting the line of every key and list item, and then validated with pydantic.
Each validation error's location (e.g. questions → 2 → options → 0 → text) is mapped back
to the line of the deepest part of it that is in the file, so a missing key is reported at
the mapping that lacks it.

YAML 1.1's surprises are switched off: only true/false are booleans (an option `id: no`
stays "no"), and numbers with a leading zero stay text (district "01").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import ValidationError

from bot.i18n import LANGUAGES
from bot.surveys.schema import Path, SurveyFile, problems

SUFFIXES = (".yaml", ".yml")
_TAGS = frozenset({"single", "multiple", "rating", "text"})  # pydantic's union branch names


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like booleans and integers."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


@dataclass(frozen=True, slots=True)
class Problem:
    file: FilePath
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


class SurveyFileError(Exception):
    """One or more survey files are wrong; nothing was loaded."""

    def __init__(self, found: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in found))
        self.problems = list(found)


@dataclass
class LoadedSurvey:
    file: FilePath
    survey: SurveyFile
    lines: dict[Path, int] = field(default_factory=dict, repr=False)

    def line(self, path: Path) -> int:
        return _line_of(self.lines, path)

    def problem(self, path: Path, reason: str) -> Problem:
        where = _where(path)
        return Problem(self.file, self.line(path), f"{where}: {reason}" if where else reason)


def survey_files(path: FilePath) -> list[FilePath]:
    """The survey files at `path`: the file itself, or the *.yaml / *.yml in a directory."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return [path]


def load_paths(
    paths: Iterable[FilePath], *, tz: ZoneInfo, districts: Iterable[str] = ()
) -> list[LoadedSurvey]:
    """Every survey under `paths`, checked; raises SurveyFileError with every problem of
    every file (and for two files with the same survey id)."""
    loaded: list[LoadedSurvey] = []
    found: list[Problem] = []
    known = frozenset(districts)
    for path in paths:
        files = survey_files(path)
        if path.is_dir() and not files:
            found.append(Problem(path, 0, "no *.yaml survey files here"))
        for file in files:
            try:
                loaded.append(load_file(file, tz=tz, districts=known))
            except SurveyFileError as exc:
                found += exc.problems
    codes: dict[str, LoadedSurvey] = {}
    for item in loaded:
        first = codes.setdefault(item.survey.id, item)
        if first is not item:
            reason = f"survey id {item.survey.id!r} is also used by {first.file}"
            found.append(item.problem(("id",), reason))
    if found:
        raise SurveyFileError(found)
    return loaded


def load_file(file: FilePath, *, tz: ZoneInfo, districts: Iterable[str] = ()) -> LoadedSurvey:
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SurveyFileError([Problem(file, 0, f"cannot read the file: {exc}")]) from None
    return load_text(text, file=file, tz=tz, districts=districts)


def load_text(
    text: str, *, file: FilePath, tz: ZoneInfo, districts: Iterable[str] = ()
) -> LoadedSurvey:
    lines: dict[Path, int] = {}
    try:
        data = _read(text, lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        reason = " ".join(filter(None, (exc.context, exc.problem))) or "not valid YAML"
        raise SurveyFileError([Problem(file, line, f"YAML: {reason}")]) from None
    except _DuplicateKey as exc:
        raise SurveyFileError([Problem(file, exc.line, f"{exc.key!r} is given twice")]) from None
    if not isinstance(data, dict):
        raise SurveyFileError([Problem(file, lines.get((), 1), "a survey file is a mapping")])
    try:
        survey = SurveyFile.model_validate(data, context={"tz": tz})
    except ValidationError as exc:
        raise SurveyFileError(
            [Problem(file, _line_of(lines, _error_path(e)), _reason(e)) for e in exc.errors()]
        ) from None
    loaded = LoadedSurvey(file, survey, lines)
    found = [loaded.problem(path, reason) for path, reason in problems(survey)]
    found += _targeting_problems(loaded, frozenset(districts))
    if found:
        raise SurveyFileError(found)
    return loaded


def _targeting_problems(loaded: LoadedSurvey, known: frozenset[str]) -> list[Problem]:
    survey = loaded.survey
    found = []
    if survey.closes_at <= survey.opens_at:
        found.append(loaded.problem(("closes_at",), "must be after opens_at"))
    for i, code in enumerate(survey.districts):
        if known and code not in known:
            shown = ", ".join(sorted(known))
            reason = f"unknown district {code!r} (quote the codes: {shown})"
            found.append(loaded.problem(("districts", i), reason))
    if len(set(survey.districts)) != len(survey.districts):
        found.append(loaded.problem(("districts",), "a district is listed twice"))
    if len(set(survey.languages)) != len(survey.languages):
        found.append(loaded.problem(("languages",), "a language is listed twice"))
    return found


def _without_tags(loc: Sequence[str | int]) -> Path:
    """pydantic's location without the union branch it names after a question's index."""
    return tuple(
        part
        for i, part in enumerate(loc)
        if not (
            part in _TAGS and i >= 2 and loc[i - 2] == "questions" and isinstance(loc[i - 1], int)
        )
    )


def _error_path(error: Any) -> Path:
    path = _without_tags(error["loc"])
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        path = (*path, "type")  # the line of the type, not of the question
    return path


def _reason(error: Any) -> str:
    loc = _without_tags(error["loc"])
    where = _where(loc)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "union_tag_invalid":
        message = f"type must be one of: {', '.join(sorted(_TAGS))}"
    elif error["type"] == "literal_error" and "languages" in loc:
        message = f"languages are {', '.join(LANGUAGES)}"
    return f"{where}: {message}" if where else message


def _where(path: Path) -> str:
    """("questions", 2, "options", 0) → "questions[2].options[0]"."""
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _line_of(lines: dict[Path, int], path: Path) -> int:
    best = lines.get((), 1)
    here: Path = ()
    for part in path:
        if (*here, part) not in lines:
            break
        here = (*here, part)
        best = lines[here]
    return best


# -- YAML with line numbers -----------------------------------------------------------------


class _DuplicateKey(Exception):
    def __init__(self, key: object, line: int) -> None:
        self.key, self.line = key, line


def _read(text: str, lines: dict[Path, int]) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _value(loader, node, (), lines)
    finally:
        loader.dispose()


def _value(
    loader: _Loader, node: yaml.Node, path: Path, lines: dict[Path, int], line: int | None = None
) -> Any:
    lines[path] = line or node.start_mark.line + 1  # a key's value is found at the key
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, str | int):
                raise yaml.MarkedYAMLError(
                    problem="keys must be text", problem_mark=key_node.start_mark
                )
            if key in out:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            key_line = key_node.start_mark.line + 1
            out[key] = _value(loader, value_node, (*path, key), lines, key_line)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_value(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node)
