import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are made with passwords; the real hasher costs a large share of each test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
