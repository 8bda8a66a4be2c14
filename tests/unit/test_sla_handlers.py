"""sla's policies import on SQLite."""
import copy

import pytest
from sqlalchemy import func, select

import loop311_sla
from loop311_shared.errors import Invalid
from loop311_shared.unit_of_work import run
from loop311_sla import handlers
from loop311_sla.commands import ImportPolicies
from loop311_sla.models import configuration_versions, policies
from loop311_sla.unit_of_work import SlaUnitOfWork
from support import demo_document


@pytest.fixture
def uow(migrated_session):
    with migrated_session(loop311_sla) as session:
        yield SlaUnitOfWork(session, "sla")


def import_policies(uow, document, author="tests"):
    return run(uow, handlers.import_policies, ImportPolicies(document=document, author=author))


def hours(uow):
    return dict(uow.session.execute(select(policies.c.service_code,
                                           policies.c.resolve_within_hours)).all())


def test_the_demo_policies_import_and_each_import_is_a_new_version(uow):
    first = import_policies(uow, demo_document("policies"), author="ada")

    assert (first["kind"], first["version"], first["imported_by"]) == ("policies", 1, "ada")
    assert first["summary"] == "17 policies"
    assert hours(uow)["pothole"] == 24 and hours(uow)["needle_pickup"] == 4

    changed = demo_document("policies")
    changed["policies"] = [{"service_code": "pothole", "resolve_within_hours": 48}]
    second = import_policies(uow, changed)

    assert second["version"] == 2 and second["summary"] == "1 policies"
    assert hours(uow) == {"pothole": 48}
    assert uow.sla.current_import()["document"] == changed
    count = uow.session.execute(select(func.count()).select_from(configuration_versions))
    assert count.scalar_one() == 2


def bad(mutate):
    document = demo_document("policies")
    mutate(document)
    return document


BAD_DOCUMENTS = {
    "wrong format": (bad(lambda d: d.update(format="loop311.directory/1")), "format"),
    "no policies": (bad(lambda d: d.pop("policies")), "policies"),
    "repeated service code": (bad(lambda d: d["policies"].append(
        {"service_code": "pothole", "resolve_within_hours": 1})), "pothole has more than one"),
    "zero hours": (bad(lambda d: d["policies"][0].update(resolve_within_hours=0)), "1 to 87600"),
    "too many hours": (bad(lambda d: d["policies"][0].update(resolve_within_hours=87_601)),
                       "1 to 87600"),
    "fractional hours": (bad(lambda d: d["policies"][0].update(resolve_within_hours=1.5)),
                         "resolve_within_hours"),
    "hours as text": (bad(lambda d: d["policies"][0].update(resolve_within_hours="24")),
                      "resolve_within_hours"),
    "blank service code": (bad(lambda d: d["policies"][0].update(service_code=" ")), "service_code"),
}


@pytest.mark.parametrize("document, complaint", BAD_DOCUMENTS.values(), ids=BAD_DOCUMENTS.keys())
def test_bad_policies_are_refused_and_change_nothing(uow, document, complaint):
    import_policies(uow, demo_document("policies"))

    with pytest.raises(Invalid, match=complaint):
        import_policies(uow, copy.deepcopy(document))

    assert len(hours(uow)) == len(demo_document("policies")["policies"])
    assert uow.sla.current_import()["version"] == 1
