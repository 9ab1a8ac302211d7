# --8<-- [start:preambule]
import logging
from pathlib import Path

import numpy as np
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:donnees]
# Le dossier course-data : à la racine du dépôt pour ce script,
# à côté du cahier dans Jupyter (où __file__ n'existe pas)
if "__file__" in globals():
    RACINE = Path(__file__).resolve().parents[2]
else:
    RACINE = Path.cwd()
DONNEES = RACINE / "course-data" / "02-les-objets"
if not DONNEES.is_dir():
    raise FileNotFoundError(
        f"Dossier de données introuvable : {DONNEES}. Dans Jupyter, décompressez "
        "course-data.zip dans le dossier du cahier : le dossier course-data doit être "
        "juste à côté du cahier (et pas dans un autre dossier course-data)."
    )
matrice = np.loadtxt(DONNEES / "matrice.txt", dtype=np.int64)
print(f"Matrice : {matrice.shape[0]} lignes, {matrice.shape[1]} colonnes, {matrice.nbytes // 1024} Kio")
# --8<-- [end:donnees]

# --8<-- [start:put]
matrice_ref = ray.put(matrice)
# --8<-- [end:put]

# --8<-- [start:verification_put]
assert "matrice_ref" in globals(), "matrice_ref n'existe pas encore : mettez la matrice dans Ray avec ray.put."
assert isinstance(matrice_ref, ray.ObjectRef), (
    f"matrice_ref doit être l'ObjectRef que renvoie ray.put(matrice), pas un objet {type(matrice_ref).__name__}"
)
assert np.array_equal(ray.get(matrice_ref), matrice), "matrice_ref ne désigne pas la matrice"
print("✓ matrice_ref désigne la matrice, mise une fois dans le magasin d'objets.")
# --8<-- [end:verification_put]


# --8<-- [start:sommes_des_lignes]
@ray.remote
def sommes_des_lignes(matrice, debut, fin):
    return matrice[debut:fin].sum(axis=1)
# --8<-- [end:sommes_des_lignes]


# --8<-- [start:verification_sommes_des_lignes]
assert "sommes_des_lignes" in globals(), "sommes_des_lignes n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(sommes_des_lignes, "remote"), "sommes_des_lignes doit être une tâche Ray : décorez-la par @ray.remote."
essai = np.arange(12).reshape(4, 3)
obtenu = ray.get(sommes_des_lignes.remote(essai, 1, 3), timeout=60)
assert obtenu is not None, "sommes_des_lignes ne renvoie rien : renvoyez les sommes des lignes debut à fin - 1."
assert list(obtenu) == [12, 21], f"sommes_des_lignes(essai, 1, 3) devrait valoir [12, 21] (lignes 1 et 2), pas {list(obtenu)}"
print("✓ sommes_des_lignes additionne bien les lignes de debut à fin (exclue).")
# --8<-- [end:verification_sommes_des_lignes]


# --8<-- [start:sommes_par_blocs]
def sommes_par_blocs(matrice_ref, k):
    lignes = ray.get(matrice_ref).shape[0]  # sur ce nœud, ray.get n'en fait pas de copie
    bornes = [lignes * i // k for i in range(k + 1)]
    refs = [sommes_des_lignes.remote(matrice_ref, debut, fin) for debut, fin in zip(bornes, bornes[1:])]
    return np.concatenate(ray.get(refs))
# --8<-- [end:sommes_par_blocs]


# --8<-- [start:verification_sommes_par_blocs]
assert "sommes_par_blocs" in globals(), "sommes_par_blocs n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
attendu = matrice.sum(axis=1)
for k in [1, 3, 8]:
    obtenu = sommes_par_blocs(matrice_ref, k)
    assert obtenu is not None, "sommes_par_blocs ne renvoie rien : renvoyez les sommes de toutes les lignes."
    assert np.array_equal(obtenu, attendu), f"avec k = {k} blocs, les sommes des lignes ne sont pas celles de matrice.sum(axis=1)"


class Espion:
    """Se fait passer pour la tâche sommes_des_lignes, et note ce que reçoit chaque appel."""

    def __init__(self, tache):
        self.tache, self.arguments = tache, []

    def remote(self, *arguments):
        self.arguments.append(type(arguments[0]).__name__)
        return self.tache.remote(*arguments)


tache, sommes_des_lignes = sommes_des_lignes, Espion(sommes_des_lignes)
try:
    sommes_par_blocs(matrice_ref, 3)
    recu = sommes_des_lignes.arguments
finally:
    sommes_des_lignes = tache
assert len(recu) == 3, f"sommes_par_blocs(matrice_ref, 3) doit soumettre 3 tâches sommes_des_lignes, pas {len(recu)}"
assert recu == ["ObjectRef"] * 3, (
    f"les tâches ont reçu {recu} : passez-leur matrice_ref, pas la matrice, pour qu'elle ne soit pas recopiée."
)
print("✓ sommes_par_blocs calcule les sommes de toutes les lignes, sans recopier la matrice.")
# --8<-- [end:verification_sommes_par_blocs]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
