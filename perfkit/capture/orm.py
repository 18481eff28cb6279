"""Observing the ORM to name the relation behind each query, only while captures run.

Installed by the first capture in the process (see :mod:`perfkit.capture.scope`),
never at import time, and then left in place: outside a capture each hook passes
straight through to Django's own method after one ``ContextVar`` read. Putting the
originals back after every scope cost more than observing a whole request
(docs/detection.md, "What it costs"); :func:`uninstall` puts them back on demand. The
hooks sit on the ORM's documented extension points and stable internals:

* relation descriptors' ``__get__`` (forward FK and one-to-one, reverse one-to-one,
  generic foreign keys, deferred fields): a cache miss runs the load with
  :data:`~perfkit.capture.state.loading_state` naming the relation;
* reverse-FK / many-to-many / generic-relation managers, whose class (one per relation)
  is wrapped the first time a capture reads the relation: the queryset their
  ``get_queryset()`` builds carries the relation on its ``Query`` (clones keep it), and
  ``SQLCompiler.execute_sql`` names the relation while that query runs;
* ``ModelIterable``: every instance remembers the :class:`Batch` of rows it came from
  (so a 1+1 on a single object is not an N+1) and which ``select_related`` paths filled it;
* ``prefetch_related_objects``: which prefetched paths filled which instances.

Every hook calls the original exactly once, outside its own error handling, so the
host's exceptions (``RelatedObjectDoesNotExist``, ``DoesNotExist``…) reach the host as
they are and are never taken for perfkit's; perfkit's own errors go to
``Capture.errors``. Each hook is installed on its own: one that cannot be (Django moved
the method) stays off, once logged, and the others work. A hook is restored only while
it is still perfkit's: a patch another tool (or ``mock.patch``) put over it survives,
and perfkit's wrapper under it turns into a pass-through.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from types import FrameType, FunctionType
from typing import Any

from perfkit.capture.records import (
    Batch,
    EagerLoad,
    RelationKind,
    RelationLoad,
    new_relation_load,
)
from perfkit.capture.row_batches import (
    BATCH_KEY,
    EAGER_KEY,
    SelectedStep,
    batch_of,
    cached_read,
    defer,
    mark,
    model_label,
    selected_plan,
)
from perfkit.capture.state import active_capture, loading_state

RELATION_KEY = "_perfkit_relation"  # in Query.__dict__ (Query.clone copies it)

_MISSING = object()
_manager_lock = threading.Lock()
install_recorder: Any = None  # perfkit.capture.scope's, bound by install() (no import cycle)
record_query: Any = None


class Switch:
    """Whether one installed wrapper observes (on) or only passes through (off).

    A wrapper outlives its installation when another patch was put over it: it then
    stays in the chain, switched off, so it never observes twice.
    """

    __slots__ = ("on",)

    def __init__(self) -> None:
        self.on = True


def relation_load(
    instance: Any, attribute: str, kind: RelationKind, joinable: bool, prefetched: bool = False
) -> RelationLoad:
    batch = batch_of(instance)
    parent_path = batch.path if batch is not None else ""
    return new_relation_load(
        model_label(type(instance), attribute),
        kind,
        attribute,
        f"{parent_path}__{attribute}" if parent_path else attribute,
        joinable and (batch.joinable if batch is not None else True),
        batch,
        prefetched,
    )


def touch(instance: Any, attribute: str) -> None:
    """A read of an eagerly loaded relation: mark its eager load used."""
    if loading_state.in_prefetch:
        return
    try:
        state = instance._state.__dict__
    except AttributeError:
        return
    cached_read(active_capture.get(), instance, state, attribute)


def _fail(error: BaseException) -> None:
    capture = active_capture.get()
    if capture is not None:
        capture.fail(error)


def _run_loading(
    load: RelationLoad | None, call: Callable[[], Any], frame: FrameType | None = None
) -> Any:
    """Run ``call`` with ``load`` naming the relation its queries load; ``frame`` is the
    code that asked for it, where their call sites are searched from (the outermost
    request wins: a load inside a load keeps the first frame)."""
    state = loading_state
    previous, previous_frame = state.loading, state.frame
    state.loading = load
    if previous_frame is None:
        state.frame = frame
    try:
        return call()
    finally:
        state.loading, state.frame = previous, previous_frame


# -- descriptors -------------------------------------------------------------------------
def _single_object_get(
    original: Any,
    switch: Switch,
    describe: Callable[[Any], tuple[str, str, bool]],
    kind: RelationKind,
    joinable: bool,
) -> Any:
    """A ``__get__`` for descriptors that load one object. ``describe(descriptor)`` gives
    (attribute name, key in the instance's ``fields_cache``, whether the original returns
    a cached object other than None as it is), worked out once per descriptor: a cached
    read, the common case, costs a few dictionary lookups and no call of the original."""
    described: dict[Any, tuple[str, str, bool]] = {}
    # Returning a cached object without the original is only right when the original is
    # Django's own: another tool's wrapper under perfkit's (nplusone's) must see the read.
    djangos_own = _is_djangos_own(original)

    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        capture = active_capture.get()
        if capture is None or instance is None or not switch.on:
            return original(self, instance, cls)
        load: RelationLoad | None = None
        try:
            names = described.get(self)
            if names is None:
                name, key, as_is = describe(self)
                names = described[self] = (name, key, djangos_own and as_is)
            marks = instance._state.__dict__  # where ModelState keeps fields_cache too
            try:
                cached = marks["fields_cache"][names[1]]
            except KeyError:
                load = relation_load(instance, names[0], kind, joinable)
            else:
                # Anything to note? (row_batches.cached_read, asked first: every cached read)
                if (
                    (
                        BATCH_KEY in marks
                        or EAGER_KEY in marks
                        or capture.reads_noted.get(self) is not type(instance)
                    )
                    and not loading_state.in_prefetch
                    and cached_read(capture, instance, marks, names[0])
                ):
                    capture.reads_noted[self] = type(instance)
                if names[2] and cached is not None:
                    return cached  # what the original returns, without running it
        except Exception as error:
            _fail(error)
        # The original runs once, outside perfkit's error handling: what it raises (a
        # missing reverse one-to-one's RelatedObjectDoesNotExist) is the host's.
        if load is None:
            return original(self, instance, cls)
        return _run_loading(load, partial(original, self, instance, cls), sys._getframe(1))

    __get__.__wrapped__ = original  # type: ignore[attr-defined]
    return __get__


def _many_get(original: Any, switch: Switch) -> Any:
    """``__get__`` of reverse-FK / many-to-many / generic-relation descriptors: the
    manager's class (one per relation, made by Django once) is observed the first time a
    capture sees it (:func:`_observe_manager_class`); nothing is put on the manager."""
    observed = _observed_manager_classes

    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        manager = original(self, instance, cls)
        if instance is None or not switch.on or type(manager) in observed:
            return manager
        if active_capture.get() is None:
            return manager
        try:
            _observe_manager_class(type(manager), *_describe_many(self))
        except Exception as error:
            _fail(error)
        return manager

    __get__.__wrapped__ = original  # type: ignore[attr-defined]
    return __get__


# What perfkit wraps on a related manager's class. A many-to-many count()/exists() may
# query the through table directly, without get_queryset().
_MANAGER_METHODS = ("get_queryset", "count", "exists")
# class -> (attribute, what the class itself had there or _MISSING), to put back.
_observed_manager_classes: dict[type, list[tuple[str, Any]]] = {}


def _observe_manager_class(manager_class: type, name: str, kind: RelationKind) -> None:
    """Wrap the methods of a related manager's class (Django makes one per relation and
    keeps it), for good: outside a capture they pass straight through. A copy of a
    manager (``db_manager()``, which ``get_or_create()`` uses) is of the same class."""
    with _manager_lock:
        if manager_class in _observed_manager_classes:
            return
        # Registered first: what was replaced before a failure is still put back.
        replaced = _observed_manager_classes[manager_class] = []
        for attribute in _MANAGER_METHODS:
            method = getattr(manager_class, attribute)
            wrapper = (
                _manager_get_queryset(method, name, kind)
                if attribute == "get_queryset"
                else _manager_query(method, name, kind)
            )
            had = manager_class.__dict__.get(attribute, _MISSING)
            setattr(manager_class, attribute, wrapper)
            replaced.append((attribute, had))


def _unobserve_manager_classes() -> None:
    """Put back what each observed manager class had (see :func:`uninstall`)."""
    with _manager_lock:
        for manager_class, replaced in _observed_manager_classes.items():
            for attribute, had in replaced:
                if had is _MISSING:
                    delattr(manager_class, attribute)
                else:
                    setattr(manager_class, attribute, had)
        _observed_manager_classes.clear()


def _manager_get_queryset(original: Any, name: str, kind: RelationKind) -> Any:
    def get_queryset(manager: Any) -> Any:
        queryset = original(manager)
        if active_capture.get() is None:
            return queryset
        try:
            if queryset._result_cache is not None:  # served from prefetch_related's cache
                touch(manager.instance, name)
            else:
                # Inside prefetch_related_objects this queryset becomes the prefetch
                # cache; a query derived from it later (filter(), get()) is no lazy load.
                queryset._query.__dict__[RELATION_KEY] = relation_load(
                    manager.instance, name, kind, False, prefetched=bool(loading_state.in_prefetch)
                )
        except Exception as error:
            _fail(error)
        return queryset

    get_queryset.__wrapped__ = original  # type: ignore[attr-defined]
    return get_queryset


def _manager_query(original: Any, name: str, kind: RelationKind) -> Any:
    def query(manager: Any, *args: Any, **kwargs: Any) -> Any:
        if active_capture.get() is None:
            return original(manager, *args, **kwargs)
        try:
            load = relation_load(manager.instance, name, kind, joinable=False)
        except Exception as error:
            _fail(error)
            return original(manager, *args, **kwargs)
        return _run_loading(load, partial(original, manager, *args, **kwargs), sys._getframe(1))

    query.__wrapped__ = original  # type: ignore[attr-defined]
    return query


def _describe_many(descriptor: Any) -> tuple[str, RelationKind]:
    kind_name = type(descriptor).__name__
    if kind_name == "ReverseGenericManyToOneDescriptor":
        return descriptor.field.name, "generic_relation"
    if hasattr(descriptor, "reverse"):  # ManyToManyDescriptor
        if descriptor.reverse:
            return descriptor.rel.get_accessor_name(), "many_to_many"
        return descriptor.field.name, "many_to_many"
    return descriptor.rel.get_accessor_name(), "reverse_many"


def _cache_key(field: Any) -> str:
    """The key of a relation in ``ModelState.fields_cache`` (``cache_name`` since Django
    5.1; ``get_cache_name()`` before)."""
    key = getattr(field, "cache_name", None)
    return str(key if key is not None else field.get_cache_name())


def _is_djangos_own(function: Any) -> bool:
    """Whether ``function`` is a plain function of Django's, not a wrapper over one."""
    return (
        isinstance(function, FunctionType)
        and function.__module__.startswith("django.")
        and not hasattr(function, "__wrapped__")
    )


def _reads_cache_directly(field: Any) -> bool:
    """Whether ``field`` keeps its cached object where Django's ``FieldCacheMixin`` does
    (a field class may override it): then a forward or reverse one-to-one descriptor
    returns a cached object other than None exactly as it is in ``fields_cache``."""
    from django.db.models.fields.mixins import FieldCacheMixin

    return type(field).get_cached_value is FieldCacheMixin.get_cached_value


def _describe_forward(descriptor: Any) -> tuple[str, str, bool]:
    field = descriptor.field
    return str(field.name), _cache_key(field), _reads_cache_directly(field)


def _describe_reverse_one(descriptor: Any) -> tuple[str, str, bool]:
    related = descriptor.related
    return (
        str(related.get_accessor_name()),
        _cache_key(related),
        _reads_cache_directly(related),
    )


def _describe_generic(descriptor: Any) -> tuple[str, str, bool]:
    # Django 5.2: GenericForeignKey is its own descriptor; 6.x: GenericForeignKeyDescriptor.
    # Its __get__ checks a cached object against the content type and key: always run it.
    field = getattr(descriptor, "field", descriptor)
    return str(field.name), _cache_key(field), False


def _deferred_get(original: Any, switch: Switch) -> Any:
    """``DeferredAttribute.__get__``: also runs for every read of a foreign key's ``*_id``
    (a data descriptor), so the loaded case returns before anything else: the value in
    the instance's ``__dict__``, which is what Django's own returns, without calling it
    (that call would double the cost of every such read). Over another tool's wrapper,
    the original always runs."""
    djangos_own = _is_djangos_own(original)

    def __get__(self: Any, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return original(self, instance, cls)
        if djangos_own:
            try:
                return instance.__dict__[self.field.attname]
            except KeyError:
                pass
        elif self.field.attname in instance.__dict__:
            return original(self, instance, cls)
        if active_capture.get() is None or not switch.on:
            return original(self, instance, cls)
        try:
            load = relation_load(instance, self.field.attname, "deferred", False)
        except Exception as error:
            _fail(error)
            load = None
        if load is None:
            return original(self, instance, cls)
        return _run_loading(load, partial(original, self, instance, cls), sys._getframe(1))

    __get__.__wrapped__ = original  # type: ignore[attr-defined]
    return __get__


# -- ModelIterable, the compiler, prefetching ------------------------------------------------
def _model_iterable_iter(original: Any, switch: Switch) -> Any:
    def __iter__(self: Any) -> Iterator[Any]:
        capture = active_capture.get() if switch.on else None
        if capture is None:
            return original(self)  # type: ignore[no-any-return]
        try:
            query = self.queryset.query
            origin: RelationLoad | None = query.__dict__.get(RELATION_KEY) or loading_state.loading
            if origin is not None:
                batch = Batch(origin.parent_batch, origin.path, origin.joinable)
            else:
                batch = Batch()
            selected = query.select_related
        except Exception as error:
            capture.fail(error)
            return original(self)  # type: ignore[no-any-return]
        if self.chunked_fetch:  # iterator(): rows stream, so they are marked as they come
            return _marked_as_they_come(original(self), capture, batch, selected)
        # _fetch_all() lists every row anyway: list them at C speed and hand back a plain
        # list iterator (no generator between rows and host); the rows wait, unmarked,
        # until a relation is loaded from one of them (perfkit.capture.row_batches).
        state = loading_state
        asked_by, state.last_site = state.frame, None
        if asked_by is None:  # the query's call site is searched from who iterates
            state.frame = sys._getframe(1)
        try:
            rows = list(original(self))
        finally:
            state.frame = asked_by
        batch.rows = len(rows)
        if not rows:
            return iter(rows)
        try:
            steps = None
            if selected:
                site = state.last_site or capture.call_site()  # the query's own site
                steps = selected_plan(
                    capture, self.queryset.model, selected, batch, site, len(rows)
                )
            defer(capture, rows, batch, steps)
        except Exception as error:
            capture.fail(error)
        return iter(rows)

    __iter__.__wrapped__ = original  # type: ignore[attr-defined]
    return __iter__


def _marked_as_they_come(
    rows: Iterator[Any], capture: Any, batch: Batch, selected: Any
) -> Iterator[Any]:
    steps: list[SelectedStep] | None = None
    for instance in rows:
        batch.rows += 1
        try:
            if selected and steps is None:
                steps = selected_plan(
                    capture, type(instance), selected, batch, capture.call_site(), 0
                )
            if steps:
                for step in steps:
                    if step.load is not None and step.name in instance._state.fields_cache:
                        step.load.instances += 1
            mark([instance], batch, steps)
        except Exception as error:
            capture.fail(error)
        yield instance


def _execute_sql(original: Any, switch: Switch) -> Any:
    def execute_sql(self: Any, *args: Any, **kwargs: Any) -> Any:
        if active_capture.get() is None or not switch.on:
            return original(self, *args, **kwargs)
        try:
            connection = self.connection
            if record_query not in connection.execute_wrappers:
                install_recorder(connection)  # a connection of another thread, opened earlier
            load = self.query.__dict__.get(RELATION_KEY)
        except Exception as error:
            _fail(error)
            load = None
        if load is None:
            return original(self, *args, **kwargs)
        return _run_loading(load, partial(original, self, *args, **kwargs))

    execute_sql.__wrapped__ = original  # type: ignore[attr-defined]
    return execute_sql


def _prefetch_related_objects(original: Any, switch: Switch) -> Any:
    def prefetch_related_objects(model_instances: Any, *related_lookups: Any) -> Any:
        capture = active_capture.get()
        if capture is None or loading_state.loading is not None or not switch.on:
            return original(model_instances, *related_lookups)
        loading_state.in_prefetch += 1
        try:
            result = original(model_instances, *related_lookups)
        finally:
            loading_state.in_prefetch -= 1
        try:
            _mark_prefetched(capture, list(model_instances), related_lookups)
        except Exception as error:
            capture.fail(error)
        return result

    prefetch_related_objects.__wrapped__ = original  # type: ignore[attr-defined]
    return prefetch_related_objects


def _prefetched_children(instance: Any, name: str) -> list[Any] | None:
    cache = getattr(instance, "_prefetched_objects_cache", None)
    if cache and name in cache:
        return list(cache[name]._result_cache or ())
    value = instance._state.fields_cache.get(name, _MISSING)
    if value is _MISSING:
        return None
    return [] if value is None else [value]


def _mark_prefetched(capture: Any, instances: list[Any], lookups: tuple[Any, ...]) -> None:
    # values()/values_list() rows are dicts and tuples: Django skips prefetching on them.
    instances = [instance for instance in instances if hasattr(instance, "_state")]
    if not instances:
        return
    site = capture.call_site()
    root_batch = batch_of(instances[0])
    root_path = root_batch.path if root_batch is not None else ""
    eager: dict[str, EagerLoad] = {}
    for lookup in lookups:
        through = getattr(lookup, "prefetch_through", lookup)
        to_attr = getattr(lookup, "to_attr", None)
        segments = str(through).split("__")
        level = instances
        for depth, name in enumerate(segments):
            if to_attr and depth == len(segments) - 1:
                break  # a to_attr list is a plain attribute: reads cannot be observed
            path = "__".join(segments[: depth + 1])
            load = eager.get(path)
            if load is None:
                load = eager[path] = EagerLoad(
                    "prefetch_related", path, model_label(type(level[0]), name), site
                )
                capture.add_eager_load(load)
            full_path = f"{root_path}__{path}" if root_path else path
            next_level: list[Any] = []
            for instance in level:
                children = _prefetched_children(instance, name)
                if children is None:
                    continue
                load.instances += 1
                instance._state.__dict__.setdefault(EAGER_KEY, {})[name] = load
                for child in children:
                    batch = batch_of(child)
                    if batch is not None:
                        batch.path = full_path
                        batch.joinable = False
                    next_level.append(child)
            level = next_level
            if not level:
                break


# -- install / uninstall ------------------------------------------------------------------
_RELATED = "django.db.models.fields.related_descriptors"
_QUERY = "django.db.models.query"


@dataclass
class Hook:
    """One attribute perfkit wraps: ``owner.name``, found at install time.

    ``owner`` says where the attribute lives (a module and a dotted path in it, or a
    function finding it); ``make(original, switch)`` builds the wrapper.
    """

    name: str
    owner: Callable[[], Any]
    attribute: str
    make: Callable[[Any, Switch], Any]
    installed_on: Any = None
    original: Any = None
    wrapper: Any = None
    # The wrapper last made, and for which original: a scope per request installs and
    # removes the hooks every time, so the wrapper is built once and reused.
    made_for: Any = None
    made: Any = None
    broken: bool = False  # could not be installed (Django moved it): not tried again

    def install(self) -> None:
        owner = self.owner()
        if owner is None:
            return  # not applicable here (e.g. contenttypes not installed)
        current = owner.__dict__[self.attribute]  # KeyError: Django moved it
        switch = getattr(current, "perfkit_switch", None)
        if getattr(current, "perfkit_hook", None) == self.name and switch is not None:
            # perfkit's own wrapper, put back by a patch that was made over it: reuse it.
            switch.on = True
            self.installed_on, self.original, self.wrapper = owner, current.__wrapped__, current
            return
        if self.made is not None and self.made_for is current:
            wrapper = self.made
            wrapper.perfkit_switch.on = True
        else:
            switch = Switch()
            wrapper = self.make(current, switch)
            wrapper.perfkit_hook = self.name
            wrapper.perfkit_switch = switch
            self.made_for, self.made = current, wrapper
        setattr(owner, self.attribute, wrapper)
        self.installed_on, self.original, self.wrapper = owner, current, wrapper

    def uninstall(self) -> None:
        owner, wrapper = self.installed_on, self.wrapper
        if owner is None:
            return
        wrapper.perfkit_switch.on = False
        if owner.__dict__.get(self.attribute) is wrapper:
            setattr(owner, self.attribute, self.original)
        # Else another patch sits over perfkit's: it stays, and perfkit's wrapper under it
        # passes through (its switch is off) until a later install takes it back.
        self.installed_on = self.original = self.wrapper = None


def _found(module: str, path: str) -> Callable[[], Any]:
    def owner() -> Any:
        # Looked up on every install (a hook is installed per scope): sys.modules first.
        found: Any = sys.modules.get(module) or importlib.import_module(module)
        for name in path.split(".") if path else ():
            found = getattr(found, name)
        return found

    return owner


HOOKS: tuple[Hook, ...] = (
    Hook(
        "ForwardManyToOneDescriptor.__get__",
        _found(_RELATED, "ForwardManyToOneDescriptor"),
        "__get__",
        lambda original, switch: _single_object_get(
            original, switch, _describe_forward, "forward", True
        ),
    ),
    Hook(
        "ReverseOneToOneDescriptor.__get__",
        _found(_RELATED, "ReverseOneToOneDescriptor"),
        "__get__",
        lambda original, switch: _single_object_get(
            original, switch, _describe_reverse_one, "reverse_one_to_one", True
        ),
    ),
    Hook(
        "ReverseManyToOneDescriptor.__get__",
        _found(_RELATED, "ReverseManyToOneDescriptor"),
        "__get__",
        _many_get,
    ),
    Hook(
        "DeferredAttribute.__get__",
        _found("django.db.models.query_utils", "DeferredAttribute"),
        "__get__",
        _deferred_get,
    ),
    Hook(
        "GenericForeignKey.__get__",
        lambda: _generic_descriptor_class(),
        "__get__",
        lambda original, switch: _single_object_get(
            original, switch, _describe_generic, "generic_foreign_key", False
        ),
    ),
    Hook(
        "ModelIterable.__iter__",
        _found(_QUERY, "ModelIterable"),
        "__iter__",
        _model_iterable_iter,
    ),
    Hook(
        "SQLCompiler.execute_sql",
        _found("django.db.models.sql.compiler", "SQLCompiler"),
        "execute_sql",
        _execute_sql,
    ),
    Hook(
        "query.prefetch_related_objects",
        _found(_QUERY, ""),
        "prefetch_related_objects",
        _prefetch_related_objects,
    ),
)


_settled = False  # every hook installed, or given up on


def settled() -> bool:
    """Whether :func:`install` has nothing left to do (until :func:`uninstall`)."""
    return _settled


def install() -> None:
    """Install every hook not yet installed, each on its own (called when a capture
    starts, under its lock). A hook that cannot be installed stays off, logged once and
    not tried again."""
    global install_recorder, record_query, _settled
    from perfkit.capture.errors import log_error
    from perfkit.capture.scope import install_recorder, record_query

    for hook in HOOKS:
        if hook.wrapper is not None or hook.broken:
            continue
        try:
            hook.install()
        except Exception as error:
            hook.broken = True
            log_error(error, f"the ORM hook {hook.name} is off (Django changed it?)")
    _settled = True


def _generic_descriptor_class() -> Any:
    from django.apps import apps

    if not apps.is_installed("django.contrib.contenttypes"):
        return None
    fields = importlib.import_module("django.contrib.contenttypes.fields")
    descriptor = getattr(fields, "GenericForeignKeyDescriptor", None)
    if descriptor is not None and "__get__" in descriptor.__dict__:
        return descriptor
    return fields.GenericForeignKey


def uninstall() -> None:
    """Put back every original that is still covered by perfkit's wrapper, and let the
    next capture try the hooks that could not be installed again. Never called by
    perfkit itself while the process runs; for tools and tests that need Django's own
    methods back."""
    global _settled
    from perfkit.capture.errors import log_error

    _settled = False
    _unobserve_manager_classes()
    for hook in reversed(HOOKS):
        hook.broken = False
        try:
            hook.uninstall()
        except Exception as error:
            log_error(error, f"the ORM hook {hook.name} could not be removed")


def installed() -> bool:
    return any(hook.wrapper is not None for hook in HOOKS)
