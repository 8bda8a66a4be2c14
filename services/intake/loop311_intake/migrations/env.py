from loop311_shared.migrations_env import run_migrations

from loop311_intake.models import metadata

run_migrations(metadata)
