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


def vecteur(valeurs, decimales=2):
    """Un vecteur écrit à la française : (1,00 ; -2,00 ; ...)."""
    arrondies = [0.0 if round(v, decimales) == 0 else v for v in valeurs]  # pas de « -0,00 »
    return "(" + " ; ".join(fr(v, decimales) for v in arrondies) + ")"
# --8<-- [end:affichage]


# --8<-- [start:donnees]
N, DIM, MORCEAUX = 4_000, 5, 4  # exemples, coefficients, morceaux de données
generateur = np.random.default_rng(0)  # les mêmes données à chaque exécution
COEFFICIENTS = np.array([1.0, -2.0, 3.0, 0.5, 0.0])  # ce que la descente doit retrouver
X = generateur.normal(size=(N, DIM))
y = X @ COEFFICIENTS + 0.1 * generateur.normal(size=N)
morceaux = [(X[i::MORCEAUX], y[i::MORCEAUX]) for i in range(MORCEAUX)]
print(f"{fr(N, 0)} exemples de {DIM} variables, en {MORCEAUX} morceaux de {fr(len(morceaux[0][1]), 0)} exemples")
# --8<-- [end:donnees]


# --8<-- [start:gradient]
def gradient(w, Xm, ym):
    """La part d'un morceau dans le gradient de l'erreur quadratique moyenne sur les N exemples."""
    return 2 * Xm.T @ (Xm @ w - ym) / N


@ray.remote
def calculer_gradient(w, Xm, ym):
    return gradient(w, Xm, ym)
# --8<-- [end:gradient]


# --8<-- [start:serveur]
@ray.remote
class ServeurDeParametres:
    def __init__(self, dim, pas):
        self.w = np.zeros(dim)
        self.pas = pas

    def appliquer(self, *gradients):
        self.w = self.w - self.pas * np.sum(gradients, axis=0)
        return self.w

    def lire_poids(self):
        return self.w
# --8<-- [end:serveur]


# --8<-- [start:verification_serveur]
assert "ServeurDeParametres" in globals(), (
    "ServeurDeParametres n'existe pas encore : définissez-la dans la cellule « À COMPLÉTER »."
)
assert hasattr(ServeurDeParametres, "remote"), "ServeurDeParametres doit être une classe d'acteur : décorez-la par @ray.remote."
essai = ServeurDeParametres.remote(3, 0.1)
try:
    depart = ray.get(essai.lire_poids.remote(), timeout=60)
    apres = ray.get(essai.appliquer.remote(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0])), timeout=60)
    lus = ray.get(essai.lire_poids.remote(), timeout=60)
except NotImplementedError:
    raise AssertionError("Les méthodes de ServeurDeParametres ne sont pas encore toutes écrites.") from None
finally:
    ray.kill(essai)
assert isinstance(depart, np.ndarray) and np.array_equal(depart, np.zeros(3)), (
    f"au départ, les poids doivent être np.zeros(dim), pas {depart!r}"
)
assert isinstance(apres, np.ndarray) and np.allclose(apres, [-0.2, -0.3, -0.4]), (
    f"avec un pas de 0,1, appliquer([1, 2, 3], [1, 1, 1]) doit renvoyer les poids [-0,2, -0,3, -0,4], pas {apres!r}"
)
assert np.array_equal(lus, apres), "lire_poids doit renvoyer les poids mis à jour par appliquer"
print("✓ ServeurDeParametres applique la somme des gradients, et garde les poids.")
# --8<-- [end:verification_serveur]


# --8<-- [start:entrainement]
ETAPES, PAS = 50, 0.1
morceaux_refs = [(ray.put(Xm), ray.put(ym)) for Xm, ym in morceaux]  # dans le magasin d'objets, une fois
serveur = ServeurDeParametres.remote(DIM, PAS)
debut = time.perf_counter()
poids = serveur.lire_poids.remote()  # un ObjectRef, passé tel quel aux tâches
for _ in range(ETAPES):
    gradients = [calculer_gradient.remote(poids, Xm, ym) for Xm, ym in morceaux_refs]
    poids = serveur.appliquer.remote(*gradients)  # attend les gradients, puis fait un pas
w = ray.get(poids)
print(f"{ETAPES} étapes en {fr(time.perf_counter() - debut)} s")
print(f"Coefficients appris : {vecteur(w)}")
print(f"Coefficients vrais  : {vecteur(COEFFICIENTS)}")
# --8<-- [end:entrainement]

# --8<-- [start:sequentiel]
w_seq = np.zeros(DIM)
for _ in range(ETAPES):
    w_seq = w_seq - PAS * np.sum([gradient(w_seq, Xm, ym) for Xm, ym in morceaux], axis=0)
print(f"Calcul séquentiel   : {vecteur(w_seq)}")
print(f"Même résultat, aux arrondis près : {np.allclose(w, w_seq, rtol=1e-9, atol=1e-12)}")
print(f"Même résultat, au bit près : {np.array_equal(w, w_seq)}")
assert np.allclose(w, w_seq, rtol=1e-9, atol=1e-12)
# --8<-- [end:sequentiel]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
