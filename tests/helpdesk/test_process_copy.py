"""Per-process copies: loaded once, forgotten on this process's edits, reloaded once old."""

import pytest

from helpdesk import process_copy
from helpdesk.process_copy import ProcessCopy
from tests.factories import ProductFactory
from tickets.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def copies():
    made = []

    def make(load, **kwargs):
        copy = ProcessCopy(f"test-{len(made)}", load, **kwargs)
        made.append(copy)
        return copy

    yield make
    for copy in made:
        process_copy._all.remove(copy)


def test_a_copy_is_loaded_once_while_fresh(copies):
    loads = []
    copy = copies(lambda: loads.append(1) or len(loads))
    assert [copy.get(), copy.get(), copy.get()] == [1, 1, 1]
    assert len(loads) == 1


def test_an_old_copy_is_loaded_again(copies):
    loads = []
    copy = copies(lambda: loads.append(1) or len(loads), seconds=0)
    assert [copy.get(), copy.get()] == [1, 2]


def test_a_save_or_delete_in_this_process_drops_the_copy(copies):
    copy = copies(lambda: sorted(Product.objects.values_list("name", flat=True)))
    copy.watch(Product)
    assert copy.get() == []
    product = ProductFactory(name="Ledger")
    assert copy.get() == ["Ledger"]
    product.delete()
    assert copy.get() == []


def test_rows_loaded_while_a_change_was_made_are_not_kept(copies):
    calls = []

    def load():
        calls.append(1)
        if len(calls) == 1:
            copy.forget()  # an edit lands while the first load reads
        return len(calls)

    copy = copies(load)
    assert copy.get() == 1  # this caller gets what was read...
    assert copy.get() == 2  # ...but the next one reads again
    assert copy.get() == 2


def test_forget_all_drops_every_copy(copies):
    loads = []
    copy = copies(lambda: loads.append(1) or len(loads))
    copy.get()
    process_copy.forget_all()
    assert copy.get() == 2
