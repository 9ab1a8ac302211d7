# --8<-- [start:preambule]
import logging

import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:par_defaut]
@ray.remote
class Sonde:
    def ressources(self):
        """Les ressources que Ray a réservées pour ce processus, vues de l'intérieur."""
        return ray.get_runtime_context().get_assigned_resources()


cpus = int(ray.cluster_resources()["CPU"])
sondes = [Sonde.remote() for _ in range(2 * cpus + 1)]  # plus d'acteurs que de CPU
reservees = ray.get([sonde.ressources.remote() for sonde in sondes], timeout=120)
print(f"{len(sondes)} acteurs sans num_cpus, sur {cpus} CPU : tous ont répondu")
print(f"Ressources réservées pour chacun : {reservees[0]}")
assert all(r == {} for r in reservees)
for sonde in sondes:
    ray.kill(sonde)  # arrête l'acteur (voir « La vie d'un acteur »)
# --8<-- [end:par_defaut]


# --8<-- [start:avec_num_cpus]
SondeUnCPU = Sonde.options(num_cpus=1)  # Sonde, avec d'autres options : .remote() crée l'acteur
acteurs = [SondeUnCPU.remote() for _ in range(cpus + 1)]  # un de plus que de CPU
refs = [acteur.ressources.remote() for acteur in acteurs]
ray.wait(refs, num_returns=1, timeout=60)  # le temps qu'un premier acteur démarre
prets, en_attente = ray.wait(refs, num_returns=len(refs), timeout=3)
print(f"{len(acteurs)} acteurs de num_cpus=1, sur {cpus} CPU : {len(prets)} prêts, {len(en_attente)} en attente")
print(f"Ressources réservées pour un acteur prêt : {ray.get(prets[0])}")
assert len(prets) <= cpus and len(en_attente) >= 1 and ray.get(prets[0]) == {"CPU": 1.0}
# --8<-- [end:avec_num_cpus]

# --8<-- [start:liberation]
ray.kill(acteurs[refs.index(prets[0])])  # un acteur prêt s'arrête : son CPU est libéré
demarres, _ = ray.wait(en_attente, num_returns=1, timeout=60)
assert len(demarres) == 1
print("Un acteur prêt arrêté : un acteur en attente a pu démarrer")
for acteur in acteurs:
    ray.kill(acteur)
# --8<-- [end:liberation]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
