//! What a name in a Python file refers to, from the file's imports: the part of symbol-aware
//! matching that turns `factory()` or `wm.get_websocket_manager()` into a qualified name.
//!
//! Module names are file paths relative to the root (`app/websocket_core/websocket_manager.py` is
//! `app.websocket_core.websocket_manager`; a package is its `__init__.py`). Resolved:
//! `import a.b.c` (binds `a`), `import a.b.c as m`, `from a.b import f`, `from a.b import f as g`,
//! `from a import b` (then `b.f`), relative imports (`from .m import f`, `from ..pkg import m`),
//! module-level definitions (a function defined in the symbol's own module is the symbol), and
//! re-exports through a package's `__init__.py` or any module (`from .websocket_manager import f`
//! there makes `pkg.f` the same symbol). Not resolved: `from m import *`, `importlib` and other
//! dynamic imports, names assigned from expressions (`factory = get_websocket_manager`), and
//! modules outside the root.
//!
//! Scopes follow Python's rules closely enough to be safe: a name bound anywhere in a function
//! (parameter, assignment, local `def`, local import) is local to the whole function; class bodies
//! do not enclose their methods; a name bound in one scope to two different things resolves to
//! neither, so a module-level `def` of the same name shadows an import of it.

mod classes;
mod file;
mod index;
#[cfg(test)]
mod testing;
mod walk;

// Methods-by-class edits and the listing of unresolved sites use these next.
#[allow(unused_imports)]
pub(crate) use classes::enclosing_class;
pub(crate) use file::FileSymbols;
#[allow(unused_imports)]
pub(crate) use file::Resolution;
pub(crate) use index::ModuleIndex;
