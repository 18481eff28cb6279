"""Edit a model's source with libcst so that it declares what the migration does.

Only the touched list element, ``Meta`` class or keyword argument changes: everything
else in the file (formatting, comments, blank lines) is kept byte for byte. Anything
unexpected (the class is not at module level, ``indexes`` is not a list literal, …)
raises :class:`SourceEditFailed`, and the caller falls back to a snippet to add by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from perfkit.exceptions import PerfkitError


class SourceEditFailed(PerfkitError):
    """The model's source does not have a shape this module can edit safely."""


def index_source(models_alias: str, fields: Sequence[str], name: str) -> str:
    """``models.Index(fields=["student", "-created_at"], name="…")``."""
    listed = ", ".join(f'"{field}"' for field in fields)
    return f'{models_alias}.Index(fields=[{listed}], name="{name}")'


def models_alias(module: cst.Module) -> str:
    """The name under which ``django.db.models`` is imported in this module."""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and module.code_for_node(small.module) == "django.db"
                and not isinstance(small.names, cst.ImportStar)
            ):
                for alias in small.names:
                    if module.code_for_node(alias.name) == "models":
                        if alias.asname is not None:
                            return module.code_for_node(alias.asname.name)
                        return "models"
    raise SourceEditFailed("the module does not import `from django.db import models`")


def add_index(
    source: str,
    class_name: str,
    fields: Sequence[str],
    name: str,
    inherited_meta: str | None = None,
    inherits_indexes: bool = False,
) -> str:
    """Append the index to ``class_name.Meta.indexes``, creating Meta/indexes when absent.

    ``inherited_meta`` is the expression of an abstract base's Meta (``Base.Meta``) for a
    model that declares no Meta of its own; the new Meta then extends it, and its
    ``indexes`` starts with the base's when ``inherits_indexes``.
    """
    module = cst.parse_module(source)
    element_code = index_source(models_alias(module), fields, name)
    transformer = _ClassTransformer(
        class_name, _AddIndex(module, element_code, inherited_meta, inherits_indexes)
    )
    return _apply(module, transformer)


def remove_index(source: str, class_name: str, name: str) -> str:
    """Drop the element named ``name`` from ``class_name.Meta.indexes``."""
    module = cst.parse_module(source)
    return _apply(module, _ClassTransformer(class_name, _RemoveIndex(module, name)))


def disable_db_index(source: str, class_name: str, field_name: str) -> str:
    """Set ``db_index=False`` in the field's constructor call."""
    module = cst.parse_module(source)
    return _apply(module, _ClassTransformer(class_name, _DisableDbIndex(module, field_name)))


# -- machinery ---------------------------------------------------------------------------


class _ClassEdit:
    def edit(self, body: cst.IndentedBlock) -> cst.IndentedBlock:
        raise NotImplementedError


class _ClassTransformer(cst.CSTTransformer):
    """Apply one edit to the body of the module-level class ``class_name``."""

    def __init__(self, class_name: str, class_edit: _ClassEdit) -> None:
        super().__init__()
        self.class_name = class_name
        self.class_edit = class_edit
        self.depth = 0
        self.found = False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return self.depth == 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self.depth -= 1
        if self.depth != 0 or original_node.name.value != self.class_name:
            return updated_node
        if not isinstance(updated_node.body, cst.IndentedBlock):
            raise SourceEditFailed(f"class {self.class_name} is written on one line")
        self.found = True
        return updated_node.with_changes(body=self.class_edit.edit(updated_node.body))


def _apply(module: cst.Module, transformer: _ClassTransformer) -> str:
    new_module = module.visit(transformer)
    if not transformer.found:
        raise SourceEditFailed(f"no module-level class {transformer.class_name} in the file")
    return new_module.code


def _meta_class(body: cst.IndentedBlock) -> tuple[int, cst.ClassDef] | None:
    for position, statement in enumerate(body.body):
        if isinstance(statement, cst.ClassDef) and statement.name.value == "Meta":
            return position, statement
    return None


def _assignment_to(statement: cst.BaseStatement, target: str) -> cst.Assign | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if (
        isinstance(small, cst.Assign)
        and len(small.targets) == 1
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == target
    ):
        return small
    return None


def _replace_in_body(
    body: cst.IndentedBlock, position: int, statement: cst.BaseStatement
) -> cst.IndentedBlock:
    statements = list(body.body)
    statements[position] = statement
    return body.with_changes(body=statements)


def _append_element(
    elements: Sequence[cst.BaseElement], opening: cst.LeftSquareBracket, new: cst.BaseExpression
) -> list[cst.BaseElement]:
    """Append to a list literal in the style its elements already use."""
    if not elements:
        return [cst.Element(new)]
    last = elements[-1]
    if len(elements) > 1 and isinstance(elements[-2].comma, cst.Comma):
        separator = elements[-2].comma
    elif isinstance(opening.whitespace_after, cst.ParenthesizedWhitespace):
        separator = cst.Comma(whitespace_after=opening.whitespace_after)
    else:
        separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if isinstance(last.comma, cst.Comma):
        # A trailing comma: the new element takes it (and the line break before "]").
        return [
            *elements[:-1],
            last.with_changes(comma=separator),
            cst.Element(new, comma=last.comma),
        ]
    return [*elements[:-1], last.with_changes(comma=separator), cst.Element(new)]


def _indexes_assignment(prefix: str, element_code: str) -> str:
    """A new ``indexes`` list, one element a line (as ruff and black lay it out)."""
    lines = ["indexes = ["]
    if prefix:
        lines.append(f"    {prefix.rstrip(' ')}")
    lines += [f"    {element_code},", "]"]
    return "\n".join(lines) + "\n"


class _AddIndex(_ClassEdit):
    def __init__(
        self,
        module: cst.Module,
        element_code: str,
        inherited_meta: str | None,
        inherits_indexes: bool,
    ) -> None:
        self.module = module
        self.element = cst.parse_expression(element_code)
        self.element_code = element_code
        self.inherited_meta = inherited_meta
        self.inherits_indexes = inherits_indexes

    def edit(self, body: cst.IndentedBlock) -> cst.IndentedBlock:
        found = _meta_class(body)
        if found is None:
            return self._add_meta(body)
        position, meta = found
        if not isinstance(meta.body, cst.IndentedBlock):
            raise SourceEditFailed("class Meta is written on one line")
        for index, statement in enumerate(meta.body.body):
            assignment = _assignment_to(statement, "indexes")
            if assignment is None:
                continue
            if not isinstance(assignment.value, cst.List):
                raise SourceEditFailed("Meta.indexes is not a list literal")
            new_list = assignment.value.with_changes(
                elements=_append_element(
                    assignment.value.elements, assignment.value.lbracket, self.element
                )
            )
            assert isinstance(statement, cst.SimpleStatementLine)
            new_statement = statement.with_changes(body=[assignment.with_changes(value=new_list)])
            new_meta = meta.with_changes(body=_replace_in_body(meta.body, index, new_statement))
            return _replace_in_body(body, position, new_meta)
        # Meta without indexes: a Meta that extends a base Meta inherits its indexes.
        prefix = ""
        if meta.bases and self.inherits_indexes:
            prefix = f"*{self.module.code_for_node(meta.bases[0].value)}.indexes, "
        line = cst.parse_statement(
            _indexes_assignment(prefix, self.element_code), config=self.module.config_for_parsing
        )
        meta_statements = [
            statement
            for statement in meta.body.body
            if not (
                isinstance(statement, cst.SimpleStatementLine)
                and all(isinstance(small, cst.Pass) for small in statement.body)
            )
        ]
        new_meta = meta.with_changes(body=meta.body.with_changes(body=[*meta_statements, line]))
        return _replace_in_body(body, position, new_meta)

    def _add_meta(self, body: cst.IndentedBlock) -> cst.IndentedBlock:
        if self.inherited_meta is not None:
            prefix = f"*{self.inherited_meta}.indexes, " if self.inherits_indexes else ""
            header = f"class Meta({self.inherited_meta}):\n"
        else:
            prefix, header = "", "class Meta:\n"
        indent = self.module.default_indent
        assignment = _indexes_assignment(prefix, self.element_code)
        code = header + "".join(f"{indent}{line}\n" for line in assignment.splitlines())
        meta = cst.parse_statement(code, config=self.module.config_for_parsing)
        assert isinstance(meta, cst.ClassDef)
        meta = meta.with_changes(leading_lines=[cst.EmptyLine(indent=False)])
        # Django's order: fields, then Meta, then methods.
        statements = list(body.body)
        position = len(statements)
        for number, statement in enumerate(statements):
            if isinstance(statement, cst.FunctionDef):
                position = number
                break
        statements.insert(position, meta)
        following = statements[position + 1] if position + 1 < len(statements) else None
        if isinstance(following, cst.FunctionDef) and not following.leading_lines:
            statements[position + 1] = following.with_changes(
                leading_lines=[cst.EmptyLine(indent=False)]
            )
        return body.with_changes(body=statements)


class _RemoveIndex(_ClassEdit):
    def __init__(self, module: cst.Module, name: str) -> None:
        self.module = module
        self.name = name

    def edit(self, body: cst.IndentedBlock) -> cst.IndentedBlock:
        found = _meta_class(body)
        if found is None or not isinstance(found[1].body, cst.IndentedBlock):
            raise SourceEditFailed("the model declares no Meta of its own")
        position, meta = found
        assert isinstance(meta.body, cst.IndentedBlock)
        for index, statement in enumerate(meta.body.body):
            assignment = _assignment_to(statement, "indexes")
            if assignment is None or not isinstance(assignment.value, cst.List):
                continue
            elements = list(assignment.value.elements)
            matches = [number for number, element in enumerate(elements) if self._names(element)]
            if len(matches) != 1:
                break
            number = matches[0]
            removed = elements.pop(number)
            if elements and number == len(elements):
                # Removed the last element: the one before takes over its comma.
                elements[-1] = elements[-1].with_changes(comma=removed.comma)
            new_list = assignment.value.with_changes(elements=elements)
            if not elements:
                new_list = new_list.with_changes(
                    lbracket=cst.LeftSquareBracket(), rbracket=cst.RightSquareBracket()
                )
            assert isinstance(statement, cst.SimpleStatementLine)
            new_statement = statement.with_changes(body=[assignment.with_changes(value=new_list)])
            new_meta = meta.with_changes(body=_replace_in_body(meta.body, index, new_statement))
            return _replace_in_body(body, position, new_meta)
        raise SourceEditFailed(
            f"found no single entry name={self.name!r} in the model's own Meta.indexes"
        )

    def _names(self, element: cst.BaseElement) -> bool:
        if not isinstance(element.value, cst.Call):
            return False
        for argument in element.value.args:
            if (
                argument.keyword is not None
                and argument.keyword.value == "name"
                and isinstance(argument.value, cst.SimpleString)
                and argument.value.evaluated_value == self.name
            ):
                return True
        return False


class _DisableDbIndex(_ClassEdit):
    def __init__(self, module: cst.Module, field_name: str) -> None:
        self.module = module
        self.field_name = field_name

    def edit(self, body: cst.IndentedBlock) -> cst.IndentedBlock:
        for position, statement in enumerate(body.body):
            assignment = _assignment_to(statement, self.field_name)
            if assignment is None:
                continue
            if not isinstance(assignment.value, cst.Call):
                break
            call = assignment.value.with_changes(args=self._arguments(assignment.value))
            assert isinstance(statement, cst.SimpleStatementLine)
            new_statement = statement.with_changes(body=[assignment.with_changes(value=call)])
            return _replace_in_body(body, position, new_statement)
        raise SourceEditFailed(f"found no `{self.field_name} = Field(...)` in the class body")

    def _arguments(self, call: cst.Call) -> list[cst.Arg]:
        arguments = list(call.args)
        false = cst.Name("False")
        for number, argument in enumerate(arguments):
            if argument.keyword is not None and argument.keyword.value == "db_index":
                arguments[number] = argument.with_changes(value=false)
                return arguments
        new = cst.Arg(
            value=false,
            keyword=cst.Name("db_index"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
        )
        if not arguments:
            return [new]
        last = arguments[-1]
        if len(arguments) > 1 and isinstance(arguments[-2].comma, cst.Comma):
            separator = arguments[-2].comma
        else:
            separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if isinstance(last.comma, cst.Comma):
            return [
                *arguments[:-1],
                last.with_changes(comma=separator),
                new.with_changes(comma=last.comma),
            ]
        # The whitespace after the last argument (a line break before ")") moves with it.
        return [
            *arguments[:-1],
            last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace("")),
            new.with_changes(whitespace_after_arg=last.whitespace_after_arg),
        ]
