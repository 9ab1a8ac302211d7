# --8<-- [start:preambule]
import inspect
import logging
import re
import time
from pathlib import Path

import ray
from ray.util import ActorPool

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:donnees]
# Le dossier course-data : à la racine du dépôt pour ce script,
# à côté du cahier dans Jupyter (où __file__ n'existe pas)
if "__file__" in globals():
    RACINE = Path(__file__).resolve().parents[2]
else:
    RACINE = Path.cwd()
DONNEES = RACINE / "course-data" / "03-les-acteurs"
if not DONNEES.is_dir():
    raise FileNotFoundError(
        f"Dossier de données introuvable : {DONNEES}. Dans Jupyter, décompressez "
        "course-data.zip dans le dossier du cahier : le dossier course-data doit être "
        "juste à côté du cahier (et pas dans un autre dossier course-data)."
    )
# --8<-- [end:donnees]


# --8<-- [start:outils]
CHARGEMENT = 0.5  # secondes : le coût, simulé, de la préparation


def charger_mots_vides():
    """Lit la liste des mots vides. Une préparation coûteuse (un modèle à charger, un gros
    dictionnaire...), simulée par une pause de CHARGEMENT secondes."""
    time.sleep(CHARGEMENT)
    return set((DONNEES / "mots_vides.txt").read_text(encoding="utf-8").split())


def compter_mots_pleins(phrase, mots_vides):
    """Le nombre de mots de la phrase qui ne sont pas des mots vides."""
    return sum(1 for mot in re.findall(r"\w+", phrase.lower()) if mot not in mots_vides)


phrases = (DONNEES / "phrases.txt").read_text(encoding="utf-8").splitlines()
print(f"{len(phrases)} phrases, dont « {phrases[0]} »")
# --8<-- [end:outils]


# --8<-- [start:analyseur]
@ray.remote(num_cpus=1)
class Analyseur:
    def __init__(self):
        self.mots_vides = charger_mots_vides()  # une fois, à la création de l'acteur

    def compter(self, phrase):
        return compter_mots_pleins(phrase, self.mots_vides)
# --8<-- [end:analyseur]


# --8<-- [start:compter_avec_pool]
def compter_avec_pool(phrases, acteurs):
    pool = ActorPool(acteurs)
    return list(pool.map(lambda acteur, phrase: acteur.compter.remote(phrase), phrases))
# --8<-- [end:compter_avec_pool]


# --8<-- [start:verification_pool]
assert "Analyseur" in globals(), "Analyseur n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(Analyseur, "remote"), "Analyseur doit être une classe d'acteur : décorez-la par @ray.remote(num_cpus=1)."
assert "compter_avec_pool" in globals(), "compter_avec_pool n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
mots_vides = set((DONNEES / "mots_vides.txt").read_text(encoding="utf-8").split())
attendus = [compter_mots_pleins(phrase, mots_vides) for phrase in phrases]
# les options passées à @ray.remote (un attribut interne de Ray)
assert Analyseur._default_options.get("num_cpus") == 1, "Analyseur doit réserver un CPU : @ray.remote(num_cpus=1)."


class Espion:
    """Se fait passer pour la poignée d'un acteur, et compte les appels qu'on lui demande."""

    def __init__(self, acteur):
        self.acteur, self.appels = acteur, 0

    def __getattr__(self, nom):
        self.appels += 1
        return getattr(self.acteur, nom)


essais = [Analyseur.remote() for _ in range(min(2, int(ray.cluster_resources()["CPU"])))]
try:
    try:
        un = ray.get(essais[0].compter.remote(phrases[0]), timeout=60)  # l'acteur est prêt
        debut = time.perf_counter()
        ray.get([essais[0].compter.remote(phrase) for phrase in phrases[:3]], timeout=60)
        duree_trois = time.perf_counter() - debut
        espions = [Espion(essai) for essai in essais]
        obtenus = compter_avec_pool(phrases, espions)
    except NotImplementedError:
        raise AssertionError("Analyseur.compter ou compter_avec_pool n'est pas encore écrite.") from None
finally:
    for essai in essais:
        ray.kill(essai)
assert un == attendus[0], f"compter({phrases[0]!r}) devrait renvoyer {attendus[0]}, pas {un!r}"
assert duree_trois < CHARGEMENT, "trois appels de compter ont pris plus qu'un chargement : chargez les mots vides dans __init__"
assert "ActorPool" in inspect.getsource(compter_avec_pool), "compter_avec_pool doit répartir les phrases avec un ActorPool"
assert all(espion.appels > 0 for espion in espions), "compter_avec_pool doit faire travailler chacun des acteurs reçus"
assert obtenus == attendus, f"compter_avec_pool devrait renvoyer {attendus}, dans l'ordre des phrases, pas {obtenus!r}"
print(f"✓ Le groupe d'acteurs compte les mots pleins des {len(phrases)} phrases, dans leur ordre.")
# --8<-- [end:verification_pool]


# --8<-- [start:mesure_pool]
cpus = int(ray.cluster_resources()["CPU"])


@ray.remote
def compter_tache(phrase):
    return compter_mots_pleins(phrase, charger_mots_vides())  # la préparation, à chaque tâche


debut = time.perf_counter()
acteurs = [Analyseur.remote() for _ in range(cpus)]  # un acteur par CPU
par_pool = compter_avec_pool(phrases, acteurs)
duree_pool = time.perf_counter() - debut
for acteur in acteurs:
    ray.kill(acteur)  # leurs CPU sont libérés pour les tâches

debut = time.perf_counter()
par_taches = ray.get([compter_tache.remote(phrase) for phrase in phrases])
duree_taches = time.perf_counter() - debut

print(f"{cpus} acteurs, créés puis utilisés : {fr(duree_pool)} s")
print(f"{len(phrases)} tâches : {fr(duree_taches)} s")
print(f"Mêmes résultats : {par_pool == par_taches == attendus}")
# --8<-- [end:mesure_pool]

# --8<-- [start:verification_mesure_pool]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
assert par_pool == par_taches == attendus
assert duree_taches >= len(phrases) * CHARGEMENT / cpus, "les tâches ont préparé leurs données plus vite que possible"
assert duree_pool < duree_taches, "le groupe d'acteurs n'a pas été plus rapide que les tâches"
# --8<-- [end:verification_mesure_pool]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
