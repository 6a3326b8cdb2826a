import pytest

from helpdesk.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Run Celery tasks in the calling thread for the length of a test.

    Eager errors are not propagated so that Celery's eager `apply` runs the retries
    (tests assert on what the tasks recorded instead).
    """
    before = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield celery_app
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
