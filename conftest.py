"""The suite's command-line options, declared at the root so that pytest knows them before it reads the paths
(`--page docs/x.md` would otherwise be taken for a path). The fixtures live in tests/conftest.py."""


def pytest_addoption(parser):  # noqa: ANN001, ANN201
    parser.addoption(
        "--update-outputs",
        action="store_true",
        help="réécrit les sorties attendues (tests/__snapshots__/) à partir de la construction, après un changement "
        "voulu (l'option --snapshot-update de syrupy)",
    )
    parser.addoption(
        "--full-captures",
        action="store_true",
        help="captures d'écran pleine page de chaque page (environ 90 s de plus) au lieu du seul premier écran",
    )
    parser.addoption("--page", action="append", default=[], help="ne teste que cette page (docs/....md) ; répétable")
