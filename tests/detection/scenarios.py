"""The scenario suite: small pieces of ORM code with a known verdict.

Each scenario is a function; the lines that should be reported carry a ``# expect:``
marker naming the finding. ``EXPECTED`` maps every scenario to its findings as
``(kind, relation, marker)``; an empty tuple means perfkit must stay silent. The
nplusone differential test runs the same functions.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from django.contrib.auth.models import User
from django.db.models import Prefetch

from testproject.journal.models import Comment, JournalEntry
from testproject.school.models import Class, Enrollment, Student, Teacher

SOURCE = Path(__file__)


def line_of(marker: str) -> int:
    for number, text in enumerate(SOURCE.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# expect: {marker}"):
            return number
    raise LookupError(marker)


def location_of(marker: str) -> str:
    return f"tests/detection/scenarios.py:{line_of(marker)}"


# -- N+1 through relations ------------------------------------------------------------
def fk_loop():
    for school_class in Class.objects.all():
        print(school_class.teacher.last_name)  # expect: fk


def reverse_fk_loop():
    for teacher in Teacher.objects.all():
        print(len(teacher.classes.all()))  # expect: reverse-fk


def m2m_loop():
    for school_class in Class.objects.all():
        print([student.email for student in school_class.students.all()])  # expect: m2m


def one_to_one_forward():
    for teacher in Teacher.objects.all():
        print(teacher.user.username)  # expect: one-to-one


def one_to_one_reverse():
    for user in User.objects.filter(teacher__isnull=False):
        print(user.teacher.email)  # expect: one-to-one-reverse


def generic_relation():
    for entry in JournalEntry.objects.all():
        print(list(entry.comments.all()))  # expect: generic-relation


def generic_foreign_key():
    for comment in Comment.objects.all():
        print(comment.target)  # expect: generic-fk


def deferred_field():
    for school_class in Class.objects.only("id"):
        print(school_class.room)  # expect: deferred


def nested_loops():
    for teacher in Teacher.objects.all():
        for school_class in teacher.classes.all():  # expect: nested-1
            students = school_class.students
            print(students.count(), list(students.all()))  # expect: nested-2


def level_two_not_prefetched():
    for teacher in Teacher.objects.prefetch_related("classes"):
        for school_class in teacher.classes.all():
            print(list(school_class.students.all()))  # expect: level-2


def select_related_then_lazy():
    for enrollment in Enrollment.objects.select_related("school_class"):
        print(enrollment.school_class.teacher.email)  # expect: through-select-related


# -- N+1 without a relation -----------------------------------------------------------
def get_loop():
    for pk in Class.objects.values_list("pk", flat=True):
        print(Class.objects.get(pk=pk).name)  # expect: get


def count_loop():
    for teacher in Teacher.objects.all():
        print(Class.objects.filter(teacher=teacher).count())  # expect: count


# -- eager loads nobody reads -----------------------------------------------------------
def unused_prefetch():
    for teacher in Teacher.objects.prefetch_related("classes"):  # expect: unused-prefetch
        print(teacher.email)


def unused_select():
    for school_class in Class.objects.select_related("teacher"):  # expect: unused-select
        print(school_class.name)


def unused_nested_select():
    rows = Enrollment.objects.select_related("student", "school_class__teacher")
    for enrollment in rows:  # expect: unused-nested-select
        print(enrollment.student.email, enrollment.school_class.name)


def used_select_then_unused_twin():
    # The first queryset's reads are noted once per (model, attribute); a second queryset
    # that selects the same relation and never reads it must still be reported.
    for school_class in Class.objects.select_related("teacher"):
        print(school_class.teacher.last_name)
    for school_class in Class.objects.select_related("teacher"):  # expect: unused-twin
        print(school_class.name)


def twins_both_read():
    first = list(Class.objects.select_related("teacher"))
    print([school_class.teacher.last_name for school_class in first])
    second = list(Class.objects.select_related("teacher"))
    print([school_class.teacher.last_name for school_class in second])
    print([school_class.teacher.last_name for school_class in first])


# -- writes -------------------------------------------------------------------------------
def saves_in_a_loop():
    for enrollment in Enrollment.objects.all():
        enrollment.enrolled_on = enrollment.enrolled_on.replace(day=1)
        enrollment.save()  # expect: saves


def creates_in_a_loop():
    teacher = Teacher.objects.first()
    for number in range(6):
        Class.objects.create(name=f"Extra {number}", teacher=teacher)  # expect: creates


# -- correct code: silence -------------------------------------------------------------
def correct_select_and_prefetch():
    for school_class in Class.objects.select_related("teacher").prefetch_related("students"):
        print(school_class.teacher.email, [s.email for s in school_class.students.all()])


def correct_nested_prefetch():
    for teacher in Teacher.objects.prefetch_related("classes__students"):
        for school_class in teacher.classes.all():
            print([student.email for student in school_class.students.all()])


def prefetch_objects_with_custom_querysets():
    classes = Class.objects.select_related("teacher").order_by("name")
    students = Student.objects.only("id", "email")
    rows = Teacher.objects.prefetch_related(
        Prefetch("classes", queryset=classes.prefetch_related(Prefetch("students", students))),
        Prefetch("classes", queryset=Class.objects.all(), to_attr="class_list"),
    )
    for teacher in rows:
        for school_class in teacher.classes.all():
            print(school_class.teacher.email, [s.email for s in school_class.students.all()])
        print(len(teacher.class_list))


def single_object_one_plus_one():
    school_class = Class.objects.first()
    print(school_class.teacher.email, list(school_class.students.all()))
    entry = JournalEntry.objects.first()
    print(entry.comments.count(), entry.user.username)


def iterator_values_and_friends():
    for school_class in Class.objects.select_related("teacher").iterator(chunk_size=2):
        print(school_class.teacher.email)
    print(list(Class.objects.values("name", "teacher__email")))
    print(list(Class.objects.values_list("teacher__email", flat=True)))
    print(Class.objects.in_bulk())
    print(list(Teacher.objects.none()))


def other_querysets():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # select_related() without fields: deprecated in 6.1
        everything = list(Class.objects.select_related())
    for school_class in everything:
        print(school_class.teacher.email)
    print([t.email for t in Teacher.objects.raw("SELECT * FROM school_teacher")])
    print(list(Class.objects.filter(pk=1).union(Class.objects.filter(pk=2))))
    print(list(Class.objects.values("teacher").distinct()), Class.objects.exists())
    print(list(Enrollment.objects.dates("enrolled_on", "month")))
    first = Class.objects.select_related("teacher").prefetch_related("students").first()
    print(first.teacher.email, list(first.students.all()))


def prefetched_generic_relation():
    for entry in JournalEntry.objects.prefetch_related("comments"):
        print(list(entry.comments.all()))
    for comment in Comment.objects.prefetch_related("target"):
        print(comment.target)


# -- async ----------------------------------------------------------------------------------
async def async_querysets():
    print([c async for c in Class.objects.select_related("teacher").aiterator()])
    print([row async for row in Class.objects.values("name")])
    print(await Class.objects.prefetch_related("students").afirst(), await Class.objects.acount())


async def async_loops():
    async for school_class in Class.objects.all():
        await Teacher.objects.aget(pk=school_class.teacher_id)  # expect: aget
        async for student in school_class.students.all():  # expect: async-for
            print(student.email)


ASYNC_EXPECTED = (
    ("n_plus_one", None, "aget"),
    ("n_plus_one", "school.Class.students", "async-for"),
)


EXPECTED: dict[object, tuple[tuple[str, str | None, str], ...]] = {
    fk_loop: (("n_plus_one", "school.Class.teacher", "fk"),),
    reverse_fk_loop: (("n_plus_one", "school.Teacher.classes", "reverse-fk"),),
    m2m_loop: (("n_plus_one", "school.Class.students", "m2m"),),
    one_to_one_forward: (("n_plus_one", "school.Teacher.user", "one-to-one"),),
    one_to_one_reverse: (("n_plus_one", "auth.User.teacher", "one-to-one-reverse"),),
    generic_relation: (("n_plus_one", "journal.JournalEntry.comments", "generic-relation"),),
    generic_foreign_key: (("n_plus_one", "journal.Comment.target", "generic-fk"),),
    deferred_field: (("n_plus_one", "school.Class.room", "deferred"),),
    nested_loops: (
        ("n_plus_one", "school.Teacher.classes", "nested-1"),
        ("n_plus_one", "school.Class.students", "nested-2"),
    ),
    level_two_not_prefetched: (("n_plus_one", "school.Class.students", "level-2"),),
    select_related_then_lazy: (("n_plus_one", "school.Class.teacher", "through-select-related"),),
    get_loop: (("n_plus_one", None, "get"),),
    count_loop: (("n_plus_one", None, "count"),),
    unused_prefetch: (("unused_eager_load", "school.Teacher.classes", "unused-prefetch"),),
    unused_select: (("unused_eager_load", "school.Class.teacher", "unused-select"),),
    unused_nested_select: (("unused_eager_load", "school.Class.teacher", "unused-nested-select"),),
    used_select_then_unused_twin: (("unused_eager_load", "school.Class.teacher", "unused-twin"),),
    twins_both_read: (),
    saves_in_a_loop: (("repeated_write", None, "saves"),),
    creates_in_a_loop: (("repeated_write", None, "creates"),),
    correct_select_and_prefetch: (),
    correct_nested_prefetch: (),
    prefetch_objects_with_custom_querysets: (),
    single_object_one_plus_one: (),
    iterator_values_and_friends: (),
    prefetched_generic_relation: (),
    other_querysets: (),
}
