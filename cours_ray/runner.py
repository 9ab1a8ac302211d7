"""Runs a page's blocks in a kernel process and turns failures into messages that name the page, file and line."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from cours_ray.pages import Block, Origin

KERNEL_START_TIMEOUT_S = 60
_BLOCK_FILENAME = "<cours-ray bloc {}>"
_FRAME_IN_TEXT = re.compile(r'File "<cours-ray bloc (\d+)>", line (\d+)')


class BlockError(Exception):
    """A block raised, hung, or broke a rule of the course; the message says where."""


@dataclass
class BlockOutput:
    stdout: str
    figures: list[dict] = field(default_factory=list)


class PageRunner:
    """One kernel process for one page: blocks run in order and share their namespace."""

    def __init__(self, root: Path, page: str, blocks: list[Block], env: dict[str, str], timeout: float) -> None:
        self.root, self.page, self.blocks, self.timeout = root, page, {b.number: b for b in blocks}, timeout
        self._log = tempfile.NamedTemporaryFile(prefix="cours-ray-kernel-", suffix=".log", delete=False)  # noqa: SIM115
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cours_ray.kernel"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "MPLBACKEND": "Agg", "PYTHONUNBUFFERED": "1", **env},
            cwd=root,
            start_new_session=True,
        )
        hello = self._receive(KERNEL_START_TIMEOUT_S)
        if hello is None:
            self.close()
            raise BlockError(f"{page} : le processus d'exécution n'a pas démarré.\n{self._log_tail()}")
        self._main_thread = hello["main_thread"]

    def run(self, block: Block) -> BlockOutput:
        request = {
            "op": "run",
            "code": block.code,
            "filename": _BLOCK_FILENAME.format(block.number),
            "file": str(self.root / block.main_file) if block.main_file else None,
        }
        self._process.stdin.write((json.dumps(request) + "\n").encode())
        self._process.stdin.flush()
        started = time.monotonic()
        answer = self._receive(self.timeout)
        if answer is None:
            if self._process.poll() is not None:
                raise BlockError(self._where(block, None) + f" : le processus s'est arrêté (code {self._process.returncode}).\n{self._log_tail()}")
            elapsed = time.monotonic() - started
            origin = self._hanging_line(block)
            self.kill()
            raise BlockError(
                self._where(block, origin)
                + f" : le bloc ne s'est pas terminé en {elapsed:.0f} s (délai COURS_RAY_TIMEOUT={self.timeout:g} s)."
            )
        if not answer["ok"]:
            origin = self._last_origin(answer["frames"], block)
            raise BlockError(f"{self._where(block, origin)} : exception levée.\n\n{self.remap(answer['error'])}")
        return BlockOutput(answer["stdout"], answer.get("figures", []))

    def close(self) -> None:
        if self._process.poll() is None:
            try:
                self._process.stdin.write(b'{"op": "close"}\n')
                self._process.stdin.flush()
                self._process.wait(30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.kill()
        for stream in (self._process.stdin, self._process.stdout):
            stream.close()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    def kill(self) -> None:
        if self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def remap(self, text: str) -> str:
        """Replace the kernel's block names in a traceback by the files and lines the author wrote."""

        def real(match: re.Match) -> str:
            origin = self._origin(int(match[1]), int(match[2]))
            return f'File "{origin.path}", line {origin.line}' if origin else match[0]

        return _FRAME_IN_TEXT.sub(real, text)

    def _origin(self, number: int, line: int) -> Origin | None:
        block = self.blocks.get(number)
        if block and 1 <= line <= len(block.origins):
            return block.origins[line - 1]
        return None

    def _where(self, block: Block, origin: Origin | None) -> str:
        place = f"{self.page}, bloc {block.number} (ligne {block.page_line} de la page)"
        return f"{place}, {origin}" if origin else place

    def _last_origin(self, frames: list, block: Block) -> Origin | None:
        for filename, line in reversed(frames):
            match = re.fullmatch(r"<cours-ray bloc (\d+)>", filename)
            if match:
                return self._origin(int(match[1]), line)
        return block.origins[0] if block.origins else None

    def _hanging_line(self, block: Block) -> Origin | None:
        """Ask the kernel for its stacks (faulthandler on SIGUSR1) and find the main thread's line in a block."""
        size_before = os.path.getsize(self._log.name)
        os.kill(self._process.pid, signal.SIGUSR1)
        time.sleep(1)
        dump = Path(self._log.name).read_text(errors="replace")[size_before:]
        section = re.search(rf"hread 0x{self._main_thread:016x}[^\n]*\n((?:  [^\n]*\n)*)", dump)
        if section:
            for match in re.finditer(r'File "<cours-ray bloc (\d+)>", line (\d+)', section[1]):
                return self._origin(int(match[1]), int(match[2]))  # most recent call first
        return None

    def _receive(self, timeout: float) -> dict | None:
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
        line = self._process.stdout.readline()
        return json.loads(line) if line else None

    def _log_tail(self) -> str:
        return Path(self._log.name).read_text(errors="replace")[-3000:]
