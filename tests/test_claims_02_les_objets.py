"""Chapter 2's claims (docs/02-les-objets.md), as tests that can fail. tests/README.md maps each sentence to its test.

The claims about the page's own measurements (store usage, durations) are asserted where they are measured, at
build time; the tests `…_asserted_at_build` check that those asserts say what the prose says. The others check
Ray's behaviour directly, with small experiments on the session's Ray (`slow` when they time something).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from functools import partial

import numpy as np
import pytest

import course

PAGE = "docs/02-les-objets.md"
MAGASIN = "snippets/02-les-objets/objets_et_magasin.py"
LECTURE = "snippets/02-les-objets/lecture_seule.py"
ATTENDRE = "snippets/02-les-objets/attendre.py"
SERIALISATION = "snippets/02-les-objets/serialisation.py"
pytestmark = pytest.mark.timeout(180)

page_text = partial(course.page_prose, PAGE)
stated = partial(course.stated, PAGE)
asserts_of = course.asserts_of


def store_bytes(ray) -> float:  # noqa: ANN001
    """The session's object store usage (its capacity minus what is free), once Ray's figure is stable."""
    total, before, now = ray.cluster_resources()["object_store_memory"], None, None
    for _ in range(20):
        now = total - ray.available_resources()["object_store_memory"]
        if now == before:
            break
        before = now
        time.sleep(0.3)
    return now


# --- where objects live ----------------------------------------------------------------------------------


def test_where_objects_live_is_asserted_at_build():
    stated(r"la mémoire du propriétaire, pour les petits résultats de tâches \(moins de 100 Kio une fois sérialisés\)")
    stated(r"Le petit résultat de tâche n'occupe rien dans le magasin d'objets ; le grand, et l'objet de `ray.put`, même petit, y sont")
    checks = asserts_of(MAGASIN, "verification_mesures")
    assert "apres_petit - depart < 1000" in checks
    assert "apres_grand - apres_petit >= 20 * 2 ** 20 and apres_put - apres_grand >= 10000" in checks


@pytest.mark.slow
def test_task_results_under_100_kib_stay_out_of_the_store(ray_driver):
    """max_direct_call_object_size is 100 KiB of serialised size: a task result just under it is returned inline,
    one just over it goes to the object store."""

    @ray_driver.remote
    def zeros(octets):
        return np.zeros(octets, dtype=np.uint8)

    sizes = {}
    for octets in (95_000, 110_000):
        start = store_bytes(ray_driver)
        ref = zeros.remote(octets)
        ray_driver.wait([ref])
        sizes[octets] = store_bytes(ray_driver) - start
        del ref
    assert sizes[95_000] < 1_000 and sizes[110_000] >= 110_000, sizes


def test_object_is_freed_once_no_objectref_designates_it_as_asserted_at_build():
    stated(r"Ici, dès qu'aucun `ObjectRef` ne les désigne plus, la place est rendue")
    code, _ = course.section_code(MAGASIN, "duree_de_vie")
    assert code.split("\n")[:2] == ["del grand, mis  # plus aucun ObjectRef ne les désigne", "apres_del = magasin_octets()"]
    assert "apres_del - depart < 1000" in asserts_of(MAGASIN, "verification_mesures")


def test_by_value_copies_and_single_put_are_asserted_at_build():
    stated(r"Passer le même gros tableau à N tâches en fait donc N copies. Avec `ray.put`, on le range une seule fois")
    stated(r"Passé par valeur, le tableau est recopié pour chaque tâche, et l'écart est plusieurs fois plus grand pour 16 tâches que pour une")
    assert course.literal_assignments(MAGASIN, "mesure_durees")["nombres"][::4] == [1, 16]
    checks = asserts_of(MAGASIN, "verification_mesures")
    assert "0.95 * N * taille <= par_valeur <= 1.05 * N * taille" in checks
    assert "0.95 * taille <= par_reference <= 1.05 * taille" in checks
    assert "ecarts[-1] > 2 * ecarts[0] and rapport > 2" in checks


@pytest.mark.slow
def test_a_large_argument_outlives_its_task_while_the_tasks_large_result_is_designated(ray_driver):
    stated(r"et plus longtemps si la tâche range elle-même un gros résultat dans le magasin d'objets : Ray garde alors ses arguments tant que ce résultat est désigné, pour pouvoir réexécuter la tâche")

    @ray_driver.remote
    def small(array):
        return float(array[0])

    @ray_driver.remote
    def large(array):
        return np.zeros(2**20, dtype=np.uint8)  # 1 MiB: stored in the object store

    before = store_bytes(ray_driver)
    ray_driver.get(small.remote(np.zeros(20 * 2**20, dtype=np.uint8)))
    assert store_bytes(ray_driver) - before < 2**20  # a small result: the argument's copy went with the task
    result = large.remote(np.zeros(20 * 2**20, dtype=np.uint8))
    ray_driver.wait([result])
    assert store_bytes(ray_driver) - before >= 21 * 2**20  # the argument stays, next to the result
    del result
    assert store_bytes(ray_driver) - before < 2**20


@pytest.mark.slow
def test_ray_does_not_deduplicate_the_same_argument(ray_driver):
    """« une copie par appel », even for the very same array passed twice in one call."""

    @ray_driver.remote
    def keep(*arrays):
        time.sleep(1)
        return len(arrays)

    array = np.ones(4 * 2**20 // 8)  # 4 MiB
    start = store_bytes(ray_driver)
    ref = keep.remote(array, array)
    used = store_bytes(ray_driver) - start
    ray_driver.get(ref)
    assert used >= 2 * 0.95 * array.nbytes


# --- nested ObjectRefs and the detour through the driver ---------------------------------------------------


def test_only_top_level_objectrefs_are_replaced_by_their_value(ray_driver):
    stated(r"Ray ne remplace par sa valeur que l'`ObjectRef` passé \*\*directement\*\* en argument")
    namespace = course.exec_sections(MAGASIN, "affichage", "imbriques", namespace=course.preamble_imports(MAGASIN))
    assert ray_driver.get(namespace["types_recus"].remote(ray_driver.put(1), [ray_driver.put(1)])) == ("int", "ObjectRef")


def test_detour_through_the_driver_makes_a_second_copy_as_asserted_at_build():
    stated(r"Le détour par le driver fait venir l'objet jusqu'au driver \(un transfert entre nœuds, sur un cluster\), puis, puisque la valeur est maintenant un argument ordinaire, `.remote\(\)` la sérialise et en range une nouvelle copie")
    assert "direct_octets < 2 ** 20 <= 0.95 * 20 * 2 ** 20 <= detour_octets" in asserts_of(MAGASIN, "detour_par_le_driver")


# --- zero-copy reads -------------------------------------------------------------------------------------


def test_zero_copy_read_is_asserted_at_build():
    stated(r"`ray.get` ne lit pas les 80 Mo : il crée une vue sur la mémoire partagée, bien plus vite qu'une copie")
    stated(r"Aussi est-il en \*\*lecture seule\*\*")
    checks = asserts_of(LECTURE, "verification_mesures")
    assert "not lu.flags.writeable and (not lu.flags.owndata)" in checks
    assert "duree_lecture < duree_copie / 5" in checks


def test_an_array_argument_is_read_only_in_the_task_too(ray_driver):
    stated(r"un tableau reçu en argument est en lecture seule")

    @ray_driver.remote
    def writable(array):
        return array.flags.writeable

    assert ray_driver.get([writable.remote(np.arange(10)), writable.remote(np.arange(1_000_000))]) == [False, False]


def test_only_contiguous_numeric_arrays_are_shared_without_copy(ray_driver):
    """« Pour un tableau NumPy contigu de nombres (le cas ordinaire) » : the qualifier matters, both ways."""
    stated(r"Pour un tableau NumPy contigu de nombres \(le cas ordinaire\), Ray ne sérialise que la description du tableau")
    shared = ray_driver.get(ray_driver.put(np.arange(1_000_000)))
    strided = ray_driver.get(ray_driver.put(np.arange(2_000_000).reshape(1000, 2000)[:, ::2]))
    objects = ray_driver.get(ray_driver.put(np.array([{"a": 1}] * 1000, dtype=object)))
    assert not shared.flags.writeable and not shared.flags.owndata
    assert strided.flags.writeable and objects.flags.writeable  # private copies, not views on the store


# --- ray.wait --------------------------------------------------------------------------------------------


def test_processing_as_results_arrive_is_asserted_at_build():
    stated(r"Avec `ray.get`, le driver attend la tâche la plus lente, puis traite les quatre résultats l'un après l'autre. Avec `ray.wait`, il traite les premiers pendant que les dernières tâches tournent encore, et finit plus tôt")
    checks = asserts_of(ATTENDRE, "verification_attente")
    assert "duree_get >= max(durees) + 0.3 * len(durees)" in checks
    assert "duree_wait < duree_get" in checks
    assert "resultats_wait[0][3] == min((r[3] for r in resultats_wait))" in checks


@pytest.mark.slow
def test_ray_wait_keeps_the_order_of_its_list_and_returns_exactly_num_returns(ray_driver):
    stated(r"`ray.wait` rend exactement `num_returns` `ObjectRef` prêts, ou moins si le délai `timeout=` expire avant ; quand plus de `num_returns` résultats sont prêts à la fois, il ne promet pas lesquels il rend. Dans ses deux listes, il garde l'ordre de la liste qu'on lui a donnée")

    @ray_driver.remote
    def sleeps(seconds):
        time.sleep(seconds)
        return seconds

    refs = [sleeps.remote(s) for s in (0.6, 0.1)]
    ready, _ = ray_driver.wait(refs, num_returns=2)
    assert ready == refs  # the slow one first, as in the list, though it finished last
    done = [sleeps.remote(0) for _ in range(4)]
    ray_driver.get(done)
    ready, not_ready = ray_driver.wait(done, num_returns=2)
    assert len(ready) == 2 and len(not_ready) == 2
    slow = sleeps.remote(3)
    ready, not_ready = ray_driver.wait([slow], num_returns=1, timeout=0.2)
    assert ready == [] and not_ready == [slow]  # fewer than num_returns: only when the timeout runs out
    ray_driver.cancel(slow)


def test_bounded_tasks_in_flight_is_asserted_where_measured():
    stated(r"Une fois la limite atteinte, on attend, avant chaque nouvelle soumission, qu'une des tâches en vol ait fini")
    assert "sorted(resultats) == [x * x for x in range(20)] and plus_grand_nombre_en_vol <= MAX_EN_VOL" in asserts_of(ATTENDRE, "limite_en_vol")


# --- serialisation ----------------------------------------------------------------------------------------


def test_simple_values_go_through_messagepack_and_the_rest_through_cloudpickle(ray_driver, monkeypatch):
    stated(r"avec MessagePack pour les valeurs simples \(nombres, chaînes, listes, dictionnaires\) et avec `cloudpickle`, une extension du module `pickle` de Python, pour tout le reste")
    from ray._private import serialization

    pickled, dumps = [], serialization.pickle.dumps
    monkeypatch.setattr(serialization.pickle, "dumps", lambda value, *args, **kwargs: pickled.append(value) or dumps(value, *args, **kwargs))
    simple = [1, 2.5, "trois", {"quatre": [4]}]
    assert ray_driver.get(ray_driver.put(simple)) == simple and pickled == []
    assert ray_driver.get(ray_driver.put((1, {2}))) == (1, {2}) and pickled  # a tuple, a set: cloudpickle


def test_closures_lambdas_and_arrays_go_through(ray_driver):
    stated(r"`cloudpickle` sait aussi emporter les fonctions définies dans le programme, les fonctions anonymes \(`lambda`\) et les fermetures")
    namespace = course.exec_definitions(SERIALISATION, "ce_qui_passe", "fabrique_multiplicateur", "applique", namespace=course.preamble_imports(SERIALISATION))
    assert ray_driver.get(namespace["applique"].remote(namespace["fabrique_multiplicateur"](5), [1, 2])) == [5, 10]


def test_a_file_open_for_reading_travels_as_a_copy_of_its_content(ray_driver, tmp_path):
    stated(r"un fichier ouvert en lecture, lui, passe, mais comme une copie de son contenu en mémoire, un `io.StringIO`, et non comme un fichier")

    @ray_driver.remote
    def received(value):
        return type(value).__name__, value.read()

    (tmp_path / "notes.txt").write_text("deux lignes\nde texte\n", encoding="utf-8")
    with open(tmp_path / "notes.txt", encoding="utf-8") as readable:
        assert ray_driver.get(received.remote(readable)) == ("StringIO", "deux lignes\nde texte\n")


def test_a_lock_a_socket_and_a_file_open_for_writing_are_refused_at_remote(ray_driver, tmp_path):
    stated(r"un verrou \(`threading.Lock`\), une connexion réseau, un fichier ouvert en écriture. Ray refuse de les sérialiser, dès l'appel à `.remote\(\)`")

    @ray_driver.remote
    def kind(value):
        return type(value).__name__

    connection = socket.socket()
    written = open(tmp_path / "journal.txt", "w")  # noqa: SIM115
    try:
        for value in (threading.Lock(), connection, written):
            with pytest.raises(Exception) as refused:  # TypeError (wrapped by Ray), or pickle's PicklingError
                kind.remote(value)
            assert re.search(r"pickle|serializ", str(refused.value), re.I), refused.value
    finally:
        connection.close()
        written.close()


def test_inspect_serializability_finds_the_culprit_and_its_path():
    stated(r"Elle renvoie toujours une paire : un booléen \(`True` si l'objet se sérialise\) et l'ensemble des objets fautifs, avec leur chemin")
    import io

    import ray

    class Holder:
        def __init__(self):
            self.values = [1]
            self.lock = threading.Lock()

    assert ray.util.inspect_serializability([1, 2], print_file=io.StringIO()) == (True, set())
    ok, failures = ray.util.inspect_serializability(Holder(), name="holder", print_file=io.StringIO())
    assert not ok and [" -> ".join(map(str, f.path)) for f in failures] == ["holder -> lock"]


# --- losing objects --------------------------------------------------------------------------------------


def test_an_object_of_ray_put_cannot_be_reconstructed():
    """Ray names the case: an object lost with no lineage, because ray.put created it."""
    stated(r"Un objet créé par `ray.put` n'a pas de lignée : perdu, il ne peut pas être reconstruit")
    from ray.core.generated.common_pb2 import ErrorType

    assert "OBJECT_UNRECONSTRUCTABLE_PUT" in ErrorType.keys()


def test_losing_the_owner_loses_the_object_as_shown():
    stated(r"Si le \*\*propriétaire\*\* d'un objet s'arrête, l'objet est perdu pour tous : `ray.get` lève `OwnerDiedError`")
    code, _ = course.section_code("snippets/02-les-objets/perte_des_objets.py", "proprietaire_perdu")
    assert "os.kill(pid, signal.SIGKILL)" in code and "except ray.exceptions.OwnerDiedError" in code
    assert "raise AssertionError(" in code  # the build fails if the object can still be read


# --- written for the learner -----------------------------------------------------------------------------


def test_main_path_reads_in_about_40_minutes():
    words = course.main_path_words(PAGE)
    assert words <= 3600, f"{words} mots de prose hors des encadrés repliés (au plus 3 600)"


def test_no_visible_block_is_mostly_presentation():
    shown = course.visible_presentation_blocks(PAGE)
    assert not shown, f"blocs de présentation visibles sans être repliés : {shown}"


def test_chapter_says_what_it_builds_on_and_links_the_next():
    stated(r"Le chapitre 1 a montré qu'un appel à `.remote\(\)` renvoie un `ObjectRef`")
    assert re.search(r"\[chapitre 3\]\(03-les-acteurs\.md\)", page_text())


def test_data_the_exercises_read_is_small_and_shipped():
    folder = course.ROOT / "course-data" / "02-les-objets"
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and sum(p.stat().st_size for p in files) < 200_000
