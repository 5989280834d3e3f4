"""The AWS layer (source_cloudwatch_logs/aws/) imports nothing from the Airbyte side: neither airbyte_cdk nor a
connector module outside the layer. Read from the source with `ast`, so an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "source_cloudwatch_logs"
LAYER = f"{PACKAGE}.aws"
LAYER_DIR = Path(__file__).resolve().parents[1] / PACKAGE / "aws"


def imported(tree: ast.AST, module: str) -> list[str]:
    """What each import in `module`'s source (`a.b.__init__` for a package) names: `import x.y` names `x.y`,
    `from x import y` names `x.y`; relative imports resolved."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parent = module.split(".")[: -node.level] if node.level else []
            base = ".".join([*parent, *([node.module] if node.module else [])])
            names.extend(f"{base}.{alias.name}" for alias in node.names)
    return names


def forbidden(name: str) -> bool:
    top = name.split(".")[0]
    if top == "airbyte_cdk":
        return True
    return top == PACKAGE and not name.startswith(f"{LAYER}.")


def layer_violations() -> list[str]:
    found = []
    for path in sorted(LAYER_DIR.rglob("*.py")):
        module = f"{LAYER}.{path.relative_to(LAYER_DIR).with_suffix('').as_posix().replace('/', '.')}"
        tree = ast.parse(path.read_text(), filename=str(path))
        found.extend(f"{module} imports {name}" for name in imported(tree, module) if forbidden(name))
    return found


def test_the_aws_layer_imports_nothing_from_the_airbyte_side() -> None:
    assert layer_violations() == []


def test_the_check_sees_every_kind_of_import() -> None:
    source = (
        "import airbyte_cdk.models\n"
        "from source_cloudwatch_logs.spec import X\n"
        "from source_cloudwatch_logs import state\n"
        "from .. import records\n"
        "def f():\n    from airbyte_cdk.utils import y\n"
        "from source_cloudwatch_logs.aws.errors import Fault\n"
        "from . import settings\n"
    )
    module = f"{LAYER}.client"
    names = [name for name in imported(ast.parse(source), module) if forbidden(name)]
    assert names == [
        "airbyte_cdk.models",
        "source_cloudwatch_logs.spec.X",
        "source_cloudwatch_logs.state",
        "source_cloudwatch_logs.records",
        "airbyte_cdk.utils.y",
    ]
    assert len(list(LAYER_DIR.glob("*.py"))) > 10  # the layer is where the test looks
