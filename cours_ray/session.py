"""Runs one session of a page (its blocks, in order) as the cells of a notebook, in a fresh Jupyter kernel.

The kernel is an ipykernel driven by nbclient, as JupyterLab would run the learner's notebook; its outputs are
nbformat outputs (streams, the value of a cell's last expression, figures), the very ones the solutions notebook
publishes. Failures become messages that name the page, the block, the snippet file and the line:

- an exception: the innermost frame of the author's code in IPython's traceback (« Cell In[n], line m »);
- a hang: at the timeout the kernel is interrupted and its KeyboardInterrupt names the line; if the kernel does
  not answer the interrupt (a signal blocked, a C call), faulthandler's dump of its stacks does; then it is killed;
- a kernel that dies (os._exit, a crash), an output too large for a page, a figure without a text alternative.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError
from nbclient.util import run_sync
from nbformat.v4 import new_code_cell, new_notebook

from cours_ray.pages import Block, Page, Session
from cours_ray.snippets import Origin

MAX_OUTPUT_BYTES = 1024 * 1024  # text a block may print: a page is read, not scrolled for ever
INTERRUPT_GRACE_S = 5  # how long a timed-out cell has to answer the interrupt before faulthandler speaks
_TIMEOUT_ENAME = "CoursRayTimeout"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_FRAME = re.compile(r"Cell In\[(\d+)\], line (\d+)")
_DUMP_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
_GENERIC_FIGURE_LABEL = re.compile(r"(Figure )?\d*")

# Run silently in each kernel before the session's first cell; not part of the notebook.
_PROLOGUE = r"""
def _cours_ray_prologue(dump_path, with_figures):
    import faulthandler, signal
    faulthandler.register(signal.SIGUSR1, file=open(dump_path, "w"), all_threads=True)
    if not with_figures:
        return
    import html, io, re
    import matplotlib
    import matplotlib_inline.backend_inline  # Jupyter's inline backend, as in JupyterLab
    from IPython import get_ipython
    from matplotlib.figure import Figure

    formatters = get_ipython().display_formatter.formatters
    shown = [0]

    def svg(figure):
        # An SVG whose ids do not change from one run to the next, titled with the figure's label (its alt text).
        shown[0] += 1
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"cours-ray-{shown[0]}"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        text = buffer.getvalue()
        title = "<title>" + html.escape(figure.get_label(), quote=True) + "</title>"
        return re.sub(r"(<svg[^>]*>)", lambda m: m.group(1) + title, text[text.index("<svg"):], count=1)

    for mime in ("image/png", "image/jpeg", "application/pdf"):
        formatters[mime].pop(Figure, None)
    formatters["image/svg+xml"].for_type(Figure, svg)
    formatters["text/plain"].for_type(Figure, lambda figure, printer, cycle: printer.text(figure.get_label()))

"""


class SessionError(Exception):
    """A block raised, hung, killed its kernel or broke a rule of the course; the message says where."""

    def __init__(self, message: str, ename: str | None = None) -> None:
        super().__init__(message)
        self.ename = ename  # the Python exception a block raised, if that is what happened


@dataclass
class SessionRun:
    outputs: dict[str, list[dict]]  # block id -> nbformat outputs
    seconds: dict[str, float]  # block id -> its execution time
    total_seconds: float  # kernel start and shutdown included


class _Client(NotebookClient):
    """nbclient's client, with a bound on the text a cell may print."""

    def __init__(self, *args, max_output_bytes: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.printed = 0
        self.overflow = False

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001, ANN201
        if msg["msg_type"] == "stream":
            self.printed += len(msg["content"].get("text", "").encode())
            if self.printed > self.max_output_bytes:
                if not self.overflow:
                    self.overflow = True
                    run_sync(self.km.interrupt_kernel)()
                return None
        return super().output(outs, msg, display_id, cell_index)


def run_session(
    page: Page, session: Session, *, cwd: Path, env: dict[str, str], timeout: float, max_output_bytes: int = MAX_OUTPUT_BYTES
) -> SessionRun:
    """Run `session`'s blocks in a fresh kernel; SessionError (in French, naming where) on any failure."""
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cours-ray-noyau-"))
    dump, log_path = work / "piles.txt", work / "noyau.log"
    notebook = new_notebook(cells=[new_code_cell(block.code) for block in session.blocks])
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(work / "canal"))
    client = _Client(
        notebook,
        km=manager,
        timeout=timeout,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "", "traceback": []},
        iopub_timeout=INTERRUPT_GRACE_S,
        allow_errors=False,
        shutdown_kernel="graceful",
        max_output_bytes=max_output_bytes,
    )
    where = _Where(page, session, work)
    outputs: dict[str, list[dict]] = {}
    seconds: dict[str, float] = {}
    log = open(log_path, "wb")  # noqa: SIM115 - the kernel's own stdout and stderr, for when it dies
    try:
        with client.setup_kernel(cleanup_kc=True, env=env, cwd=str(cwd), stdout=log, stderr=log):
            prologue = _PROLOGUE + f"_cours_ray_prologue({str(dump)!r}, {_imports_matplotlib(session)!r})\ndel _cours_ray_prologue\n"
            reply = run_sync(client.kc.execute_interactive)(prologue, silent=True, store_history=False, timeout=60)
            if reply["content"]["status"] != "ok":
                raise SessionError(f"{page.path} : préparation du noyau impossible : {reply['content'].get('evalue')}")
            for index, (block, cell) in enumerate(zip(session.blocks, notebook.cells)):
                where.cells[index + 1] = block  # execution counts start at 1: the prologue is silent
                cell_started = time.monotonic()
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    client.shutdown_kernel = "immediate"
                    if error.ename == _TIMEOUT_ENAME:
                        raise where.timeout(block, cell, client, dump, time.monotonic() - cell_started, timeout) from None
                    if client.overflow:
                        raise where.overflow(block, max_output_bytes) from None
                    raise where.exception(block, cell, error) from None
                except DeadKernelError:
                    client.shutdown_kernel = "immediate"
                    log.flush()
                    raise where.dead(block, log_path) from None
                if client.overflow:
                    raise where.overflow(block, max_output_bytes)
                outputs[block.id] = [dict(nbformat.from_dict(output)) for output in cell.outputs]
                seconds[block.id] = time.monotonic() - cell_started
                _check_figures(where, block, outputs[block.id])
    finally:
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return SessionRun(json.loads(json.dumps(outputs)), seconds, time.monotonic() - started)


def _imports_matplotlib(session: Session) -> bool:
    for block in session.blocks:
        try:
            tree = ast.parse(block.code)
        except SyntaxError:
            continue  # reported when the cell runs
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "matplotlib" for name in names):
                return True
    return False


def _check_figures(where: _Where, block: Block, outputs: list[dict]) -> None:
    for output in outputs:
        data = output.get("data", {})
        if "image/svg+xml" in data and _GENERIC_FIGURE_LABEL.fullmatch(data.get("text/plain", "").strip()):
            raise SessionError(
                f"{where.place(block, block.origins[0] if block.origins else None)} : figure sans texte alternatif ; "
                'créez-la avec plt.subplots(num="description en français").'
            )


def plain_traceback(lines: list[str]) -> str:
    return _ANSI.sub("", "\n".join(lines))


class _Where:
    """Turns kernel-side places (execution counts, compiled cell files) into the page, block, file and line."""

    def __init__(self, page: Page, session: Session, work: Path) -> None:
        self.page, self.session, self.work = page, session, work
        self.cells: dict[int, Block] = {}

    def place(self, block: Block, origin: Origin | None) -> str:
        text = f"{self.page.path}, bloc {block.number} (ligne {block.page_line} de la page)"
        return f"{text}, {origin}" if origin else text

    def origin(self, count: int, line: int) -> Origin | None:
        block = self.cells.get(count)
        if block and 1 <= line <= len(block.origins):
            return block.origins[line - 1]
        return None

    def innermost(self, traceback: str) -> Origin | None:
        frames = [self.origin(int(count), int(line)) for count, line in _CELL_FRAME.findall(traceback)]
        return next((origin for origin in reversed(frames) if origin), None)

    def remap(self, traceback: str) -> str:
        """IPython's « Cell In[n], line m » replaced by the file and line the author wrote."""

        def real(match: re.Match) -> str:
            origin = self.origin(int(match[1]), int(match[2]))
            return f'File "{origin.path}", line {origin.line}' if origin else match[0]

        return _CELL_FRAME.sub(real, traceback)

    def exception(self, block: Block, cell, error: CellExecutionError) -> SessionError:
        traceback = next((plain_traceback(o["traceback"]) for o in cell.outputs if o.get("output_type") == "error"), "")
        origin = self.innermost(traceback) or (block.origins[0] if block.origins else None)
        message = f"{self.place(block, origin)} : exception levée.\n\n{self.remap(traceback) or f'{error.ename}: {error.evalue}'}"
        if error.ename == "NameError" and (hint := self._defined_elsewhere(error.evalue)):
            message += f"\n\n{hint}"
        return SessionError(message, error.ename)

    def _defined_elsewhere(self, evalue: str) -> str | None:
        match = re.search(r"name '(\w+)' is not defined", evalue)
        if not match:
            return None
        for other in self.page.sessions:
            if other.name == self.session.name:
                continue
            for block in other.blocks:
                line = _defines(block.code, match[1])
                if line:
                    return (
                        f"« {match[1]} » n'est défini que dans une autre session de la page, {other.name} "
                        f"({block.origins[line - 1]}) : chaque session s'exécute dans son propre noyau Jupyter, "
                        "définissez-le aussi dans celle-ci."
                    )
        return None

    def timeout(self, block: Block, cell, client: _Client, dump: Path, elapsed: float, limit: float) -> SessionError:
        interrupted = next((plain_traceback(o["traceback"]) for o in cell.outputs if o.get("ename") == "KeyboardInterrupt"), "")
        origin = self.innermost(interrupted) if interrupted else self._dumped_line(client, dump)
        return SessionError(
            f"{self.place(block, origin)} : le bloc ne s'est pas terminé en {elapsed:.0f} s "
            f"(délai COURS_RAY_TIMEOUT={limit:g} s) ; le noyau a été interrompu puis arrêté."
        )

    def _dumped_line(self, client: _Client, dump: Path) -> Origin | None:
        """The kernel did not answer the interrupt: faulthandler dumps its stacks, whatever it is doing."""
        pid = client.km.provisioner.pid if client.km and client.km.provisioner else None
        if pid is None:
            return None
        try:
            os.kill(pid, signal.SIGUSR1)
        except ProcessLookupError:
            return None
        # ipykernel compiles each cell to <tmp>/ipykernel_<pid>/<murmur2 of its source>.py
        files = {f"{murmur2_x86(b.code, get_tmp_hash_seed())}.py": count for count, b in self.cells.items()}
        deadline = time.monotonic() + 3
        while True:  # the dump is written thread by thread: read it until the cell's frame is there
            for match in _DUMP_FRAME.finditer(dump.read_text(errors="replace") if dump.exists() else ""):  # innermost first
                count = files.get(Path(match["file"]).name)
                if count is not None:
                    return self.origin(count, int(match["line"]))
            if time.monotonic() > deadline:
                return None
            time.sleep(0.1)

    def dead(self, block: Block, log_path: Path) -> SessionError:
        tail = log_path.read_text(errors="replace")[-2000:].strip() if log_path.exists() else ""
        lines = f"{block.origins[0].path}, lignes {block.origins[0].line} à {block.origins[-1].line}" if block.origins else ""
        return SessionError(
            f"{self.place(block, None)}{', ' + lines if lines else ''} : le noyau Jupyter s'est arrêté pendant ce bloc "
            "(os._exit, plantage, mémoire épuisée…)." + (f"\nSon journal se termine par :\n{tail}" if tail else "")
        )

    def overflow(self, block: Block, limit: int) -> SessionError:
        return SessionError(
            f"{self.place(block, block.origins[0] if block.origins else None)} : le bloc a écrit plus de "
            f"{limit // 1024} Kio de texte ; une page n'affiche pas autant. Affichez un résumé (len, les premières "
            "lignes…) plutôt que tout."
        )


def _defines(code: str, name: str) -> int | None:
    """The line where `code` binds `name` at module level (assignment, def, class, import), if it does."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        targets: list[str] = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            targets = [node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            targets = [(alias.asname or alias.name).split(".")[0] for alias in node.names]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            targets = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        if name in targets:
            return node.lineno
    return None
