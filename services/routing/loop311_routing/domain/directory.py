"""A directory document (already checked for shape and references) turned into the
`Directory` that decides assignments, with its geometry checked: valid boundaries, no
overlapping siblings, no rule whose area lies outside its jurisdiction, no rule that an
earlier one always takes first."""
from datetime import datetime, time

from .geography import BoundaryError, Locator, boundary_shape, overlapping_siblings
from .rules import Department, Directory, Jurisdiction, Rule, Window


class DirectoryProblems(ValueError):
    """Everything wrong with a directory's geometry and rules, one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def build_directory(document: dict) -> Directory:
    problems = []
    shapes, area_shapes = {}, {}
    for entry in document["jurisdictions"]:
        try:
            shapes[entry["id"]] = boundary_shape(entry["boundary"], f"jurisdiction {entry['id']}")
            for area in entry["areas"]:
                area_shapes[(entry["id"], area["name"])] = boundary_shape(
                    area["boundary"], f"area {area['name']} of {entry['id']}")
        except BoundaryError as error:
            problems.append(str(error))
    for entry in document["rules"]:
        if entry["area_boundary"] is not None:
            try:
                area_shapes[(entry["jurisdiction"], f"rule {entry['id']}")] = boundary_shape(
                    entry["area_boundary"], f"area of rule {entry['id']}")
            except BoundaryError as error:
                problems.append(str(error))
    if problems:
        raise DirectoryProblems(problems)
    problems += _overlapping_siblings(document["jurisdictions"], shapes)
    jurisdictions = {entry["id"]: Jurisdiction(entry["id"], entry["name"], entry["parent"],
                                               entry["timezone"], frozenset(entry["serves"]))
                     for entry in document["jurisdictions"]}
    rules = [_rule(entry, area_shapes) for entry in document["rules"]]
    problems += _areas_outside(rules, shapes) + _shadowed(rules)
    if problems:
        raise DirectoryProblems(problems)
    departments = {entry["code"]: Department(
        entry["code"], entry["name"], entry["jurisdiction"],
        tuple((person["id"], person["name"]) for person in entry["staff"]),
        entry["supervisor"], entry["head"],
        tuple((shift["staff"], _moment(shift["starts"]), _moment(shift["ends"]))
              for shift in entry["on_call"]))
        for entry in document["departments"]}
    places = {**shapes, **{f"{jurisdiction}/{name}": shape
                           for (jurisdiction, name), shape in area_shapes.items()
                           if not name.startswith("rule ")}}
    return Directory(jurisdictions, departments, rules, Locator(shapes), places)


def _moment(value) -> datetime:
    # A stored document holds ISO strings; a freshly loaded one, datetimes.
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _rule(entry: dict, area_shapes: dict) -> Rule:
    when = entry["when"]
    window = None if when is None else Window(
        tuple(when["days"]), time.fromisoformat(when["start"]),
        time.fromisoformat(when["to"]) if when["to"] else None)
    area_name = entry["area"] or (f"rule {entry['id']}" if entry["area_boundary"] else None)
    return Rule(entry["id"], entry["jurisdiction"], frozenset(entry["categories"]),
                entry["department"], entry["assign"], entry["person"],
                area_shapes.get((entry["jurisdiction"], area_name)), area_name, window)


def _overlapping_siblings(entries: list[dict], shapes: dict) -> list[str]:
    families: dict = {}
    for entry in entries:
        families.setdefault(entry["parent"], {})[entry["id"]] = shapes[entry["id"]]
    return [f"jurisdictions {a} and {b} overlap ({share:.1%} of the smaller one); siblings "
            "must not share ground"
            for siblings in families.values() for a, b, share in overlapping_siblings(siblings)]


def _areas_outside(rules: list[Rule], shapes: dict) -> list[str]:
    return [f"rule {rule.id} can never match: area {rule.area_name} lies outside "
            f"{rule.jurisdiction}"
            for rule in rules if rule.area is not None
            and not rule.area.intersects(shapes[rule.jurisdiction])]


def _shadowed(rules: list[Rule]) -> list[str]:
    """Rules an earlier, unconditional rule of the same jurisdiction always takes first."""
    problems, catch_all = [], {}
    for rule in rules:
        taken = catch_all.get(rule.jurisdiction)
        if taken is not None and (taken == "*" or (rule.categories and rule.categories <= taken)):
            problems.append(f"rule {rule.id} can never match: an earlier rule of "
                            f"{rule.jurisdiction} takes all its categories first")
            continue
        if rule.area is None and rule.window is None:
            if not rule.categories:
                catch_all[rule.jurisdiction] = "*"
            elif taken != "*":
                catch_all[rule.jurisdiction] = (taken or frozenset()) | rule.categories
    return problems
