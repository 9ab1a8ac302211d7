"""What a chapter offers for download: its two notebooks and the course data, and where they live on the site."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

NOTEBOOK_PAGES = "cahiers"  # rendered notebooks: cahiers/<chapitre>-exercices.ipynb -> cahiers/<chapitre>-exercices/
DOWNLOADS = "telechargements"  # the files themselves
DATA_ARCHIVE = "course-data.zip"


@dataclass(frozen=True)
class ChapterNotebooks:
    """The site paths (relative to docs/) of one chapter's notebooks."""

    chapter: str  # the page's src_uri, e.g. "01-les-taches.md"

    @property
    def stem(self) -> str:
        return self.chapter.removesuffix(".md").replace("/", "-")

    def page(self, kind: str) -> str:
        return f"{NOTEBOOK_PAGES}/{self.stem}-{kind}.ipynb"

    def download(self, kind: str) -> str:
        return f"{DOWNLOADS}/{self.stem}-{kind}.ipynb"


def data_download() -> str:
    return f"{DOWNLOADS}/{DATA_ARCHIVE}"


def data_archive(root: Path) -> bytes:
    """course-data/ as a zip whose entries keep the `course-data/...` prefix, identical from one build to the next."""
    folder = root / "course-data"
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} : dossier des données du cours introuvable, requis par les cahiers")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
