"""Rules of the course that the build enforces on the code it executes."""

from __future__ import annotations

import ast


def _is_ray_remote(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Attribute) and target.attr == "remote") or (
        isinstance(target, ast.Name) and target.id == "remote"
    )


def prints_in_remote_code(code: str) -> list[int]:
    """Lines where a `@ray.remote` function or actor calls print(): that output never reaches the page.

    The course's convention is that tasks return what the page shows and the driver prints it.
    """
    lines = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and any(
            _is_ray_remote(d) for d in node.decorator_list
        ):
            lines += [
                call.lineno
                for call in ast.walk(node)
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print"
            ]
    return sorted(lines)
