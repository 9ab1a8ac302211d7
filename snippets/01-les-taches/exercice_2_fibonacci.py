# --8<-- [start:preambule]
import logging
import time
import tracemalloc

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:generate_fibonacci]
def generate_fibonacci(sequence_size: int) -> int:
    fibonacci = []
    for i in range(0, sequence_size):
        if i < 2:
            fibonacci.append(i)
            continue
        fibonacci.append(fibonacci[i - 1] + fibonacci[i - 2])
    return fibonacci[-1]
# --8<-- [end:generate_fibonacci]


# --8<-- [start:generate_fibonacci_distributed]
@ray.remote
def generate_fibonacci_distributed(sequence_size):
    return generate_fibonacci(sequence_size)
# --8<-- [end:generate_fibonacci_distributed]


# --8<-- [start:number_of_tasks]
number_of_tasks = int(ray.cluster_resources()["CPU"])  # les CPU que Ray peut attribuer aux tâches
print(f"number_of_tasks = {number_of_tasks}")
# --8<-- [end:number_of_tasks]


# --8<-- [start:run_local]
def run_local(sequence_size):
    results = [generate_fibonacci(sequence_size) for _ in range(number_of_tasks)]
    return results
# --8<-- [end:run_local]


# --8<-- [start:verification_run_local]
resultats = run_local(10)
assert resultats is not None, "run_local ne renvoie rien : complétez-la pour qu'elle renvoie la liste des résultats."
assert isinstance(resultats, list), f"run_local doit renvoyer une liste, pas un objet {type(resultats).__name__}"
assert len(resultats) == number_of_tasks, (
    f"run_local doit renvoyer number_of_tasks = {number_of_tasks} résultats, pas {len(resultats)}"
)
assert resultats == [generate_fibonacci(10)] * number_of_tasks, (
    "run_local doit renvoyer une liste de résultats de generate_fibonacci(sequence_size)"
)
print(f"✓ run_local renvoie bien {number_of_tasks} résultats.")
# --8<-- [end:verification_run_local]


# --8<-- [start:chrono_local]
debut = time.perf_counter()
resultats_locaux = run_local(10_000)
print(f"run_local(10 000) : {fr(time.perf_counter() - debut, 4)} s")
# --8<-- [end:chrono_local]


# --8<-- [start:run_remote]
def run_remote(sequence_size):
    results = ray.get(
        [
            generate_fibonacci_distributed.remote(sequence_size)
            for _ in range(number_of_tasks)
        ]
    )
    return results
# --8<-- [end:run_remote]


# --8<-- [start:verification_run_remote]
import inspect

assert ".remote(" in inspect.getsource(run_remote), (
    "run_remote doit soumettre des tâches : generate_fibonacci_distributed.remote(sequence_size)"
)
resultats = run_remote(10)
assert resultats is not None, "run_remote ne renvoie rien : complétez-la pour qu'elle renvoie la liste des résultats."
assert isinstance(resultats, list), f"run_remote doit renvoyer une liste, pas un objet {type(resultats).__name__}"
assert not any(isinstance(r, ray.ObjectRef) for r in resultats), (
    "run_remote renvoie des ObjectRef : appelez ray.get pour obtenir les valeurs."
)
assert resultats == [generate_fibonacci(10)] * number_of_tasks, (
    f"run_remote doit renvoyer {number_of_tasks} résultats de generate_fibonacci(sequence_size)"
)
print(f"✓ run_remote renvoie bien {number_of_tasks} résultats, calculés par des tâches.")
# --8<-- [end:verification_run_remote]


# --8<-- [start:chrono_distant]
debut = time.perf_counter()
resultats_distants = run_remote(10_000)
print(f"run_remote(10 000) : {fr(time.perf_counter() - debut, 4)} s")
assert resultats_distants == resultats_locaux
# --8<-- [end:chrono_distant]


# --8<-- [start:fibonacci_last]
def fibonacci_last(sequence_size: int) -> int:
    """Même résultat que generate_fibonacci, sans garder la suite : deux termes seulement."""
    a, b = 0, 1
    for _ in range(sequence_size - 1):
        a, b = b, a + b
    return a


assert all(fibonacci_last(n) == generate_fibonacci(n) for n in [1, 2, 3, 10, 1_000, 10_000])
# --8<-- [end:fibonacci_last]


# --8<-- [start:memoire]
def pic_memoire(fonction, argument):
    """Mémoire allouée au plus fort de l'appel fonction(argument), en mégaoctets."""
    tracemalloc.start()
    fonction(argument)
    _, pic = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return pic / 1e6


pics = {fonction.__name__: pic_memoire(fonction, 50_000) for fonction in [generate_fibonacci, fibonacci_last]}
for nom, pic in pics.items():
    print(f"{nom:>18}(50 000) : {fr(pic)} Mo au plus fort")
# « des milliers de grands entiers » contre « deux » : au moins mille fois moins de mémoire.
assert pics["fibonacci_last"] < pics["generate_fibonacci"] / 1000, pics
# --8<-- [end:memoire]


# --8<-- [start:version_legere]
@ray.remote
def fibonacci_last_distributed(sequence_size):
    return fibonacci_last(sequence_size)


def run_local_light(sequence_size):
    return [fibonacci_last(sequence_size) for _ in range(number_of_tasks)]


def run_remote_light(sequence_size):
    refs = [fibonacci_last_distributed.remote(sequence_size) for _ in range(number_of_tasks)]
    return ray.get(refs, timeout=120)


# Premier appel, avant de mesurer : il envoie la fonction aux processus worker
assert run_remote_light(10) == run_local_light(10)
# --8<-- [end:version_legere]


# --8<-- [start:mesure_acceleration]
def meilleur_temps(fonction, argument, repetitions):
    """Plus petite durée (en secondes) parmi plusieurs exécutions."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction(argument)
        durees.append(time.perf_counter() - debut)
    return min(durees)


tailles = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000]
temps_locaux, temps_ray, accelerations = [], [], []
for taille in tailles:
    repetitions = 5 if taille <= 20_000 else 3
    temps_locaux.append(meilleur_temps(run_local_light, taille, repetitions))
    temps_ray.append(meilleur_temps(run_remote_light, taille, repetitions))
    accelerations.append(temps_locaux[-1] / temps_ray[-1])
# --8<-- [end:mesure_acceleration]

# --8<-- [start:tableau_acceleration]
print(f"{'taille':>8} | {'local (s)':>10} | {'Ray (s)':>10} | accélération")
for taille, local, distant, acceleration in zip(tailles, temps_locaux, temps_ray, accelerations):
    print(f"{fr(taille, 0):>8} | {fr(local, 4):>10} | {fr(distant, 4):>10} | {fr(acceleration):>12}")
# --8<-- [end:tableau_acceleration]

# --8<-- [start:croisement]
# Indice de la plus petite taille à partir de laquelle Ray est plus rapide pour toutes les suivantes
croisement = next((i for i in range(len(tailles)) if all(a > 1 for a in accelerations[i:])), None)
if croisement is not None:
    duree_tache = temps_locaux[croisement] / number_of_tasks * 1000  # le temps local d'une tâche
    print(f"Sur cette machine, Ray est plus rapide à partir d'une suite de {fr(tailles[croisement], 0)} termes, "
          f"soit des tâches d'environ {fr(duree_tache, 1)} ms.")
elif any(a > 1 for a in accelerations):
    print("Sur cette machine, Ray n'a été plus rapide que pour certaines tailles, pas durablement.")
else:
    print("Sur cette machine, Ray n'a jamais été plus rapide dans cette plage de tailles.")
acceleration_ideale = min(number_of_tasks, int(ray.cluster_resources()["CPU"]))
print(f"Meilleure accélération mesurée : {fr(max(accelerations))} (accélération idéale : {acceleration_ideale})")
# --8<-- [end:croisement]

# --8<-- [start:verification_mesures]
# Ce que dit le texte, vérifié sur les mesures de cette page (la construction les refait si elles le contredisent)
assert max(accelerations) <= 1.1 * acceleration_ideale, "accélération supérieure au nombre de tâches simultanées"
assert accelerations[0] < 1, "des tâches de moins d'une milliseconde devraient être plus lentes avec Ray"
assert accelerations[-1] > accelerations[0], "l'accélération ne monte pas quand les tâches grossissent"
# --8<-- [end:verification_mesures]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Accélération de run_remote_light par rapport à run_local_light en fonction de "
    "la taille de la suite de Fibonacci, mesurée à la construction de la page",
    figsize=(7, 4),
)
ax.plot(tailles, accelerations, marker="o", label="accélération mesurée")
ax.axhline(1, linestyle="--", color="gray", label="même durée (accélération = 1)")
ax.axhline(acceleration_ideale, linestyle=":", color="C1", label="accélération idéale")
ax.set_xscale("log")
ax.set_xticks(tailles, [fr(taille, 0) for taille in tailles])
ax.set_xticks([], minor=True)
ax.set_ylim(bottom=0)
ax.set_xlabel("taille de la suite (sequence_size)")
ax.set_ylabel("temps local / temps Ray")
ax.yaxis.set_major_formatter(lambda y, _: f"{y:g}".replace(".", ","))  # virgule décimale
ax.set_title(f"Accélération avec {number_of_tasks} tâches fibonacci_last")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3, fontsize="small")
plt.show()
# --8<-- [end:graphique]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
