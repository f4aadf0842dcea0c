"""hub's migrations describe its models: the release phase (`manage.py migrate`) builds the
tables the code expects."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db  # makemigrations checks the migration history of the database
def test_the_migrations_match_the_models():
    # Exits with status 1, naming the change, when a model differs from its migrations.
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)
