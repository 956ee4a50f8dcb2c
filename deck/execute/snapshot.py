"""The state a cell leaves behind, captured so that a cached build equals a fresh run.

Two parts: the namespace (every variable, pickled together so that two names for one object stay
one object: an optimizer keeps updating the model's own parameters), and what a cell can change in
the process itself: torch's threads, default dtype and device, grad and deterministic modes, print
options and matmul precision; numpy's print options; the random generators of random, numpy and
torch; matplotlib's rcParams; warning filters; the working folder, `os.environ` and `sys.path`.

What cannot be captured faithfully (a tensor that carries an autograd graph, an open file, a
generator) makes the snapshot incomplete: the cache then restores an earlier one and re-runs the
cells since, rather than guess.
"""
from __future__ import annotations

import contextlib
import copy
import importlib.abc
import importlib.machinery
import io
import os
import pickle
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudpickle


class Uncapturable(Exception):
    """Something in the namespace cannot be restored as it is."""


# --- the process -------------------------------------------------------------------------------
def _torch_settings(torch) -> dict:
    opts = torch._tensor_str.PRINT_OPTS  # torch has no public getter for its print options
    return {
        "threads": torch.get_num_threads(),
        "dtype": torch.get_default_dtype(),
        "device": str(torch.get_default_device()),
        "grad": torch.is_grad_enabled(),
        "deterministic": (torch.are_deterministic_algorithms_enabled(),
                          torch.is_deterministic_algorithms_warn_only_enabled()),
        "anomaly": torch.is_anomaly_enabled(),
        "matmul": torch.get_float32_matmul_precision(),
        "print": {k: getattr(opts, k) for k in ("precision", "threshold", "edgeitems", "linewidth", "sci_mode")},
        "rng": torch.get_rng_state(),
    }


def _set_torch(torch, s: dict) -> None:
    now = _torch_settings(torch)
    changed = {k for k in s if k == "rng" or now[k] != s[k]}  # some setters are slow the first time
    if "threads" in changed:
        torch.set_num_threads(s["threads"])
    if "dtype" in changed:
        torch.set_default_dtype(s["dtype"])
    if "device" in changed:
        torch.set_default_device(s["device"] if s["device"] != "cpu" else None)
    if "grad" in changed:
        torch.set_grad_enabled(s["grad"])
    if "deterministic" in changed:
        torch.use_deterministic_algorithms(s["deterministic"][0], warn_only=s["deterministic"][1])
    if "anomaly" in changed:
        torch.set_anomaly_enabled(s["anomaly"])
    if "matmul" in changed:
        torch.set_float32_matmul_precision(s["matmul"])
    if "print" in changed:
        torch.set_printoptions(**s["print"])
    torch.set_rng_state(s["rng"])


def _numpy_settings(np) -> dict:
    return {"print": np.get_printoptions(), "rng": np.random.get_state()}


def _set_numpy(np, s: dict) -> None:
    np.set_printoptions(**s["print"])
    np.random.set_state(s["rng"])


# rcParams read through dict's own accessor: reading "backend" the public way resolves (and imports)
# a GUI backend; it is not a setting a slide's figures depend on
def _matplotlib_settings(mpl) -> dict:
    rc = mpl.rcParams
    return {k: dict.__getitem__(rc, k) for k in dict.keys(rc) if k != "backend"}


def _set_matplotlib(mpl, s: dict) -> None:
    rc = mpl.rcParams
    with warnings.catch_warnings():  # deprecated keys warn when set, even to their own value
        warnings.simplefilter("ignore")
        for k, v in s.items():
            if dict.__getitem__(rc, k) != v:
                rc[k] = v


# name -> (module, capture, apply): a library's part is captured only once the library is imported
LIBRARIES = {
    "torch": (_torch_settings, _set_torch),
    "numpy": (_numpy_settings, _set_numpy),
    "matplotlib": (_matplotlib_settings, _set_matplotlib),
}


@dataclass
class Session:
    """The process as the build found it: a snapshot's folder, environment and paths are kept relative
    to it, so that a cache made in another checkout, or by CI, restores the cell's changes only."""

    cwd: str
    environ: dict[str, str]
    path: list[str]

    @classmethod
    def now(cls) -> Session:
        return cls(_cwd(), dict(os.environ), list(sys.path))


def _relative(path: str, session: Session) -> str | None:
    """A folder as the session's folder sees it (`data`, `../x`): a cache made in another checkout
    restores a cell's `os.chdir("data")` into this checkout's `data`. None for the session's folder;
    a folder outside the session's stays absolute."""
    if not path or path == session.cwd or not session.cwd:
        return None
    if not path.startswith(session.cwd.rstrip(os.sep) + os.sep):
        return path  # elsewhere on the machine: kept as it is (joining keeps an absolute path)
    return os.path.relpath(path, session.cwd)


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:  # the folder was deleted under us
        return ""


@dataclass
class ProcessState:
    """What a cell can change in the process, besides its namespace."""

    libraries: dict[str, dict] = field(default_factory=dict)
    random: Any = None
    cwd: str | None = None                                    # relative to the session's; None: it
    env_set: dict[str, str] = field(default_factory=dict)     # against the session's environment
    env_unset: list[str] = field(default_factory=list)
    path: list[str | int] | None = None  # an int: that entry of the session's sys.path; None: the session's

    @classmethod
    def capture(cls, session: Session) -> ProcessState:
        import random

        libraries = {name: capture(sys.modules[name]) for name, (capture, _) in LIBRARIES.items()
                     if name in sys.modules}
        env = dict(os.environ)
        index = {p: i for i, p in reversed(list(enumerate(session.path)))}
        return cls(copy.deepcopy(libraries), random.getstate(), _relative(_cwd(), session),
                   {k: v for k, v in env.items() if session.environ.get(k) != v},
                   [k for k in session.environ if k not in env],
                   [index[p] if p in index else _relative(p, session) or "." for p in sys.path])

    def apply(self, session: Session, fresh: ProcessState | None = None) -> None:
        """Make the process this state. A library imported since it was captured is set to `fresh`'s."""
        import random

        for name, (_, apply) in LIBRARIES.items():
            settings = self.libraries.get(name) or (fresh.libraries.get(name) if fresh else None)
            if name in sys.modules and settings is not None:
                apply(sys.modules[name], copy.deepcopy(settings))
        if self.random is not None:
            random.setstate(self.random)
        cwd = os.path.join(session.cwd, self.cwd) if self.cwd else session.cwd
        if cwd and _cwd() != cwd:
            os.chdir(cwd)
        env = {k: v for k, v in session.environ.items() if k not in self.env_unset} | self.env_set
        if dict(os.environ) != env:
            os.environ.clear()
            os.environ.update(env)
        if self.path is None:
            sys.path[:] = session.path
        else:
            sys.path[:] = [session.path[p] if isinstance(p, int) else os.path.join(session.cwd, p)
                           for p in self.path if not isinstance(p, int) or p < len(session.path)]

    def libraries_only(self) -> ProcessState:
        """These library settings, the session's folder, environment and paths."""
        return ProcessState(copy.deepcopy(self.libraries), self.random)


@contextlib.contextmanager
def random_untouched():
    """The random generators as they were: an inline expression must not change state (creating a layer
    draws its initial weights), or a later cell's numbers would depend on whether it came from the cache."""
    import random

    saved = random.getstate()
    np, torch = sys.modules.get("numpy"), sys.modules.get("torch")
    np_state = np.random.get_state() if np else None
    torch_state = torch.get_rng_state() if torch else None
    try:
        yield
    finally:
        random.setstate(saved)
        if np_state is not None:
            np.random.set_state(np_state)
        if torch_state is not None:
            torch.set_rng_state(torch_state)
        elif "torch" in sys.modules:  # the expression imported torch: its generator starts fresh
            fresh = fresh_libraries().libraries.get("torch")
            if fresh:
                sys.modules["torch"].set_rng_state(fresh["rng"])


class _FreshSettings(importlib.abc.MetaPathFinder):
    """The settings torch, numpy and matplotlib have in a process where no cell has run: read when
    each is imported (a cell that imports torch may change its settings on the next line), without
    importing any of them for a deck that does not."""

    def __init__(self):
        self.libraries: dict[str, dict] = {}
        for name, (capture, _) in LIBRARIES.items():
            if name in sys.modules:
                self.libraries[name] = copy.deepcopy(capture(sys.modules[name]))
        if len(self.libraries) < len(LIBRARIES):
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in LIBRARIES or fullname in self.libraries:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Reading(spec.loader, self, fullname)
                return spec
        return None

    def read(self, name: str, module) -> None:
        self.libraries[name] = copy.deepcopy(LIBRARIES[name][0](module))
        if len(self.libraries) == len(LIBRARIES) and self in sys.meta_path:
            sys.meta_path.remove(self)


class _Reading(importlib.abc.Loader):
    """A library's own loader, then its settings read as the import leaves them."""

    def __init__(self, loader, fresh: _FreshSettings, name: str):
        self.loader, self.fresh, self.name = loader, fresh, name

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        self.fresh.read(self.name, module)

    def __getattr__(self, name):  # get_resource_reader, is_package, ...: the library's loader's
        return getattr(self.loader, name)


_FRESH: _FreshSettings | None = None  # one per process: what "fresh" means does not change


def fresh_libraries() -> ProcessState:
    """The libraries' settings as a process where no cell has run has them (those imported so far)."""
    global _FRESH
    if _FRESH is None:
        _FRESH = _FreshSettings()
    return ProcessState(copy.deepcopy(_FRESH.libraries))


# --- the namespace -----------------------------------------------------------------------------
def dumps(ns: dict, process: ProcessState, limit: int) -> bytes:
    """The namespace (dunder names aside) and the process state as one pickle; Uncapturable if not."""
    names = {k: v for k, v in ns.items() if not (k.startswith("__") and k.endswith("__"))}
    buffer = io.BytesIO()
    try:
        _Pickler(buffer).dump(names)
        # The process state is unpickled first and applied before the variables are: they may need
        # its sys.path or folder to import the modules their classes come from.
        data = pickle.dumps((pickle.dumps(process), buffer.getvalue()))
    except Uncapturable:
        raise
    except Exception as exc:  # noqa: BLE001 - anything unpicklable: the snapshot is not taken
        raise Uncapturable(f"{type(exc).__name__}: {exc}") from None
    if len(data) > limit:
        raise Uncapturable(f"the namespace pickles to {len(data)} bytes, more than {limit}")
    return data


def loads(data: bytes) -> tuple[ProcessState, bytes]:
    """The process state, and the variables' pickle (to load once the state is applied)."""
    process, variables = pickle.loads(data)
    return pickle.loads(process), variables


class _Pickler(cloudpickle.CloudPickler):
    """cloudpickle, and tensors as a restored namespace needs them: with their `.grad` (a training step
    after a `backward()` cell uses it), and refusing tensors that carry an autograd graph."""

    def reducer_override(self, obj):
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(obj, torch.Tensor):
            if obj.grad_fn is not None:
                raise Uncapturable("a tensor carries an autograd graph (its backward() would be lost)")
            if obj.grad is not None:
                rebuild = obj.__reduce_ex__(4)
                if len(rebuild) == 2:
                    return _with_grad, (rebuild[0], rebuild[1], obj.grad)
        return super().reducer_override(obj)


def _with_grad(rebuild, args, grad):
    tensor = rebuild(*args)
    tensor.grad = grad
    return tensor


def in_project(path: str, inside: str, outside: tuple[str, ...]) -> bool:
    """Is `path` under the project's folder `inside` (ending in os.sep), not under one of
    the `outside` folders (each ending in os.sep), nor in an installed package's site-packages?"""
    return path.startswith(inside) and not path.startswith(outside) and f"{os.sep}site-packages{os.sep}" not in path


def local_modules(root: Path | None, exclude: tuple[Path, ...]) -> dict[str, Path]:
    """Modules imported from the project's own files (not deck's, not installed packages)."""
    if root is None:
        return {}
    inside, outside = str(root) + os.sep, tuple(str(e) + os.sep for e in exclude)
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        file = os.path.abspath(file)  # string tests: thousands of modules are checked after every cell
        if in_project(file, inside, outside):
            found[name] = Path(file)
    return found


class _FromSource(importlib.machinery.SourceFileLoader):
    """Compiles a module from its source, never from a .pyc (and writes none)."""

    def get_code(self, fullname):
        return self.source_to_code(self.get_data(self.path), self.path)


@contextlib.contextmanager
def project_modules_from_source(root: Path | None, exclude: tuple[Path, ...]):
    """While cells run, the project's own modules are compiled from their source at each import.
    Python trusts a .pyc whose recorded time (in whole seconds) and size match the source's: a helper
    module edited within the second of the last build, keeping its size (`WIDTH = 7` -> `WIDTH = 9`),
    imported its old code, while deck, which compares contents, said the cell ran again."""
    if root is None:
        yield
        return
    inside, outside = str(root) + os.sep, tuple(str(e) + os.sep for e in exclude)
    loaders = ((_FromSource, importlib.machinery.SOURCE_SUFFIXES),
               (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES))
    made: list[str] = []

    def finder_for(entry: str):
        folder = os.path.abspath(entry or ".") + os.sep
        if not in_project(folder, inside, outside) or not os.path.isdir(entry or "."):
            raise ImportError  # not the project's: the next hook's
        made.append(entry)
        return importlib.machinery.FileFinder(entry, *loaders)

    def forget() -> None:  # the finders made for the project's folders, or cached before this run
        for entry in [*made, *(e for e in list(sys.path_importer_cache)
                                if isinstance(e, str) and (os.path.abspath(e or ".") + os.sep).startswith(inside))]:
            sys.path_importer_cache.pop(entry, None)

    forget()
    sys.path_hooks.insert(0, finder_for)
    try:
        yield
    finally:
        sys.path_hooks.remove(finder_for)
        forget()


# --- what an inline expression must not change ---------------------------------------------------
def namespace_state(ns: dict) -> dict[str, tuple]:
    """A cheap fingerprint of what a later item could see change in the namespace: which object each
    name holds, the length of lists, dicts and sets, and the version counter torch bumps on every
    in-place change of a tensor (a model's parameters and buffers included)."""
    return {name: _object_state(value) for name, value in ns.items()
            if not (name.startswith("__") and name.endswith("__"))}


def _object_state(value) -> tuple:
    state: tuple = (id(value),)
    if type(value) in (list, dict, set, bytearray):
        state += (len(value),)
    version = getattr(value, "_version", None)
    if isinstance(version, int) and not isinstance(value, type):
        state += (version,)
    named = getattr(value, "named_parameters", None)
    if callable(named) and hasattr(value, "buffers") and not isinstance(value, type):
        try:
            state += tuple(t._version for t in (*value.parameters(), *value.buffers()))
        except Exception:  # noqa: BLE001 - an odd object with these names: its identity is enough
            pass
    return state


def changed_names(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    """The names an item added, removed, rebound or changed in place."""
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
