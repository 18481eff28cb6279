"""Which query each model instance came from (its :class:`Batch`), and which
``select_related`` paths filled it: marked lazily.

An N+1 is a relation loaded from an instance that came from a multi-row query, so every
row needs its batch, but only once some relation is actually loaded from one of them.
Until then the rows of a capture wait, per queryset, in ``Capture.pending``, with nothing
written on them: a request that loads every relation it reads (``select_related``, the
common case) never marks a row. The first lazy load (or prefetch) in the capture marks
every waiting row at once (:func:`settle`), as does a capture that holds more than
:data:`PENDING_ROWS` of them (which bounds the memory kept alive); from then on the
capture marks rows as they come, and keeps none (kept, the rows of a queryset the host
dropped would live on, and the cycle collector would go through them).

A read of a relation ``select_related`` filled marks its eager load used: through the
instance's batch once rows are marked, else through ``Capture.pending_steps``, keyed by
(model, attribute): unambiguous while one waiting queryset selected that relation of
that model; with two, the rows are marked first. Once such a read has marked its load
used, ``Capture.reads_noted`` remembers the model by the relation's descriptor, and
the next reads of waiting rows return at once (the descriptor hooks in
``perfkit.capture.orm`` check it first): a list of 50 rows with their authors reads
``author`` 50 times, noted once.
"""

from __future__ import annotations

from typing import Any

from perfkit.capture.records import Batch, EagerLoad
from perfkit.capture.state import active_capture

BATCH_KEY = "perfkit_batch"  # in ModelState.__dict__
EAGER_KEY = "perfkit_eager"  # in ModelState.__dict__: attribute -> EagerLoad (prefetch)
PENDING_ROWS = 5_000  # rows a capture may keep waiting before it marks them

_MISSING = object()
_AMBIGUOUS = object()  # two waiting querysets selected the same relation of one model
_labels: dict[tuple[type, str], str] = {}


def model_label(model: type, attribute: str) -> str:
    key = (model, attribute)
    label = _labels.get(key)
    if label is None:
        label = _labels[key] = f"{model._meta.label}.{attribute}"  # type: ignore[attr-defined]
    return label


class SelectedStep:
    """One ``select_related`` step of a queryset: the relation's name, its eager load
    (None for a bare ``select_related()``), the batch its objects share, and the steps
    below it."""

    __slots__ = ("batch", "load", "model", "name", "steps")

    def __init__(self, model: type, name: str, load: EagerLoad | None, batch: Batch) -> None:
        self.model = model
        self.name = name
        self.load = load
        self.batch = batch
        self.steps: list[SelectedStep] = []


def selected_plan(
    capture: Any,
    model: Any,
    selected: Any,
    batch: Batch,
    site: Any,
    rows: int,
    prefix: str = "",
    depth: int = 0,
) -> list[SelectedStep]:
    """The steps of ``select_related`` (a dict of dicts, or True for every non-null
    foreign key), built once per queryset. A top step's eager load filled every one of
    the ``rows``; the steps below count what they filled when their objects are marked."""
    if depth > 8:
        return []
    if selected is True:
        names = [
            (field.name, True)
            for field in model._meta.concrete_fields
            if field.is_relation and field.many_to_one and not field.null
        ]
    else:
        names = list(selected.items())
    steps = []
    for name, nested in names:
        path = f"{prefix}__{name}" if prefix else name
        load = None
        if selected is not True:
            load = EagerLoad("select_related", path, model_label(model, name), site)
            load.instances = rows
            capture.add_eager_load(load)
        # Objects reached through one select_related step share a batch: one object per
        # row of the parent batch, as if each came alone from a row of it.
        child_path = f"{batch.path}__{name}" if batch.path else name
        child_batch = Batch(batch, child_path, batch.joinable)
        child_batch.rows = 1
        step = SelectedStep(model, name, load, child_batch)
        related = _related_model(model, name) if nested else None
        if related is not None:
            step.steps = selected_plan(
                capture,
                related,
                True if selected is True else nested,
                child_batch,
                site,
                0,
                path,
                depth + 1,
            )
        steps.append(step)
        if batch.selected is None:
            batch.selected = {}
        batch.selected[name] = load  # the load, not the step: no cycle back to batch
    return steps


_related_models: dict[tuple[type, str], Any] = {}


def _related_model(model: Any, name: str) -> Any:
    """The model a ``select_related`` step of ``model`` reaches (None when unknown),
    looked up once per (model, name): models and their fields do not change."""
    key = (model, name)
    try:
        return _related_models[key]
    except KeyError:
        pass
    try:
        related = getattr(model._meta.get_field(name), "related_model", None)
    except Exception:  # FieldDoesNotExist, or a reverse relation by another name
        related = None
    _related_models[key] = related
    return related


# -- marking ------------------------------------------------------------------------------
def defer(capture: Any, rows: list[Any], batch: Batch, steps: list[SelectedStep] | None) -> None:
    """Let ``rows`` wait in ``capture`` until a relation is loaded from one of them; once
    one was, mark them now: waiting, they would outlive what the host keeps of them (the
    rows of ``len(parent.children.all())``), and give the cycle collector work."""
    if capture.marks_now:
        mark(rows, batch, steps)
        return
    if capture.pending_rows + len(rows) > PENDING_ROWS:
        settle(capture)
        mark(rows, batch, steps)
        return
    capture.pending.append((rows, batch, steps))
    capture.pending_rows += len(rows)
    if steps:
        _wait_for_reads(capture.pending_steps, steps)
        capture.reads_noted.clear()  # a key may now lead to a new (or an ambiguous) step


def _wait_for_reads(waiting: dict[Any, Any], steps: list[SelectedStep]) -> None:
    for step in steps:
        key = (step.model, step.name)
        waiting[key] = step if waiting.get(key, step) is step else _AMBIGUOUS
        if step.steps:
            _wait_for_reads(waiting, step.steps)


def settle(capture: Any) -> None:
    """Mark the waiting rows of ``capture`` and of the captures around it; from now on,
    their new rows are marked as they come."""
    while capture is not None:
        capture.marks_now = True
        if capture.pending:
            pending, capture.pending = capture.pending, []
            capture.pending_rows = 0
            capture.pending_steps.clear()
            capture.reads_noted.clear()
            for rows, batch, steps in pending:
                mark(rows, batch, steps)
        capture = capture.parent


def settle_for_detection(capture: Any) -> None:
    """At the end of a scope: mark what detection needs marked (the counts of nested
    select_related steps), or everything when an outer scope goes on; then let go."""
    if capture.parent is not None:
        settle(capture)
        return
    for rows, batch, steps in capture.pending:
        if steps and any(step.steps for step in steps):
            mark(rows, batch, steps)
    capture.pending = []
    capture.pending_rows = 0
    capture.pending_steps.clear()
    capture.reads_noted.clear()


def mark(rows: list[Any], batch: Batch, steps: list[SelectedStep] | None) -> None:
    """Give each row its batch; with select_related steps, each object a step brought
    its step's batch (an object the queryset already knew keeps its own)."""
    if not steps:
        for instance in rows:  # a plain loop: faster than map() tricks on 3.11+
            instance._state.__dict__[BATCH_KEY] = batch
        return
    for instance in rows:
        state = instance._state
        state.__dict__[BATCH_KEY] = batch
        _mark_children(state.fields_cache, steps)


def _mark_children(cache: dict[str, Any], steps: list[SelectedStep]) -> None:
    for step in steps:
        child = cache.get(step.name)
        if child is None:
            continue
        try:
            child_state = child._state
        except AttributeError:
            continue
        if BATCH_KEY in child_state.__dict__:
            continue
        child_state.__dict__[BATCH_KEY] = step.batch
        for below in step.steps:
            if below.load is not None and below.name in child_state.fields_cache:
                below.load.instances += 1
        if step.steps:
            _mark_children(child_state.fields_cache, step.steps)


def batch_of(instance: Any) -> Batch | None:
    """The batch ``instance`` came from (its rows marked first if they wait)."""
    try:
        state = instance._state.__dict__
    except AttributeError:
        return None
    batch: Batch | None = state.get(BATCH_KEY)
    if batch is None:
        capture = active_capture.get()
        if capture is not None:
            settle(capture)
            batch = state.get(BATCH_KEY)
    return batch


# -- reads of loaded relations ---------------------------------------------------------------
def cached_read(capture: Any, instance: Any, state: dict[str, Any], attribute: str) -> bool:
    """A read served from ``instance``'s cache (``state`` is its ``ModelState.__dict__``):
    mark the eager load behind it used. True when the next reads of ``attribute`` on
    waiting rows of this model have nothing to note (until rows wait or are marked
    anew: ``Capture.reads_noted``)."""
    batch = state.get(BATCH_KEY)
    if batch is None:
        step = _waiting_step(capture, type(instance), attribute)
        if step is _AMBIGUOUS:
            settle(capture)
            batch = state.get(BATCH_KEY)
        elif step is not None:
            if step.load is not None:
                step.load.used = True
            return True
    if batch is not None and batch.selected and attribute in batch.selected:
        selected = batch.selected[attribute]
        if selected is not None:
            selected.used = True
        return False
    marks = state.get(EAGER_KEY)
    if marks:
        load = marks.get(attribute)
        if load is not None:
            load.used = True
    return False


def _waiting_step(capture: Any, model: type, attribute: str) -> Any:
    while capture is not None:
        waiting = capture.pending_steps
        if waiting:
            step = waiting.get((model, attribute))
            if step is not None:
                return step
        capture = capture.parent
    return None
