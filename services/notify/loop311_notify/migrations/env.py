from loop311_shared.migrations_env import run_migrations

from loop311_notify.models import metadata

run_migrations(metadata)
