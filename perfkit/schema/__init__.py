"""What perfkit knows about a database schema, in one place.

- :mod:`~perfkit.schema.definitions`: :class:`IndexDefinition`, the one normalised index
  type both sides are compared in;
- :mod:`~perfkit.schema.declared`: the indexes a model declares, Django's implicit ones
  included (primary key, unique, ``db_index``, foreign keys, PostgreSQL's ``_like``);
- :mod:`~perfkit.schema.present`: the indexes the database has (PostgreSQL catalogs,
  SQLite PRAGMAs);
- :mod:`~perfkit.schema.sql_text`: SQL text normalised so both sides compare exactly;
- :mod:`~perfkit.schema.ordering`: whether an index serves an ``ORDER BY``;
- :mod:`~perfkit.schema.plan`: the one plan reader (``EXPLAIN``), always in a savepoint,
  whose :class:`QueryPlan` never carries a literal value.

The audit, the migration generator, the paginators' checks, detection and
``perfkit.testing`` read indexes and plans only through this package. It imports nothing
else of perfkit but :mod:`perfkit.conf` and :mod:`perfkit.exceptions`.
"""
