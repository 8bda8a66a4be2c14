"""Reference data a city edits (catalog, routing directory, SLA policies) arrives as a
versioned configuration document through an admin import, never through a migration.

Every import is kept: its version number, who imported it, when, and the document
itself, so an export shows exactly what is in force and what came before.
"""
import hashlib
import json
from functools import cache

from marshmallow import Schema, fields
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from .clock import iso, utcnow


def configuration_versions_table(metadata: MetaData) -> Table:
    return Table(
        "configuration_versions", metadata,
        Column("kind", String(32), primary_key=True),
        Column("version", Integer, primary_key=True),
        Column("sha256", String(64), nullable=False),
        Column("imported_by", String(100), nullable=False),
        Column("imported_at", DateTime(timezone=True), nullable=False),
        Column("document", JSON, nullable=False),
    )


def record_import(session: Session, table: Table, kind: str, document: dict, author: str) -> dict:
    """Keep the imported document as the next version of `kind`; return its summary."""
    current = session.execute(select(func.max(table.c.version))
                              .where(table.c.kind == kind)).scalar_one()
    canonical = json.dumps(document, sort_keys=True, default=str)
    version = {"kind": kind, "version": (current or 0) + 1,
               "sha256": hashlib.sha256(canonical.encode()).hexdigest(),
               "imported_by": author, "imported_at": utcnow()}
    session.execute(insert(table).values(document=json.loads(canonical), **version))
    return {**version, "imported_at": version["imported_at"].isoformat()}


def current_import(session: Session, table: Table, kind: str) -> dict | None:
    row = session.execute(select(table).where(table.c.kind == kind)
                          .order_by(table.c.version.desc()).limit(1)).first()
    if row is None:
        return None
    return {"kind": kind, "version": row.version, "sha256": row.sha256,
            "imported_by": row.imported_by, "imported_at": iso(row.imported_at),
            "document": row.document}


@cache
def _version_of(table: Table):
    # Built once: asked on every event that uses reference data, and composing the
    # statement cost more CPU than running it.
    return (select(func.coalesce(func.max(table.c.version), 0))
            .where(table.c.kind == bindparam("kind")))


class ImportedVersions:
    """What a repository of one kind of reference data needs: the version in force, the
    document in force, and keeping a new import. Subclasses name the table and the kind."""

    versions_table: Table
    kind: str
    session: Session

    def version(self) -> int:
        return self.session.execute(_version_of(self.versions_table),
                                    {"kind": self.kind}).scalar_one()

    def current_import(self) -> dict | None:
        return current_import(self.session, self.versions_table, self.kind)

    def record_import(self, document: dict, author: str) -> dict:
        return record_import(self.session, self.versions_table, self.kind, document, author)


class BuiltPerVersion:
    """Something built from the reference data in force (a spatial index, business
    calendars, a category guesser), kept per process and rebuilt only when a newer version
    has been imported, by this replica or another: one cheap version query per use."""

    def __init__(self):
        self.version = None
        self.value = None

    def build(self, repository, version: int):
        raise NotImplementedError

    def current(self, repository):
        version = repository.version()
        if version != self.version:
            self.value = self.build(repository, version)
            self.version = version
        return self.value


class VersionInForceSchema(Schema):
    """A version of some reference data: which, its digest, who imported it and when."""

    kind = fields.String()
    version = fields.Integer()
    sha256 = fields.String()
    imported_by = fields.String()
    imported_at = fields.String()


class ImportedVersionSchema(VersionInForceSchema):
    """What an admin import answers: the version now in force, and what it holds."""

    summary = fields.String()


def in_force_schema(name: str, document_schema: type[Schema]) -> type[Schema]:
    """The schema of an export: the version in force with its document (named `name`)."""
    return type(name, (VersionInForceSchema,), {"document": fields.Nested(document_schema)})
