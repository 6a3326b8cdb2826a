"""Two real threads creating cases at the same moment, each on its own database connection."""

import threading

from django.db import connection

from tickets.services.cases import case_create


def create_at_once(requester, subjects: list[str], **fields) -> list[Exception]:
    """Create one case per subject, all released together by a barrier; return the errors raised."""
    barrier = threading.Barrier(len(subjects))
    errors: list[Exception] = []

    def create(subject):
        try:
            barrier.wait()
            case_create(requester=requester, subject=subject, **fields)
        except Exception as exc:  # collected for the caller's assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(subject,)) for subject in subjects]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors
