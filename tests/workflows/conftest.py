import pytest

from helpdesk.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Run Celery tasks in the calling thread (retries included) for the length of a test."""
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
