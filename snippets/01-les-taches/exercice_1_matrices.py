# --8<-- [start:preambule]
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import ray
from numpy import loadtxt
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)

# --8<-- [end:preambule]

# --8<-- [start:donnees]
# Le dossier course-data : à la racine du dépôt pour ce script,
# à côté du cahier dans Jupyter (où __file__ n'existe pas)
if "__file__" in globals():
    RACINE = Path(__file__).resolve().parents[2]
else:
    RACINE = Path.cwd()
DONNEES = RACINE / "course-data" / "01-les-taches"
if not DONNEES.is_dir():
    raise FileNotFoundError(
        f"Dossier de données introuvable : {DONNEES}. Dans Jupyter, décompressez "
        "course-data.zip dans le dossier du cahier : le dossier course-data doit être "
        "juste à côté du cahier (et pas dans un autre dossier course-data)."
    )
# --8<-- [end:donnees]


# --8<-- [start:read_array]
@ray.remote
def read_array(path: Path) -> np.ndarray:
    return loadtxt(path, dtype=int)
# --8<-- [end:read_array]


# --8<-- [start:verification_read_array]
assert "read_array" in globals(), "read_array n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(read_array, "remote"), "read_array doit être une fonction distante : décorez-la par @ray.remote."
lue = ray.get(read_array.remote(DONNEES / "matrice_1.txt"), timeout=60)
assert isinstance(lue, np.ndarray), f"read_array doit renvoyer un tableau NumPy, pas un objet {type(lue).__name__}"
assert lue.dtype.kind == "i", f"read_array doit lire des entiers (dtype=int), pas des {lue.dtype}"
assert (lue == loadtxt(DONNEES / "matrice_1.txt", dtype=int)).all(), "read_array ne renvoie pas le contenu du fichier"
print(f"✓ read_array lit bien la matrice ({lue.shape[0]} × {lue.shape[1]} entiers).")
# --8<-- [end:verification_read_array]


# --8<-- [start:add_array]
@ray.remote
def add_array(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.add(left, right)
# --8<-- [end:add_array]


# --8<-- [start:verification_add_array]
assert "add_array" in globals(), "add_array n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
assert hasattr(add_array, "remote"), "add_array doit être une fonction distante : décorez-la par @ray.remote."
somme = ray.get(add_array.remote(np.array([[1, 2]]), np.array([[10, 20]])), timeout=60)
assert isinstance(somme, np.ndarray), f"add_array doit renvoyer un tableau NumPy, pas un objet {type(somme).__name__}"
assert (somme == [[11, 22]]).all(), f"add_array([[1, 2]], [[10, 20]]) devrait valoir [[11, 22]], pas {somme.tolist()}"
print("✓ add_array additionne bien deux tableaux.")
# --8<-- [end:verification_add_array]


# --8<-- [start:chemins]
left_matrix_path, right_matrix_path = (
    DONNEES / "matrice_1.txt",
    DONNEES / "matrice_2.txt",
)
# --8<-- [end:chemins]

# --8<-- [start:reference_gauche]
obj_ref_left_matrix = read_array.remote(left_matrix_path)
print(f"Matrice de gauche : {obj_ref_left_matrix}")
# --8<-- [end:reference_gauche]

# --8<-- [start:reference_droite]
obj_ref_right_matrix = read_array.remote(right_matrix_path)
print(f"Matrice de droite : {obj_ref_right_matrix}")
# --8<-- [end:reference_droite]

# --8<-- [start:appel_add_array]
result_obj_ref = add_array.remote(obj_ref_left_matrix, obj_ref_right_matrix)
# --8<-- [end:appel_add_array]

# --8<-- [start:verification_appel_add_array]
attendu = loadtxt(left_matrix_path, dtype=int) + loadtxt(right_matrix_path, dtype=int)
assert "result_obj_ref" in globals(), "result_obj_ref n'existe pas encore : soumettez la tâche add_array."
assert isinstance(result_obj_ref, ray.ObjectRef), (
    "result_obj_ref doit être l'ObjectRef que renvoie add_array.remote(...), "
    f"pas un objet {type(result_obj_ref).__name__}"
)
assert (ray.get(result_obj_ref, timeout=60) == attendu).all(), "result_obj_ref ne désigne pas la somme des deux matrices"
print("✓ result_obj_ref désigne bien la somme des deux matrices.")
# --8<-- [end:verification_appel_add_array]

# --8<-- [start:resultat]
result = ray.get(result_obj_ref)
print(f"Somme des deux matrices :\n{result}")
# --8<-- [end:resultat]

# --8<-- [start:verification_resultat]
assert "result" in globals() and isinstance(result, np.ndarray), (
    "result n'est pas encore la valeur de ray.get(result_obj_ref) : obtenez-la dans la cellule « À COMPLÉTER »."
)
assert (result == attendu).all(), "result ne contient pas la somme des deux matrices"
print("✓ result contient bien la somme des deux matrices.")
# --8<-- [end:verification_resultat]

# --8<-- [start:copie_temporaire]
# Une copie de la matrice de gauche, dans un dossier temporaire :
# les fichiers du cours ne sont jamais modifiés.
dossier = Path(tempfile.mkdtemp())
copie_path = dossier / "matrice_1.txt"
shutil.copy(left_matrix_path, copie_path)

# La copie n'existe que sur le nœud du driver : la tâche qui la lit doit s'y exécuter
ici = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
copie_ref = read_array.options(scheduling_strategy=ici).remote(copie_path)
result_obj_ref = add_array.remote(copie_ref, obj_ref_right_matrix)
result = ray.get(result_obj_ref)
print(f"Avant la modification :\n{result}")
# --8<-- [end:copie_temporaire]

# --8<-- [start:modification]
matrice = loadtxt(copie_path, dtype=int)
matrice[0, 0] = 100
np.savetxt(copie_path, matrice, fmt="%d")
print(f"Nouvelle première ligne du fichier : {loadtxt(copie_path, dtype=int)[0]}")
# --8<-- [end:modification]

# --8<-- [start:reexecution]
result = ray.get(result_obj_ref)
print(f"Même ObjectRef, de nouveau ray.get :\n{result}")
assert (result == attendu).all()  # rien n'a changé
# --8<-- [end:reexecution]

# --8<-- [start:nouvelle_soumission]
relue = read_array.options(scheduling_strategy=ici).remote(copie_path)
result_obj_ref = add_array.remote(relue, obj_ref_right_matrix)
result = ray.get(result_obj_ref)
print(f"Nouvelles tâches soumises :\n{result}")
assert result[0, 0] == 100 + ray.get(obj_ref_right_matrix)[0, 0]
assert (result[1:] == attendu[1:]).all()
shutil.rmtree(dossier)  # la copie temporaire n'a plus d'usage
# --8<-- [end:nouvelle_soumission]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
