from loop311_shared.migrations_env import run_migrations
from loop311_sla.models import metadata

run_migrations(metadata)
