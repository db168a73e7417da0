"""Let Odoo 11 run on Python 3.11, for development and tests only.

Loaded at interpreter start by a ``.pth`` file that ``devenv/setup.sh``
writes into ``.venv`` (pytest-odoo imports ``odoo`` before any conftest).
The addon never imports this module: on Odoo 11's own Python it is not needed.
Each patch restores one thing Python 3.9-3.11 removed or now rejects.
"""
import ast
import base64
import builtins
import collections
import collections.abc
import importlib.abc
import inspect
import resource
import sys
import types
import xml.etree.ElementTree as ElementTree
from opcode import opmap

# --- Standard library: names removed since Python 3.8 -----------------------

# Odoo imports ABCs such as Mapping and Iterable from `collections` (moved 3.3, removed 3.10).
for _name in ("Callable", "Iterable", "Mapping", "MutableMapping", "MutableSet", "Sequence", "Set", "Sized"):
    setattr(collections, _name, getattr(collections.abc, _name))

# odoo/http.py reads `.args` of inspect.getargspec(), removed in 3.11.
ArgSpec = collections.namedtuple("ArgSpec", "args varargs keywords defaults")


def getargspec(func):
    spec = inspect.getfullargspec(func)
    return ArgSpec(spec.args, spec.varargs, spec.varkw, spec.defaults)


def formatargspec(args, varargs=None, varkw=None, defaults=None, *_unused):
    """odoo/tools/cache.py builds the source of its ormcache lookups with this (removed in 3.11)."""
    first_default = len(args) - len(defaults or ())
    parts = [
        arg if index < first_default else "%s=%r" % (arg, defaults[index - first_default])
        for index, arg in enumerate(args)
    ]
    if varargs:
        parts.append("*" + varargs)
    if varkw:
        parts.append("**" + varkw)
    return "(%s)" % ", ".join(parts)


inspect.getargspec = getargspec
inspect.formatargspec = formatargspec

# Attachments and reports use base64.encodestring/decodestring (removed in 3.9).
base64.encodestring = base64.encodebytes
base64.decodestring = base64.decodebytes

# Prefork workers pass float CPU limits to setrlimit, which 3.11 refuses: every worker died at start.
_setrlimit = resource.setrlimit
resource.setrlimit = lambda limit, limits: _setrlimit(limit, tuple(int(value) for value in limits))


# --- Odoo modules patched right after they are imported ---------------------

# Opcodes that Python 3.11 emits for expressions Odoo 11 already allows; the
# same ones Odoo 16/17 allow on 3.11. Nothing that reaches attributes, imports
# or globals is added: safe_eval stays a security boundary.
_CONST_OPCODES_311 = {"RESUME", "COPY", "SWAP", "LIST_EXTEND", "SET_UPDATE"}
_EXPR_OPCODES_311 = {"BINARY_OP", "IS_OP", "CONTAINS_OP", "DICT_MERGE", "DICT_UPDATE"}
_SAFE_OPCODES_311 = {
    "PUSH_NULL", "PRECALL", "CALL", "KW_NAMES", "LOAD_METHOD", "JUMP_BACKWARD",
    "POP_JUMP_FORWARD_IF_FALSE", "POP_JUMP_FORWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_BACKWARD_IF_NONE",
    "POP_JUMP_FORWARD_IF_NOT_NONE", "POP_JUMP_BACKWARD_IF_NOT_NONE",
    "CHECK_EXC_MATCH", "RERAISE", "PUSH_EXC_INFO", "RETURN_GENERATOR", "NOP",
    "FORMAT_VALUE", "BUILD_STRING",
}


def _opcodes(names):
    return {opmap[name] for name in names if name in opmap}


def fix_safe_eval(module):
    """Allow 3.11's new spellings of opcodes that safe_eval already allowed."""
    module._CONST_OPCODES.update(_opcodes(_CONST_OPCODES_311))
    module._EXPR_OPCODES.update(_opcodes(_CONST_OPCODES_311 | _EXPR_OPCODES_311))
    module._SAFE_OPCODES.update(_opcodes(_CONST_OPCODES_311 | _EXPR_OPCODES_311 | _SAFE_OPCODES_311))


class _QWebAstFixer(ast.NodeTransformer):
    """Rewrite the AST of Odoo 11's QWeb compiler into one that 3.11 compiles."""

    def visit_Name(self, node):
        # 3.11 refuses Name('None'/'True'/'False'): they are constants now.
        if node.id in ("None", "True", "False"):
            return ast.copy_location(ast.Constant({"None": None, "True": True, "False": False}[node.id]), node)
        return node

    def visit_arguments(self, node):
        # `posonlyargs` became a required field in 3.8.
        if not hasattr(node, "posonlyargs"):
            node.posonlyargs = []
        return self.generic_visit(node)


def _compile_qweb(source, filename, mode, *args, **kwargs):
    if isinstance(source, ast.AST):
        source = _QWebAstFixer().visit(source)
        for node in ast.walk(source):
            # Nodes made by hand carry inconsistent end positions ("line range (2, 1) is not valid").
            if hasattr(node, "lineno"):
                node.end_lineno, node.end_col_offset = node.lineno, node.col_offset
        ast.fix_missing_locations(source)
    return builtins.compile(source, filename, mode, *args, **kwargs)


def fix_qweb(module):
    """QWeb compiles templates from hand-built ASTs that 3.11 validates more strictly."""
    module.compile = _compile_qweb


class _ElementWithChildren(ElementTree.Element):
    def getchildren(self):
        return list(self)


def _parse_with_getchildren(source):
    builder = ElementTree.TreeBuilder(element_factory=_ElementWithChildren)
    return ElementTree.parse(source, parser=ElementTree.XMLParser(target=builder))


def fix_web_controllers(module):
    """web's concat_xml calls Element.getchildren(), removed from xml.etree in 3.9."""
    proxy = types.ModuleType("ElementTree")
    proxy.__dict__.update(vars(ElementTree))
    proxy.parse = _parse_with_getchildren
    module.ElementTree = proxy


def fix_yaml(module):
    """PyYAML 6 (the first with 3.11 wheels) made load()'s Loader mandatory; Odoo 11's
    YAML data files relied on the old default loader, which their custom tags are registered on."""
    load = module.load
    module.load = lambda stream, Loader=module.Loader: load(stream, Loader=Loader)


_FIXES = {
    "yaml": fix_yaml,
    "odoo.tools.safe_eval": fix_safe_eval,
    "odoo.addons.base.ir.ir_qweb.qweb": fix_qweb,
    "odoo.addons.web.controllers.main": fix_web_controllers,
}


class _PatchAfterImport(importlib.abc.MetaPathFinder):
    """Run a fix on a module right after the regular import machinery loads it."""

    def find_spec(self, fullname, path, target=None):
        fix = _FIXES.get(fullname)
        if fix is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        exec_module = spec.loader.exec_module

        def exec_and_fix(module):
            exec_module(module)
            fix(module)

        spec.loader.exec_module = exec_and_fix
        return spec


sys.meta_path.insert(0, _PatchAfterImport())
