"""Executes the blocks of one page, in order, in one namespace, like the cells of a notebook.

Runs as a child process of the build (`python -m cours_ray.kernel`), one per page. Requests arrive as JSON
lines on stdin; answers leave as JSON lines on a private copy of the original stdout, while file descriptor 1
is pointed at stderr so nothing printed at the C level can corrupt them. A SIGUSR1 dumps every thread's stack
to stderr (used by the build to say where a block hangs).
"""

from __future__ import annotations

import builtins
import faulthandler
import io
import json
import linecache
import os
import signal
import sys
import threading
import traceback
from contextlib import redirect_stdout


def _figures(block_name: str) -> list[dict]:
    """Every open matplotlib figure as inline SVG, labelled with the figure's label, then closed."""
    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib.pyplot as plt

    figures = []
    for count, number in enumerate(plt.get_fignums(), start=1):
        figure = plt.figure(number)
        buffer = io.StringIO()
        # A salt per figure keeps the SVG ids unique on a page and the output identical from one run to the next.
        with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"{block_name}-{count}"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
        plt.close(figure)
        figures.append({"alt": figure.get_label(), "svg": buffer.getvalue()})
    return figures


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb"), encoding="utf-8", line_buffering=True)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    namespace: dict = {"__name__": "__main__", "__builtins__": builtins}

    def answer(**message: object) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    answer(ready=True, main_thread=threading.main_thread().ident)
    while line := sys.stdin.readline():
        request = json.loads(line)
        if request["op"] == "close":
            break
        code, name = request["code"], request["filename"]
        linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
        if request.get("file"):
            namespace["__file__"] = request["file"]
        buffer = io.StringIO()
        try:
            with redirect_stdout(buffer):
                exec(compile(code, name, "exec"), namespace)  # noqa: S102 - executing the page is the point
        except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt included
            # Skip this loop's own frame: the traceback starts in the author's code.
            trace = traceback.TracebackException(type(error), error, error.__traceback__.tb_next)
            answer(
                ok=False,
                stdout=buffer.getvalue(),
                error="".join(trace.format()),
                frames=[[frame.filename, frame.lineno] for frame in trace.stack],
            )
            continue
        try:
            figures = _figures(name)
        except Exception:  # noqa: BLE001
            answer(ok=False, stdout=buffer.getvalue(), error=traceback.format_exc(), frames=[])
            continue
        answer(ok=True, stdout=buffer.getvalue(), figures=figures)
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        ray.shutdown()


if __name__ == "__main__":
    main()
