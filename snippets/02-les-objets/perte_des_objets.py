# --8<-- [start:preambule]
import logging
import os
import signal
import time

import numpy as np
import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:proprietaire_perdu]
@ray.remote
def fabrique():
    # ray.put dans une tâche : le propriétaire de l'objet est le processus worker de la tâche
    return os.getpid(), [ray.put(np.arange(1_000_000))]


ici = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=False)
pid, [ref] = ray.get(fabrique.options(scheduling_strategy=ici).remote())
print(f"Avant : l'objet se lit ({ray.get(ref)[:3]}…)")

os.kill(pid, signal.SIGKILL)  # le processus propriétaire disparaît, comme s'il plantait
for _ in range(40):  # Ray met une à deux secondes à constater sa disparition
    try:
        ray.get(ref, timeout=10)
        time.sleep(0.25)
    except ray.exceptions.OwnerDiedError as erreur:
        print(f"Après : {type(erreur).__name__}, une {type(erreur).__mro__[1].__name__}")
        break
else:
    raise AssertionError("l'objet se lit encore, dix secondes après la disparition de son propriétaire")
# --8<-- [end:proprietaire_perdu]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
