# --8<-- [start:preambule]
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import ray
from numpy import loadtxt

ray.init(
    ignore_reinit_error=True,
    logging_level=logging.ERROR,
    log_to_driver=False,
)

# Les données du cours, retrouvées à partir de l'emplacement de ce fichier
DONNEES = Path(__file__).resolve().parents[2] / "course-data" / "01-les-taches"
# --8<-- [end:preambule]


# --8<-- [start:read_array]
@ray.remote
def read_array(path: Path) -> np.ndarray:
    return loadtxt(path, dtype=int)
# --8<-- [end:read_array]


# --8<-- [start:add_array]
@ray.remote
def add_array(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return np.add(left, right)
# --8<-- [end:add_array]


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

# --8<-- [start:resultat]
result = ray.get(result_obj_ref)
print(f"Somme des deux matrices :\n{result}")
attendu = loadtxt(left_matrix_path, dtype=int) + loadtxt(right_matrix_path, dtype=int)
assert (result == attendu).all()
# --8<-- [end:resultat]

# --8<-- [start:copie_temporaire]
# Une copie de la matrice de gauche, dans un dossier temporaire :
# les fichiers du cours ne sont jamais modifiés.
dossier = Path(tempfile.mkdtemp())
copie_path = dossier / "matrice_1.txt"
shutil.copy(left_matrix_path, copie_path)

copie_ref = read_array.remote(copie_path)
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
result_obj_ref = add_array.remote(read_array.remote(copie_path), obj_ref_right_matrix)
result = ray.get(result_obj_ref)
print(f"Nouvelles tâches soumises :\n{result}")
assert result[0, 0] == 100 + ray.get(obj_ref_right_matrix)[0, 0]
assert (result[1:] == attendu[1:]).all()
# --8<-- [end:nouvelle_soumission]

# --8<-- [start:fin]
shutil.rmtree(dossier)
ray.shutdown()
# --8<-- [end:fin]
