# --8<-- [start:preambule]
import io
import logging
import threading

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:tampon]
class Tampon:
    """Des valeurs mises de côté par plusieurs fils d'exécution, et le verrou qui les protège."""

    def __init__(self, valeurs=()):
        self.valeurs = list(valeurs)
        self.verrou = threading.Lock()

    def ajoute(self, valeur):
        with self.verrou:
            self.valeurs.append(valeur)

    def __getstate__(self):  # ce que pickle emporte : tout, sauf le verrou
        etat = self.__dict__.copy()
        del etat["verrou"]
        return etat

    def __setstate__(self, etat):  # à l'arrivée : les valeurs, et un verrou neuf
        self.__dict__.update(etat)
        self.verrou = threading.Lock()
# --8<-- [end:tampon]


# --8<-- [start:verification_tampon]
assert "Tampon" in globals(), "Tampon n'existe pas encore : définissez la classe dans la cellule « À COMPLÉTER »."
tampon = Tampon([1, 2])
tampon.ajoute(3)
assert tampon.valeurs == [1, 2, 3], "Tampon(valeurs).ajoute(v) doit ajouter v à la liste tampon.valeurs"
serialisable, problemes = ray.util.inspect_serializability(tampon, name="tampon", print_file=io.StringIO())
assert serialisable, f"un Tampon ne se sérialise pas encore : {[' -> '.join(map(str, p.path)) for p in problemes]}"


@ray.remote
def utilise(tampon):
    tampon.ajoute(4)  # avec son propre verrou, dans le processus worker
    return tampon.valeurs, type(tampon.verrou).__name__


valeurs, verrou = ray.get(utilise.remote(tampon), timeout=60)
assert valeurs == [1, 2, 3, 4] and verrou == "lock", "la copie reçue par la tâche doit avoir les valeurs et un verrou neuf"
assert tampon.valeurs == [1, 2, 3], "la tâche a modifié sa copie, pas le tampon du driver"
print("✓ Un Tampon passe à une tâche : ses valeurs voyagent, et la tâche a son propre verrou.")
# --8<-- [end:verification_tampon]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
