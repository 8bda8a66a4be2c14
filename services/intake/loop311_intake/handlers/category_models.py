"""Category inference learns: a city's history imported, models trained in the background
and kept as versions, the better one serving, any version back in service with one call,
and every category staff correct joining the next training."""
from collections import Counter
from dataclasses import dataclass

from loop311_shared.clock import as_utc, iso, utcnow
from loop311_shared.errors import Invalid, NotFound

from ..commands import (
    ActivateCategoryModel,
    ImportHistory,
    KeepTrainedModel,
    RecordTrainingStep,
    RetrainWhenDue,
    TrainCategoryModel,
)
from ..domain.categorize import TRIAGE
from ..domain.category_model import LearnedGuesser, TooLittleData, Training, challenge
from ..domain.history import BadHistory, read_history
from ..unit_of_work import IntakeUnitOfWork


def import_history(uow: IntakeUnitOfWork, command: ImportHistory) -> dict:
    """All or nothing: the history replaces the previous one and a training run is queued;
    the model serving now keeps serving until a better one is trained."""
    jurisdiction_id = known_jurisdiction(uow, command.jurisdiction_id)
    offered = {code for code, _ in uow.catalog.guessable(excluded="")}
    try:
        history = read_history(command.data, command.filename, command.mapping, offered)
    except BadHistory as error:
        raise Invalid(str(error)) from None
    now = utcnow()
    uow.category_models.replace_history(jurisdiction_id, history.examples, now)
    run_id = uow.category_models.queue_training(jurisdiction_id, "history import",
                                                command.author, now)
    return {"jurisdiction_id": jurisdiction_id, **history.summary(), "training_run": run_id}


def train_category_model(uow: IntakeUnitOfWork, command: TrainCategoryModel) -> dict:
    jurisdiction_id = known_jurisdiction(uow, command.jurisdiction_id)
    if not uow.category_models.newest_example_id(jurisdiction_id):
        raise Invalid(f"nothing to learn from for {jurisdiction_id!r}: import its history "
                      "first (POST /admin/v1/category-history)")
    run_id = uow.category_models.queue_training(jurisdiction_id, "asked", command.author,
                                                utcnow())
    return training_run(uow, run_id)


def activate_category_model(uow: IntakeUnitOfWork, command: ActivateCategoryModel) -> dict:
    if uow.category_models.version(command.version) is None:
        raise NotFound(f"no category model version {command.version}")
    uow.category_models.activate(command.version, utcnow())
    return model_version(uow.category_models.version(command.version))


def record_correction(uow: IntakeUnitOfWork, request_id: int, service_code: str) -> None:
    """Staff put a request in another category: its words and that category are an example
    for the next training (the general category teaches nothing)."""
    row = uow.requests.words(request_id)
    if row is None or not (row.description or "").strip() or service_code == TRIAGE:
        return
    uow.category_models.add_correction(row.filed_in or uow.rules.jurisdiction_id,
                                       row.description, service_code, request_id,
                                       row.requested_at, utcnow())


def queue_due_training(uow: IntakeUnitOfWork, due: RetrainWhenDue) -> list[int]:
    """Runs for jurisdictions with enough new corrections, or new examples and no run
    for `every_seconds`."""
    after_corrections, every_seconds = due.after_corrections, due.every_seconds
    now, queued = utcnow(), []
    for jurisdiction_id in uow.category_models.jurisdictions():
        active = uow.category_models.active(jurisdiction_id)
        last = uow.category_models.last_run(jurisdiction_id)
        if last is not None and last.state in ("queued", "running"):
            continue
        trained_through = active.examples_through if active else 0
        corrections = uow.category_models.corrections_after(jurisdiction_id, trained_through)
        newer = uow.category_models.newest_example_id(jurisdiction_id) > trained_through
        idle = last is None or (last.finished_at is not None and
                                (now - as_utc(last.finished_at)).total_seconds() >= every_seconds)
        if corrections >= after_corrections or (newer and idle):
            reason = (f"{corrections} corrections" if corrections >= after_corrections
                      else "schedule")
            queued.append(uow.category_models.queue_training(jurisdiction_id, reason,
                                                             "schedule", now))
    return queued


@dataclass(frozen=True)
class Claimed:
    run_id: int
    jurisdiction_id: str
    examples: list
    examples_through: int


def claim_training(uow: IntakeUnitOfWork, _=None) -> Claimed | None:
    row = uow.category_models.claim_training(utcnow())
    if row is None:
        return None
    examples, through = uow.category_models.examples(row.jurisdiction_id)
    return Claimed(row.id, row.jurisdiction_id, examples, through)


def record_progress(uow: IntakeUnitOfWork, step: RecordTrainingStep) -> None:
    uow.category_models.record_progress(step.run_id, step.step)


def finish_training(uow: IntakeUnitOfWork, finished: KeepTrainedModel) -> dict:
    """Keep the new version, and serve it if it does at least as well as what serves now;
    a failed run changes nothing but its own record."""
    claimed, outcome = finished.claimed, finished.outcome
    now, models = utcnow(), uow.category_models
    if not isinstance(outcome, Training):
        reason = str(outcome) if isinstance(outcome, TooLittleData) else \
            f"training failed: {type(outcome).__name__}: {outcome}"
        models.finish_training(claimed.run_id, "failed", reason, now)
        return training_run(uow, claimed.run_id)
    verdict = challenge(outcome, *serving_now(uow, claimed.jurisdiction_id))
    quality = {**outcome.quality.as_dict(), "compared_on": verdict.compared_on,
               "candidate_top1": verdict.candidate_top1, "serving_top1": verdict.serving_top1,
               "threshold": round(outcome.model.threshold, 4),
               "temperature": round(outcome.model.temperature, 4)}
    counts = Counter(example.service_code for example in claimed.examples)
    version = models.add_model(claimed.jurisdiction_id, claimed.run_id,
                               claimed.examples_through,
                               {"examples": len(claimed.examples),
                                "by_service_code": dict(sorted(counts.items()))},
                               quality, outcome.model.dumps(), now)
    if verdict.promote:
        models.activate(version, now)
        outcome_text = f"version {version} serves now"
    else:
        outcome_text = (f"version {version} kept but not serving: {verdict.candidate_top1:.3f} "
                        f"top-1 against {verdict.serving_top1:.3f} for the one serving, on "
                        f"{verdict.compared_on} held-out reports")
    models.finish_training(claimed.run_id, "promoted" if verdict.promote else "kept",
                           outcome_text, now, version)
    return training_run(uow, claimed.run_id)


def serving_now(uow: IntakeUnitOfWork, jurisdiction_id: str):
    """The jurisdiction's serving guesser's first choices, the texts it was trained on, and
    its own held-out top-1 (None for the keyword guesser)."""
    serving = uow.categories.for_report(uow.catalog, uow.category_models, (jurisdiction_id,))
    if isinstance(serving, LearnedGuesser):
        return (serving.model.best_of, serving.model.seen,
                uow.category_models.version(serving.version).quality["top1"])

    def first_choices(texts):
        guesses = [serving.guess(text) for text in texts]
        return [guess.suggestions[0][0] if guess.suggestions else guess.service_code
                for guess in guesses]
    return first_choices, frozenset(), None


def known_jurisdiction(uow: IntakeUnitOfWork, given: str | None) -> str:
    platform = uow.rules.jurisdiction_id
    if given in (None, "", platform):
        return platform
    if uow.jurisdictions.offers(given) is None:
        raise Invalid(f"jurisdiction_id {given!r} is not served here (this is {platform!r}, "
                      "with the jurisdictions routing announces)")
    return given


def training_run(uow: IntakeUnitOfWork, run_id: int) -> dict:
    row = uow.category_models.training_run(run_id)
    if row is None:
        raise NotFound(f"no training run {run_id}")
    return {"id": row.id, "jurisdiction_id": row.jurisdiction_id, "reason": row.reason,
            "requested_by": row.requested_by, "requested_at": iso(row.requested_at),
            "state": row.state, "progress": row.progress, "started_at": iso(row.started_at),
            "finished_at": iso(row.finished_at), "outcome": row.outcome,
            "model_version": row.model_version}


def model_version(row) -> dict:
    return {"version": row.version, "jurisdiction_id": row.jurisdiction_id,
            "trained_at": iso(row.trained_at), "training_run": row.training_run,
            "training_data": row.training_data, "quality": row.quality,
            "active": row.active, "activated_at": iso(row.activated_at)}


def model_versions(uow: IntakeUnitOfWork, jurisdiction_id: str | None) -> dict:
    jurisdiction_id = known_jurisdiction(uow, jurisdiction_id)
    return {"jurisdiction_id": jurisdiction_id,
            "versions": [model_version(row) for row in uow.category_models.versions(
                jurisdiction_id)]}


def category_suggestions(uow: IntakeUnitOfWork, request_id: str) -> dict:
    """What triage is shown for a request: the guesser's top three for its words now."""
    row = uow.requests.words(int(request_id)) if request_id.isdigit() else None
    if row is None:
        raise NotFound(f"no service request with id {request_id!r}")
    guesser = uow.guesser(row.filed_in)
    guess = guesser.guess(row.description or "")
    names = uow.catalog.names()
    learned = isinstance(guesser, LearnedGuesser)
    return {"request_id": str(row.id), "service_code": row.service_code,
            "guessed_by": f"model v{guesser.version}" if learned else "keywords",
            "suggestions": [{"service_code": code, "service_name": names.get(code, code),
                             "probability": probability}
                            for code, probability in guess.suggestions],
            "pick_with": f"POST /staff/v1/requests/{row.id}/assignment (routing) with "
                         '{"service_code": "<code>"}'}
