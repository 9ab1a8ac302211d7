# --8<-- [start:preambule]
import io
import logging
import threading

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:ce_qui_passe]
def fabrique_multiplicateur(facteur):
    return lambda x: facteur * x  # une fermeture : elle emporte `facteur`


@ray.remote
def applique(fonction, valeurs):
    return [fonction(v) for v in valeurs]


triple = fabrique_multiplicateur(3)
print(f"Une fermeture en argument : {ray.get(applique.remote(triple, [1, 2, 3]))}")
print(f"Une fonction anonyme : {ray.get(applique.remote(lambda x: x**2, [1, 2, 3]))}")
# --8<-- [end:ce_qui_passe]

# --8<-- [start:ce_qui_ne_passe_pas]
verrou = threading.Lock()  # un verrou n'a de sens que dans le processus qui l'a créé


@ray.remote
def utilise(objet):
    return type(objet).__name__


try:
    utilise.remote(verrou)
except TypeError as erreur:
    print(f"TypeError : {str(erreur).splitlines()[0].split(' at 0x')[0]}…")
    print(f"Cause : {erreur.__cause__!r}")
# --8<-- [end:ce_qui_ne_passe_pas]


# --8<-- [start:inspecter]
class Tampon:
    """Des valeurs mises de côté par plusieurs fils d'exécution, et le verrou qui les protège."""

    def __init__(self):
        self.valeurs = []
        self.verrou = threading.Lock()


rapport = io.StringIO()  # le rapport détaillé qu'elle écrit aussi, mis de côté ici
serialisable, problemes = ray.util.inspect_serializability(Tampon(), name="tampon", print_file=rapport)
print(f"Sérialisable : {serialisable}")
for probleme in problemes:
    print(f"Coupable : {' -> '.join(map(str, probleme.path))}, un objet {type(probleme.obj).__name__}")
# --8<-- [end:inspecter]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
