"""A city's past reports, as an admin uploads them, turned into training examples.

CSV (a header row) or JSON (a list of objects, or {"reports": [...]}) with `description`
and `category`, optionally `created` (ISO 8601) and `channel`. The mapping says which
catalog service each history category became; names it leaves out are ignored and
reported. Every problem is found before anything is kept.
"""
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from .category_model import Example

REQUIRED_COLUMNS = ("description", "category")
MIN_EXAMPLES_PER_CATEGORY = 10


class BadHistory(ValueError):
    """The upload cannot be imported; the message says why, for the person uploading."""


@dataclass(frozen=True)
class History:
    examples: list[Example]
    ignored: dict[str, int] = field(default_factory=dict)  # unmapped name -> reports
    skipped_blank: int = 0

    def summary(self) -> dict:
        return {"examples": len(self.examples),
                "by_service_code": dict(sorted(Counter(
                    example.service_code for example in self.examples).items())),
                "ignored_categories": dict(sorted(self.ignored.items())),
                "skipped_blank": self.skipped_blank}


def read_history(data: bytes, filename: str, mapping: dict[str, str],
                 service_codes: set[str]) -> History:
    """The examples in an upload; BadHistory naming the first problem found."""
    unknown = sorted({code for code in mapping.values() if code not in service_codes})
    if unknown:
        raise BadHistory(f"the mapping names service codes the catalog does not have: "
                         f"{', '.join(unknown)}")
    if not data.strip():
        raise BadHistory("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadHistory(f"the file is not UTF-8 text (byte {error.start} cannot be read); "
                         "save it as UTF-8 and upload it again") from None
    rows = _json_rows(text) if _is_json(filename, text) else _csv_rows(text)
    if not rows:
        raise BadHistory("the file has a header but no reports")
    examples, ignored, blank = [], Counter(), 0
    for number, row in enumerate(rows, start=1):
        description = str(row.get("description") or "").strip()
        category = str(row.get("category") or "").strip()
        if not description or not category:
            blank += 1
            continue
        if category not in mapping:
            ignored[category] += 1
            continue
        examples.append(Example(description, mapping[category],
                                _created(row.get("created"), number)))
    _enough_of_each(examples, mapping)
    return History(examples, dict(ignored), blank)


def _is_json(filename: str, text: str) -> bool:
    return filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{")


def _json_rows(text: str) -> list[dict]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadHistory(f"the JSON cannot be read: {error}") from None
    rows = document.get("reports") if isinstance(document, dict) else document
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise BadHistory('JSON history is a list of reports (objects), or {"reports": [...]}')
    _has_columns(set().union(*(row.keys() for row in rows)) if rows else set(REQUIRED_COLUMNS))
    return rows


def _csv_rows(text: str) -> list[dict]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        _has_columns(set(reader.fieldnames or ()))
        return list(reader)
    except csv.Error as error:
        raise BadHistory(f"the CSV cannot be read: {error}") from None


def _has_columns(columns: set[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise BadHistory(f"missing column{'s' if len(missing) > 1 else ''}: "
                         f"{', '.join(missing)} (needed: description, category; "
                         "optional: created, channel)")


def _created(value, number: int) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        created = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadHistory(f"report {number}: created {value!r} is not an ISO 8601 date") from None
    if created.tzinfo is None:
        raise BadHistory(f"report {number}: created {value!r} has no time zone offset")
    return created


def _enough_of_each(examples: list[Example], mapping: dict[str, str]) -> None:
    counts = Counter(example.service_code for example in examples)
    few = {code: counts.get(code, 0) for code in sorted(set(mapping.values()))
           if counts.get(code, 0) < MIN_EXAMPLES_PER_CATEGORY}
    if few:
        listed = ", ".join(f"{code} ({count})" for code, count in few.items())
        raise BadHistory(f"fewer than {MIN_EXAMPLES_PER_CATEGORY} reports for: {listed}; "
                         "add reports or leave those categories out of the mapping")
