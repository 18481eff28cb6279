"""Property: for random rows (ties, NULLs) and random mixed-direction orderings (fields,
a related field, an annotation), walking forward and then backward visits every row
exactly once, in the database's order."""

from __future__ import annotations

import pytest
from django.db.models.functions import Length
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfkit.pagination import CursorPagination
from testproject.school.models import Attendance
from tests.pagination.support import make_rows, walk

pytestmark = pytest.mark.django_db

FIELDS = ["status", "check_in_time", "version", "created_at", "student__grade", "status_length"]

rows = st.lists(
    st.tuples(
        st.sampled_from(["present", "late"]),
        st.one_of(st.none(), st.integers(0, 3)),
        st.integers(1, 3),
        st.integers(0, 4),
    ),
    min_size=0,
    max_size=25,
)
orderings = st.lists(
    st.tuples(st.sampled_from(FIELDS), st.booleans()),
    min_size=1,
    max_size=4,
    unique_by=lambda t: t[0],
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows, ordering=orderings, nulls_first=st.booleans(), page_size=st.integers(1, 6))
def test_forward_then_backward_visits_every_row_once_in_order(
    rows, ordering, nulls_first, page_size
):
    Attendance.objects.all().delete()
    make_rows(rows)

    class Paginator(CursorPagination):
        pass

    Paginator.ordering = [("-" if descending else "") + name for name, descending in ordering]
    Paginator.nulls = {"check_in_time": "first" if nulls_first else "last"}
    queryset = Attendance.objects.annotate(status_length=Length("status"))  # an annotation

    forward, backward = walk(Paginator, queryset, page_size)

    terms = Paginator().get_terms(None, queryset, None)
    expected = list(
        queryset.order_by(*(term.order_by() for term in terms)).values_list("pk", flat=True)
    )
    assert forward == expected
    assert backward == expected
    assert len(set(forward)) == len(rows)
