"""The one writer of what category inference learns from, its training runs and its
model versions."""
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from ..domain.category_model import Example
from ..models import category_examples, category_models, category_training_runs

# A run still "running" this long after it started died with its replica: run it again.
STALE_RUN = timedelta(minutes=30)
VERSION_COLUMNS = [column for column in category_models.c if column.name != "model"]


class CategoryModelRepository:
    def __init__(self, session: Session):
        self.session = session

    # What it learns from.

    def replace_history(self, jurisdiction_id: str, examples: list[Example],
                        now: datetime) -> int:
        """The imported history replaces the previous one; corrections are kept."""
        self.session.execute(delete(category_examples).where(
            category_examples.c.jurisdiction_id == jurisdiction_id,
            category_examples.c.source == "history"))
        if examples:
            self.session.execute(insert(category_examples), [
                {"jurisdiction_id": jurisdiction_id, "source": "history", "text": example.text,
                 "service_code": example.service_code, "created": example.created,
                 "added_at": now} for example in examples])
        return len(examples)

    def add_correction(self, jurisdiction_id: str, text: str, service_code: str,
                       request_id: int, created: datetime, now: datetime) -> None:
        # The latest word on a request is the one that counts.
        self.session.execute(delete(category_examples).where(
            category_examples.c.source == "correction",
            category_examples.c.request_id == request_id))
        self.session.execute(insert(category_examples).values(
            jurisdiction_id=jurisdiction_id, source="correction", text=text,
            service_code=service_code, created=created, request_id=request_id, added_at=now))

    def examples(self, jurisdiction_id: str) -> tuple[list[Example], int]:
        """Every example, oldest first (undated history in its file's order, before
        corrections), and the highest id among them."""
        rows = self.session.execute(
            select(category_examples.c.id, category_examples.c.text,
                   category_examples.c.service_code, category_examples.c.created)
            .where(category_examples.c.jurisdiction_id == jurisdiction_id)
            .order_by(category_examples.c.id)).all()
        return ([Example(row.text, row.service_code, row.created) for row in rows],
                max((row.id for row in rows), default=0))

    def corrections_after(self, jurisdiction_id: str, example_id: int) -> int:
        return self.session.execute(select(func.count()).where(
            category_examples.c.jurisdiction_id == jurisdiction_id,
            category_examples.c.source == "correction",
            category_examples.c.id > example_id)).scalar_one()

    def newest_example_id(self, jurisdiction_id: str) -> int:
        return self.session.execute(select(func.coalesce(func.max(category_examples.c.id), 0))
                                    .where(category_examples.c.jurisdiction_id == jurisdiction_id)
                                    ).scalar_one()

    def jurisdictions(self) -> list[str]:
        return list(self.session.execute(
            select(category_examples.c.jurisdiction_id).distinct()).scalars())

    # Training runs.

    def queue_training(self, jurisdiction_id: str, reason: str, requested_by: str,
                       now: datetime) -> int:
        """A new run, or the one already waiting for this jurisdiction (it will see the
        same examples)."""
        waiting = self.session.execute(
            select(category_training_runs.c.id).where(
                category_training_runs.c.jurisdiction_id == jurisdiction_id,
                category_training_runs.c.state == "queued")).scalar()
        if waiting is not None:
            return waiting
        return self.session.execute(insert(category_training_runs).values(
            jurisdiction_id=jurisdiction_id, reason=reason, requested_by=requested_by,
            requested_at=now, state="queued", progress="queued")
            .returning(category_training_runs.c.id)).scalar_one()

    def claim_training(self, now: datetime):
        """The oldest run waiting (or abandoned by a dead replica), now running."""
        row = self.session.execute(
            select(category_training_runs).where(or_(
                category_training_runs.c.state == "queued",
                and_(category_training_runs.c.state == "running",
                     category_training_runs.c.started_at < now - STALE_RUN)))
            .order_by(category_training_runs.c.id).limit(1)
            .with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        self.session.execute(update(category_training_runs)
                             .where(category_training_runs.c.id == row.id)
                             .values(state="running", started_at=now, progress="started"))
        return row

    def record_progress(self, run_id: int, progress: str) -> None:
        self.session.execute(update(category_training_runs)
                             .where(category_training_runs.c.id == run_id)
                             .values(progress=progress))

    def finish_training(self, run_id: int, state: str, outcome: str, now: datetime,
                        model_version: int | None = None) -> None:
        self.session.execute(update(category_training_runs)
                             .where(category_training_runs.c.id == run_id)
                             .values(state=state, outcome=outcome, finished_at=now,
                                     progress="finished", model_version=model_version))

    def training_run(self, run_id: int):
        return self.session.execute(select(category_training_runs).where(
            category_training_runs.c.id == run_id)).first()

    def last_run(self, jurisdiction_id: str):
        return self.session.execute(
            select(category_training_runs)
            .where(category_training_runs.c.jurisdiction_id == jurisdiction_id)
            .order_by(category_training_runs.c.id.desc()).limit(1)).first()

    # Model versions.

    def add_model(self, jurisdiction_id: str, run_id: int, examples_through: int,
                  training_data: dict, quality: dict, blob: bytes, now: datetime) -> int:
        return self.session.execute(insert(category_models).values(
            jurisdiction_id=jurisdiction_id, trained_at=now, training_run=run_id,
            examples_through=examples_through, training_data=training_data, quality=quality,
            model=blob, active=False).returning(category_models.c.version)).scalar_one()

    def activate(self, version: int, now: datetime) -> None:
        jurisdiction_id = self.session.execute(
            select(category_models.c.jurisdiction_id)
            .where(category_models.c.version == version)).scalar_one()
        self.session.execute(update(category_models)
                             .where(category_models.c.jurisdiction_id == jurisdiction_id,
                                    category_models.c.active.is_(True))
                             .values(active=False))
        self.session.execute(update(category_models)
                             .where(category_models.c.version == version)
                             .values(active=True, activated_at=now))

    def version(self, version: int):
        return self.session.execute(select(*VERSION_COLUMNS)
                                    .where(category_models.c.version == version)).first()

    def active(self, jurisdiction_id: str):
        return self.session.execute(select(*VERSION_COLUMNS).where(
            category_models.c.jurisdiction_id == jurisdiction_id,
            category_models.c.active.is_(True))).first()

    def active_version(self, jurisdiction_ids: tuple[str, ...]) -> int | None:
        """The version serving the first of these jurisdictions that has one."""
        rows = dict(self.session.execute(
            select(category_models.c.jurisdiction_id, category_models.c.version).where(
                category_models.c.jurisdiction_id.in_(jurisdiction_ids),
                category_models.c.active.is_(True))).all())
        return next((rows[j] for j in jurisdiction_ids if j in rows), None)

    def model_blob(self, version: int) -> bytes:
        return self.session.execute(select(category_models.c.model)
                                    .where(category_models.c.version == version)).scalar_one()

    def versions(self, jurisdiction_id: str) -> list:
        return self.session.execute(select(*VERSION_COLUMNS)
                                    .where(category_models.c.jurisdiction_id == jurisdiction_id)
                                    .order_by(category_models.c.version.desc())).all()
