"""Collaborators built once per container and handed to handlers by the unit of work."""
import logging
import time

import eventlet
from eventlet import tpool
from nameko.extensions import DependencyProvider

from loop311_shared.background import BackgroundDrain
from loop311_shared.reference_data import BuiltPerVersion
from loop311_shared.settings import settings_of
from loop311_shared.unit_of_work import run

from .adapters.geocoding import geocoder_from_settings
from .commands import KeepTrainedModel, RecordTrainingStep, RetrainWhenDue
from .domain import category_model
from .domain.categorize import TRIAGE, CategoryGuesser
from .domain.category_model import CategoryModel, LearnedGuesser
from .handlers import category_models as training
from .unit_of_work import IntakeRules, IntakeUnitOfWork

log = logging.getLogger(__name__)


class Categories(BuiltPerVersion):
    """The category guessers: the keyword guesser of the catalog in force, and the learned
    models serving, each loaded once per process when its version starts serving."""

    KEEP_MODELS = 8

    def __init__(self, threshold: float = 0.2):
        super().__init__()
        self.threshold = threshold
        self.models: dict[int, CategoryModel] = {}

    def build(self, catalog, version: int) -> CategoryGuesser:
        return CategoryGuesser(catalog.guessable(TRIAGE), self.threshold)

    def for_report(self, catalog, category_models, jurisdictions: tuple[str, ...]):
        keywords = self.current(catalog)
        version = category_models.active_version(jurisdictions)
        if version is None:
            return keywords
        if version not in self.models:
            if len(self.models) >= self.KEEP_MODELS:
                self.models.clear()
            self.models[version] = CategoryModel.loads(category_models.model_blob(version))
        return LearnedGuesser(self.models[version], frozenset(keywords.codes), version)


class UnitOfWorkFactory(DependencyProvider):
    """Gives each worker `self.unit_of_work()`: a new IntakeUnitOfWork on the worker's
    session with the container's geocoder, category guesser and rules."""

    def __init__(self, database_attr: str = "database"):
        self.database_attr = database_attr

    def setup(self):
        settings = settings_of(self.container)
        self.rules = IntakeRules.from_settings(settings)
        self.geocoder = geocoder_from_settings(settings)
        self.categories = Categories(settings.category_min_confidence)

    def get_dependency(self, worker_ctx):
        return lambda: self.on(getattr(worker_ctx.service, self.database_attr))

    def on(self, session) -> IntakeUnitOfWork:
        """A unit of work on `session` (a worker's, or a background loop's)."""
        return IntakeUnitOfWork(session, self.container.service_name, self.rules,
                                self.geocoder, self.categories)


class CategoryTrainer(BackgroundDrain):
    """Trains category models in the background, one run at a time per replica, never in
    a request. Runs wait in the database (claimed with SKIP LOCKED), so any replica with
    CATEGORY_TRAINING on may take one; the fitting happens in a real thread while this
    green thread writes its progress."""

    poll_setting = "category_training_poll_seconds"
    wakes_on = ("category_training_runs",)  # the admin API and the schedule queue runs

    def setup(self):
        super().setup()
        self.settings = settings_of(self.container)
        self.schedule_checked = 0.0

    def start(self):
        if self.settings.category_training:
            super().start()

    def _unit_of_work(self, session) -> IntakeUnitOfWork:
        # The workers' own collaborators: the model serving is loaded once per process.
        factory = next(dependency for dependency in self.container.dependencies
                       if isinstance(dependency, UnitOfWorkFactory))
        return factory.on(session)

    def drain_once(self, session) -> int:
        if time.monotonic() - self.schedule_checked >= self.poll_seconds * 6:
            run(self._unit_of_work(session), training.queue_due_training, RetrainWhenDue(
                self.settings.category_retrain_after_corrections,
                self.settings.category_retrain_every_hours * 3600))
            self.schedule_checked = time.monotonic()
        claimed = run(self._unit_of_work(session), training.claim_training, None)
        if claimed is None:
            return 0
        outcome = self._fit(session, claimed)
        result = run(self._unit_of_work(session), training.finish_training,
                     KeepTrainedModel(claimed, outcome))
        log.info("category training run %s for %s: %s", claimed.run_id,
                 claimed.jurisdiction_id, result["outcome"])
        return 1

    def _fit(self, session, claimed):
        steps = []
        fitting = eventlet.spawn(tpool.execute, category_model.train, claimed.examples,
                                 steps.append)
        written = 0
        while not fitting.dead:
            eventlet.sleep(0.5)
            if len(steps) > written:
                run(self._unit_of_work(session), training.record_progress,
                    RecordTrainingStep(claimed.run_id, steps[-1]))
                written = len(steps)
        try:
            return fitting.wait()
        except Exception as error:  # the run fails; the model serving stays
            return error
