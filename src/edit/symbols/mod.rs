//! What a name in a Python file refers to, from the file's imports: the part of symbol-aware
//! matching that turns `factory()` or `wm.get_websocket_manager()` into a qualified name, and
//! tells whether a class derives from another.
//!
//! Module names are file paths relative to the root (`app/websocket_core/websocket_manager.py` is
//! `app.websocket_core.websocket_manager`; a package is its `__init__.py`). Resolved:
//! `import a.b.c` (binds `a`), `import a.b.c as m`, `from a.b import f`, `from a.b import f as g`,
//! `from a import b` (then `b.f`), relative imports (`from .m import f`, `from ..pkg import m`),
//! module-level definitions (a function defined in the symbol's own module is the symbol) and
//! definitions in classes at module level (`pkg.mod.Class.method`), re-exports through a package's
//! `__init__.py` or any module (`from .websocket_manager import f` there makes `pkg.f` the same
//! symbol), and `m = importlib.import_module("a.b")` (also through `from importlib import
//! import_module as im`) or `m = __import__("a.b", fromlist=[...])` with a literal module name
//! (without a `fromlist`, `__import__` binds the top-level package `a`, as Python does).
//!
//! Not resolved: `from m import *` (the name is reported as possibly bound by it), calls of
//! `importlib` with a computed or relative name, names assigned from other expressions
//! (`factory = get_websocket_manager`), `global` declarations, modules outside the root (a name
//! imported from one resolves to its spelling there, but is not followed further), and names a
//! package provides through a module-level `__getattr__`.
//!
//! Scopes follow Python's rules closely enough to be safe: a name bound anywhere in a function
//! (parameter, assignment, local `def`, local import) is local to the whole function; class bodies
//! do not enclose their methods; a name bound in one scope to two different things resolves to
//! neither, so a module-level `def` of the same name shadows an import of it. Two exceptions keep
//! common idioms resolvable. An import fallback: a name that a `try` body binds and an
//! `except ImportError`, `except ModuleNotFoundError` or `except (ImportError, ...)` handler of the
//! same `try` rebinds in the same scope (`= None`, `= MagicMock`, a `def`, another import) means
//! what the body binds. And with the module index at hand ([`FileSymbols::resolve_in`]), several
//! imports that are one definition once re-exports are followed (`from pkg.wm import f` and
//! `from pkg import f`) resolve to that definition. [`FileSymbols::explain`] says why a name
//! resolves to nothing ([`Resolution`]).
//!
//! Classes: each class statement records its bases as resolved from where it stands (names and
//! attribute chains, `Base[T]` as `Base`; keyword arguments and computed bases are left out).
//! [`FileSymbols::derives_from`] and [`ModuleIndex::derives_from`] follow bases through the modules
//! of the root, re-exports included, and through classes local to a function when the function
//! binds the base's name once, to that class. A class counts as deriving from itself; a base
//! outside the root that is not the target ends its branch; cycles end; a class defined in both
//! branches of an `if` derives through either definition's bases. The index reads and parses each
//! module at most once, whichever of the scan's threads asks first.

mod classes;
mod file;
mod index;
#[cfg(test)]
mod testing;
mod walk;

pub(crate) use classes::enclosing_class;
pub(crate) use file::FileSymbols;
pub(crate) use file::Resolution;
pub(crate) use index::{ModuleIndex, IMPORT_CALL_WORDS};
