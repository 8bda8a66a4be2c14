from loop311_intake.models import metadata
from loop311_shared.migrations_env import run_migrations

run_migrations(metadata)
