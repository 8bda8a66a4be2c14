from loop311_shared.migrations_env import run_migrations

from loop311_routing.models import metadata

run_migrations(metadata)
