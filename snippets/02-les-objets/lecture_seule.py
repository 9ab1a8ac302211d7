# --8<-- [start:preambule]
import logging
import time

import numpy as np
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:sans_copie]
tableau = np.arange(10_000_000)  # 80 Mo d'entiers
ref = ray.put(tableau)

debut = time.perf_counter()
lu = ray.get(ref)
duree_lecture = time.perf_counter() - debut

debut = time.perf_counter()
copie = tableau.copy()
duree_copie = time.perf_counter() - debut
print(f"ray.get de 80 Mo : {fr(duree_lecture * 1000, 3)} ms ; une copie de 80 Mo en mémoire : {fr(duree_copie * 1000, 1)} ms")
print(f"Modifiable : {lu.flags.writeable} ; propriétaire de ses données : {lu.flags.owndata}")
# --8<-- [end:sans_copie]

# --8<-- [start:ecriture]
try:
    lu[0] = 42
except ValueError as erreur:
    print(f"ValueError : {erreur}")
modifiable = lu.copy()  # une vraie copie, à soi
modifiable[0] = 42
print(f"Dans la copie : {modifiable[:3]}")
# --8<-- [end:ecriture]


# --8<-- [start:dans_une_tache]
@ray.remote
def double_sur_place(tableau):
    tableau *= 2  # écrit dans le tableau reçu : en lecture seule
    return tableau


@ray.remote
def double(tableau):
    resultat = tableau.copy()
    resultat *= 2
    return resultat


try:
    ray.get(double_sur_place.remote(ref))
except ValueError as erreur:
    print(f"Sur place : {type(erreur).__name__}, {erreur.cause}")
print(f"Sur une copie : {ray.get(double.remote(ref))[:3]}")
# --8<-- [end:dans_une_tache]

# --8<-- [start:verification_mesures]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
assert not lu.flags.writeable and not lu.flags.owndata
assert duree_lecture < duree_copie / 5, "ray.get a pris autant de temps qu'une copie"
# --8<-- [end:verification_mesures]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
